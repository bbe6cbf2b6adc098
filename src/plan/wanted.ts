import { UsageError } from '../errors.js';
import type { ContainerFacts } from '../facts/types.js';
import type { MethodName } from './trust/types.js';

/** What the operator asked for, validated. */
export interface Wanted {
  address: string;
  port: number;
  name: string;
  /** null: build one from the distro's registry package (--offline-image) */
  image: string | null;
  /** Where the images go (--data-dir); absent: where the existing registry container keeps them, else the default. */
  dataDir?: string;
  method: MethodName | 'auto';
  /** The method is the one an earlier install recorded, not one asked for: where this host can no longer use it, auto. */
  methodRecorded?: boolean;
  timeoutMs: number;
  installDocker?: boolean;
  /** Build the image from the distro's registry package when it is not there (--offline-image). */
  offlineImage?: boolean;
  /** A `docker save` archive to load the image from. */
  imageArchive?: string;
  /**
   * Serve TLS: the tool's own CA (sans: more names and addresses), or the operator's files: given in
   * this run (texts), or 'kept', the ones an earlier install was given, served as they are.
   */
  tls?: { sans: string[]; provided?: ProvidedTls | 'kept' };
  /** htpasswd auth: the file as it must be (bcrypt hashes), and credentials kept in memory for the push test. */
  auth?: { htpasswd?: string; credentials?: { user: string; password: string } };
}

/** The operator's certificate, its key, and the CA that signed it (null: a publicly trusted one). */
export interface ProvidedTls {
  cert: string;
  key: string;
  ca: string | null;
}

export const DEFAULTS = { port: 5000, name: 'registry', image: 'registry:3', dataDir: '/var/lib/registry', timeoutSeconds: 60 };

export function entryOf(w: Pick<Wanted, 'address' | 'port'>): string {
  return `${w.address}:${w.port}`;
}

// The address ends up in daemon.json, shell-style files and unit lines: only host-name and IP characters.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Lowercase: dockerd matches a registry against insecure-registries and certs.d letter for letter,
 * so `MyReg:5000` in daemon.json leaves a push to `myreg:5000` (the way names are written) with
 * "server gave HTTP response to HTTPS client"; DNS itself does not care.
 */
export function parseAddress(value: string, flag = '--address'): string {
  if (/^\[?[0-9a-fA-F]*:[0-9a-fA-F:.]*\]?$/.test(value) && value.split(':').length > 2) {
    throw new UsageError(`${flag}: "${printable(value)}" is an IPv6 address, which this tool does not set a registry up on; give a host name that resolves to it (an /etc/hosts line will do on each host)`);
  }
  if (!HOST.test(value)) throw new UsageError(`${flag}: "${printable(value)}" is not a host name or IPv4 address (no spaces, quotes, scheme, path or port)`);
  // A name whose last part is all digits is no host name (RFC 1123 2.1): it is an IPv4 address or
  // nothing, and dockerd (Go) refuses leading zeros where Node.js would read them as octal.
  if (/(?:^|\.)\d+$/.test(value) && !IPV4.test(value)) {
    throw new UsageError(`${flag}: "${printable(value)}" is not an IPv4 address (four numbers from 0 to 255, without leading zeros), nor a host name (whose last part is not all digits)`);
  }
  return value.toLowerCase();
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`--port: "${printable(value)}" is not a port (1-65535)`);
  return n;
}

export function parseName(value: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) throw new UsageError(`--name: "${printable(value)}" is not a valid container name`);
  return value;
}

export function parseImage(value: string): string {
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(value)) throw new UsageError(`--image: "${printable(value)}" is not an image reference`);
  // Docker's reference grammar: the repository's path is lowercase (a registry host and a tag need not be).
  const name = value.split('@')[0]!.replace(/:[\w.-]+$/, '');
  const parts = name.split('/');
  const path = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.slice(1) : parts;
  if (path.some((p) => /[A-Z]/.test(p))) throw new UsageError(`--image: "${printable(value)}": a repository name is lowercase (docker would say "invalid reference format")`);
  return value;
}

/**
 * Directories the registry must not be given: mounted into it, it would write its tree into the
 * system's own, and `uninstall --purge` would look there. Subdirectories of the last ones are
 * refused too (kernel and runtime file systems, Docker's own state).
 */
const SYSTEM_DIRS = ['/', '/bin', '/boot', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/opt', '/root', '/sbin', '/tmp', '/usr', '/var', '/var/lib'];
const SYSTEM_TREES = ['/dev', '/proc', '/sys', '/run', '/var/run', '/var/lib/docker', '/var/lib/containerd'];

export function parseDataDir(value: string): string {
  if (!value.startsWith('/') || /[\s:'"`$\\]/.test(value) || /(^|\/)\.\.?(\/|$)/.test(value)) {
    throw new UsageError(`--data-dir: "${printable(value)}" must be an absolute path without spaces, quotes, colons, . or ..`);
  }
  const dir = value.replace(/\/+/g, '/').replace(/\/+$/, '') || '/';
  if (SYSTEM_DIRS.includes(dir) || SYSTEM_TREES.some((t) => dir === t || dir.startsWith(`${t}/`))) {
    throw new UsageError(`--data-dir: ${dir} is a system directory; give the registry a directory of its own, such as /var/lib/registry or /srv/registry`);
  }
  return dir;
}

/**
 * Where the registry keeps its images when --data-dir does not say: where the existing container
 * keeps them. A registry started by hand from the docs (`docker run -d -p 5000:5000 --name registry
 * registry:2`) keeps them in an anonymous volume; recreating it with another mount would leave them
 * behind, out of sight of the new registry.
 */
export function dataDirToKeep(existing: Pick<ContainerFacts, 'dataDir'> | null): string {
  const d = existing?.dataDir;
  // A bind source with a colon cannot be written as a bind; such a container keeps nothing we could reuse.
  return d && !d.includes(':') ? d : DEFAULTS.dataDir;
}

/** A data location that is not a path is a Docker volume (only ever adopted from an existing container). */
export function isVolume(dataDir: string): boolean {
  return !dataDir.startsWith('/');
}

export function describeDataDir(dataDir: string): string {
  return isVolume(dataDir) ? `volume ${dataDir}` : dataDir;
}

export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 3600)) throw new UsageError(`--timeout: "${printable(value)}" must be a number of seconds, more than 0 and at most 3600`);
  return Math.round(n * 1000);
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
