import type { Ports } from '../ports/index.js';
import { parseOsRelease } from '../formats/os-release.js';
import { classifyDistro, packageToolOf, type Distro } from '../knowledge/distros.js';
import { parseDaemonJson } from '../formats/daemon-json.js';
import { HostRefusal } from '../errors.js';
import { containerFacts, containerPublishing, engineFacts, imagePresent, registryImages } from './docker-engine.js';
import { findDockerd } from './dockerd-process.js';
import { optionValues } from '../formats/dockerd-flags.js';
import { daemonJsonPath, startupFacts } from './daemon-startup.js';
import { listenerTables, portHolder } from './listeners.js';
import { parseState, recordedCaPaths, STATE_FILE } from '../plan/state.js';
import { DEFAULTS } from '../plan/wanted.js';
import { CA_CERT, CA_KEY, certsDirAliasCa, certsDirCa, HTPASSWD, SERVER_CERT, SERVER_KEY } from '../tls/paths.js';
import type { ContainerFacts, DaemonJsonFacts, HostFacts, TlsFacts } from './types.js';

export interface FactQuery {
  /** The registry container to look at; omitted on client hosts (trust, untrust). */
  registry?: {
    name: string;
    port: number;
    /** null: an image built from the distro's registry package (--offline-image), named after its version */
    image: string | null;
    /** HOST:PORT clients use (where its CA goes in certs.d) */
    entry?: string;
    /** the image may be built from the distro's registry package: look at that package */
    offline?: boolean;
    /** read the secure registry's material (TLS wanted, or recorded by an earlier install) */
    tls?: boolean;
    /** the data directory wanted (--data-dir, or recorded) */
    dataDir?: string;
  };
}

export const OFFLINE_REPO = 'setup-registry/registry';

/** The tag of an image built from a registry package: its version, in the characters a tag allows. */
export function offlineTag(version: string): string {
  return `${OFFLINE_REPO}:${version.replace(/[^\w.-]/g, '-')}`;
}

