/**
 * How to reach a registry over HTTP: plain, or TLS with the CA to trust, and basic-auth
 * credentials (held in memory only; never printed or written).
 */
export interface RegistryEndpoint {
  entry: string;
  tls: { ca: string | null } | null;
  credentials: { user: string; password: string } | null;
}

export function plainEndpoint(entry: string): RegistryEndpoint {
  return { entry, tls: null, credentials: null };
}

export function endpointUrl(e: RegistryEndpoint, path: string): string {
  return `${e.tls ? 'https' : 'http'}://${e.entry}${path}`;
}

export function endpointRequest(e: RegistryEndpoint, extra: Record<string, string> = {}): { headers: Record<string, string>; ca?: string } {
  const headers = { ...extra };
  if (e.credentials) headers.Authorization = `Basic ${Buffer.from(`${e.credentials.user}:${e.credentials.password}`).toString('base64')}`;
  return { headers, ...(e.tls?.ca ? { ca: e.tls.ca } : {}) };
}
