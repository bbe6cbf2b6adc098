import type { Ports } from '../ports/index.js';
import { describe, title, type Action, type Invocation, type WriteFile } from '../plan/actions.js';
import { waitForDocker } from './verify.js';

export type Renderer = 'default' | 'simple' | 'silent';

export interface Step {
  title: string;
  run: () => Promise<void>;
}

export interface ExecutionReport {
  applied: string[];
  backups: string[];
  rolledBack: string[];
  failure: Error | null;
}

/**
 * Applies a plan's actions in order, then the verification steps, as one transaction:
 * files are backed up before their first write and written atomically; when any step fails,
 * every written file is put back and dockerd is brought back to the configuration it had.
 */
export async function execute(ports: Ports, actions: readonly Action[], verify: Step[], opts: { renderer: Renderer; timeoutMs: number }): Promise<ExecutionReport> {
  const report: ExecutionReport = { applied: [], backups: [], rolledBack: [], failure: null };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const written: WriteFile[] = [];
  const daemonOps: Action[] = [];

  const steps: Step[] = actions.map((action) => ({
    title: title(action),
    run: async () => {
      // A removed file is put back on rollback like a written one (directories cannot be).
      const removedText = action.kind === 'remove-path' ? await ports.files.read(action.path).catch(() => null) : null;
      await apply(ports, action, stamp, report, opts.timeoutMs);
      if (action.kind === 'write-file') written.push(action);
      if (action.kind === 'remove-path' && removedText !== null) written.push({ kind: 'write-file', path: action.path, before: removedText, after: '', mode: 0o644, why: 'removed' });
      if (action.kind === 'daemon') daemonOps.push(action);
      report.applied.push(describe(action));
    },
  }));

  try {
    await runSteps([...steps, ...verify], opts.renderer);
  } catch (err) {
    report.failure = err as Error;
    await rollBack(ports, written, daemonOps, report, opts.timeoutMs);
  }
  return report;
}

async function runSteps(steps: Step[], renderer: Renderer): Promise<void> {
  if (steps.length === 0) return;
  const { Listr } = await import('listr2');
  const list = new Listr(
    steps.map((s) => ({ title: s.title, task: () => s.run() })),
    { renderer, exitOnError: true, collectErrors: false, rendererOptions: { collapseErrors: false } },
  );
  await list.run();
}

async function apply(ports: Ports, action: Action, stamp: string, report: ExecutionReport, timeoutMs: number): Promise<void> {
  switch (action.kind) {
    case 'write-file': {
      const backup = await ports.files.backup(action.path, stamp);
      if (backup) report.backups.push(backup);
      await ports.files.writeAtomic(action.path, action.after, { mode: action.mode });
      return;
    }
    case 'daemon':
      await invoke(ports, action.via);
      if (action.op === 'start' || action.op === 'restart') await waitForDocker(ports, timeoutMs);
      return;
    case 'remove-path': {
      const backup = await ports.files.backup(action.path, stamp).catch(() => null);
      if (backup) report.backups.push(backup);
      await ports.files.removeTree(action.path);
      return;
    }
    case 'container':
      try {
        await ports.processes.run(action.argv);
      } catch (err) {
        if (action.hint) throw new Error(`${action.hint}\n${(err as Error).message}`);
        throw err;
      }
      return;
  }
}

async function invoke(ports: Ports, via: Invocation): Promise<void> {
  if ('argv' in via) await ports.processes.run(via.argv);
  else ports.processes.signal(via.pid, via.signal);
}

async function rollBack(ports: Ports, written: WriteFile[], daemonOps: Action[], report: ExecutionReport, timeoutMs: number): Promise<void> {
  for (const w of [...written].reverse()) {
    try {
      if (w.before === null) await ports.files.remove(w.path);
      else await ports.files.writeAtomic(w.path, w.before);
      report.rolledBack.push(w.before === null ? `removed ${w.path}` : `restored ${w.path}`);
    } catch (err) {
      report.rolledBack.push(`could NOT restore ${w.path}: ${(err as Error).message}`);
    }
  }
  // Bring dockerd back to the restored files the same way it took the new ones.
  for (const op of daemonOps) {
    if (op.kind !== 'daemon' || op.op === 'enable') continue;
    try {
      await invoke(ports, op.via);
      if (op.op === 'restart' || op.op === 'start') await waitForDocker(ports, timeoutMs);
      report.rolledBack.push(`re-ran ${describe(op).split(':')[0]} with the restored configuration`);
    } catch (err) {
      report.rolledBack.push(`could NOT re-run ${describe(op).split(':')[0]}: ${(err as Error).message}`);
    }
  }
}
