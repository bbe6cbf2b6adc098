import http from 'node:http';
import { networkInterfaces } from 'node:os';
import { https } from '../lazy-builtins.js';

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/**
 * The network goes through this port: HTTP (the registry's v2 API is the only HTTP the tool
 * speaks), and the name resolution and own addresses that decide where that HTTP goes.
 */
export interface Http {
  request(url: string, init?: { method?: string; headers?: Record<string, string>; timeoutMs?: number; ca?: string }): Promise<HttpResponse>;
  /** The addresses a host name resolves to here, as dockerd and the v2 client will resolve it (getaddrinfo). */
  lookup(name: string): Promise<string[]>;
  /** This host's own addresses, on every interface. */
  localAddresses(): string[];
}

/**
 * node:http without keep-alive: a one-shot command must not wait for idle sockets to time out
 * before it can exit, and fetch would load undici on every start.
 */
export function hostHttp(): Http {
  return {
    localAddresses: () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)),
    async lookup(name) {
      const dns = await import('node:dns/promises');
      return (await dns.lookup(name, { all: true })).map((a) => a.address);
    },
    request(url, init = {}) {
      // node:https (and TLS with it) loads only for a TLS registry: it is most of http's start-up cost.
      const secure = url.startsWith('https:');
      const client = secure ? https() : http;
      // Plain HTTP has no SNI: servername '' spares node's IPv6 regex on the host name of every request.
      const tlsOptions = secure ? (init.ca ? { ca: init.ca } : {}) : { servername: '' };
      return new Promise((resolve, reject) => {
        const req = client.request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, timeout: init.timeoutMs ?? 5000, ...tlsOptions }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: { get: (name) => ((v) => (Array.isArray(v) ? v.join(', ') : (v ?? null)))(res.headers[name.toLowerCase()]) },
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`${url}: no answer within ${init.timeoutMs ?? 5000} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', (err) => reject(Object.assign(new Error(err.message), { cause: err })));
        req.end();
      });
    },
  };
}
