import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { CommandFailed } from '../errors.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  /** Called with each line of output as it comes (a package manager's progress). */
  onLine?: (line: string) => void;
}

/**
 * Every process the tool starts goes through this port (the kind `exec.Cmd` idea):
 * `run` throws a CommandFailed that names the command and carries its output;
 * `probe` returns the result whatever the exit code, for commands whose failure is a fact.
 */
export interface Processes {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  probe(argv: readonly string[], opts?: RunOptions): Promise<RunResult & { notFound: boolean }>;
  signal(pid: number, signal: NodeJS.Signals): void;
  /** Whether a command can be run (an executable file of that name on PATH), without starting it. */
  canRun(command: string): boolean;
}

/**
 * `dockerSocket`: the dockerd the Engine API port talks to. The docker CLI processes (pull, load)
 * are pinned to it: a DOCKER_CONTEXT, or a context chosen with `docker context use` (root's
 * ~/.docker/config.json), would otherwise send them to another daemon than the one configured.
 */
export function hostProcesses(dockerSocket?: () => string): Processes {
  // Read at each start: the API port may have found dockerd on another socket meanwhile.
  const docker = () => (dockerSocket ? { DOCKER_HOST: `unix://${dockerSocket()}`, DOCKER_CONTEXT: undefined } : {});
  async function exec(argv: readonly string[], opts: RunOptions = {}) {
    const [file, ...args] = argv;
    // execa is the heaviest module in the bundle: loaded only when a run really starts a process.
    const { execa } = await import('execa');
    const child = execa(file!, args, {
      reject: false,
      input: opts.input,
      timeout: opts.timeoutMs,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      env: { LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', ...docker() },
    });
    if (opts.onLine) {
      const onLine = opts.onLine;
      for (const stream of [child.stdout, child.stderr]) {
        let rest = '';
        stream?.on('data', (chunk: Buffer) => {
          const lines = (rest + chunk.toString('utf8')).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) if (l.trim()) onLine(l.trim());
        });
      }
    }
    const result = await child;
    // Not there, or there but not executable: either way the command cannot be used.
    const notFound = ['ENOENT', 'EACCES'].includes((result as { code?: string }).code ?? '');
    return {
      exitCode: result.exitCode ?? (notFound ? 127 : -1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      notFound,
      timedOut: result.timedOut,
    };
  }
  return {
    async run(argv, opts) {
      const r = await exec(argv, opts);
      if (r.exitCode !== 0) {
        const why = r.notFound ? `${argv[0]}: command not found` : r.timedOut ? `timed out after ${opts?.timeoutMs} ms` : '';
        throw new CommandFailed(argv, r.exitCode, [why, r.stderr, r.stdout].filter(Boolean).join('\n'));
      }
      return r;
    },
    probe: exec,
    signal(pid, signal) {
      process.kill(pid, signal);
    },
    canRun(command) {
      return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
        const file = path.join(dir || '.', command);
        try {
          accessSync(file, constants.X_OK);
          return statSync(file).isFile();
        } catch {
          return false;
        }
      });
    },
  };
}
