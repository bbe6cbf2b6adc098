import type { Ports } from '../ports/index.js';
import { serverFacts } from '../facts/docker-engine.js';
import { findDockerd } from '../facts/dockerd-process.js';
import { trustedLive } from '../plan/trust/daemon-json.js';
import { DockerApiError, getJson, type DockerApi } from '../ports/docker-api.js';
import { demuxLogs, exitCause, registryLoggedError } from '../formats/docker-logs.js';
import { reloadRefusal } from '../formats/dockerd-log.js';
import type { Action } from '../plan/actions.js';
import { emptyImageArchive } from './tiny-image.js';
import { endpointRequest, endpointUrl, plainEndpoint, type RegistryEndpoint } from '../registry-endpoint.js';

/**
 * How often a wait asks again: a cheap question (a ping, a refused connection) every 10 ms for the
 * first 2 s, so a registry or dockerd that is ready is seen at once; then every 50 ms.
 * `docker info` costs dockerd real work, so it is asked every 50 ms throughout.
 */
const QUICK_POLL_MS = 10;
const POLL_MS = 50;
const QUICK_FOR_MS = 2000;
/** How long Go's resolver, and so dockerd, keeps its copy of /etc/hosts before it looks at the file again (net/hosts.go cacheMaxAge). */
const GO_HOSTS_CACHE_MS = 5000;

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | null>, lastProblem: () => string, opts: { quick?: boolean; signal?: AbortSignal } = {}): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`${what}: stopped, the run ended`);
    const got = await attempt();
    if (got !== null) return got;
    if (Date.now() >= deadline) throw new Error(`${what}: not after ${Math.round(timeoutMs / 1000)} s (${lastProblem()})`);
    const ms = opts.quick !== false && Date.now() - started < QUICK_FOR_MS ? QUICK_POLL_MS : POLL_MS;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', done);
        resolve();
      }
      opts.signal?.addEventListener('abort', done);
    });
  }
}

/** Whether dockerd answers GET /_ping right now. */
export async function dockerAnswers(ports: Ports): Promise<boolean> {
  return ports.docker.request('GET', '/_ping', { timeoutMs: 2000 }).then((r) => r.status === 200, () => false);
}

/**
 * Waits until dockerd answers the API again, after a start or restart command returned. A dockerd
 * that exited meanwhile (a flag or a daemon.json it cannot read: an init script's start returns 0
 * all the same) will not answer: once no dockerd process has been seen for DOCKERD_GONE_MS, the
 * wait fails at once instead of after --timeout.
 */
export async function waitForDocker(ports: Ports, timeoutMs: number): Promise<void> {
  let problem = '';
  let lookedAt = 0;
  let goneSince: number | null = null;
  await poll('dockerd answering', timeoutMs, async () => {
    const r = await ports.docker.request('GET', '/_ping', { timeoutMs: 2000 }).catch((err: Error) => err);
    problem = r instanceof Error ? r.message : `HTTP ${r.status}`;
    if (!(r instanceof Error) && r.status === 200) return true;
    if (Date.now() - lookedAt >= 250) {
      lookedAt = Date.now();
      goneSince = (await findDockerd(ports.live).catch(() => null)) ? null : (goneSince ?? lookedAt);
      if (goneSince !== null && lookedAt - goneSince >= DOCKERD_GONE_MS) throw new Error(`dockerd exited: no dockerd process has run for ${DOCKERD_GONE_MS / 1000} s (${problem})`);
    }
    return null;
  }, () => problem);
}

/** Long enough for a service manager that starts dockerd a moment after its start command returns. */
const DOCKERD_GONE_MS = 2000;

/**
 * The daemon trust is live when dockerd says so. After a reload, its own reload event lists the
 * insecure registries it took: asking for past events costs dockerd nothing, where each GET /info
 * runs `runc --version` and `docker-init --version`, and polling it slowed the start of the registry
 * container that runs meanwhile. `docker info` is still asked every tenth time (and every time when
 * the plan did not reload), since an init script may carry a reload out as a restart.
 */
