import { UsageError } from '../errors.js';
import { gatherFacts, primaryIPv4 } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { credentialsFor } from './password.js';
import { certificateProblem, CHECKS, runChecks, type CheckContext, type Finding } from '../check/checks.js';
import { createOutput } from '../output.js';
import { factsSummary } from './apply.js';
import { resolveTarget, type TargetFlags } from './target.js';
import { STATE_FILE } from '../plan/state.js';
import { dataDirToKeep } from '../plan/wanted.js';
import { trace } from '../trace.js';
import { parseRegistry } from './trust.js';
import { certsDirCa } from '../tls/paths.js';
import { isRegistryAnswer, pingOnce, type PingResult } from '../execute/verify.js';
import { onLoopback, trustedLive, trustingEntry } from '../plan/trust/daemon-json.js';
import { parseMethod } from '../plan/trust/index.js';
import { DEFAULTS } from '../plan/wanted.js';
import { parseTrusted, TRUSTED_FILE, type TrustedRegistry } from '../plan/trusted-record.js';
import { containerFacts } from '../facts/docker-engine.js';
import { MANAGED_LABEL } from '../plan/container.js';
import type { HostFacts } from '../facts/types.js';
import type { Ports } from '../ports/index.js';

export interface CheckFlags extends TargetFlags {
  /** HOST:PORT of a registry elsewhere: check this host as its client (after `trust`). */
  registry?: string;
  user?: string;
  passwordStdin?: boolean;
  json?: boolean;
  deep?: boolean;
  only?: string;
  listChecks?: boolean;
  root?: string;
}

const MARK = { ok: '✔', warn: '!', fail: '✖', skip: '-' } as const;

/** A read-only diagnosis (brew doctor style): each check says ok, warn or fail, and the exact fix. */
export async function check(flags: CheckFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  if (flags.listChecks) {
    for (const c of CHECKS) process.stdout.write(`${c.id}${c.deep ? ' (with --deep)' : ''}\n`);
    return 0;
  }
  const only = flags.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknown?.length) throw new UsageError(`--only: unknown check ${unknown.join(', ')} (see --list-checks)`);
  const { findings, facts, unrecorded } = await diagnoseAll(flags, { deep: Boolean(flags.deep), only });
  // Nothing installed here, nothing trusted through trust: the checks are of the registry an install would make.
  if (unrecorded) out.say(`no install recorded on this host (${STATE_FILE}): checked as the registry host an install with the defaults would make (${unrecorded}); a host that only uses a registry elsewhere: check --registry HOST:PORT\n`);
  let group: string | undefined;
  for (const f of findings) {
    if (f.registry !== group && f.registry !== undefined) out.say(`\n${f.registry} (trusted through setup-registry trust):`);
    group = f.registry;
    out.say(formatFinding(f));
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  const skipped = findings.filter((f) => f.status === 'skip').length;
  out.say(failed ? `\n${failed} of ${findings.length} checks failed${skipped ? `; ${skipped} not run, for what failed` : ''}` : `\nall ${findings.length} checks passed`);
  out.json({ ok: failed === 0, checks: findings, facts: factsSummary(facts) });
  return failed ? 1 : 0;
}

/**
 * What this host is: the client of a registry named with --registry; the client of the registries
 * `trust` recorded when it runs none itself; else a registry host (installed, or to be), then also
 * checked as the client of any other registry it was made to trust.
 */
async function diagnoseAll(flags: CheckFlags, opts: { deep: boolean; only?: string[] }): Promise<{ findings: Finding[]; facts: HostFacts; unrecorded?: string }> {
  if (flags.registry !== undefined) {
    if (flags.address !== undefined || flags.port !== undefined) throw new UsageError('--registry HOST:PORT names the registry: no --address or --port with it');
    return diagnoseClient(flags, [parseRegistry(flags.registry)], opts);
  }
  const recorded = await onlyTrusting(hostPorts(flags.root ?? '/'), flags);
  const trusted = recorded.registries.map((r) => r.entry);
  if (recorded.only) return diagnoseClient(flags, trusted, opts, true);
  const host = await diagnose(flags, opts, recorded.stateText);
  const others = trusted.filter((e) => e !== host.target.entry);
  const elsewhere = others.length ? await diagnoseClient(flags, others, opts, true, host.facts) : { findings: [] };
  // The entry checked when nothing is recorded and no --address was given.
  const unrecorded = !host.target.state && flags.address === undefined ? host.target.entry : undefined;
  return { findings: [...host.findings, ...elsewhere.findings], facts: host.facts, unrecorded };
}

/**
 * The registries trust recorded, and whether this host only trusts registries: no install
 * recorded, none asked for (--address), and no registry container of ours (an install that was
 * cut short before it recorded itself is still a registry host, for check and repair).
 */
