import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { IMPORT_CHANGES, registryRootfsTar } from './registry-image.js';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const TEST_ADDRESS = '198.18.0.1';

export const OS_RELEASE: Record<string, string> = {
  debian12: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
  ubuntu22: 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
  centos7: 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
};

/**
 * The environment a command inside a test host gets: what `sudo` leaves an operator (env_reset,
 * secure_path), not the test runner's. The runner's own variables do not belong on a fresh host,
 * and some change what is measured: NODE_EXTRA_CA_CERTS alone makes every Node.js start parse a
 * CA bundle (about 100 ms on this machine), before any of the tool's code runs.
 * The docker CLI's config (logins) stays inside the host: /run is the host's own.
 */
export function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: process.env.LANG ?? 'C.UTF-8',
    TERM: process.env.TERM ?? 'dumb',
    DOCKER_CONFIG: '/run/test-docker-client',
    ...extra,
  };
  // Per-phase timings of the tool, when a profiling run asks for them.
  if (process.env.SETUP_REGISTRY_TRACE) env.SETUP_REGISTRY_TRACE = process.env.SETUP_REGISTRY_TRACE;
  return env;
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * What every kind of test host offers: commands run inside it (nsenter into its namespaces),
 * its files seen from outside through /proc/PID/root, and its own dockerd.
 */
