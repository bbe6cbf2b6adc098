import type { HostFiles } from '../ports/files.js';
import { parseDaemonJson } from '../formats/daemon-json.js';
import { DEFAULT_DOCKER_SOCKET, dockerdHosts, unixSocketOf } from '../knowledge/dockerd-options.js';
import { daemonJsonPath } from './daemon-startup.js';
import { findDockerd } from './dockerd-process.js';

/**
 * The unix socket the running dockerd serves its API on when it is not the default one: told
 * `-H unix:///run/other.sock`, or "hosts" in its daemon.json. Asked only when the default socket
 * is not there, so a usual host pays nothing for it. Null: no dockerd, or none of its addresses
 * is a unix socket other than the default.
 */
export async function locateDockerSocket(live: HostFiles, files: HostFiles): Promise<string | null> {
  const dockerd = await findDockerd(live);
  if (!dockerd) return null;
  const hosts = dockerdHosts(dockerd.argv, await configOf(files, daemonJsonPath(dockerd.argv, { flagSites: [] })));
  return hosts.map(unixSocketOf).find((s): s is string => s !== null && s !== DEFAULT_DOCKER_SOCKET) ?? null;
}

async function configOf(files: HostFiles, path: string) {
  try {
    const text = await files.read(path);
    return text === null ? null : parseDaemonJson(text, path).config;
  } catch {
    return null; // a daemon.json dockerd could not read either: its flags decide
  }
}
