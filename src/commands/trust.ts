import tls from 'node:tls';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { certInfo, firstCertificate } from '../formats/certificate.js';
import { certsDirCas } from '../tls/paths.js';
import { chooseMethod } from '../plan/trust/index.js';
import type { Action, WriteFile } from '../plan/actions.js';
import type { Ports } from '../ports/index.js';
import type { Output } from '../output.js';
import { gatherFacts } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { planTrust } from '../plan/trust-plan.js';
import { cidrsHolding, spellingsOf, trustedBy, trustingEntry } from '../plan/trust/daemon-json.js';
import { methodInUse, parseMethod, unreadEntries } from '../plan/trust/index.js';
import { DEFAULTS, parseAddress, parsePort, parseTimeout } from '../plan/wanted.js';
import type { Step } from '../execute/executor.js';
import { isRegistryAnswer, pingOnce, reloadLogOf, waitForTrust } from '../execute/verify.js';
import { proxyRoute, proxyWarning } from '../plan/proxy.js';
import { loadTemplates } from '../templates.js';
import { acquireLock } from '../execute/lock.js';
import { createOutput } from '../output.js';
import { execute } from '../execute/executor.js';
import { savedCredentials } from '../facts/docker-credentials.js';
import { parseTrusted, recordTrust, TRUSTED_FILE } from '../plan/trusted-record.js';
import { applyChange, assertCanAsk, changeSummary, factsSummary } from './apply.js';

export interface TrustFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  method?: string;
  timeout?: string;
  root?: string;
  /** A TLS registry: trust its CA (certs.d) instead of adding an insecure entry. */
  ca?: string;
  caFromRegistry?: boolean;
}

/** HOST:PORT, validated: it is written into daemon.json or shell-style files. */
export function parseRegistry(value: string): string {
  const m = /^(.+):(\d+)$/.exec(value);
  // The host and port are checked as --address and --port are, and named as what was given here.
  try {
    if (!m) throw new UsageError('');
    return `${parseAddress(m[1]!)}:${parsePort(m[2]!)}`;
  } catch {
    throw new UsageError(`"${JSON.stringify(value).slice(1, -1)}" is not HOST:PORT (a host name or IPv4 address, and a port; no scheme or path)`);
  }
}

/**
 * The CA of a TLS registry: from --ca FILE, or (--ca-from-registry) the last certificate of the chain
 * the registry serves, shown by fingerprint and confirmed before it is trusted.
 */
async function caToTrust(ports: Ports, flags: TrustFlags, entries: string[], out: Output): Promise<string | null> {
  if (flags.ca) {
    const text = await ports.files.read(flags.ca);
    const pem = text && firstCertificate(text);
    if (!pem) throw new UsageError(`--ca: ${flags.ca} does not hold a PEM certificate`);
    certInfo(pem);
    return pem;
  }
  if (!flags.caFromRegistry) return null;
  if (entries.length !== 1) throw new UsageError('--ca-from-registry takes one registry at a time');
  const chain = await servedChain(entries[0]!);
  const ca = chain.at(-1)!;
  const info = certInfo(ca);
  out.say(`${entries[0]} serves a chain ending in: ${info.subject.replace(/\n/g, ', ')}\n  SHA-256 fingerprint ${info.fingerprint256}`);
  if (!flags.yes) {
    const { confirm } = await import('@inquirer/prompts');
    if (!(await confirm({ message: 'Trust this CA for this registry? Compare the fingerprint with the registry host first.', default: false }))) throw new UsageError('not trusted: the fingerprint was not confirmed');
  }
  return ca;
}