// The last safety net against leaked hosts: whatever is still live when the test process exits is killed.
process.once('exit', () => {
  for (const h of DockerHost.live) {
    try {
      process.kill(h.pid1, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export abstract class DockerHost {
  /** Hosts not destroyed yet: what a failed test's report looks at. */
  static readonly live = new Set<DockerHost>();
  /** Commands under way (a hung one is named when its test times out) and the last ones done. */
  private readonly running = new Map<number, { argv: string[]; started: number }>();
  private readonly history: string[] = [];
  private nextCommand = 0;

  protected constructor(
    readonly pid1: number,
    /** where the project is seen from inside the host */
    protected readonly toolPath: string,
  ) {
    DockerHost.live.add(this);
  }

  protected abstract nsenterFlags(): string[];
  abstract dockerdPid(): Promise<number | null>;
  abstract destroy(): Promise<void>;

  /** Runs a command inside the host; never throws on a non-zero exit. */
  async exec(argv: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Run> {
    const started = Date.now();
    const id = this.nextCommand++;
    this.running.set(id, { argv, started });
    const r = await execa('nsenter', ['-t', String(this.pid1), ...this.nsenterFlags(), '--', ...argv], {
      reject: false,
      input: opts.input,
      timeout: opts.timeoutMs ?? 120_000,
      env: hostEnv(),
      extendEnv: false,
    });
    this.running.delete(id);
    this.history.push(`${Date.now() - started} ms, exit ${r.exitCode}: ${argv.join(' ').slice(0, 200)}`);
    if (this.history.length > 8) this.history.shift();
    // A slow command is named in the log: a hang then says where it was.
    if (Date.now() - started > 20_000) console.warn(`slow in test host ${this.pid1} (${Date.now() - started} ms, exit ${r.exitCode}): ${argv.join(' ')}\n${String(r.stderr).slice(-500)}`);
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /**
   * Runs the tool in a real pseudo-terminal (script(1)) inside the host, to be answered the way a
   * person types: `expectText` waits for a prompt, `type` sends keys, `done` waits for the exit.
   */
  terminal(...args: string[]) {
    const child = execa('nsenter', ['-t', String(this.pid1), ...this.nsenterFlags(), '--', 'script', '-qfec', `stty cols 150 rows 50; node ${this.toolPath}/bin/setup-registry.cjs ${args.join(' ')}`, '/dev/null'], {
      reject: false,
      env: hostEnv({ TERM: 'xterm' }),
      extendEnv: false,
    });
    const session = { screen: '' };
    child.stdout!.on('data', (d) => (session.screen += d));
    return Object.assign(session, {
      /** Resolves true once the text is on the screen, false after 15 s. */
      async expectText(text: string): Promise<boolean> {
        for (let i = 0; i < 300 && !session.screen.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
        return session.screen.includes(text);
      },
      type(keys: string) {
        child.stdin!.write(keys);
      },
      /** Waits for a prompt, then types the answer; fails with the screen when the prompt never comes. */
      async answer(prompt: string, keys: string): Promise<void> {
        if (!(await this.expectText(prompt))) throw new Error(`no "${prompt}" on the screen:\n${session.screen}`);
        child.stdin!.write(keys);
      },
      async done(): Promise<number> {
        return (await child).exitCode ?? -1;
      },
    });
  }

  /** What this host was doing: commands under way, the last ones done, and its own state (processes, service logs). */
  async report(): Promise<string> {
    const now = Date.now();
    const running = [...this.running.values()].map((c) => `  ${now - c.started} ms so far: ${c.argv.join(' ').slice(0, 200)}`);
    const done = this.history.map((h) => `  ${h}`);
    const state = await this.stateReport().catch((err: Error) => `(could not read the host's state: ${err.message})`);
    return [`test host ${this.pid1}`, 'commands under way:', ...(running.length ? running : ['  none']), 'last commands done:', ...done, state].join('\n');
  }

  protected async stateReport(): Promise<string> {
    const ps = await this.exec(['ps', '-eo', 'pid,etimes,stat,args', '--forest'], { timeoutMs: 5000 });
    return `processes:\n${ps.stdout.split('\n').slice(0, 30).join('\n')}\ndocker log:\n${(await this.dockerLog()).split('\n').slice(-12).join('\n')}`;
  }

  protected forget(): void {
    DockerHost.live.delete(this);
  }

  async sh(script: string): Promise<Run> {
    return this.exec(['sh', '-c', script]);
  }

  /** Runs the built tool inside the host, as an operator would. */
  tool(...args: string[]): Promise<Run> {
    return this.exec(['node', `${this.toolPath}/bin/setup-registry.cjs`, ...args]);
  }

  /**
   * The tool run by an unprivileged user (nobody), as an operator who forgot sudo. It runs from a
   * copy in the host, since the checkout may sit where nobody cannot read (under /root, say).
   */
  async toolAsNobody(...args: string[]): Promise<Run> {
    const copy = '/var/tmp/setup-registry'; // /var is the host's own (copy-on-write)
    const cp = await this.sh(`[ -d ${copy} ] || { mkdir -p ${copy} && cp -r ${this.toolPath}/bin ${this.toolPath}/dist ${this.toolPath}/templates ${this.toolPath}/package.json ${copy}/; }`);
    if (cp.exitCode !== 0) throw new Error(`copying the tool for nobody failed: ${cp.stderr}`);
    return this.exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'node', `${copy}/bin/setup-registry.cjs`, ...args]);
  }

  path(p: string): string {
    return `/proc/${this.pid1}/root${p}`;
  }

  readFile(p: string): string | null {
    try {
      return readFileSync(this.path(p), 'utf8');
    } catch {
      return null;
    }
  }

  writeFile(p: string, text: string, mode = 0o644): void {
    mkdirSync(path.dirname(this.path(p)), { recursive: true });
    rmSync(this.path(p), { force: true });
    writeFileSync(this.path(p), text, { mode });
  }

  async docker(...args: string[]): Promise<Run> {
    return this.exec(['docker', ...args]);
  }

  async waitForDocker(timeoutMs = 30_000): Promise<void> {
    await waitForValue(async () => ((await this.exec(['docker', 'version', '--format', '{{.Server.Version}}'])).exitCode === 0 ? true : null), timeoutMs).catch(async () => {
      throw new Error(`dockerd did not answer:\n${await this.dockerLog()}`);
    });
  }

  protected async dockerLog(): Promise<string> {
    return this.readFile('/var/log/docker.log')?.split('\n').slice(-20).join('\n') ?? '';
  }

  /** The registry image made from Debian's binary; `changes` adds Dockerfile lines (an ENV, say). */
  async loadRegistryImage(tag: string, changes: string[] = []): Promise<void> {
    const tar = registryRootfsTar();
    const inside = `/tmp/registry-rootfs-${process.pid}.tar`;
    writeFileSync(this.path(inside), readFileSync(tar));
    const r = await this.exec(['docker', 'import', ...[...IMPORT_CHANGES, ...changes].flatMap((c) => ['-c', c]), inside, tag]);
    rmSync(this.path(inside), { force: true });
    if (r.exitCode !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  }

  /** A small image made inside the host (no network), for pushes that prove the trust. */
  async makeImage(tag: string, content = tag): Promise<void> {
    const r = await this.sh(`d=$(mktemp -d) && echo '${content}' > $d/payload && tar -C $d -c payload | docker import - ${tag} >/dev/null && rm -rf $d`);
    if (r.exitCode !== 0) throw new Error(`making ${tag} failed: ${r.stderr}`);
  }

  /** Tags, pushes to the registry at `entry`; returns whether the push worked and what docker said. */
  async push(entry: string, name: string): Promise<{ ok: boolean; output: string }> {
    await this.makeImage(`local/${name}:1`);
    await this.docker('tag', `local/${name}:1`, `${entry}/${name}:1`);
    const r = await this.docker('push', `${entry}/${name}:1`);
    return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
  }

  async liveInsecure(): Promise<Record<string, { Secure: boolean }>> {
    return JSON.parse((await this.docker('info', '--format', '{{json .RegistryConfig.IndexConfigs}}')).stdout);
  }
}

/**
 * The host's init: the launcher's child, as seen from this machine. With `comm`, only once that
 * child runs that program: a launcher script's own short-lived children (a mkdir before its exec)
 * must never be taken for the init.
 */
export async function initOf(launcher: ChildProcess, timeoutMs: number, why: () => string, comm?: string): Promise<number> {
  return waitForValue(async () => {
    if (launcher.exitCode !== null) throw new Error(`the test host's launcher exited: ${why()}`);
    const r = await execa('pgrep', ['-P', String(launcher.pid)], { reject: false });
    const pid = Number(r.stdout.trim().split('\n')[0]);
    if (!(pid > 0)) return null;
    if (!comm) return pid;
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm ? pid : null;
    } catch {
      return null; // that child is already gone
    }
  }, timeoutMs);
}

/**
 * Ends a test host: its init is killed (which ends every process in its pid namespace), then its
 * launcher is waited for, but never forever: a launcher still there after 10 s is killed too.
 */
/**
 * The cgroup directories of a test host's containers, read before the host ends: killed with it,
 * runc never removes them, and they pile up on this machine (thousands of dead memory cgroups slow
 * its kernel). Frozen ones (a paused container) are thawed, or their processes could not die, and
 * neither could the host's pid 1 (its kernel waits for them).
 */
export function containerCgroups(pid1: number): string[] {
  const dirs = new Set<string>();
  // The host's processes and its containers' (in pid namespaces of their own): every descendant of its pid 1.
  const parent = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      parent.set(Number(pid), Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const inHost = (pid: number) => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) if (p === pid1) return true;
    return false;
  };
  for (const pid of parent.keys()) {
    if (!inHost(pid)) continue;
    try {
      for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
        const [, controllers = '', rel = ''] = line.split(':');
        // Only what dockerd made for a container (cgroupfs: .../docker/ID; systemd: docker-ID.scope), never the host's own.
        if (!/\/docker(\/|-[0-9a-f]{64}\.scope)/.test(rel)) continue;
        for (const c of controllers ? controllers.split(',') : ['unified']) dirs.add(`/sys/fs/cgroup/${c.replace(/^name=/, '')}${rel}`);
      }
    } catch {
      /* gone meanwhile */
    }
  }
  const found = [...dirs].filter((d) => existsSync(d));
  for (const d of found) if (existsSync(`${d}/freezer.state`)) writeFileSync(`${d}/freezer.state`, 'THAWED');
  return found;
}

/** cgroup directories go with rmdir, children first, once their processes are gone; any process still in one is killed first. */
export function removeCgroup(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(`${dir}/${e.name}`);
  for (const pid of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 50 && readFileSync(`${dir}/cgroup.procs`, 'utf8').trim(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  try {
    rmdirSync(dir);
  } catch {
    /* still busy: left for the machine to reap */
  }
}

export async function endHost(launcher: ChildProcess, pid1: number): Promise<void> {
  const exited = (ms: number) =>
    launcher.exitCode !== null || launcher.signalCode !== null
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          launcher.once('exit', () => (clearTimeout(timer), resolve(true)));
        });
  for (const pid of [pid1, launcher.pid]) {
    // pid 0 would mean this process group: a host whose init was never found has only its launcher.
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    if (await exited(10_000)) return;
  }
  console.warn(`test host ${pid1}: its launcher (pid ${launcher.pid}) did not exit`);
}

export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitForValue<T>(get: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
