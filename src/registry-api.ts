import type { Http } from './ports/http.js';

/** The registry's HTTP API for the queries operators otherwise write with curl. */
export class RegistryError extends Error {}

async function get(http: Http, url: string, entry: string) {
  try {
    return await http.request(url, { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new RegistryError(`the registry at http://${entry} does not answer (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message})`);
  }
}

export function nextLink(link: string | null, base: string): string | null {
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? new URL(m[1]!, base).toString() : null;
}

async function pages(http: Http, entry: string, first: string, key: 'repositories' | 'tags', notFound: string): Promise<string[]> {
  const out: string[] = [];
  let url: string | null = `http://${entry}${first}`;
  for (let page = 0; url && page < 10_000; page++) {
    const res = await get(http, url, entry);
    if (res.headers.get('docker-distribution-api-version') !== 'registry/2.0' && res.status !== 404) {
      throw new RegistryError(`http://${entry} is not a v2 registry (HTTP ${res.status}, no Docker-Distribution-API-Version header)`);
    }
    if (res.status === 404) throw new RegistryError(notFound);
    if (res.status !== 200) throw new RegistryError(`http://${entry} answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    const body = JSON.parse(res.text) as Record<string, string[] | null>;
    out.push(...(body[key] ?? []));
    url = nextLink(res.headers.get('link'), url);
  }
  return out;
}

export function catalog(http: Http, entry: string, pageSize = 100): Promise<string[]> {
  return pages(http, entry, `/v2/_catalog?n=${pageSize}`, 'repositories', `http://${entry}/v2/_catalog answered 404: not a v2 registry`);
}

export function tags(http: Http, entry: string, name: string, pageSize = 100): Promise<string[]> {
  return pages(http, entry, `/v2/${name}/tags/list?n=${pageSize}`, 'tags', `no repository "${name}" in the registry at ${entry}`);
}
