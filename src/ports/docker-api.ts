import http from 'node:http';
import { DEFAULT_DOCKER_SOCKET } from '../knowledge/dockerd-options.js';

export interface ApiResponse {
  status: number;
  text: string;
  /** the body as bytes, for the binary streams (a container's logs) */
  raw?: Buffer;
}

/**
 * The Docker Engine API over dockerd's unix socket, for questions asked on every run (version,
 * info, inspect) and the smoke push: no docker CLI process per question, so a check or a no-op
 * run costs milliseconds. Failures name the request, the way a failed command names its command line.
 */
export interface DockerApi {
  readonly socket: string;
  request(method: string, path: string, opts?: { body?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number }): Promise<ApiResponse>;
}

export class DockerApiError extends Error {}

/** DOCKER_HOST=unix://... is honoured; the default socket is /var/run/docker.sock. */
export function dockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : DEFAULT_DOCKER_SOCKET;
}

/**
 * `locate`: where dockerd listens when it is not at `socket` (its own -H flags), asked when
 * `socket` is missing or refuses connections; the requests then go there. A dockerd found is
 * kept; none found is asked again a second later at the soonest (one may be starting).
 */
export function dockerApi(initial = dockerSocket(), locate?: () => Promise<string | null>): DockerApi {
  let socket = initial;
  let located: { answer: Promise<string | null>; at: number } | null = null;
  const whereElse = async (): Promise<string | null> => {
    if (!located || ((await located.answer) === null && Date.now() - located.at > 1000)) located = { answer: locate!().catch(() => null), at: Date.now() };
    return located.answer;
  };
  const once = (method: string, path: string, opts: Parameters<DockerApi['request']>[2] = {}) =>
    new Promise<ApiResponse>((resolve, reject) => {
      // servername '': no TLS here, and node would otherwise run its IPv6 regex on the Host header (milliseconds per request).
      const options: http.RequestOptions & { servername: string } = { socketPath: socket, method, path, agent: false, servername: '', headers: { Host: 'docker', ...opts.headers }, timeout: opts.timeoutMs ?? 120_000 };
      const req = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, text: raw.toString('utf8'), raw });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new DockerApiError(`${method} ${path}: no answer from dockerd (unix://${socket})`)));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(err instanceof DockerApiError ? err : Object.assign(new DockerApiError(`Cannot connect to the Docker daemon at unix://${socket} (${err.code ?? err.message})`), { code: err.code })),
      );
      if (opts.body !== undefined) req.end(opts.body);
      else req.end();
    });
  return {
    get socket() {
      return socket;
    },
    async request(method, path, opts) {
      const asked = socket;
      try {
        return await once(method, path, opts);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!locate || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw err;
        const elsewhere = await whereElse();
        if (!elsewhere || elsewhere === asked) throw err;
        socket = elsewhere;
        return once(method, path, opts);
      }
    },
  };
}

/** JSON body of a successful request, or null for 404; anything else is an error naming the request. */
export async function getJson<T>(api: DockerApi, path: string): Promise<T | null> {
  const r = await api.request('GET', path, { timeoutMs: 10_000 });
  if (r.status === 404) return null;
  if (r.status !== 200) throw new DockerApiError(`GET ${path}: HTTP ${r.status} ${r.text.trim()}`);
  return JSON.parse(r.text) as T;
}
