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

const MARK = { ok: '✔', warn: '!', fail: '✖' } as const;

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
  const { findings, facts } = flags.registry !== undefined ? await diagnoseClient(flags, flags.registry, { deep: Boolean(flags.deep), only }) : await diagnose(flags, { deep: Boolean(flags.deep), only });
  for (const f of findings) out.say(formatFinding(f));
  const failed = findings.filter((f) => f.status === 'fail').length;
  out.say(failed ? `\n${failed} of ${findings.length} checks failed` : `\nall ${findings.length} checks passed`);
  out.json({ ok: failed === 0, checks: findings, facts: factsSummary(facts) });
  return failed ? 1 : 0;
}

export async function diagnose(flags: CheckFlags, opts: { deep: boolean; only?: string[] }) {
  const ports = hostPorts(flags.root ?? '/');
  const stateText = await ports.files.read(STATE_FILE);
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
 * A client host: its dockerd, and its trust of a registry that runs elsewhere. How the registry is
 * reached decides what trusts it: a CA in certs.d (TLS); else an insecure entry (plain HTTP); a
 * registry that is in neither but answers over TLS with a certificate the system trusts needs none.
 */
async function diagnoseClient(flags: CheckFlags, registry: string, opts: { deep: boolean; only?: string[] }) {
  if (flags.address !== undefined || flags.port !== undefined) throw new UsageError('--registry HOST:PORT names the registry: no --address or --port with it');
  const entry = parseRegistry(registry);
  const ports = hostPorts(flags.root ?? '/');
  const [facts, ca] = await Promise.all([gatherFacts(ports, {}), ports.files.read(certsDirCa(entry))]);
  trace('facts gathered');
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
  const findings = await runChecks({ facts, target, ports, credentials, client: { ca, untrusted } }, opts);
  return { findings, facts, target, ports };
}

export function formatFinding(f: Finding): string {
  return `${MARK[f.status]} ${f.id.padEnd(25)} ${f.message}${f.fix && f.status !== 'ok' ? `\n    fix: ${f.fix}` : ''}`;
}
