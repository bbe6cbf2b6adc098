import type { Ports } from '../ports/index.js';
import { parseOsRelease } from '../formats/os-release.js';
import { classifyDistro } from '../knowledge/distros.js';
import { parseDaemonJson } from '../formats/daemon-json.js';
import { HostRefusal } from '../errors.js';
import { containerFacts, engineFacts, imagePresent } from './docker-engine.js';
import { findDockerd, pidfileOf } from './dockerd-process.js';
import { daemonJsonPath, startupFacts } from './daemon-startup.js';
import { portHolder } from './listeners.js';
import { STATE_FILE } from '../plan/state.js';
import type { DaemonJsonFacts, HostFacts } from './types.js';

export interface FactQuery {
  /** The registry container to look at; omitted on client hosts (trust, untrust). */
  registry?: { name: string; port: number; image: string };
}

/** Gathers every fact once, concurrently where independent. Reads only. */
export async function gatherFacts(ports: Ports, q: FactQuery): Promise<HostFacts> {
  const { files, live, processes, docker } = ports;
  const [osText, systemd, dockerd, engine, container, image, stateText] = await Promise.all([
    files.read('/etc/os-release').then(async (t) => t ?? (await files.read('/usr/lib/os-release')) ?? ''),
    files.exists('/run/systemd/system'),
    findDockerd(live),
    engineFacts(processes, docker),
    q.registry ? containerFacts(docker, q.registry.name) : Promise.resolve(null),
    q.registry ? imagePresent(docker, q.registry.image) : Promise.resolve(false),
    files.read(STATE_FILE),
  ]);
  const distro = classifyDistro(parseOsRelease(osText));
  const init = systemd ? 'systemd' : 'sysvinit';
  const argv = dockerd?.argv ?? null;
  const [startup, holder] = await Promise.all([
    startupFacts(files, init, distro, argv),
    // Our own running container on that port needs no look-up (which scans every process's sockets).
    !q.registry || (container?.running && container.hostPort === String(q.registry.port)) ? Promise.resolve(null) : portHolder(live, q.registry.port, null),
  ]);
  const daemonJson = await readDaemonJson(ports, daemonJsonPath(argv, startup));
  return {
    distro,
    init,
    docker: {
      installed: engine.installed,
      clientVersion: engine.clientVersion,
      running: engine.serverVersion !== null,
      serverVersion: engine.serverVersion,
      pid: dockerd?.pid ?? null,
      argv,
      pidfile: pidfileOf(argv),
      liveInsecure: engine.liveInsecure,
      error: engine.error,
    },
    daemonJson,
    startup,
    container,
    image: { name: q.registry?.image ?? '', present: engine.serverVersion === null ? null : image },
    portHolder: holder,
    stateText,
  };
}

export async function readDaemonJson(ports: Ports, path: string): Promise<DaemonJsonFacts> {
  const [text, mode] = await Promise.all([ports.files.read(path), ports.files.mode(path)]);
  if (text === null) return { path, text, config: null, error: null, mode };
  try {
    return { path, text, config: parseDaemonJson(text, path).config, error: null, mode };
  } catch (err) {
    if (err instanceof HostRefusal) return { path, text, config: null, error: err.message, mode };
    throw err;
  }
}

/** The IPv4 of the interface that holds the default route, which is what other hosts will reach. */
export async function primaryIPv4(): Promise<string | null> {
  const si = (await import('systeminformation')).default;
  const [defaultIface, ifaces] = await Promise.all([si.networkInterfaceDefault(), si.networkInterfaces()]);
  const list = Array.isArray(ifaces) ? ifaces : [ifaces];
  // Bridges and veths of container runtimes are not where other hosts reach this one.
  const usable = list.filter((i) => i.ip4 && !i.internal && !/^(docker|br-|veth|virbr|cni|flannel|cali|podman|lxc)/.test(i.iface));
  return (usable.find((i) => i.iface === defaultIface) ?? usable[0])?.ip4 ?? null;
}
