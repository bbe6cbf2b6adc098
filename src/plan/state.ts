import type { MethodName } from './trust/types.js';
import { HostRefusal } from '../errors.js';
import { certsDirCas } from '../tls/paths.js';

/** What install set up, kept in /etc/setup-registry/state.json so check, repair and uninstall know it. */
export const STATE_FILE = '/etc/setup-registry/state.json';

export interface InstallState {
  version: 1;
  address: string;
  port: number;
  name: string;
  image: string;
  /** Where the image came from: pulled, loaded from an archive, built from a registry package. */
  imageSource: string;
  dataDir: string;
  method: MethodName;
  /**
   * A secure registry: TLS (the CA in certs.d instead of an insecure entry) and htpasswd auth.
   * provided: the certificate is the operator's (--tls-cert), which later runs serve as it is and never re-issue.
   */
  tls?: { sans: string[]; provided?: boolean };
  auth?: boolean;
  /** Trust entries this tool added (not ones it found), and where: uninstall removes exactly these. */
  added: { entry: string; method: MethodName; file: string }[];
  /**
   * CA files in certs.d written ahead of a change of the registry's address, port or TLS (its
   * record above still names the old ones): a run cut short leaves none unrecorded, and the next
   * run removes those it no longer needs. Gone once a run completes.
   */
  cas?: string[];
}

const STATE_VERSION = 1;

/** Every certs.d file the record names: its registry's CA, when it serves TLS, and those written ahead of a change. */
export function recordedCaPaths(s: InstallState): string[] {
  return [...new Set([...(s.tls ? certsDirCas(`${s.address}:${s.port}`) : []), ...(s.cas ?? [])])];
}

export function parseState(text: string | null): InstallState | null {
  const read = readState(text);
  return 'state' in read ? read.state : null;
}

/**
 * The recorded install, or why a state file that is there cannot be used (then an install
 * rewrites it, the old one kept as a backup). One from a newer setup-registry is refused: this
 * version would drop what it does not know, and then undo the wrong things.
 */
export function readState(text: string | null): { state: InstallState | null } | { problem: string } {
  if (text === null) return { state: null };
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    return { problem: text.trim() ? 'not valid JSON' : 'empty' };
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) return { problem: 'not a JSON object' };
  const version = (s as { version?: unknown }).version;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new HostRefusal(`${STATE_FILE} was written by a newer setup-registry (state format ${version}, this one reads ${STATE_VERSION}): run that version; this one would lose what it recorded`);
  }
  return version === STATE_VERSION ? { state: s as InstallState } : { problem: `unknown state format ${JSON.stringify(version ?? null)}` };
}

export function renderState(s: InstallState): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}
