import { UsageError } from '../errors.js';
import { gatherFacts, primaryIPv4 } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { credentialsFor } from './password.js';
import { CHECKS, runChecks, type Finding } from '../check/checks.js';
import { createOutput } from '../output.js';
import { factsSummary } from './apply.js';
import { resolveTarget, type TargetFlags } from './target.js';
import { STATE_FILE } from '../plan/state.js';
import { dataDirToKeep } from '../plan/wanted.js';
import { trace } from '../trace.js';

export interface CheckFlags extends TargetFlags {
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
  const { findings, facts } = await diagnose(flags, { deep: Boolean(flags.deep), only });
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

export function formatFinding(f: Finding): string {
  return `${MARK[f.status]} ${f.id.padEnd(25)} ${f.message}${f.fix && f.status !== 'ok' ? `\n    fix: ${f.fix}` : ''}`;
}