/** Gathers every fact once, concurrently where independent. Reads only. */
export async function gatherFacts(ports: Ports, q: FactQuery): Promise<HostFacts> {
  const { files, live, processes, docker } = ports;
  const addressLookup = lookUpAddress(ports, q.registry?.entry);
  // dockerd's questions go first (the slowest, GET /info, first of all); the files are read and parsed while it answers.
  const engineAnswer = engineFacts(processes, docker);
  const registryContainer = q.registry ? containerFacts(docker, q.registry.name) : Promise.resolve(null);
  // Who holds the port matters unless our own container runs there: then the kernel's socket
  // tables are read at once, off the main thread, while dockerd answers the other questions.
  const ownPort = (c: ContainerFacts | null) => Boolean(c?.running && c.hostPort === String(q.registry?.port));
  const tables = q.registry ? registryContainer.then((c) => (ownPort(c) ? null : listenerTables(live))) : null;
  tables?.catch(() => undefined); // awaited below; a failure must not surface first as an unhandled rejection
  const answers = Promise.all([
    engineAnswer,
    registryContainer,
    q.registry?.image ? imagePresent(docker, q.registry.image) : Promise.resolve(false),
  ]);
  const [local, [engine, container, image]] = await Promise.all([localFacts(ports), answers]);
  const { distro, init, dockerd, argv, startup, daemonJson, stateText } = local;
  const bindIp = defaultBindIp(daemonJson.config, argv);
  // A port published without an address is on dockerd's default one: say which.
  if (container?.publishedWithoutIp) container.hostIp = bindIp;
  const packageTool = packageToolOf(distro, (c) => processes.canRun(c));
  const registryPackage = q.registry?.offline || q.registry?.image === null ? await registryPackageFacts(ports, distro, packageTool) : null;
  const imageName = q.registry?.image ?? (registryPackage?.version ? offlineTag(registryPackage.version) : null);
  const present = q.registry?.image ? image : imageName ? await imagePresent(docker, imageName) : false;
  const alternatives = imageName && present === false && engine.serverVersion !== null ? (await registryImages(docker)).filter((t) => t !== imageName) : undefined;
  // Under userns-remap the registry's root may not write a directory someone else owns: whose are they?
  const candidates = engine.userns && q.registry ? [...new Set([q.registry.dataDir, container?.dataDir, DEFAULTS.dataDir].filter((d): d is string => Boolean(d?.startsWith('/'))))] : [];
  const dataDirOwners = candidates.length ? Object.fromEntries(await Promise.all(candidates.map(async (d) => [d, await files.owner(d)] as const))) : undefined;
  if (container?.running && container.pid) container.staleBinds = await staleBinds(live, container);
  const listening = await tables;
  const holder = q.registry && listening ? await portHolder(live, q.registry.port, null, listening) : null;
  if (holder?.proxy && q.registry) holder.container = await containerPublishing(docker, q.registry.port);
  // The registry recorded by an earlier install, when it is another container that still exists.
  const recorded = parseState(stateText);
  const otherRecorded = recorded && q.registry && recorded.name !== q.registry.name && (await containerFacts(docker, recorded.name)) ? { name: recorded.name, entry: `${recorded.address}:${recorded.port}` } : null;
  return {
    distro,
    init,
    docker: {
      installed: engine.installed,
      clientVersion: engine.clientVersion,
      daemonVersion: engine.daemonVersion ?? null,
      running: engine.serverVersion !== null,
      serverVersion: engine.serverVersion,
      pid: dockerd?.pid ?? null,
      argv,
      liveInsecure: engine.liveInsecure,
      proxy: engine.proxy ?? null,
      error: engine.error,
      denied: /\bEACCES\b|\bEPERM\b/.test(engine.error ?? ''),
      podman: Boolean(engine.podman),
      selinux: Boolean(engine.selinux),
      userns: Boolean(engine.userns),
      usernsRoot: engine.usernsRoot ?? null,
      bindIp,
      logDriver: engine.logDriver ?? null,
      logRotated: defaultLogRotated(daemonJson.config, argv),
    },
    daemonJson,
    startup,
    container,
    image: { name: imageName, present: engine.serverVersion === null ? null : present, ...(alternatives ? { alternatives } : {}) },
    ...(dataDirOwners ? { dataDirOwners } : {}),
    registryPackage,
    dockerCeRepo: engine.installed ? false : await files.exists('/etc/yum.repos.d/docker-ce.repo'),
    packageTool,
    tls: q.registry?.tls || recorded?.tls || recorded?.cas?.length ? await tlsFacts(ports, `${q.registry?.entry ?? ''}`, recorded ? recordedCaPaths(recorded) : []) : null,
    portHolder: holder,
    addressLookup: await addressLookup,
    otherRecorded,
    stateText,
  };
}

/** A host name must resolve here, and should lead to this host: dockerd pushes to the registry by that name to prove the trust. */
async function lookUpAddress(ports: Ports, entry: string | undefined): Promise<HostFacts['addressLookup']> {
  const name = entry?.replace(/:\d+$/, '');
  if (!name) return null;
  const local = (addresses: string[]) => {
    const own = new Set(ports.http.localAddresses());
    return addresses.some((a) => a.startsWith('127.') || a === '::1' || own.has(a));
  };
  // An IPv4 address needs no look-up (and no node:dns on the hot path).
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return { addresses: [name], local: local([name]) };
  return ports.http.lookup(name).then(
    (addresses) => ({ addresses, local: local(addresses) }),
    (err: NodeJS.ErrnoException) => ({ error: err.code ?? err.message }),
  );
}

/** The --ip flag wins over daemon.json's "ip" (dockerd refuses both; the flag is what ran). 0.0.0.0 and :: are every interface. */
function defaultBindIp(config: DaemonJsonFacts['config'], argv: string[] | null): string | null {
  const ip = (argv ? optionValues(argv, ['--ip']).at(-1) : undefined) ?? (typeof config?.ip === 'string' ? config.ip : undefined);
  return ip && ip !== '0.0.0.0' && ip !== '::' ? ip : null;
}

