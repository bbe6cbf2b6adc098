import type { MethodName } from './trust/types.js';

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
  /** A secure registry: TLS (the CA in certs.d instead of an insecure entry) and htpasswd auth. */
  tls?: { sans: string[] };
  auth?: boolean;
  /** Trust entries this tool added (not ones it found), and where: uninstall removes exactly these. */
  added: { entry: string; method: MethodName; file: string }[];
}

export function parseState(text: string | null): InstallState | null {
  if (!text) return null;
  try {
    const s = JSON.parse(text) as InstallState;
    return s && s.version === 1 ? s : null;
  } catch {
    return null;
  }
}

export function renderState(s: InstallState): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}
