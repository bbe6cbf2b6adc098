import type { Action } from './actions.js';
import { METHOD_NAMES, type MethodName } from './trust/types.js';

/**
 * The registries `trust` made this host trust, kept so `check` and `repair` on a client host know
 * what to look after without being told again (install's state file is about the registry this
 * host runs; a client host has none).
 */
export const TRUSTED_FILE = '/etc/setup-registry/trusted.json';

export interface TrustedRegistry {
  entry: string;
  /** Trusted through its CA in certs.d (a TLS registry), not an insecure entry. */
  tls: boolean;
  /** Where its insecure entry was written: later trusts without --method keep to it, as install keeps its recorded method. */
  method?: MethodName;
}

const VERSION = 1;

/**
 * The recorded registries; a file that cannot be read counts as none (it is only a record: the
 * next trust rewrites it), one from a newer setup-registry too, and is then left alone.
 */
export function parseTrusted(text: string | null): { registries: TrustedRegistry[]; newer: boolean } {
  try {
    const doc = JSON.parse(text ?? 'null') as { version?: unknown; registries?: unknown } | null;
    if (typeof doc?.version === 'number' && doc.version > VERSION) return { registries: [], newer: true };
    if (doc?.version !== VERSION || !Array.isArray(doc.registries)) return { registries: [], newer: false };
    const registries = doc.registries
      .filter((r): r is TrustedRegistry => typeof r?.entry === 'string' && typeof r?.tls === 'boolean')
      .map((r) => ({ entry: r.entry, tls: r.tls, ...(METHOD_NAMES.includes(r.method as MethodName) ? { method: r.method } : {}) }));
    return { registries, newer: false };
  } catch {
    return { registries: [], newer: false };
  }
}

export function renderTrusted(registries: readonly TrustedRegistry[]): string {
  return `${JSON.stringify({ version: VERSION, registries }, null, 2)}\n`;
}

/**
 * The change to the record that a trust (add) or untrust (remove) of these registries makes: none
 * when it already says so; the file goes when no registry is left in it.
 */
export function recordTrust(before: string | null, change: { add?: readonly TrustedRegistry[]; remove?: readonly string[] }): Action | null {
  const parsed = parseTrusted(before);
  if (parsed.newer) return null;
  const gone = new Set([...(change.remove ?? []), ...(change.add ?? []).map((r) => r.entry)]);
  const registries = [...parsed.registries.filter((r) => !gone.has(r.entry)), ...(change.add ?? [])].sort((a, b) => a.entry.localeCompare(b.entry));
  if (registries.length === 0) return before === null ? null : { kind: 'remove-path', path: TRUSTED_FILE, why: 'no registry is trusted through setup-registry trust any more' };
  const after = renderTrusted(registries);
  if (after === before) return null;
  return { kind: 'write-file', path: TRUSTED_FILE, before, after, mode: 0o644, why: `record the registries this host trusts, for check and repair: ${registries.map((r) => r.entry).join(', ')}` };
}
