import type { Ports } from '../ports/index.js';
import { engineFacts } from '../facts/docker-engine.js';
import { tinyImageTar } from './tiny-image.js';

const POLL_MS = 50;

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | null>, lastProblem: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await attempt();
    if (got !== null) return got;
    if (Date.now() >= deadline) throw new Error(`${what}: not after ${Math.round(timeoutMs / 1000)} s (${lastProblem()})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Waits until dockerd answers the API again (after a start or restart). */
export async function waitForDocker(ports: Ports, timeoutMs: number): Promise<void> {
  let problem = '';
  await poll('dockerd answering', timeoutMs, async () => {
    const r = await ports.processes.probe(['docker', 'version', '--format', '{{.Server.Version}}']);
    problem = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return r.exitCode === 0 ? true : null;
  }, () => problem);
}

/** The daemon trust is live when `docker info` lists the registry as insecure (a reload is asynchronous). */
export async function waitForTrust(ports: Ports, entry: string, timeoutMs: number, isTrusted: (live: { registries: string[]; cidrs: string[] }) => boolean): Promise<void> {
  let seen = '';
  await poll(`${entry} trusted by the live dockerd (docker info)`, timeoutMs, async () => {
    const e = await engineFacts(ports.processes);
    seen = e.liveInsecure ? `insecure registries now: ${e.liveInsecure.registries.join(', ') || 'none'}` : (e.error ?? 'docker info failed');
    return e.liveInsecure && isTrusted(e.liveInsecure) ? true : null;
  }, () => seen);
}

export interface PingResult {
  status: number;
  apiVersion: string | null;
}

/** One GET /v2/: a v2 registry answers 200 (or 401 with auth) and names its API version in a header. */
export async function pingOnce(ports: Ports, entry: string): Promise<PingResult> {
  const res = await ports.http.request(`http://${entry}/v2/`, { timeoutMs: 2000 });
  return { status: res.status, apiVersion: res.headers.get('docker-distribution-api-version') };
}

export function isRegistryAnswer(p: PingResult): boolean {
  return (p.status === 200 || p.status === 401) && p.apiVersion === 'registry/2.0';
}

/** Polls GET /v2/ every 50 ms until the registry answers, so a ready registry is seen almost at once. */
export async function waitForRegistry(ports: Ports, entry: string, timeoutMs: number): Promise<PingResult> {
  let problem = 'no answer';
  return poll(`registry answering at http://${entry}/v2/`, timeoutMs, async () => {
    try {
      const p = await pingOnce(ports, entry);
      problem = `HTTP ${p.status}, Docker-Distribution-API-Version: ${p.apiVersion ?? 'missing'}`;
      return isRegistryAnswer(p) ? p : null;
    } catch (err) {
      problem = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      return null;
    }
  }, () => problem);
}

export const SMOKE_REPO = 'setup-registry/smoke';

/**
 * Proves the daemon trust end to end, which a ping cannot: pushes a tiny locally made image
 * through dockerd, then deletes it from the registry and from the local image store.
 */
export async function smokePush(ports: Ports, entry: string): Promise<string> {
  const { processes, http } = ports;
  const local = `${SMOKE_REPO}:latest`;
  const remote = `${entry}/${SMOKE_REPO}:latest`;
  await processes.run(['docker', 'import', '-', local], { input: tinyImageTar('setup-registry-smoke', 'pushed by setup-registry to prove the registry works\n') });
  try {
    await processes.run(['docker', 'tag', local, remote]);
    const push = await processes.run(['docker', 'push', remote]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    if (digest) {
      const del = await http.request(`http://${entry}/v2/${SMOKE_REPO}/manifests/${digest}`, { method: 'DELETE' });
      if (del.status !== 202 && del.status !== 404) throw new Error(`deleting the smoke image from the registry: HTTP ${del.status}`);
    }
    return digest ?? 'pushed';
  } finally {
    await processes.probe(['docker', 'rmi', remote, local]);
  }
}
