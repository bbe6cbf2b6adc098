import type { ContainerFacts, HostFacts } from '../facts/types.js';
import type { ContainerAction } from './actions.js';
import { describeDataDir, type Wanted } from './wanted.js';
import { AUTH_DIR, TLS_DIR } from '../tls/paths.js';
import { HostRefusal } from '../errors.js';

/** What the container needs to know: the wanted state with its image and data location resolved, and how dockerd confines containers (SELinux labels, remapped users). */
export type ContainerWanted = Omit<Wanted, 'image' | 'dataDir'> & {
  image: string;
  dataDir: string;
  selinux?: boolean;
  /**
   * dockerd remaps users: a container's root is an unprivileged user on the host, which can neither
   * write a data directory root owns (one made before, or given with --data-dir) nor read the TLS
   * key and htpasswd (root's, mode 0600). The registry is exempted (--userns=host, Docker's
   * per-container opt-out) rather than its files handed to that user: the operator's data keeps its owner.
   */
  userns?: boolean;
  /** dockerd's default address for published ports when it is not every interface (facts.docker.bindIp) */
  bindIp?: string | null;
  /** the address is one of this host's (facts.addressLookup) */
  addressLocal?: boolean;
  /** dockerd's default logging would keep the registry's log whole (json-file without max-size): cap it (logRotation) */
  rotateLogs?: boolean;
};

/**
 * The registry logs every request. Under dockerd's default logging (json-file, no max-size) its
 * log grows until the disk is full (moby#8911): the container gets a cap of its own, 30 MB, unless
 * dockerd's configuration caps logs already or logs elsewhere (journald, local, ...).
 */
export const LOG_OPTS = { 'max-size': '10m', 'max-file': '3' } as const;

export function logRotation(facts: Pick<HostFacts, 'docker'>): Pick<ContainerWanted, 'rotateLogs'> {
  return { rotateLogs: facts.docker.logDriver === 'json-file' && !facts.docker.logRotated };
}

/** A container's json-file log without max-size: it is never cut. */
export function unrotatedLog(c: ContainerFacts): boolean {
  return c.log?.type === 'json-file' && !c.log.config['max-size'];
}

export const MANAGED_LABEL = 'io.github.setup-registry.managed';

