import { UsageError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import type { Ports } from '../ports/index.js';
import type { Action, Invocation } from '../plan/actions.js';
import { managerOf } from '../knowledge/service-managers.js';
import { loadTemplates } from '../templates.js';
import { actionSummary, renderPlan } from '../plan/render.js';
import type { DaemonOutcome } from '../plan/trust-plan.js';
import { execute, type ExecutionReport, type Renderer, type Step } from '../execute/executor.js';
import type { Output } from '../output.js';

export interface Change {
  actions: Action[];
  notes: string[];
  daemon: DaemonOutcome;
}

export interface ApplyFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** Refuses to wait on a prompt nobody can answer (provisioning without --yes). */
export function assertCanAsk(flags: ApplyFlags): void {
  if (!flags.yes && !flags.dryRun && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError('no terminal to ask questions on: pass --yes to run unattended, or --dry-run to see the plan');
  }
}

export type ApplyResult = { status: 'dry-run' } | { status: 'declined' } | { status: 'applied'; report: ExecutionReport };

/**
 * The one way every command changes a host (the changesets idea: a plan, shown, then applied):
 * prints the plan with diffs, stops for --dry-run, asks unless --yes, then executes it with
 * verification as one transaction and reports failures with what was rolled back.
 */
export async function applyChange(ports: Ports, out: Output, flags: ApplyFlags, facts: HostFacts, change: Change, verify: Step[], timeoutMs: number): Promise<ApplyResult> {
  // Without dockerd's answer, its binary says its version (`dockerd --version`); the client's may well differ.
  const { serverVersion, daemonVersion, clientVersion } = facts.docker;
  const docker = serverVersion || daemonVersion ? `Docker ${serverVersion ?? daemonVersion}` : `Docker client ${clientVersion ?? '?'}`;
  out.say(`${facts.distro.name} (${facts.distro.knowledge.label}), ${facts.init}, ${docker}${facts.docker.running ? '' : facts.docker.denied ? " (dockerd's socket is not open to this user)" : facts.docker.pid !== null ? `, dockerd (pid ${facts.docker.pid}) not answering` : ', dockerd not running'}`);
  out.say(`plan (dockerd: ${change.daemon === 'none' ? 'untouched' : change.daemon}):\n${renderPlan(change)}`);
  if (flags.dryRun) {
    out.say('dry run: nothing was changed');
    return { status: 'dry-run' };
  }
  if (!flags.yes) {
    const { confirm } = await import('@inquirer/prompts');
    const message = change.daemon === 'restart' ? 'Apply this plan (dockerd WILL be restarted)?' : 'Apply this plan?';
    if (!(await confirm({ message, default: true }))) {
      out.say('nothing was changed');
      return { status: 'declined' };
    }
  }
  const renderer: Renderer = flags.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
  const manager = managerOf(facts);
  const startDaemon = [manager.clearFailure(), manager.start()].filter((v): v is Invocation => v !== null);
  const report = await execute(ports, change.actions, verify, { renderer, timeoutMs, startDaemon, registryConfig: loadTemplates().registryConfig });
  if (report.failure) {
    out.error(`failed: ${report.failure.message}`);
    out.error(report.rolledBack.length ? `rolled back:\n  ${report.rolledBack.join('\n  ')}` : 'nothing had been changed');
    if (report.backups.length) out.error(`backups: ${report.backups.join(', ')}`);
  } else if (report.backups.length) {
    out.say(`backups of changed files: ${report.backups.join(', ')}`);
  }
  return { status: 'applied', report };
}

export function factsSummary(facts: HostFacts) {
  return {
    distro: { id: facts.distro.id, versionId: facts.distro.versionId, name: facts.distro.name, family: facts.distro.family, supported: facts.distro.supported },
    init: facts.init,
    docker: { installed: facts.docker.installed, running: facts.docker.running, clientVersion: facts.docker.clientVersion, serverVersion: facts.docker.serverVersion, pid: facts.docker.pid },
    daemonJson: facts.daemonJson.path,
    container: facts.container ? { id: facts.container.id, running: facts.container.running } : null,
  };
}

export function changeSummary(change: Change) {
  return { daemon: change.daemon, notes: change.notes, actions: change.actions.map(actionSummary) };
}
