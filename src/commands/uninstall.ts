import { gatherFacts } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { readState, STATE_FILE } from '../plan/state.js';
import { planUninstall } from '../plan/uninstall.js';
import { waitForDocker } from '../execute/verify.js';
import { loadTemplates } from '../templates.js';
import { acquireLock } from '../execute/lock.js';
import { createOutput } from '../output.js';
import { applyChange, assertCanAsk, changeSummary, factsSummary } from './apply.js';
import { DEFAULTS, entryOf } from '../plan/wanted.js';
import { parseTrusted, TRUSTED_FILE } from '../plan/trusted-record.js';

export interface UninstallFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  purge?: boolean;
  root?: string;
}

export async function uninstall(flags: UninstallFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  assertCanAsk(flags);
  const ports = hostPorts(flags.root ?? '/');
  if (!flags.dryRun) await acquireLock(ports);
  const recorded = readState(await ports.files.read(STATE_FILE));
  const state = 'state' in recorded ? recorded.state : null;
  const facts = await gatherFacts(ports, { registry: { name: state?.name ?? DEFAULTS.name, port: state?.port ?? DEFAULTS.port, image: state?.image ?? DEFAULTS.image, tls: Boolean(state?.tls), entry: state ? entryOf(state) : undefined } });
  const why = 'problem' in recorded ? `${STATE_FILE} cannot be read (${recorded.problem})` : `no ${STATE_FILE}`;
  if (!state) out.say(`${why}: only a container labelled as ours is removed, and no trust entry is touched`);
  const plan = planUninstall(facts, state, loadTemplates(), { purge: Boolean(flags.purge) });
  // The trust of registries elsewhere is the client side of other hosts' registries: untrust undoes it, one by one.
  const trusted = parseTrusted(await ports.files.read(TRUSTED_FILE)).registries.map((r) => r.entry);
  if (trusted.length) plan.kept.push(`the trust of ${trusted.join(', ')} (undo it with: setup-registry untrust ${trusted.join(' ')} --yes)`);
  if (plan.actions.length === 0) {
    out.say('nothing to uninstall');
    for (const k of plan.kept) out.say(`kept: ${k}`);
    out.json({ ok: true, changed: false, kept: plan.kept });
    return 0;
  }
  const timeoutMs = DEFAULTS.timeoutSeconds * 1000;
  const verify = plan.daemon === 'none' ? [] : [{ title: 'dockerd answers', run: () => waitForDocker(ports, timeoutMs) }];
  const applied = await applyChange(ports, out, flags, facts, plan, verify, timeoutMs);
  if (applied.status !== 'applied') return applied.status === 'dry-run' ? 0 : 1;
  const ok = !applied.report.failure;
  if (ok) {
    out.say('uninstalled');
    for (const k of plan.kept) out.say(`kept: ${k}`);
  }
  out.json({ ok, changed: ok, kept: plan.kept, ...changeSummary(plan), facts: factsSummary(facts), error: applied.report.failure?.message });
  return ok ? 0 : 1;
}
