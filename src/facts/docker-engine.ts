import type { Processes } from '../ports/processes.js';
import { getJson, type DockerApi } from '../ports/docker-api.js';
import type { ContainerFacts, PublishingContainer } from './types.js';

export interface EngineFacts {
  installed: boolean;
  clientVersion: string | null;
  /** The dockerd binary's own version, asked like clientVersion (the two packages need not match). */
  daemonVersion?: string | null;
  serverVersion: string | null;
  liveInsecure: { registries: string[]; cidrs: string[] } | null;
  /** dockerd's own proxy settings (its environment, or daemon.json "proxies"), credentials masked */
  proxy?: DockerProxy | null;
  error: string | null;
  /** `docker` is Podman's stand-in (podman-docker, the default on RHEL 8+ and Fedora): there is no dockerd. */
  podman?: boolean;
  selinux?: boolean;
  userns?: boolean;
  usernsRoot?: number | null;
  logDriver?: string | null;
}

export interface DockerProxy {
  http: string | null;
  https: string | null;
  noProxy: string;
}

interface RegistryConfig {
  InsecureRegistryCIDRs?: string[] | null;
  IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null;
}

/**
 * The docker CLI's own version (no daemon needed: `docker --version`), which also says it is
 * installed, and the dockerd binary's (`dockerd --version`): what it will read when it starts.
 */
export async function clientFacts(proc: Processes): Promise<{ installed: boolean; clientVersion: string | null; daemonVersion: string | null; podman: boolean }> {
  const versionOf = (stdout: string) => /version ([^\s,]+)/.exec(stdout)?.[1] ?? null;
  const [r, d] = await Promise.all([proc.probe(['docker', '--version']), proc.canRun('dockerd') ? proc.probe(['dockerd', '--version']) : null]);
  const daemonVersion = d && d.exitCode === 0 ? versionOf(d.stdout) : null;
  if (r.notFound) return { installed: false, clientVersion: null, daemonVersion, podman: false };
  return { installed: true, clientVersion: versionOf(r.stdout), daemonVersion, podman: /^podman\b/i.test(r.stdout.trim()) };
}

/** The daemon's version and the registries it trusts right now, from GET /info. */
export async function serverFacts(api: DockerApi): Promise<Pick<EngineFacts, 'serverVersion' | 'liveInsecure' | 'proxy' | 'selinux' | 'userns' | 'usernsRoot' | 'logDriver' | 'error'>> {
  try {
    const info = await getJson<{ ServerVersion: string; RegistryConfig: RegistryConfig | null; HttpProxy?: string; HttpsProxy?: string; NoProxy?: string; SecurityOptions?: string[] | null; DockerRootDir?: string; LoggingDriver?: string }>(api, '/info');
    if (!info) return { serverVersion: null, liveInsecure: null, error: 'GET /info: 404' };
    const proxy = info.HttpProxy || info.HttpsProxy ? { http: info.HttpProxy || null, https: info.HttpsProxy || null, noProxy: info.NoProxy ?? '' } : null;
    // "name=selinux" (Docker 1.13 and newer), only when dockerd runs with --selinux-enabled on an SELinux host;
    // "name=userns" when it remaps container users (userns-remap).
    const option = (name: string) => (info.SecurityOptions ?? []).some((o) => o === `name=${name}` || o.startsWith(`name=${name},`));
    // Remapped, dockerd keeps its state in a directory named for the remapped root: /var/lib/docker/100000.100000.
    const userns = option('userns');
    const rootDirUser = userns ? /\/(\d+)\.\d+$/.exec(info.DockerRootDir ?? '')?.[1] : undefined;
    return { serverVersion: info.ServerVersion, liveInsecure: liveInsecureOf(info.RegistryConfig), proxy, selinux: option('selinux'), userns, usernsRoot: rootDirUser ? Number(rootDirUser) : null, logDriver: info.LoggingDriver ?? null, error: null };
  } catch (err) {
    return { serverVersion: null, liveInsecure: null, error: (err as Error).message };
  }
}

/**
 * Installed means the docker command is there. When dockerd answers, its version is the one that
 * matters and no process is started (a no-op run and a check stay cheap); `docker --version` is
 * asked only when it does not.
 */
export async function engineFacts(proc: Processes, api: DockerApi): Promise<EngineFacts> {
  const server = await serverFacts(api);
  if (server.serverVersion !== null) return { installed: proc.canRun('docker'), clientVersion: null, ...server };
  return { ...(await clientFacts(proc)), ...server };
}

