import path from 'node:path';
import { parseDaemonJson } from '../formats/daemon-json.js';
import { planInstall } from '../plan/planner.js';
import type { WriteFile } from '../plan/actions.js';
import type { Ports } from '../ports/index.js';
import { loadTemplates } from '../templates.js';
import { acquireLock } from '../execute/lock.js';
import { hostPorts } from '../ports/index.js';
import { createOutput } from '../output.js';
import { assertCanAsk, changeSummary, factsSummary } from './apply.js';
import { diagnose, diagnoseClient, formatFinding, onlyTrusting, type CheckFlags } from './check.js';
import { applyInstall } from './install.js';
import { trust } from './trust.js';
import type { TrustedRegistry } from '../plan/trusted-record.js';
import { certsDirCa } from '../tls/paths.js';
import type { Output } from '../output.js';

export interface RepairFlags extends CheckFlags {
  yes?: boolean;
  dryRun?: boolean;
  restoreBackup?: boolean;
  installDocker?: boolean;
}

/** Runs check, converges exactly what failed with the install planner, then checks again. */
export async function repair(flags: RepairFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  assertCanAsk(flags);
  const host = hostPorts(flags.root ?? '/');
  // A host that runs no registry of its own but was made to trust some: converge that trust, never install one here.
  const trusting = await onlyTrusting(host, flags);
  if (trusting.only) return repairTrust(host, out, flags, trusting.registries);
  if (!flags.dryRun) await acquireLock(host);
  const { findings, facts, target, ports } = await diagnose(flags, { deep: false });
  const failed = findings.filter((f) => f.status === 'fail');
  for (const f of failed) out.say(formatFinding(f));
  let planFacts = facts;
  let restored: { path: string; text: string } | null = null;
  if (facts.daemonJson.error) {
    // Someone's hand-edited daemon.json is never overwritten silently.
    const backup = await newestValidBackup(ports, facts.daemonJson.path);
    if (!flags.restoreBackup || !flags.yes) {
      out.error(`${facts.daemonJson.error}\n${backup ? `to restore the newest backup that parses (${backup.path}), run: setup-registry repair --yes --restore-backup` : 'no backup that parses was found next to it; fix it by hand'}`);
      out.json({ ok: false, changed: false, checks: findings, error: facts.daemonJson.error });
      return 1;
    }
    if (!backup) {
      out.error(`${facts.daemonJson.error}\nno backup that parses was found next to it; fix it by hand`);
      return 1;
    }
    restored = backup;
    planFacts = { ...facts, daemonJson: { ...facts.daemonJson, text: backup.text, config: parseDaemonJson(backup.text, backup.path).config, error: null } };
  }
  const plan = planInstall(planFacts, { ...target, installDocker: Boolean(flags.installDocker) }, loadTemplates());
  // Converge whatever the planner finds, not only what a check names (e.g. a state file an interrupted install never wrote).
  if (failed.length === 0 && plan.actions.length === 0) {
    out.say('healthy: nothing to repair');
    out.json({ ok: true, changed: false, checks: findings, facts: factsSummary(facts) });
    return 0;
  }
  if (restored) {
    // The write replaces the broken file: its "before" is what is on disk now.
    const write = plan.actions.find((a): a is WriteFile => a.kind === 'write-file' && a.path === facts.daemonJson.path);
    if (write) Object.assign(write, { before: facts.daemonJson.text, why: `restore ${restored.path}; ${write.why}` });
    else plan.actions.unshift({ kind: 'write-file', path: facts.daemonJson.path, before: facts.daemonJson.text, after: restored.text, mode: 0o644, why: `restore ${restored.path}` });
    if (plan.daemon === 'none' && facts.docker.running) plan.notes.push('dockerd keeps running with the configuration it loaded before the file broke');
  }
  const applied = await applyInstall(ports, out, flags, facts, plan, { ...target, installDocker: Boolean(flags.installDocker) }, { registry: { name: target.name, port: target.port, image: target.image, tls: Boolean(target.tls), entry: target.entry, dataDir: target.dataDir } });
  if (applied.status !== 'applied') return applied.status === 'dry-run' ? 0 : 1;
  if (applied.report.failure) {
    out.json({ ok: false, changed: false, error: applied.report.failure.message, ...changeSummary(plan) });
    return 1;
  }
  const after = await diagnose(flags, { deep: false });
  const still = after.findings.filter((f) => f.status === 'fail');
  out.say('\nafter repair:');
  for (const f of after.findings) if (f.status !== 'ok') out.say(formatFinding(f));
  out.say(still.length ? `${still.length} checks still fail` : `all ${after.findings.length} checks pass`);
  out.json({ ok: still.length === 0, changed: true, checks: after.findings, ...changeSummary(plan), facts: factsSummary(after.facts) });
  return still.length ? 1 : 0;
}

/** What `trust` converges on a host that only trusts registries (a ping to a registry elsewhere is not this host's to fix). */
const TRUST_FIXES = ['dockerd-running', 'daemon-json-valid', 'daemon-flag-conflict', 'dropin-current', 'registry-trusted', 'registry-configured'];

/**
 * When a check `trust` can fix failed (TRUST_FIXES), trust again for the registries recorded as
 * trusted through an insecure entry; a trust that holds is left as it is. One trusted through its
 * CA is fine while the CA is in certs.d, and otherwise needs the CA given again.
 */
async function repairTrust(ports: Ports, out: Output, flags: RepairFlags, registries: TrustedRegistry[]): Promise<number> {
  out.say(`no registry installed on this host; it trusts ${registries.map((r) => r.entry).join(', ')} (setup-registry trust)`);
  const lost = [];
  for (const r of registries) if (r.tls && (await ports.files.read(certsDirCa(r.entry))) === null) lost.push(r.entry);
  for (const entry of lost) out.error(`the CA of ${entry} is gone from ${certsDirCa(entry)}: give it again with setup-registry trust ${entry} --ca CA.crt --yes   (or: --ca-from-registry)`);
  // Exactly what failed: a trust that holds (by daemon.json, or by the flags of a drop-in) is left as it is, not moved into daemon.json with a restart.
  const { findings } = await diagnoseClient(flags, registries.map((r) => r.entry), { deep: false }, true);
  const failing = findings.filter((f) => f.status === 'fail' && TRUST_FIXES.includes(f.id));
  for (const f of failing) out.say(formatFinding(f));
  const insecure = failing.length ? registries.filter((r) => !r.tls).map((r) => r.entry) : [];
  const code = insecure.length ? await trust(insecure, { yes: flags.yes, dryRun: flags.dryRun, json: flags.json, method: flags.method, root: flags.root }, 'trust') : 0;
  if (!insecure.length) {
    if (!lost.length) out.say('healthy: nothing to repair');
    out.json({ ok: lost.length === 0, changed: false, lost });
  }
  return lost.length ? 1 : code;
}

/** Backups are `daemon.json.<UTC stamp>.bak` next to the file; the newest whose JSON parses wins. */
async function newestValidBackup(ports: Ports, file: string): Promise<{ path: string; text: string } | null> {
  const dir = path.dirname(file);
  const names = (await ports.files.list(dir)).filter((n) => n.startsWith(`${path.basename(file)}.`) && n.endsWith('.bak')).sort().reverse();
  for (const n of names) {
    const text = await ports.files.read(`${dir}/${n}`);
    try {
      if (text !== null) {
        parseDaemonJson(text, n);
        return { path: `${dir}/${n}`, text };
      }
    } catch {
      /* broken too: try an older one */
    }
  }
  return null;
}
