import { HostRefusal } from '../../errors.js';
import { editInsecureRegistries, INSECURE_KEY, insecureRegistriesOf, parseDaemonJson, readableByEveryDockerd, setInsecureRegistries, withInsecureRegistries } from '../../formats/daemon-json.js';
import type { FileChange } from '../actions.js';
import type { HostFacts } from '../../facts/types.js';
import { atLeast } from '../versions.js';
import type { TrustChange, TrustMethod, TrustRequest } from './types.js';
import { registriesInFlags, removeAllFlags, unique } from './flag-sites.js';

/** daemon.json appeared in Docker 1.12; insecure-registries became reloadable by SIGHUP in 1.13. */
const DAEMON_JSON_SINCE = '1.12';
const RELOADABLE_SINCE = '1.13';
/** dockerd 23.0 learned to skip a byte-order mark (moby#44770) and an empty file (moby#42393). */
const LENIENT_SINCE = '23.0';

/**
 * Why this host's dockerd would refuse a daemon.json this tool reads well: before 23.0, an empty
 * file ("EOF", moby#41268) and a UTF-8 byte-order mark (which Windows editors write) stop it from
 * starting and fail its reload. null when it reads it, or reads no daemon.json at all.
 */
export function unreadableByDockerd(facts: HostFacts): string | null {
  const text = facts.daemonJson.text;
  // Not the CLI's version: a docker-ce-cli 28 may well drive a dockerd 20.10.
  const version = facts.docker.serverVersion ?? facts.docker.daemonVersion ?? null;
  if (text === null || facts.daemonJson.error || (version && (atLeast(version, LENIENT_SINCE) || !atLeast(version, DAEMON_JSON_SINCE)))) return null;
  const dockerd = version ? `dockerd ${version.replace(/[+~-].*$/, '')}` : `dockerd before ${LENIENT_SINCE}`;
  // (trim() takes a byte-order mark for white space too.)
  if (text.trim() === '') return `${facts.daemonJson.path} is empty, which ${dockerd} cannot read ("EOF"): it will not start with it`;
  if (text.startsWith('\uFEFF')) return `${facts.daemonJson.path} starts with a byte-order mark, which ${dockerd} cannot read ("invalid character 'ï'"): it will not start with it`;
  return null;
}

/**
 * A daemon.json this host's dockerd cannot read (unreadableByDockerd) is a host that loses dockerd,
 * and with it the registry, at its next restart or boot: every plan that configures dockerd writes
 * it as every dockerd reads it, in the edit it makes anyway or as an edit of its own.
 */
export function withReadableDaemonJson(facts: HostFacts, writes: readonly FileChange[]): FileChange[] {
  const problem = unreadableByDockerd(facts);
  const { path, text } = facts.daemonJson;
  if (!problem || text === null) return [...writes];
  const fix = text.trim() === '' ? 'it becomes {} (no settings)' : 'the mark is dropped';
  const edit = writes.find((w) => w.path === path && w.kind === 'write-file');
  if (edit?.kind === 'write-file') return writes.map((w) => (w === edit ? { ...edit, after: readableByEveryDockerd(edit.after), why: `${edit.why}; ${problem}, so ${fix}` } : w));
  return [...writes, { kind: 'write-file', path, before: text, after: readableByEveryDockerd(text), mode: 0o644, why: `${problem}, so ${fix}` }];
}

export const daemonJsonMethod: TrustMethod = {
  name: 'daemon-json',
  unusable(facts) {
    const v = facts.docker.serverVersion ?? facts.docker.daemonVersion ?? facts.docker.clientVersion;
    return v && !atLeast(v, DAEMON_JSON_SINCE) ? `Docker ${v} predates daemon.json (${DAEMON_JSON_SINCE})` : null;
  },
  configured(facts) {
    return facts.daemonJson.config ? insecureRegistriesOf(facts.daemonJson.config) : [];
  },
  plan({ facts, templates, add, remove }: TrustRequest): TrustChange {
    const file = facts.daemonJson;
    if (file.error) throw new HostRefusal(file.error);
    const base = file.config ?? parseDaemonJson(templates.daemonJson, 'templates/daemon.json').config;
    // dockerd refuses to start when a directive is both a flag and in the file (docker/for-linux#327),
    // so flags found anywhere dockerd reads them are taken out: moved into the file, or dropped when
    // they are an earlier install's entry this run removes (a --method docker-opts registry moved to another port).
    const inFlags = registriesInFlags(facts);
    const moved = inFlags.filter((e) => !remove.includes(e));
    const dropped = inFlags.filter((e) => remove.includes(e));
    const entries = unique([...moved, ...add]);
    const config = withInsecureRegistries(base, entries, remove);
    const after = editInsecureRegistries(file.config ? file.text : null, base, entries, remove);
    const notes: string[] = [];
    const writes = [];
    const changed = JSON.stringify(config) !== JSON.stringify(file.config ?? {});
    if (changed) {
      writes.push({
        kind: 'write-file' as const,
        path: file.path,
        before: file.text,
        after,
        mode: 0o644,
        ...(file.config && file.text !== null && !(INSECURE_KEY in file.config) && inFlags.length === 0
          ? { rollbackVia: { text: setInsecureRegistries(file.text, []), dropped: [...add] } }
          : {}),
        why: describeChange(add.filter((e) => !insecureRegistriesOf(base).includes(e)), remove.filter((e) => insecureRegistriesOf(base).includes(e)), moved),
      });
    }
    let effect: TrustChange['effect'] = changed ? 'reload' : 'none';
    let unitsChanged = false;
    if (inFlags.length > 0) {
      const flagEdits = removeAllFlags(facts, templates);
      writes.push(...flagEdits);
      unitsChanged = flagEdits.some((w) => w.path.includes('/systemd/'));
      effect = 'restart';
      const what = [...(moved.length ? [`--insecure-registry ${moved.join(', ')} moves from its flags into ${file.path}`] : []), ...(dropped.length ? [`--insecure-registry ${dropped.join(', ')} is taken out of its flags`] : [])];
      notes.push(`dockerd will be restarted: ${what.join(', and ')}, and flags are only read at start`);
    } else if (facts.docker.argv?.some((a) => a.startsWith('--insecure-registry')) && changed) {
      effect = 'restart';
      notes.push('dockerd will be restarted: the running dockerd was started with --insecure-registry flags, which a reload would reject next to daemon.json entries');
    } else if (changed && facts.docker.serverVersion && !atLeast(facts.docker.serverVersion, RELOADABLE_SINCE)) {
      effect = 'restart';
      notes.push(`dockerd will be restarted: Docker ${facts.docker.serverVersion} cannot reload insecure-registries (needs ${RELOADABLE_SINCE})`);
    }
    return { writes, effect, unitsChanged, notes };
  },
};