export async function waitForTrust(ports: Ports, entry: string, timeoutMs: number, opts: { signal?: AbortSignal; reloadedSince?: number; reloadLog?: { argv: string[]; since: number } } = {}): Promise<void> {
  let reloaded: string[] | null = null;
  let seen = 'no reload yet';
  let attempts = 0;
  let withoutSince: number | null = null;
  let logReadAt = opts.reloadLog?.since ?? 0;
  const via = opts.reloadedSince === undefined ? 'docker info' : "dockerd's reload event or docker info";
  await poll(`${entry} trusted by the live dockerd (${via})`, timeoutMs, async () => {
    // A reload dockerd refused sends no event: its log says why, so the run need not wait out the timeout.
    if (opts.reloadLog && Date.now() - logReadAt >= 500) {
      logReadAt = Date.now();
      const refused = reloadRefusal((await ports.processes.probe(opts.reloadLog.argv)).stdout, opts.reloadLog.since);
      if (refused) throw new Error(`dockerd refused the new configuration (${opts.reloadLog.argv.join(' ')}): ${refused}`);
    }
    if (opts.reloadedSince !== undefined && ++attempts % 10 !== 0) {
      reloaded = (await reloadEvents(ports.docker, opts.reloadedSince).catch(() => [])).at(-1) ?? reloaded;
      if (reloaded && trustedLive({ registries: reloaded, cidrs: reloaded.filter((r) => r.includes('/')) }, entry)) return true;
      // dockerd reloaded, from the file as written, and the entry is not in what it read: another
      // reload will not bring it. (The grace covers a reload someone else caused just before ours.)
      withoutSince ??= reloaded ? Date.now() : null;
      if (withoutSince !== null && Date.now() - withoutSince > RELOADED_WITHOUT_GRACE_MS) {
        throw new Error(`dockerd reloaded its configuration without ${entry} (insecure registries after the reload: ${reloaded!.join(', ') || 'none'}): it did not read the entry where it was written`);
      }
      return null;
    }
    const e = await serverFacts(ports.docker);
    seen = e.liveInsecure ? `insecure registries now: ${e.liveInsecure.registries.join(', ') || 'none'}` : (e.error ?? 'docker info failed');
    return trustedLive(e.liveInsecure, entry) ? true : null;
  }, () => (reloaded ? `insecure registries after the reload: ${reloaded.join(', ') || 'none'}` : seen), { quick: false, signal: opts.signal });
}

const RELOADED_WITHOUT_GRACE_MS = 2000;

/** Where a refused reload would be logged, for a plan that reloads dockerd (see waitForTrust). */
export function reloadLogOf(actions: readonly Action[], since: number | undefined): { argv: string[]; since: number } | undefined {
  const reload = actions.find((a) => a.kind === 'daemon' && a.op === 'reload');
  return reload?.kind === 'daemon' && reload.logs && since !== undefined ? { argv: reload.logs, since } : undefined;
}

/** The insecure registries of each reload dockerd logged since `sinceMs` (epoch ms), oldest first. */
export async function reloadEvents(api: DockerApi, sinceMs: number): Promise<string[][]> {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const filters = encodeURIComponent(JSON.stringify({ type: { daemon: true }, event: { reload: true } }));
  // With `until` in the past, dockerd answers with the events it kept and ends, instead of streaming.
  const text = await call(api, 'GET', `/events?since=${seconds(sinceMs)}&until=${seconds(Date.now())}&filters=${filters}`, { timeoutMs: 2000 });
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const listed = (JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes?.['insecure-registries'];
      return listed ? (JSON.parse(listed) as string[] | null) ?? [] : [];
    });
}

export interface PingResult {
  status: number;
  apiVersion: string | null;
  authenticate: string | null;
}

/** One GET /v2/: a v2 registry answers 200 (or 401 with auth) and names its API version in a header. */
export async function pingOnce(ports: Ports, target: string | RegistryEndpoint): Promise<PingResult> {
  const e = typeof target === 'string' ? plainEndpoint(target) : target;
  const res = await ports.http.request(endpointUrl(e, '/v2/'), { timeoutMs: 2000, ...endpointRequest(e) });
  return { status: res.status, apiVersion: res.headers.get('docker-distribution-api-version'), authenticate: res.headers.get('www-authenticate') };
}

/** 200, or 401 with a WWW-Authenticate challenge ("up, auth required"), from a v2 registry. */
export function isRegistryAnswer(p: PingResult): boolean {
  return (p.status === 200 || (p.status === 401 && p.authenticate !== null)) && p.apiVersion === 'registry/2.0';
}

/**
 * Polls GET /v2/ until the registry answers (see poll: a ready registry is seen within 10 ms). Every
 * tenth unanswered ping also asks whether its container gave up (stopped, or restarting): that
 * fails at once with its last log lines, instead of after --timeout with only a refused connection.
 */