// Configured through REGISTRY_* variables, not a config file path, so registry:2 and :3 both work.
function envOf(w: ContainerWanted): string[] {
  const env = ['REGISTRY_STORAGE_DELETE_ENABLED=true'];
  if (w.tls) env.push('REGISTRY_HTTP_TLS_CERTIFICATE=/certs/server.crt', 'REGISTRY_HTTP_TLS_KEY=/certs/server.key');
  if (w.auth) env.push('REGISTRY_AUTH=htpasswd', 'REGISTRY_AUTH_HTPASSWD_REALM=Registry', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd');
  return env;
}

/**
 * Under an SELinux-enabled dockerd, a container may only write a host directory labeled for it:
 * without `:Z` the registry answers its ping, then fails every push (mkdir: permission denied).
 * Z relabels the directory for this container alone: they are the registry's own. A volume is
 * labeled by Docker already.
 */
function bindsOf(w: ContainerWanted): string[] {
  const label = (path: string, mode: string) => (w.selinux && path.startsWith('/') ? [mode, 'Z'].filter(Boolean).join(',') : mode);
  const bind = (source: string, target: string, mode = '') => `${source}:${target}${label(source, mode) ? `:${label(source, mode)}` : ''}`;
  const binds = [bind(w.dataDir, '/var/lib/registry')];
  if (w.tls) binds.push(bind(TLS_DIR, '/certs', 'ro'));
  if (w.auth) binds.push(bind(AUTH_DIR, '/auth', 'ro'));
  return binds;
}

/** A bind without z or Z, under an SELinux-enabled dockerd, is not labeled for the container. */
function unlabeled(mode: string): boolean {
  return !mode.split(',').some((o) => o === 'z' || o === 'Z');
}

/**
 * Where the registry's port is published (`on`: null for every interface) and the address `-p`
 * gives for it (`arg`: '' for none, dockerd's default).
 * - A registry its clients reach on loopback is published on loopback only: on every interface
 *   (docker's default) a registry meant for this host alone would be open to the network, no auth.
 * - Elsewhere dockerd's default is kept: every interface (IPv6 too, where dockerd has it), or the
 *   address the operator chose with "ip" / --ip.
 * - Unless that default is not where the clients reach the registry ("ip": "127.0.0.1", a common
 *   hardening): then it is published on the registry's own address when this host has it, else on
 *   every interface, explicitly.
 */
export function publishing(w: Pick<ContainerWanted, 'address' | 'bindIp' | 'addressLocal'>): { on: string | null; arg: string } {
  const loopback = w.address === 'localhost' ? '127.0.0.1' : /^127\.\d+\.\d+\.\d+$/.test(w.address) ? w.address : null;
  if (loopback) return { on: loopback, arg: loopback };
  if (!w.bindIp) return { on: null, arg: '' };
  if (w.bindIp === w.address) return { on: w.bindIp, arg: '' };
  if (w.addressLocal && /^\d+\.\d+\.\d+\.\d+$/.test(w.address)) return { on: w.address, arg: w.address };
  return { on: null, arg: '0.0.0.0' };
}

/** The two facts publishing needs, for a registry at `w.address`: dockerd's default address, and whether this host has that address. */
export function publishingFacts(facts: Pick<HostFacts, 'docker' | 'addressLookup'>): Pick<ContainerWanted, 'bindIp' | 'addressLocal'> {
  const lookup = facts.addressLookup;
  return { bindIp: facts.docker.bindIp ?? null, addressLocal: Boolean(lookup && 'local' in lookup && lookup.local) };
}

/** As `docker run -p` and `docker port` write it. */
export function describePublished(ip: string | null, port: string | number | null): string {
  return port === null ? 'none' : `${ip ?? '0.0.0.0'}:${port}`;
}

export function runArgv(w: ContainerWanted): string[] {
  const ip = publishing(w).arg;
  return [
    'docker', 'run', '-d',
    '--name', w.name,
    '--restart', 'always',
    ...(w.userns ? ['--userns', 'host'] : []),
    '-p', `${ip ? `${ip}:` : ''}${w.port}:5000`,
    ...bindsOf(w).flatMap((b) => ['-v', b]),
    ...envOf(w).flatMap((e) => ['-e', e]),
    '--label', `${MANAGED_LABEL}=true`,
    ...(w.rotateLogs ? Object.entries(LOG_OPTS).flatMap(([k, v]) => ['--log-opt', `${k}=${v}`]) : []),
    w.image,
  ];
}

/** The same container as `runArgv`, as an Engine API create request (no docker CLI process on the hot path). */
export function createRequest(w: ContainerWanted): { path: string; body: Record<string, unknown> } {
  return {
    path: `/containers/create?name=${w.name}`,
    body: {
      Image: w.image,
      Env: envOf(w),
      Labels: { [MANAGED_LABEL]: 'true' },
      ExposedPorts: { '5000/tcp': {} },
      HostConfig: {
        RestartPolicy: { Name: 'always' },
        ...(w.userns ? { UsernsMode: 'host' } : {}),
        PortBindings: { '5000/tcp': [{ HostIp: publishing(w).arg, HostPort: String(w.port) }] },
        Binds: bindsOf(w),
        ...(w.rotateLogs ? { LogConfig: { Type: 'json-file', Config: { ...LOG_OPTS } } } : {}),
      },
    },
  };
}

/**
 * The registry's garbage collection, as its documentation says to run it: with the registry
 * stopped (blobs of an upload under way could be taken for unused, and the image corrupted), in a
 * container of the same image with the same mounts, against the config file the registry serves
 * with (registry:2 and the offline image: /etc/docker/registry/config.yml; registry:3:
 * /etc/distribution/config.yml). Both kinds of image take `garbage-collect CONFIG` as arguments.
 */
export function garbageCollectCommand(name: string, c: Pick<ContainerFacts, 'image' | 'command' | 'usernsMode'>): string {
  const config = [...(c.command ?? [])].reverse().find((a) => /\.ya?ml$/.test(a)) ?? '/etc/docker/registry/config.yml';
  const userns = c.usernsMode === 'host' ? ' --userns host' : '';
  return `docker stop ${name} && docker run --rm --volumes-from ${name}${userns} ${c.image} garbage-collect ${config}; docker start ${name}`;
}

/** What is wrong with bound directories deleted (or deleted and made again) under a running registry. */
export function staleBindsProblem(sources: readonly string[]): string {
  return `${sources.join(', ')} on this host ${sources.length > 1 ? 'are' : 'is'} not the directory the registry has: deleted (or deleted and made again) after it started, so what it writes there is lost, or fails`;
}

/** How an existing container differs from the one wanted; empty when it is the same. */
export function containerDifferences(c: ContainerFacts, w: ContainerWanted): string[] {
  const out: string[] = [];
  if (c.image !== w.image) out.push(`image ${c.image} -> ${w.image}`);
  if (c.restartPolicy !== 'always') out.push(`restart policy ${c.restartPolicy || 'no'} -> always`);
  if (w.userns && c.usernsMode !== 'host') out.push('users remapped (userns-remap) -> --userns host');
  const on = publishing(w).on;
  if (c.hostIp !== on) out.push(`port ${describePublished(c.hostIp, c.hostPort)} -> ${describePublished(on, w.port)}`);
  else if (c.hostPort !== String(w.port)) out.push(`port ${c.hostPort ?? 'none'} -> ${w.port}`);
  if (c.dataDir !== w.dataDir) out.push(`data ${c.dataDir ? describeDataDir(c.dataDir) : 'none'} -> ${describeDataDir(w.dataDir)}`);
  else if (w.selinux && w.dataDir.startsWith('/') && unlabeled(c.mounts.find((m) => m.destination === '/var/lib/registry')?.mode ?? '')) out.push(`data ${w.dataDir} not labeled for SELinux (:Z): the registry cannot write it`);
  for (const e of envOf(w)) if (!c.env.includes(e)) out.push(`environment lacks ${e}`);
  const stale = c.env.filter((e) => /^REGISTRY_(HTTP_TLS|AUTH)/.test(e) && !envOf(w).includes(e));
  if (stale.length) out.push(`environment has ${stale.map((e) => e.split('=')[0]).join(', ')} no longer wanted`);
  for (const b of bindsOf(w).slice(1)) {
    const [source, target] = b.split(':');
    if (!c.mounts.some((m) => m.source === source && m.destination === target)) out.push(`${source} not mounted at ${target}`);
  }
  return out;
}

/** What becomes of the images when the container is recreated: said plainly, since it is the operator's data. */
function dataFate(c: ContainerFacts, w: ContainerWanted): string {
  if (c.dataDir === w.dataDir) return `its images stay in ${describeDataDir(w.dataDir)}`;
  if (!c.dataDir) return `what it kept inside itself goes with it; the new container keeps its images in ${describeDataDir(w.dataDir)}`;
  return `the images in ${describeDataDir(c.dataDir)} are not moved: the new container serves ${describeDataDir(w.dataDir)}`;
}

/**
 * Someone else's container (no label of ours) is only replaced when nothing of it is lost: its images
 * are at the registry's storage (kept: the new container mounts the same), and it has no settings
 * ours would drop (a TLS certificate, auth, a config file, a pull-through upstream, another storage).
 */
function refuseToReplace(c: ContainerFacts, w: ContainerWanted): void {
  const what = `a container named ${w.name} (image ${c.image}) exists and was not made by setup-registry`;
  if (!c.dataDir) {
    throw new HostRefusal(`${what}; it has nothing mounted at /var/lib/registry, so replacing it would delete what it holds; choose another --name (and --port), or remove it yourself`);
  }
  const env = envOf(w);
  const binds = bindsOf(w);
  const lost = [
    ...c.env.filter((e) => e.startsWith('REGISTRY_') && !env.includes(e)).map((e) => e.split('=')[0]!),
    ...c.mounts.filter((m) => m.destination !== '/var/lib/registry' && !binds.some((b) => b.startsWith(`${m.source}:${m.destination}`))).map((m) => `${m.source} at ${m.destination}`),
  ];
  if (lost.length > 0) {
    throw new HostRefusal(`${what}; replacing it would lose its settings (${lost.join(', ')}); to only make dockerd trust it: setup-registry trust ${w.address}:${c.hostPort ?? w.port}; or choose another --name (and --port)`);
  }
}

/**
 * image.alternatives: other tags of the registry on this host; image.offlinePackage: the distro's
 * registry package an image can be built from without network. Both are named when the pull fails.
 */
export function planContainer(c: ContainerFacts | null, w: ContainerWanted, imagePresent: boolean | null, image: { alternatives?: readonly string[]; offlinePackage?: string | null } = {}): ContainerAction[] {
  const alternatives = image.alternatives ?? [];
  const actions: ContainerAction[] = [];
  const diff = c ? containerDifferences(c, w) : [];
  const foreign = c !== null && c.labels[MANAGED_LABEL] !== 'true';
  if (c && diff.length > 0 && foreign) refuseToReplace(c, w);
  if (c && diff.length === 0) {
    // A paused container counts as running, and answers nothing; it cannot be restarted before it is unpaused.
    if (c.status === 'paused') actions.push({ kind: 'container', op: 'unpause', argv: ['docker', 'unpause', w.name], why: `container ${w.name} is paused (docker pause): it answers nothing until unpaused` });
    if (!c.running) actions.push({ kind: 'container', op: 'start', argv: ['docker', 'start', w.name], why: `container ${w.name} is ${c.status}` });
    else if (c.staleBinds?.length) actions.push({ kind: 'container', op: 'restart', argv: ['docker', 'restart', w.name], why: `${staleBindsProblem(c.staleBinds)}; a restart binds the directory anew (dockerd makes it when missing)` });
    return actions;
  }
  // Pull first, before anything else changes: no image and no way to get it must leave the host untouched.
  // Unknown (dockerd down): `docker run` pulls a missing image itself once dockerd is up.
  if (imagePresent === false) {
    actions.push({
      kind: 'container',
      op: 'pull',
      argv: ['docker', 'pull', w.image],
      why: `image ${w.image} is not on this host`,
      // Whole commands: the way out must also work after a repair, which takes no image flags.
      hint: `image ${w.image} is not on this host and could not be pulled; ${[
        alternatives.length ? `setup-registry --yes --image ${alternatives[0]} (${alternatives.join(', ')} ${alternatives.length > 1 ? 'are' : 'is'} here)` : 'setup-registry --yes --image IMAGE (another image)',
        `docker load -i FILE (an archive of ${w.image}), then run again`,
        ...(image.offlinePackage ? [`setup-registry --yes --offline-image (built from the ${image.offlinePackage} package, with no network)`] : []),
      ].join(', or ')}`,
    });
  }
  if (c) actions.push({ kind: 'container', op: 'remove', argv: ['docker', 'rm', '-f', w.name], why: `recreate ${w.name} (${foreign ? 'not made by setup-registry; ' : ''}${diff.join(', ')}); ${dataFate(c, w)}` });
  actions.push({ kind: 'container', op: 'run', argv: runArgv(w), create: createRequest(w), why: c ? `run ${w.name} with the wanted settings` : `run the registry as ${w.name}` });
  return actions;
}
