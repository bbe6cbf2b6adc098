import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostFiles } from '../../src/ports/files.js';
import { readDaemonJson } from '../../src/facts/gather.js';
import { daemonJsonPath, startupFacts } from '../../src/facts/daemon-startup.js';
import { parseOsRelease } from '../../src/formats/os-release.js';
import { classifyDistro, packageToolOf } from '../../src/knowledge/distros.js';
import type { ContainerFacts, DockerFacts, HostFacts, PortHolder } from '../../src/facts/types.js';
import type { InitSystem } from '../../src/knowledge/service-managers.js';
import { hostPorts } from '../../src/ports/index.js';
import { STATE_FILE } from '../../src/plan/state.js';

export interface FixtureSpec {
  files?: Record<string, string>;
  /** symlinks, e.g. to enable a unit */
  links?: Record<string, string>;
  init?: InitSystem;
  docker?: Partial<DockerFacts>;
  container?: ContainerFacts | null;
  imagePresent?: boolean | null;
  portHolder?: PortHolder | null;
  registryPackage?: HostFacts['registryPackage'];
  dockerCeRepo?: boolean;
  /** the commands this host can run, of the package managers (default: apt-get and dnf) */
  runnable?: string[];
  imageName?: string | null;
  tls?: HostFacts['tls'];
  /** the systemd service dockerd runs as (default docker.service) */
  unit?: string;
}

/**
 * Host facts for planner tests, read by the real fact readers from a directory tree (the
 * configurable root); only what comes from live processes (dockerd, docker info) is given.
 */
export async function factsFrom(spec: FixtureSpec): Promise<HostFacts> {
  const root = mkdtempSync(path.join(tmpdir(), 'sr-facts-'));
  try {
    return await readFixture(root, spec);
  } finally {
    // The facts are plain data: the tree is not needed once they are read.
    rmSync(root, { recursive: true, force: true });
  }
}

async function readFixture(root: string, spec: FixtureSpec): Promise<HostFacts> {
  for (const [p, text] of Object.entries({ '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n', ...spec.files })) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), text);
  }
  for (const [p, target] of Object.entries(spec.links ?? {})) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    symlinkSync(target, path.join(root, p));
  }
  const files = hostFiles(root);
  const init = spec.init ?? 'sysvinit';
  const distro = classifyDistro(parseOsRelease((await files.read('/etc/os-release'))!));
  const docker: DockerFacts = {
    installed: true,
    clientVersion: '20.10.24',
    running: true,
    serverVersion: '20.10.24',
    pid: 4242,
    argv: ['/usr/sbin/dockerd', '-p', '/var/run/docker.pid'],
    liveInsecure: { registries: [], cidrs: ['127.0.0.0/8'] },
    error: null,
    ...spec.docker,
  };
  const startup = await startupFacts(files, init, distro, docker.argv, spec.unit);
  const daemonJson = await readDaemonJson(hostPorts(root), daemonJsonPath(docker.argv, startup));
  return {
    distro,
    init,
    docker,
    daemonJson,
    startup,
    container: spec.container ?? null,
    image: { name: spec.imageName === undefined ? 'registry:3' : spec.imageName, present: spec.imagePresent ?? true },
    registryPackage: spec.registryPackage ?? null,
    dockerCeRepo: spec.dockerCeRepo ?? false,
    packageTool: packageToolOf(distro, (c) => (spec.runnable ?? ['apt-get', 'dnf']).includes(c)),
    tls: spec.tls ?? null,
    portHolder: spec.portHolder ?? null,
    stateText: await files.read(STATE_FILE),
  };
}