export async function waitForRegistry(ports: Ports, target: string | RegistryEndpoint, timeoutMs: number, container?: string): Promise<PingResult> {
  const e = typeof target === 'string' ? plainEndpoint(target) : target;
  let problem = 'no answer';
  let unanswered = 0;
  const restarts = { seen: null as number | null };
  return poll(`registry answering at ${endpointUrl(e, '/v2/')}`, timeoutMs, async () => {
    if (container && ++unanswered % 10 === 0) {
      const gaveUp = await containerGaveUp(ports.docker, container, restarts);
      if (gaveUp) throw new Error(gaveUp);
    }
    let p: PingResult;
    try {
      p = await pingOnce(ports, e);
    } catch (err) {
      const cause = (err as Error & { cause?: NodeJS.ErrnoException }).cause;
      // A certificate that does not verify will not verify on the next try either.
      if (cause?.code && CERTIFICATE_ERRORS.test(cause.code)) throw new Error(`the registry's certificate does not verify against the CA it is trusted by (${cause.message}); with --tls-cert, pass the CA that signed it with --tls-ca`);
      problem = cause?.message ?? (err as Error).message;
      return null;
    }
    problem = `HTTP ${p.status}, Docker-Distribution-API-Version: ${p.apiVersion ?? 'missing'}`;
    return isRegistryAnswer(p) ? p : null;
  }, () => problem);
}

/** Node's codes for a TLS peer certificate that fails verification (OpenSSL's X509_V_ERR names, and the host name check). */
const CERTIFICATE_ERRORS = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/;

interface ContainerState {
  State: { Running: boolean; Restarting: boolean; ExitCode: number; Error: string };
  RestartCount: number;
}

/**
 * What to say when a registry container stopped, or restarted (its restart count grew since the
 * first look: an old count from before is no news), instead of serving; null while it runs.
 */
async function containerGaveUp(api: DockerApi, name: string, restarts: { seen: number | null }): Promise<string | null> {
  const c = await getJson<ContainerState>(api, `/containers/${name}/json`).catch(() => null);
  if (!c) return null;
  const first = restarts.seen ?? c.RestartCount;
  restarts.seen ??= c.RestartCount;
  if (c.State.Running && !c.State.Restarting && c.RestartCount === first) return null;
  const exit = `exit code ${c.State.ExitCode}${c.State.Error ? `, ${c.State.Error}` : ''}`;
  const how = c.State.Restarting ? `exited (${exit}) and is being restarted` : c.State.Running ? `restarted ${c.RestartCount - first} times` : `stopped (${exit})`;
  const logs = await containerLogs(api, name, 50);
  const cause = exitCause(logs);
  // The cause, when it logged one, says more than the stack trace a panic ends with.
  if (cause) return `the registry container ${name} ${how} instead of answering: ${cause} (docker logs ${name})`;
  const lines = logs.trim().split('\n').slice(-8).join('\n');
  return `the registry container ${name} ${how} instead of answering${lines ? `; its last log lines (docker logs ${name}):\n${lines}` : ''}`;
}

/** What made a container that keeps exiting exit, from its log (see exitCause); null when it does not say. */
export async function containerExitCause(api: DockerApi, name: string): Promise<string | null> {
  return exitCause(await containerLogs(api, name, 50));
}

/** The last lines a container wrote (both streams), from `sinceMs` on when given; '' when they cannot be had. */
async function containerLogs(api: DockerApi, name: string, tail: number, sinceMs?: number): Promise<string> {
  // Whole seconds: dockerd reads digits after a point as nanoseconds.
  const since = sinceMs === undefined ? '' : `&since=${Math.floor(sinceMs / 1000)}`;
  const logs = await api.request('GET', `/containers/${name}/logs?stdout=1&stderr=1&tail=${tail}${since}`, { timeoutMs: 5000 }).catch(() => null);
  return logs?.raw && logs.status === 200 ? demuxLogs(logs.raw) : '';
}

/**
 * What the registry logged as the cause of a failed push: dockerd passes on only the status
 * ("500 Internal Server Error"), the registry says what it could not do (a full disk, a directory
 * it may not write, ...). null when it logged no error since the push began.
 */
export async function registryCause(api: DockerApi, container: string, sinceMs: number): Promise<string | null> {
  const cause = registryLoggedError(await containerLogs(api, container, 50, sinceMs));
  return cause && `the registry logged (docker logs ${container}): ${cause}`;
}

