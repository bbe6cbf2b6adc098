import type { Ports } from '../ports/index.js';
import { describe, title, type Action, type ContainerAction, type Invocation, type TlsAction, type WriteFile } from '../plan/actions.js';
import { dockerAnswers, waitForDocker } from './verify.js';
import { buildOfflineImage } from './offline-image.js';
import { createCa, issueServerCert } from '../tls/openssl.js';
import { CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY } from '../tls/paths.js';
import { serverFacts } from '../facts/docker-engine.js';
import { getJson } from '../ports/docker-api.js';
import { MANAGED_LABEL } from '../plan/container.js';
import { trace } from '../trace.js';

export type Renderer = 'default' | 'simple' | 'silent';

export interface Step {
  title: string;
  /** `progress` shows a line of live output under the task (a package manager's progress). */
  run: (progress: (line: string) => void) => Promise<void>;
  /**
   * Work that may start while the plan is applied (loading the smoke image, watching for the trust
   * to go live), so the step itself waits less. The signal ends it when the run ends first.
   */
  prepare?: (signal: AbortSignal) => Promise<void>;
  /** Undoes what prepare or run left behind, whether the step ran or not. */
  cleanup?: () => Promise<void>;
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
export interface ExecuteOptions {
  renderer: Renderer;
  timeoutMs: number;
  /** How this host starts dockerd: used when a rollback finds it down (killed or refused to start). */
  startDaemon?: Invocation[];
  /** The registry config put into an image built from a registry package. */
  registryConfig?: string;
}

export async function execute(ports: Ports, actions: readonly Action[], verify: Step[], opts: ExecuteOptions): Promise<ExecutionReport> {
  const report: ExecutionReport = { applied: [], backups: [], rolledBack: [], failure: null };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const written: WriteFile[] = [];
  // Files changed by openssl or removed: what they hold after this run is not one known text.
  const unknownAfter = new Set<WriteFile>();
  const daemonOps: Action[] = [];
  // Containers this run created, taken away again on rollback (by id: never one someone else made).
  const created: { id: string; name: string; replacedOne: boolean }[] = [];
  const removedNames = new Set<string>();

  // Ctrl-C or SIGTERM while applying: finish the step under way, then roll back like a failure.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  const checkInterrupt = () => {
    if (interrupted) throw new Error(`interrupted by ${interrupted}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** One action, with what a rollback needs to know about it. */
  const applyOne = async (action: Action, progress: (line: string) => void) => {
    // A removed file is put back on rollback like a written one (directories cannot be).
    const removedText = action.kind === 'remove-path' ? await ports.files.read(action.path).catch(() => null) : null;
    // TLS material is put back (or removed) on rollback like a written file.
    const tlsBefore = action.kind === 'tls' ? await snapshot(ports, tlsFiles(action)) : [];
    // A daemon operation counts once attempted: a restart that failed still changed dockerd.
    if (action.kind === 'daemon') daemonOps.push(action);
    const onCreated = (id: string) => {
      containerCreated();
      const name = containerName(action as ContainerAction);
      created.push({ id, name, replacedOne: removedNames.has(name) });
    };
    await apply(ports, action, stamp, report, opts, progress, onCreated);
    if (action.kind === 'container' && action.op === 'remove') removedNames.add(containerName(action));
    if (action.kind === 'write-file') written.push(action);
    const snapshots = [...tlsBefore, ...(action.kind === 'remove-path' && removedText !== null ? [{ kind: 'write-file' as const, path: action.path, before: removedText, after: '', mode: 0o644, why: 'removed' }] : [])];
    for (const w of snapshots) unknownAfter.add(w);
    written.push(...snapshots);
  };

  // Verification work starts early only when dockerd stays up throughout: no install, start or restart under it.
  const daemonSteady = !actions.some((a) => a.kind === 'package' || (a.kind === 'daemon' && (a.op === 'start' || a.op === 'restart')));
  // An action the planner marked early (the registry container, which needs nothing the steps before
  // it write) starts with the run, so dockerd creates it while those steps are applied; its step waits for it.
  const startedEarly = new Map<Action, Promise<void>>();
  // The verification's early work waits until dockerd has created that container: competing with the
  // create request delays the whole run, while the container's start leaves dockerd time to spare.
  let containerCreated!: () => void;
  const earlyCreated = new Promise<void>((resolve) => (containerCreated = resolve));
  if (daemonSteady) {
    for (const action of actions) {
      if (action.kind !== 'container' || !action.early) continue;
      const started = applyOne(action, () => undefined);
      started.catch(() => undefined); // its own step reports the failure
      startedEarly.set(action, started);
      started.then(containerCreated, containerCreated);
    }
  }
  if (startedEarly.size === 0) containerCreated();

  const steps: Step[] = actions.map((action) => ({
    title: title(action),
    run: async (progress) => {
      checkInterrupt();
      await (startedEarly.get(action) ?? applyOne(action, progress));
      report.applied.push(describe(action));
      checkInterrupt();
    },
  }));
  const checked = verify.map((s) => ({ title: s.title, run: async (progress: (line: string) => void) => (checkInterrupt(), await s.run(progress), checkInterrupt()) }));

  const endOfRun = new AbortController();
  const early = daemonSteady ? verify.map((s) => earlyCreated.then(() => (endOfRun.signal.aborted ? undefined : s.prepare?.(endOfRun.signal))).catch(() => undefined)) : [];
  try {
    await runSteps([...steps, ...checked], opts.renderer);
    await pruneBackups(ports, report.backups).catch(() => undefined);
  } catch (err) {
    report.failure = err as Error;
    endOfRun.abort(); // no verification work starts during a rollback
    // A container started early may still be on its way: what it created is known once it settles.
    await Promise.allSettled(startedEarly.values());
    await rollBack(ports, written, unknownAfter, daemonOps, report, opts);
    await removeCreated(ports, created, report);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    endOfRun.abort();
    await Promise.all(early);
    for (const s of verify) await s.cleanup?.().catch(() => undefined);
  }
  return report;
}

async function runSteps(steps: Step[], renderer: Renderer): Promise<void> {
  if (steps.length === 0) return;
  if (renderer !== 'default') return runStepsAsLines(steps, renderer === 'silent');
  const { Listr, PRESET_TIMER } = await import('listr2');
  // Steps that take a second or more (a package install, a restart) show how long they took.
  const timer = { ...PRESET_TIMER, condition: (ms: number) => ms >= 1000 };
  const list = new Listr(
    steps.map((s) => ({
      title: s.title,
      task: async (_ctx: unknown, task: { output: string }) => {
        await s.run((line) => {
          task.output = line;
        });
        trace(`done: ${s.title}`);
      },
    })),
    { renderer, exitOnError: true, collectErrors: false, rendererOptions: { collapseErrors: false, timer } },
  );
  await list.run();
}

/**
 * Without a terminal (provisioning logs, --json) a live task list has nothing to redraw: each step
 * is a line when it starts and one when it ends, the way listr2's simple renderer writes them,
 * without loading listr2 (about 15 ms of a run that changes a host).
 */
async function runStepsAsLines(steps: Step[], silent: boolean): Promise<void> {
  const say = (text: string) => silent || process.stdout.write(`${text}\n`);
  for (const s of steps) {
    say(`❯ ${s.title}`);
    const started = Date.now();
    try {
      await s.run((line) => say(`  › ${line}`));
    } catch (err) {
      say(`✖ ${s.title}`);
      throw err;
    }
    const ms = Date.now() - started;
    // Steps that take a second or more (a package install, a restart) say how long they took.
    say(`✔ ${s.title}${ms >= 1000 ? ` [${(ms / 1000).toFixed(1)}s]` : ''}`);
    trace(`done: ${s.title}`);
  }
}

async function apply(ports: Ports, action: Action, stamp: string, report: ExecutionReport, opts: ExecuteOptions, progress: (line: string) => void, onCreated: (id: string) => void): Promise<void> {
  const { timeoutMs } = opts;
  switch (action.kind) {
    case 'write-file': {
      // The edit was planned from what the file held when it was read: a change made since (another
      // program, or an edit while the plan waited for its confirmation) would be lost under it.
      if ((await ports.files.read(action.path)) !== action.before) {
        throw new Error(`${action.path} changed since setup-registry read it (another program, or an edit meanwhile); it was left as it is: run again to plan from what it holds now`);
      }
      // A file written twice in a run (the state's write-ahead record, then the record) keeps its first backup.
      const backup = await ports.files.backup(action.path, stamp);
      if (backup && !report.backups.includes(backup)) report.backups.push(backup);
      await ports.files.writeAtomic(action.path, action.after, { mode: action.mode });
      return;
    }
    case 'daemon':
      try {
        await invoke(ports, action.via, timeoutMs);
        if (action.op === 'start' || action.op === 'restart') await waitForDocker(ports, timeoutMs);
      } catch (err) {
        throw action.logs ? new Error(`${(err as Error).message}${await logTail(ports, action.logs)}`) : err;
      }
      return;
    case 'package': {
      const install = [...action.install, ...action.packages];
      const first = await ports.processes.probe(install, { onLine: progress });
      if (first.exitCode !== 0) {
        // Stale or missing package lists are the usual cause on a fresh host: refresh once, then retry.
        if (!action.refresh) await ports.processes.run(install);
        await ports.processes.run(action.refresh!, { onLine: progress });
        await ports.processes.run(install, { onLine: progress });
      }
      for (const argv of action.after) await ports.processes.run(argv, { onLine: progress });
      return;
    }
    case 'tls':
      if (action.op === 'create-ca') await createCa(ports, action.commonName);
      else if (action.op === 'issue-cert') await issueServerCert(ports, action.sans);
      else await ports.files.writeAtomic(action.to, (await ports.files.read(CA_CERT)) ?? '', { mode: 0o644 });
      return;
    case 'image':
      if (action.op === 'load') await ports.processes.run(action.argv, { onLine: progress });
      else await buildOfflineImage(ports, action.binary, action.tag, opts.registryConfig ?? '', action.source);
      return;
    case 'remove-path': {
      const backup = await ports.files.backup(action.path, stamp).catch(() => null);
      if (backup) report.backups.push(backup);
      await ports.files.removeTree(action.path);
      for (const dir of action.thenIfEmpty ?? []) if (!(await ports.files.removeIfEmpty(dir))) break;
      return;
    }
    case 'container':
      try {
        await containerOp(ports, action, onCreated);
      } catch (err) {
        if (action.hint) throw new Error(`${action.hint}\n${(err as Error).message}`);
        throw err;
      }
      return;
  }
}

function containerName(action: ContainerAction): string {
  return action.argv.includes('--name') ? action.argv[action.argv.indexOf('--name') + 1]! : action.argv.at(-1)!;
}

/** run, start and remove go to the Engine API; a pull keeps the CLI. Errors name the equivalent command. */
async function containerOp(ports: Ports, action: ContainerAction, onCreated: (id: string) => void): Promise<void> {
  const name = containerName(action);
  const send = async (method: string, path: string, body?: unknown) => {
    const r = await ports.docker.request(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    if (r.status >= 300 && !(method === 'POST' && r.status === 304)) {
      throw Object.assign(new Error(`${action.argv.join(' ')}: ${method} ${path}: HTTP ${r.status} ${r.text.trim()}`), { status: r.status });
    }
    return r.text;
  };
  switch (action.op) {
    case 'pull':
      await ports.processes.run(action.argv);
      return;
    case 'remove':
      // Already gone is what was wanted (one planned while dockerd was down may never have been there).
      await send('DELETE', `/containers/${name}?force=1`).catch((err: Error & { status?: number }) => {
        if (err.status !== 404) throw err;
      });
      return;
    case 'start':
      await send('POST', `/containers/${name}/start`);
      return;
    case 'unpause':
      await send('POST', `/containers/${name}/unpause`);
      return;
    case 'restart':
      await send('POST', `/containers/${name}/restart`);
      return;
    case 'remove-volume':
      await send('DELETE', `/volumes/${action.argv.at(-1)}`);
      return;
    case 'run': {
      const create = () => send('POST', action.create!.path, action.create!.body);
      const created = await create().catch(async (err: Error & { status?: number }) => {
        // A run killed while dockerd was still creating its container leaves that container behind,
        // made after this run's facts were read: one of ours (by its label) goes, and the create is sent again.
        const other = err.status === 409 ? await getJson<{ Config: { Labels: Record<string, string> | null } }>(ports.docker, `/containers/${name}/json`).catch(() => null) : null;
        if (other?.Config.Labels?.[MANAGED_LABEL] !== 'true') throw err;
        await send('DELETE', `/containers/${name}?force=1`);
        return create();
      });
      const { Id } = JSON.parse(created) as { Id: string };
      onCreated(Id);
      await send('POST', `/containers/${Id}/start`);
      return;
    }
  }
}

/**
 * A container this run created goes again, so the host is as it was (its data directory stays).
 * One that replaced an older container (settings changed) stays: removing it would leave no registry at all.
 */
async function removeCreated(ports: Ports, created: { id: string; name: string; replacedOne: boolean }[], report: ExecutionReport): Promise<void> {
  for (const c of created.reverse()) {
    if (c.replacedOne) {
      report.rolledBack.push(`kept container ${c.name}: it replaced one with other settings, which cannot be brought back`);
      continue;
    }
    const r = await ports.docker.request('DELETE', `/containers/${c.id}?force=1`).catch((err: Error) => err);
    report.rolledBack.push(r instanceof Error || (r.status >= 300 && r.status !== 404) ? `could NOT remove container ${c.name} (${c.id.slice(0, 12)}): ${r instanceof Error ? r.message : `HTTP ${r.status}`}` : `removed container ${c.name}, created by this run`);
  }
}

/** A service command that hangs (a stop waiting on containers, say) must fail within --timeout, not block the run. */
async function invoke(ports: Ports, via: Invocation, timeoutMs: number): Promise<void> {
  if ('argv' in via) await ports.processes.run(via.argv, { timeoutMs });
  else ports.processes.signal(via.pid, via.signal);
}

async function rollBack(ports: Ports, written: WriteFile[], unknownAfter: Set<WriteFile>, daemonOps: Action[], report: ExecutionReport, opts: ExecuteOptions): Promise<void> {
  const { timeoutMs } = opts;
  /** `expected`: what this run left in the file; a file changed again since is someone else's now, and is left alone. */
  const restore = async (w: WriteFile, text: string | null, expected?: string) => {
    try {
      if (expected !== undefined && (await ports.files.read(w.path)) !== expected) {
        report.rolledBack.push(`did NOT restore ${w.path}: it changed again after this run wrote it (another program?); left as it is, its version from before this run is in the backup`);
        return false;
      }
      if (text === null) await ports.files.remove(w.path);
      else await ports.files.writeAtomic(w.path, text);
      return true;
    } catch (err) {
      report.rolledBack.push(`could NOT restore ${w.path}: ${(err as Error).message}`);
      return false;
    }
  };
  const reloaded = daemonOps.some((op) => op.kind === 'daemon' && op.op === 'reload');
  // Files a reload alone cannot take back go through an interim version first (see WriteFile.rollbackVia).
  const interim = reloaded ? written.filter((w) => w.rollbackVia) : [];
  for (const w of [...written].reverse()) {
    if (await restore(w, interim.includes(w) ? w.rollbackVia!.text : w.before, unknownAfter.has(w) ? undefined : w.after)) {
      if (!interim.includes(w)) report.rolledBack.push(w.before === null ? `removed ${w.path}` : `restored ${w.path}`);
    }
  }
  // Bring dockerd back to the restored files the same way it took the new ones.
  for (const op of daemonOps) {
    if (op.kind !== 'daemon' || op.op === 'enable') continue;
    try {
      await invoke(ports, op.via, timeoutMs);
      if (op.op === 'restart' || op.op === 'start') await waitForDocker(ports, timeoutMs);
      report.rolledBack.push(`re-ran ${describe(op).split(':')[0]} with the restored configuration`);
    } catch (err) {
      report.rolledBack.push(`could NOT re-run ${describe(op).split(':')[0]}: ${(err as Error).message}`);
    }
  }
  // dockerd may have died meanwhile (killed, or it refused the new configuration): start it on the restored files.
  // Not when the run's own start was just run again: that was this same start, and its wait said how it went.
  const startedAgain = daemonOps.some((op) => op.kind === 'daemon' && op.op === 'start');
  if (daemonOps.length > 0 && opts.startDaemon && !startedAgain && !(await dockerAnswers(ports))) {
    try {
      for (const via of opts.startDaemon) await invoke(ports, via, timeoutMs);
      await waitForDocker(ports, timeoutMs);
      report.rolledBack.push('started dockerd again with the restored configuration');
    } catch (err) {
      report.rolledBack.push(`could NOT start dockerd again: ${(err as Error).message}`);
    }
  }
  if (interim.length > 0) {
    const dropped = interim.flatMap((w) => w.rollbackVia!.dropped);
    await waitUntilDropped(ports, dropped, timeoutMs).catch(() => report.rolledBack.push(`dockerd may still trust ${dropped.join(', ')} until its next restart`));
    for (const w of interim) if (await restore(w, w.before, w.rollbackVia!.text)) report.rolledBack.push(`restored ${w.path}`);
  }
}

/** Backups kept per file: enough to go back several changes, without a run on every provisioning pass filling /etc. */
export const BACKUPS_KEPT = 10;

/** After a run that succeeded: the newest BACKUPS_KEPT backups of each file it backed up stay, older ones (by their stamp) go. */
async function pruneBackups(ports: Ports, backups: readonly string[]): Promise<void> {
  for (const backup of backups) {
    const m = /^(.*)\/([^/]+)\.\d{8}T\d{6}Z\.bak$/.exec(backup);
    if (!m) continue;
    const [, dir, name] = m;
    const ofFile = new RegExp(`^${name!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d{8}T\\d{6}Z\\.bak$`);
    const old = (await ports.files.list(dir!)).filter((n) => ofFile.test(n)).sort().reverse().slice(BACKUPS_KEPT);
    for (const n of old) await ports.files.remove(`${dir}/${n}`);
  }
}

function tlsFiles(action: TlsAction): string[] {
  return action.op === 'create-ca' ? [CA_CERT, CA_KEY] : action.op === 'issue-cert' ? [SERVER_CERT, SERVER_KEY] : [action.to];
}

async function snapshot(ports: Ports, paths: string[]): Promise<WriteFile[]> {
  return Promise.all(paths.map(async (p) => ({ kind: 'write-file' as const, path: p, before: await ports.files.read(p), after: '', mode: 0o600, why: 'TLS material' })));
}

/** dockerd's last words, and the likely cause when it is one we know. */
async function logTail(ports: Ports, argv: string[]): Promise<string> {
  const r = await ports.processes.probe(argv);
  const text = (r.stdout || r.stderr).trim();
  if (!text) return '';
  const cause = /specified both as a flag and in the configuration file/.test(text)
    ? '\nlikely cause: --insecure-registry is both a flag and in daemon.json (run: setup-registry repair)'
    : /invalid character|unable to configure the Docker daemon with file/.test(text)
      ? '\nlikely cause: daemon.json is not valid (run: setup-registry check)'
      : '';
  return `\nlast lines of ${argv.join(' ')}:\n${text.split('\n').slice(-10).map((l) => `  ${l}`).join('\n')}${cause}`;
}

async function waitUntilDropped(ports: Ports, entries: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + Math.min(timeoutMs, 10_000);
  for (;;) {
    const live = (await serverFacts(ports.docker)).liveInsecure;
    if (live && !entries.some((e) => live.registries.includes(e))) return;
    if (Date.now() > deadline) throw new Error('still live');
    await new Promise((r) => setTimeout(r, 50));
  }
}