export function liveInsecureOf(cfg: RegistryConfig | null): { registries: string[]; cidrs: string[] } {
  const registries = Object.values(cfg?.IndexConfigs ?? {})
    .filter((c) => c.Secure === false)
    .map((c) => c.Name);
  return { registries, cidrs: cfg?.InsecureRegistryCIDRs ?? [] };
}

interface Inspect {
  Id: string;
  State: { Running: boolean; Status: string; Pid?: number; StartedAt?: string };
  RestartCount?: number;
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null; Cmd?: string[] | null };
  HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null; UsernsMode?: string; LogConfig?: { Type: string; Config: Record<string, string> | null } };
  Mounts: { Type?: string; Name?: string; Source: string; Destination: string; Mode?: string }[] | null;
}

/**
 * The container, once dockerd has settled it: one being removed (a `docker rm` whose client went
 * away, a run killed mid-way) is waited for, up to `removingMs`, since it is neither there to start
 * nor gone to be created anew.
 */
export async function containerFacts(api: DockerApi, name: string, removingMs = 30_000): Promise<ContainerFacts | null> {
  const inspect = () => getJson<Inspect>(api, `/containers/${name}/json`).catch(() => null);
  let c = await inspect();
  for (const until = Date.now() + removingMs; c?.State.Status === 'removing' && Date.now() < until; c = await inspect()) await new Promise((r) => setTimeout(r, 50));
  if (!c) return null;
  const data = c.Mounts?.find((m) => m.Destination === '/var/lib/registry');
  const binding = c.HostConfig.PortBindings?.['5000/tcp']?.[0];
  return {
    id: c.Id,
    running: c.State.Running,
    status: c.State.Status,
    image: c.Config.Image,
    restartPolicy: c.HostConfig.RestartPolicy?.Name ?? '',
    hostPort: binding?.HostPort ?? null,
    // 0.0.0.0 is every interface; '' is dockerd's default, every interface unless "ip" says otherwise
    hostIp: binding?.HostIp && binding.HostIp !== '0.0.0.0' ? binding.HostIp : null,
    publishedWithoutIp: binding ? !binding.HostIp : undefined,
    // A volume is named, not pathed: its directory is Docker's business, and binding that path would
    // leave the volume unused in Docker's eyes (and `docker volume prune` deletes unused volumes).
    dataDir: data ? (data.Type === 'volume' && data.Name ? data.Name : data.Source) : null,
    dataPath: data?.Source ?? null,
    env: c.Config.Env ?? [],
    labels: c.Config.Labels ?? {},
    mounts: (c.Mounts ?? []).map((m) => ({ source: m.Source, destination: m.Destination, mode: m.Mode ?? '', ...(m.Type ? { type: m.Type } : {}) })),
    pid: c.State.Pid ?? 0,
    restartCount: c.RestartCount ?? 0,
    startedAt: c.State.StartedAt ? Date.parse(c.State.StartedAt) || null : null,
    usernsMode: c.HostConfig.UsernsMode ?? '',
    command: c.Config.Cmd ?? [],
    ...(c.HostConfig.LogConfig ? { log: { type: c.HostConfig.LogConfig.Type, config: c.HostConfig.LogConfig.Config ?? {} } } : {}),
  };
}

export async function imagePresent(api: DockerApi, image: string): Promise<boolean> {
  return (await getJson(api, `/images/${image}/json`).catch(() => null)) !== null;
}

/** Images of the registry under other tags or names (registry:2, a mirror's .../registry:3): a way out when the wanted one cannot be pulled. */
export async function registryImages(api: DockerApi): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ reference: ['registry:*', '*/registry:*'] }));
  const list = await getJson<{ RepoTags: string[] | null }[]>(api, `/images/json?filters=${filters}`).catch(() => null);
  return (list ?? []).flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').sort();
}

/** The running container that publishes a host port (its docker-proxy is what holds the port). */
export async function containerPublishing(api: DockerApi, port: number): Promise<PublishingContainer | null> {
  const filters = encodeURIComponent(JSON.stringify({ publish: [String(port)] }));
  const list = await getJson<{ Names: string[]; Image: string; Mounts: { Destination: string }[] | null }[]>(api, `/containers/json?filters=${filters}`).catch(() => null);
  const c = list?.[0];
  if (!c?.Names[0]) return null;
  return { name: c.Names[0].replace(/^\//, ''), image: c.Image, registryStorage: (c.Mounts ?? []).some((m) => m.Destination === '/var/lib/registry') };
}