/** The certificates a TLS server presents, fetched without trusting them (they are shown for confirmation). */
function servedChain(entry: string): Promise<string[]> {
  const [host, port] = [entry.slice(0, entry.lastIndexOf(':')), Number(entry.slice(entry.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, servername: isIP(host) ? undefined : host, timeout: 5000 }, () => {
      const chain: string[] = [];
      const seen = new Set<string>();
      for (let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(`-----BEGIN CERTIFICATE-----\n${c.raw.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
      }
      socket.end();
      resolve(chain);
    });
    socket.on('error', (err) => reject(new Error(`${entry}: no TLS answer (${err.message})`)));
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
  });
}

/**
 * Client hosts: make (or stop making) this dockerd trust registries that run elsewhere, with the
 * same methods, conflict handling and reload as install. Quiet and idempotent for fleets.
 */
export async function trust(registries: string[], flags: TrustFlags, mode: 'trust' | 'untrust'): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  if (registries.length === 0) throw new UsageError(`${mode}: name at least one registry as HOST:PORT`);
  const entries = [...new Set(registries.map(parseRegistry))];
  const given = flags.method === undefined ? undefined : parseMethod(flags.method);
  const timeoutMs = parseTimeout(flags.timeout ?? String(DEFAULTS.timeoutSeconds));
  assertCanAsk(flags);
  const ports = hostPorts(flags.root ?? '/');
  if (!flags.dryRun) await acquireLock(ports);
  const facts = await gatherFacts(ports, {});
  const recordText = await ports.files.read(TRUSTED_FILE);
  const ca = mode === 'trust' ? await caToTrust(ports, flags, entries, out) : null;
  const certsD = await Promise.all(entries.flatMap((e) => certsDirCas(e).map(async (path) => ({ entry: e, path, text: await ports.files.read(path) }))));
  // Registries another entry of dockerd's configuration already covers (a CIDR block, the entry with a scheme) need no entry (nor a reload).
  const covered = (ca || mode === 'untrust' ? [] : entries.map((entry) => ({ entry, by: trustingEntry(facts, entry) }))).filter((c): c is { entry: string; by: string } => c.by !== null);
  const remove = mode === 'untrust' ? [...new Set(entries.flatMap((e) => [e, ...spellingsOf(facts, e)]))] : [];
  const recorded = parseTrusted(recordText).registries;
  const method = given ?? methodInUse(facts, mode, remove, recorded);
  const forgotten = unreadEntries(facts, loadTemplates(), recorded.filter((r) => entries.includes(r.entry))).edits;
  const plan = ca
    ? { method: chooseMethod(facts, 'auto'), writes: [] as WriteFile[], daemon: [], outcome: 'none' as const, notes: [] as string[] }
    : planTrust(facts, loadTemplates(), { method, add: mode === 'trust' ? entries.filter((e) => !covered.some((c) => c.entry === e)) : [], remove });
  plan.notes.push(...covered.map((c) => trustedBy(c.entry, c.by)));
  // untrust removes a registry's own entries (as written: "http://HOST:PORT" too), never a block that other registries may need.
  const blocks = mode === 'untrust' ? entries.flatMap((entry) => cidrsHolding(facts, entry).slice(0, 1).map((by) => ({ entry, by }))) : [];
  const stillTrusted = blocks.map((b) => `${b.entry} stays trusted by ${b.by} in dockerd's insecure registries, a block untrust leaves in place`);
  plan.notes.push(...stillTrusted);
  // TLS registries: their CA where Docker reads it per connection (no reload); untrust removes it too.
  const caActions: Action[] = ca
    ? certsD.filter((c) => c.text !== ca).map((c) => ({ kind: 'write-file' as const, path: c.path, before: c.text, after: ca, mode: 0o644, why: `trust ${c.entry} through its CA (fingerprint ${certInfo(ca).fingerprint256})` }))
    : mode === 'untrust'
      ? certsD.filter((c) => c.text !== null).map((c) => ({ kind: 'remove-path' as const, path: c.path, why: `stop trusting the CA of ${c.entry}` }))
      : [];
  const proxied = mode === 'trust' ? entries.flatMap((e) => proxyRoute(facts, e, Boolean(ca)) ?? []) : [];
  const notes = [...plan.notes, ...proxied.map((r) => `${proxyWarning(r)}; to go direct: ${r.fix}`)];
  // Untrust forgets a registry a block still covers too: that block is not this tool's to look after.
  const record = recordTrust(recordText, mode === 'trust' ? { add: entries.map((entry) => (ca ? { entry, tls: true } : { entry, tls: false, method: plan.method.name })) } : { remove: entries });
  const configured = plan.writes.length + forgotten.length + caActions.length + plan.daemon.length === 0;
  // Write-ahead: trust records a registry before trusting it, untrust forgets it after: a run cut
  // short (kill -9) never leaves a trust unrecorded (repair would take this host for a registry host).
  const recordStep = record && !configured ? [record] : [];
  const change = { actions: mode === 'trust' ? [...recordStep, ...plan.writes, ...forgotten, ...caActions, ...plan.daemon] : [...plan.writes, ...forgotten, ...caActions, ...recordStep, ...plan.daemon], notes, daemon: plan.outcome };
  const result = (extra: Record<string, unknown>) => ({ ...extra, registries: entries, method: plan.method.name, ...changeSummary(change), facts: factsSummary(facts) });
  if (configured) {
    // dockerd's configuration already says so; only the record may be behind (trusted before it was kept, or by hand).
    const recorded = Boolean(record) && !flags.dryRun;
    if (recorded) {
      const report = await execute(ports, [record!], [], { renderer: 'silent', timeoutMs });
      if (report.failure) throw report.failure;
    }
    const why = (e: string) => covered.find((c) => c.entry === e)?.by;
    const untrusted = entries.filter((e) => !blocks.some((b) => b.entry === e));
    const state =
      mode === 'trust'
        ? `already trusted: ${entries.map((e) => (why(e) ? `${e} (by ${why(e)} in dockerd's insecure registries)` : e)).join(', ')}`
        : [...(untrusted.length ? [`not trusted by this host's configuration: ${untrusted.join(', ')}`] : []), ...stillTrusted].join('; ');
    const recordNote = `${recorded ? '' : 'dry run: would be '}${mode === 'trust' ? 'recorded in' : 'taken out of'} ${TRUSTED_FILE}`;
    out.say(!record ? `${state}${mode === 'trust' ? '' : '; nothing changed'}` : `${state}${mode === 'trust' ? '' : '; its configuration unchanged'}; ${recordNote}`);
    out.json(result({ ok: true, changed: recorded }));
    return 0;
  }
  const warnings: string[] = [];
  const loginNeeded: string[] = [];
  const reloadLog = reloadLogOf(plan.daemon, Date.now());
  const verify: Step[] =
    mode === 'untrust'
      ? []
      : [
          ...(ca ? [] : entries.map((e) => ({ title: `confirm ${e} is trusted by the live dockerd (docker info)`, run: () => waitForTrust(ports, e, timeoutMs, { reloadLog }) }))),
          {
            // A registry that is down right now is no reason to undo the trust: say so and keep it.
            title: `GET /v2/ of ${entries.join(', ')}`,
            run: async () => {
              for (const e of entries) {
                const p = await pingOnce(ports, { entry: e, tls: ca ? { ca } : null, credentials: null }).catch((err: Error & { cause?: Error }) => err.cause?.message ?? err.message);
                // Trusted is not yet allowed in: a registry with auth wants this host logged in (root's saved login does).
                if (typeof p !== 'string' && p.status === 401 && !(await savedCredentials(ports, e).catch(() => null))) loginNeeded.push(e);
                if (typeof p === 'string' || !isRegistryAnswer(p)) warnings.push(`${e} does not answer as a v2 registry yet (${typeof p === 'string' ? p : `HTTP ${p.status}`})`);
              }
            },
          },
        ];
  const applied = await applyChange(ports, out, flags, facts, change, verify, timeoutMs);
  if (applied.status !== 'applied') return applied.status === 'dry-run' ? 0 : 1;
  const ok = !applied.report.failure;
  for (const w of warnings) out.error(`warning: ${w}`);
  if (ok) {
    const gone = entries.filter((e) => !blocks.some((b) => b.entry === e));
    if (mode === 'trust' || gone.length) out.say(`${mode === 'trust' ? 'trusted' : 'no longer trusted'}: ${(mode === 'trust' ? entries : gone).join(', ')}`);
    for (const line of stillTrusted) out.say(line);
    for (const e of loginNeeded) out.say(`${e} asks for credentials: docker login ${e}`);
  }
  out.json(result({ ok, changed: ok, warnings, ...(loginNeeded.length ? { loginNeeded } : {}), error: applied.report.failure?.message }));
  return ok ? 0 : 1;
}
