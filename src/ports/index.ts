import { hostFiles, type HostFiles } from './files.js';
import { hostHttp, type Http } from './http.js';
import { hostProcesses, type Processes } from './processes.js';
import { dockerApi, type DockerApi } from './docker-api.js';

/** The only ways the tool touches a host. Tests build these over a temp tree or a test host. */
export interface Ports {
  /** Configuration files, under the configurable root. */
  files: HostFiles;
  /** The live kernel view (/proc), always the real one. */
  live: HostFiles;
  processes: Processes;
  http: Http;
  docker: DockerApi;
}

export function hostPorts(root = '/'): Ports {
  const files = hostFiles(root);
  const live = hostFiles('/');
  // DOCKER_HOST=unix://..., when set, is where the operator says this host's dockerd is; else dockerd's own flags may say.
  const docker = process.env.DOCKER_HOST?.startsWith('unix://') ? dockerApi() : dockerApi(undefined, async () => (await import('../facts/docker-socket.js')).locateDockerSocket(live, files));
  return { files, live, processes: hostProcesses(() => docker.socket), http: hostHttp(), docker };
}
