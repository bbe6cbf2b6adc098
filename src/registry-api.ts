import type { Http } from './ports/http.js';
import { endpointRequest, endpointUrl, type RegistryEndpoint } from './registry-endpoint.js';

/** The registry's HTTP API for the queries operators otherwise write with curl. */
export class RegistryError extends Error {}

async function get(http: Http, url: string, e: RegistryEndpoint) {
  try {
    return await http.request(url, endpointRequest(e, { Accept: 'application/json' }));
  } catch (err) {
    throw new RegistryError(`the registry at ${endpointUrl(e, '')} does not answer (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message})`);
  }
}

export function nextLink(link: string | null, base: string): string | null {
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? new URL(m[1]!, base).toString() : null;
}

async function pages(http: Http, e: RegistryEndpoint, first: string, key: 'repositories' | 'tags', notFound: string): Promise<string[]> {
  const out: string[] = [];
  let url: string | null = endpointUrl(e, first);
  for (let page = 0; url && page < 10_000; page++) {
    const res = await get(http, url, e);
    if (res.status === 401) throw new RegistryError(`${endpointUrl(e, '')} requires authentication${e.credentials ? ': the credentials were refused' : ': pass --user NAME --password-stdin, or docker login first'}`);
    if (res.headers.get('docker-distribution-api-version') !== 'registry/2.0' && res.status !== 404) {
      throw new RegistryError(`${endpointUrl(e, '')} is not a v2 registry (HTTP ${res.status}, no Docker-Distribution-API-Version header)`);
    }
    if (res.status === 404) throw new RegistryError(notFound);
    if (res.status !== 200) throw new RegistryError(`${endpointUrl(e, '')} answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    const body = JSON.parse(res.text) as Record<string, string[] | null>;
    out.push(...(body[key] ?? []));
    url = nextLink(res.headers.get('link'), url);
  }
  return out;
}

export function catalog(http: Http, e: RegistryEndpoint, pageSize = 100): Promise<string[]> {
  return pages(http, e, `/v2/_catalog?n=${pageSize}`, 'repositories', `${endpointUrl(e, '/v2/_catalog')} answered 404: not a v2 registry`);
}

export function tags(http: Http, e: RegistryEndpoint, name: string, pageSize = 100): Promise<string[]> {
  return pages(http, e, `/v2/${name}/tags/list?n=${pageSize}`, 'tags', `no repository "${name}" in the registry at ${e.entry}`);
}