export async function onlyTrusting(ports: Ports, flags: TargetFlags): Promise<{ registries: TrustedRegistry[]; only: boolean; stateText: string | null }> {
  const [stateText, trustedText] = await Promise.all([ports.files.read(STATE_FILE), ports.files.read(TRUSTED_FILE)]);
  const { registries } = parseTrusted(trustedText);
  if (!registries.length || stateText !== null || flags.address !== undefined) return { registries, only: false, stateText };
  const ours = await containerFacts(ports.docker, flags.name ?? DEFAULTS.name);
  return { registries, only: ours?.labels[MANAGED_LABEL] !== 'true', stateText };
}

/** known: the state file as already read, if it was (repair reads it again once it holds the lock). */
export async function diagnose(flags: CheckFlags, opts: { deep: boolean; only?: string[] }, known?: string | null) {
  const ports = hostPorts(flags.root ?? '/');
  const stateText = known !== undefined ? known : await ports.files.read(STATE_FILE);
  // Without a state file or --address, the defaults: this host's primary IPv4.
  const target = resolveTarget(flags, stateText, stateText || flags.address ? null : await primaryIPv4());
  const facts = await gatherFacts(ports, { registry: { name: target.name, port: target.port, image: target.image, tls: Boolean(target.tls), entry: target.entry, dataDir: target.dataDir } });
  trace('facts gathered');
  // Nothing says where the images are (no --data-dir, no install recorded): where the container keeps them.
  if (flags.dataDir === undefined && !target.state) target.dataDir = dataDirToKeep(facts.container);
  const credentials = target.auth ? await credentialsFor(ports, flags, target.entry) : null;
  const findings = await runChecks({ facts, target, ports, credentials }, opts);
  trace('checks run');
  return { findings, facts, target, ports };
}

/**
 * A client host: its dockerd, and its trust of registries that run elsewhere. The one named with
 * --registry gets every client check; those trust recorded get the host's checks once (unless
 * hostFacts says the host was checked already) and each its own, each finding naming its registry.
 */
export async function diagnoseClient(flags: CheckFlags, entries: string[], opts: { deep: boolean; only?: string[] }, recorded = false, hostFacts?: HostFacts) {
  const ports = hostPorts(flags.root ?? '/');
  const facts = hostFacts ?? (await gatherFacts(ports, {}));
  trace('facts gathered');
  const contexts = await Promise.all(entries.map((entry) => clientContext(ports, facts, flags, entry)));
  if (!recorded) return { findings: await runChecks(contexts[0]!, opts), facts };
  const groups = await Promise.all([...(hostFacts ? [] : [runChecks(contexts[0]!, { ...opts, scope: 'host' })]), ...contexts.map((ctx) => runChecks(ctx, { ...opts, scope: 'registry' }))]);
  return { findings: groups.flat(), facts };
}

/**
 * How this host reaches the registry decides what must trust it: a CA in certs.d (TLS); else an
 * insecure entry (plain HTTP); a registry that is in neither but answers over TLS with a
 * certificate the system trusts needs none.
 */
async function clientContext(ports: Ports, facts: HostFacts, flags: CheckFlags, entry: string): Promise<CheckContext> {
  const ca = await ports.files.read(certsDirCa(entry));
  let tls = ca !== null;
  let untrusted: string | undefined;
  // The answer to an anonymous ping, the way this host reaches the registry: 401 says auth is on.
  let anonymous: PingResult | null | undefined;
  if (!tls && !onLoopback(entry) && !trustingEntry(facts, entry) && !trustedLive(facts.docker.liveInsecure, entry)) {
    try {
      const answer = await pingOnce(ports, { entry, tls: { ca: null }, credentials: null });
      tls = isRegistryAnswer(answer);
      if (tls) anonymous = answer;
    } catch (err) {
      // TLS with a certificate this host cannot verify (a private CA not installed yet) is still TLS.
      untrusted = certificateProblem(err) ?? undefined;
      tls = untrusted !== undefined;
      if (tls) anonymous = null;
    }
  }
  if (anonymous === undefined) anonymous = await pingOnce(ports, { entry, tls: tls ? { ca } : null, credentials: null }).catch(() => null);
  const auth = anonymous?.status === 401;
  const [host, port] = [entry.slice(0, entry.lastIndexOf(':')), Number(entry.slice(entry.lastIndexOf(':') + 1))];
  const target = {
    address: host,
    port,
    name: '',
    image: '',
    dataDir: DEFAULTS.dataDir,
    method: flags.method !== undefined ? parseMethod(flags.method) : 'auto',
    timeoutMs: DEFAULTS.timeoutSeconds * 1000,
    ...(tls ? { tls: { sans: [] } } : {}),
    ...(auth ? { auth: {} } : {}),
    entry,
  } satisfies CheckContext['target'];
  const credentials = auth ? await credentialsFor(ports, flags, entry) : null;
  return { facts, target, ports, credentials, client: { ca, untrusted } };
}

export function formatFinding(f: Finding): string {
  return `${MARK[f.status]} ${f.id.padEnd(25)} ${f.status === 'skip' ? `not checked: ${f.message}` : f.message}${f.fix && (f.status === 'fail' || f.status === 'warn') ? `\n    fix: ${f.fix}` : ''}`;
}