export const SMOKE_REPO = 'setup-registry/smoke';

/** dockerd decodes X-Registry-Auth as padded URL-safe base64 (Go's base64.URLEncoding). */
function registryAuthHeader(auth: object): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A request that must succeed; a failure names it, with dockerd's answer. */
async function call(api: DockerApi, method: string, path: string, opts?: Parameters<DockerApi['request']>[2]): Promise<string> {
  const r = await api.request(method, path, opts);
  if (r.status < 200 || r.status >= 300) throw new DockerApiError(`${method} ${path}: HTTP ${r.status} ${r.text.trim()}`);
  return r.text;
}

/**
 * Proves the daemon trust end to end, which a ping cannot: a tiny image made locally (no network)
 * is pushed through dockerd, then deleted from the registry and from the local image store.
 * Uses the Engine API (load, push, remove) rather than docker CLI processes.
 * `prepare` (loading the image) may start early, while the plan is still being applied, so the
 * verification only waits for the push itself; `cleanup` removes the local image whatever happened.
 */
export function smokePush(ports: Ports, entry: string, endpoint: () => Promise<RegistryEndpoint> | RegistryEndpoint = () => plainEndpoint(entry)) {
  const { docker, http } = ports;
  const remoteRepo = `${entry}/${SMOKE_REPO}`;
  // Made when first needed: its digest loads crypto, which is better done while dockerd works.
  let image: ReturnType<typeof emptyImageArchive> | null = null;
  let prepared: Promise<void> | null = null;
  let leftovers = false;
  const prepare = (): Promise<void> => {
    prepared ??= (async () => {
      leftovers = true;
      image ??= emptyImageArchive(`${remoteRepo}:latest`, 'pushed by setup-registry to prove the registry works');
      await call(docker, 'POST', '/images/load?quiet=1', { body: image.tar, headers: { 'Content-Type': 'application/x-tar' } });
    })().catch((err: Error) => {
      prepared = null;
      throw err;
    });
    return prepared;
  };
  const cleanup = async () => {
    if (!leftovers || !image) return;
    leftovers = false;
    await docker.request('DELETE', `/images/${image.imageId}?force=1`).catch(() => undefined);
  };
  return {
    prepare,
    cleanup,
    /**
     * Pushes, deletes the manifest from the registry; resolves to the pushed digest, and whether it
     * is gone again (a registry run without REGISTRY_STORAGE_DELETE_ENABLED answers 405: it keeps it).
     */
    async run(): Promise<{ digest: string; deleted: boolean }> {
      try {
        // An early preparation that failed (dockerd busy, say) is tried once more here.
        await prepare().catch(() => prepare());
        const e = await endpoint();
        // Credentials go to dockerd in the request only (base64 of {} without auth); nothing is stored.
        const auth = e.credentials ? { username: e.credentials.user, password: e.credentials.password, serveraddress: entry } : {};
        const push = async () => {
          const stream = await call(docker, 'POST', `/images/${remoteRepo}/push?tag=latest`, { headers: { 'X-Registry-Auth': registryAuthHeader(auth) } });
          return stream.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { error?: string; aux?: { Digest?: string } });
        };
        // dockerd (Go) reads /etc/hosts again only once its copy is 5 s old: a name added there
        // just before this run (the name this tool has just resolved) fails its lookups until then.
        const lookupUntil = Date.now() + GO_HOSTS_CACHE_MS + 1000;
        let messages = await push();
        while (messages.some((m) => m.error && /\blookup \S+/.test(m.error)) && Date.now() < lookupUntil) {
          await new Promise((r) => setTimeout(r, 250));
          messages = await push();
        }
        const failed = messages.find((m) => m.error);
        if (failed) throw new DockerApiError(`push ${remoteRepo}:latest: ${failed.error}`);
        const digest = messages.find((m) => m.aux?.Digest)?.aux?.Digest;
        const deleteManifest = async () => {
          if (!digest) return false;
          const del = await http.request(endpointUrl(e, `/v2/${SMOKE_REPO}/manifests/${digest}`), { method: 'DELETE', ...endpointRequest(e) });
          if (del.status === 405) return false;
          if (del.status !== 202 && del.status !== 404) throw new Error(`deleting the smoke image from the registry: HTTP ${del.status}`);
          return true;
        };
        const [deleted] = await Promise.all([deleteManifest(), cleanup()]);
        return { digest: digest ?? 'pushed', deleted };
      } finally {
        await cleanup();
      }
    },
  };
}
