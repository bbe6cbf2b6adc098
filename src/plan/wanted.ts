import { UsageError } from '../errors.js';
import type { MethodName } from './trust/types.js';

/** What the operator asked for, validated. */
export interface Wanted {
  address: string;
  port: number;
  name: string;
  /** null: build one from the distro's registry package (--offline-image) */
  image: string | null;
  dataDir: string;
  method: MethodName | 'auto';
  timeoutMs: number;
  installDocker?: boolean;
  /** Build the image from the distro's registry package when it is not there (--offline-image). */
  offlineImage?: boolean;
  /** A `docker save` archive to load the image from. */
  imageArchive?: string;
  /** Serve TLS: the tool's own CA (sans: more names and addresses), or the operator's files (texts). */
  tls?: { sans: string[]; provided?: { cert: string; key: string; ca: string | null } };
  /** htpasswd auth: the file as it must be (bcrypt hashes), and credentials kept in memory for the push test. */
  auth?: { htpasswd?: string; credentials?: { user: string; password: string } };
}

export const DEFAULTS = { port: 5000, name: 'registry', image: 'registry:3', dataDir: '/var/lib/registry', timeoutSeconds: 60 };

export function entryOf(w: Pick<Wanted, 'address' | 'port'>): string {
  return `${w.address}:${w.port}`;
}

// The address ends up in daemon.json, shell-style files and unit lines: only host-name and IP characters.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function parseAddress(value: string): string {
  if (!HOST.test(value)) throw new UsageError(`--address: "${printable(value)}" is not a host name or IPv4 address (no spaces, quotes, scheme, path or port)`);
  return value;
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
  return value;
}

export function parseDataDir(value: string): string {
  if (!value.startsWith('/') || /[\s:'"`$\\]/.test(value)) throw new UsageError(`--data-dir: "${printable(value)}" must be an absolute path without spaces, quotes or colons`);
  return value.replace(/\/+$/, '') || '/';
}

export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 3600)) throw new UsageError(`--timeout: "${printable(value)}" must be a number of seconds between 0 and 3600`);
  return Math.round(n * 1000);
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
