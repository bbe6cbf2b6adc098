/** Where the secure registry's material lives on the host, in one place. */
export const CA_DIR = '/etc/setup-registry/ca';
export const CA_CERT = `${CA_DIR}/ca.crt`;
export const CA_KEY = `${CA_DIR}/ca.key`;
export const TLS_DIR = '/etc/setup-registry/tls';
export const SERVER_CERT = `${TLS_DIR}/server.crt`;
export const SERVER_KEY = `${TLS_DIR}/server.key`;
export const AUTH_DIR = '/etc/setup-registry/auth';
export const HTPASSWD = `${AUTH_DIR}/htpasswd`;
/** Renew this many days before a certificate expires (check warns from then on). */
export const RENEW_DAYS = 30;

/** Docker reads a registry's CA from here, per connection: no daemon reload needed. */
export function certsDirCa(entry: string): string {
  return `/etc/docker/certs.d/${entry}/ca.crt`;
}

/**
 * A registry on 443, HTTPS's own port, is named without it in image references (HOST/NAME), and
 * Docker then reads its CA from certs.d/HOST: the port must match the reference exactly. Both are
 * written; this is the one without the port (null for any other port).
 */
export function certsDirAliasCa(entry: string): string | null {
  const name = referenceName(entry);
  return name === entry ? null : certsDirCa(name);
}

/** The registry as an image reference names it: without the port when that is 443, HTTPS's own. */
export function referenceName(entry: string): string {
  return entry.endsWith(':443') ? entry.slice(0, -':443'.length) : entry;
}

/** Every certs.d file through which Docker trusts the registry at `entry`. */
export function certsDirCas(entry: string): string[] {
  const alias = certsDirAliasCa(entry);
  return alias ? [certsDirCa(entry), alias] : [certsDirCa(entry)];
}