function describeChange(added: string[], removed: string[], moved: string[]): string {
  const parts = [];
  if (added.length) parts.push(`add ${added.join(', ')} to insecure-registries`);
  if (removed.length) parts.push(`remove ${removed.join(', ')} from insecure-registries`);
  if (moved.length) parts.push(`take in ${moved.join(', ')} from dockerd flags`);
  return parts.join('; ') || 'write insecure-registries';
}

/**
 * dockerd always adds 127.0.0.0/8 to its insecure CIDRs (moby registry.LoadInsecureRegistries), and
 * matches a registry's resolved addresses against them: a registry on loopback needs no entry.
 */
const LOOPBACK = '127.0.0.0/8';

export function onLoopback(entry: string): boolean {
  const host = entry.replace(/:\d+$/, '');
  return host === 'localhost' || ipInCidr(host, LOOPBACK);
}

/** Whether dockerd's live insecure registries (docker info: names and CIDRs) cover the entry. */
export function trustedLive(live: HostFacts['docker']['liveInsecure'], entry: string): boolean {
  if (!live) return false;
  if (live.registries.includes(entry)) return true;
  const host = entry.replace(/:\d+$/, '');
  return live.cidrs.some((cidr) => ipInCidr(host, cidr)) || (host === 'localhost' && live.cidrs.includes(LOOPBACK));
}

/**
 * Another entry among dockerd's configured insecure registries (daemon.json or its flags), live in
 * dockerd too, through which dockerd already trusts the registry, so an entry of its own would only
 * repeat it, and cost a reload:
 * - a CIDR block that holds one of the registry's addresses (moby isSecureIndex matches every
 *   resolved address);
 * - the registry's own entry written with a scheme, "http://HOST:PORT" as blog posts have it:
 *   dockerd drops http:// and https:// (moby LoadInsecureRegistries, with a warning in its log).
 */
export function trustingEntry(facts: HostFacts, entry: string): string | null {
  // An entry of its own already there (an earlier install's) stays: nothing to change either way.
  if (configuredEntries(facts).includes(entry)) return null;
  const live = facts.docker.liveInsecure;
  const cidr = cidrsHolding(facts, entry).find((c) => live?.cidrs.includes(c));
  const schemed = spellingsOf(facts, entry)[0];
  return cidr ?? (schemed && live?.registries.includes(entry) ? schemed : null);
}

/** dockerd's configured insecure registries: daemon.json's and its flags'. */
export function configuredEntries(facts: HostFacts): string[] {
  return [...insecureRegistriesOf(facts.daemonJson.config ?? {}), ...registriesInFlags(facts)];
}

/** The configured CIDR blocks that hold one of the registry's addresses. */
export function cidrsHolding(facts: HostFacts, entry: string): string[] {
  const host = entry.replace(/:\d+$/, '');
  const addresses = facts.addressLookup && 'addresses' in facts.addressLookup ? facts.addressLookup.addresses : [host];
  return configuredEntries(facts).filter((c) => c.includes('/') && !c.includes('://') && addresses.some((a) => ipInCidr(a, c)));
}

/** The configured entries dockerd reads as this one: itself, and itself with http:// or https://. */
export function spellingsOf(facts: HostFacts, entry: string): string[] {
  return configuredEntries(facts).filter((c) => c === entry || withoutScheme(c) === entry);
}

/** An entry as dockerd reads it: http:// or https:// (any case) dropped; null when it has no such scheme. */
export function withoutScheme(configured: string): string | null {
  const m = /^https?:\/\/(.*)$/i.exec(configured);
  return m ? m[1]! : null;
}

export function trustedBy(entry: string, other: string): string {
  const how = withoutScheme(other) === null ? `${other}` : `"${other}" (dockerd drops the scheme)`;
  return `${entry} is trusted by ${how} in dockerd's insecure registries: no entry of its own needed`;
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const toInt = (s: string) => {
    const p = s.split('.').map(Number);
    return p.length === 4 && p.every((n) => Number.isInteger(n) && n >= 0 && n < 256) ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 : null;
  };
  const a = toInt(ip);
  const b = toInt(net ?? '');
  const bits = Number(bitsText);
  if (a === null || b === null || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}