/** dockerd's default log options cap each log's size: "max-size" in daemon.json's "log-opts", or --log-opt max-size=. */
function defaultLogRotated(config: DaemonJsonFacts['config'], argv: string[] | null): boolean {
  const opts = config?.['log-opts'];
  if (opts && typeof opts === 'object' && 'max-size' in opts) return true;
  return (argv ? optionValues(argv, ['--log-opt']) : []).some((o) => o.startsWith('max-size='));
}

/** What the host's files and processes say, without dockerd: the distro, how dockerd starts, daemon.json. */
async function localFacts(ports: Ports) {
  const { files, live } = ports;
  const [osText, systemd, dockerd, stateText] = await Promise.all([
    files.read('/etc/os-release').then(async (t) => t ?? (await files.read('/usr/lib/os-release')) ?? ''),
    files.exists('/run/systemd/system'),
    findDockerd(live),
    files.read(STATE_FILE),
  ]);
  const distro = classifyDistro(parseOsRelease(osText));
  const init = systemd ? 'systemd' : 'sysvinit';
  const argv = dockerd?.argv ?? null;
  const startup = await startupFacts(files, init, distro, argv, dockerd?.unit ?? undefined);
  const daemonJson = await readDaemonJson(ports, daemonJsonPath(argv, startup));
  return { distro, init, dockerd, argv, startup, daemonJson, stateText } as const;
}

async function tlsFacts(ports: Ports, entry: string, recordedPaths: string[]): Promise<TlsFacts> {
  const f = ports.files;
  const alias = entry ? certsDirAliasCa(entry) : null;
  const [caCert, caKey, serverCert, serverKey, certsD, certsDAlias, htpasswd, recordedThere] = await Promise.all([
    f.read(CA_CERT), f.exists(CA_KEY), f.read(SERVER_CERT), f.read(SERVER_KEY), entry ? f.read(certsDirCa(entry)) : Promise.resolve(null), alias ? f.read(alias) : Promise.resolve(null), f.read(HTPASSWD),
    Promise.all(recordedPaths.map((p) => f.exists(p))),
  ]);
  const recordedCas = recordedPaths.filter((_, i) => recordedThere[i]);
  return { caCert, caKey, serverCert, serverKey, certsD, ...(alias ? { certsDAlias } : {}), htpasswd, ...(recordedCas.length ? { recordedCas } : {}) };
}

async function registryPackageFacts(ports: Ports, distro: Distro, packageTool: HostFacts['packageTool']): Promise<HostFacts['registryPackage']> {
  const known = distro.knowledge.registryPackage;
  const query = packageTool?.query;
  if (!known || !query) return null;
  const [installed, version] = await Promise.all([ports.files.exists(known.binary), ports.processes.probe(query(known.name))]);
  return { ...known, installed, version: installed && version.exitCode === 0 && version.stdout.trim() ? version.stdout.trim() : null };
}

/**
 * The bound host directories the container sees deleted: its end of the bind has no name left.
 * (Only deleted: a directory that is still there elsewhere, such as a disk unmounted on the host
 * that the container still holds, serves on, and a restart would bind the empty mount point instead.)
 */
async function staleBinds(live: Ports['live'], c: ContainerFacts): Promise<string[]> {
  const binds = c.mounts.filter((m) => m.type === 'bind');
  const links = await Promise.all(binds.map((m) => live.links(`/proc/${c.pid}/root${m.destination}`)));
  return binds.filter((_, i) => links[i] === 0).map((m) => m.source);
}

export async function readDaemonJson(ports: Ports, path: string): Promise<DaemonJsonFacts> {
  const mode = await ports.files.mode(path);
  let text: string | null;
  try {
    text = await ports.files.read(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
    // A directory there (a bind mount of a missing file makes one) stops dockerd from starting too.
    return { path, text: null, config: null, error: `${path} is a directory, not a file: dockerd cannot read its configuration; remove it (or put the file there)`, mode };
  }
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
