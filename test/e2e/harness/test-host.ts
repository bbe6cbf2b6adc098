import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { IMPORT_CHANGES, registryRootfsTar } from './registry-image.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
export const TOOL = path.join(REPO, 'bin/setup-registry.js');
export const TEST_ADDRESS = '198.18.0.1';

export const OS_RELEASE = {
  debian12: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
  ubuntu22: 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
};

export interface TestHostOptions {
  osRelease?: string;
  /** /etc/docker/daemon.json before dockerd starts; undefined leaves it absent */
  daemonJson?: string;
  /** /etc/default/docker before dockerd starts */
  defaultDocker?: string;
  startDocker?: boolean;
  /** import the locally built registry image as registry:3 (the tool's default image) */
  registryImage?: boolean;
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * A throwaway Docker host: private mount, network and pid namespaces; /etc and /var are
 * copy-on-write overlays of this machine's (so nothing the test or the tool writes reaches the
 * real ones), /run is empty (no systemd there: the sysvinit path), /var/lib/docker is a fresh
 * directory, and 198.18.0.1 is an address of this host only. dockerd is started the Debian way,
 * by /etc/init.d/docker reading DOCKER_OPTS. Killing the namespace's init ends everything in it.
 */
export class TestHost {
  private constructor(
    readonly dir: string,
    private readonly holder: ChildProcess,
    readonly pid1: number,
  ) {}

  static async create(opts: TestHostOptions = {}): Promise<TestHost> {
    const dir = mkdtempSync('/tmp/sr-host-');
    for (const d of ['etc.up', 'etc.work', 'var.up', 'var.work', 'docker']) mkdirSync(path.join(dir, d));
    const script = [
      'set -e',
      'mount --make-rprivate /',
      `mount -t overlay sr-etc -o lowerdir=/etc,upperdir=${dir}/etc.up,workdir=${dir}/etc.work /etc`,
      `mount -t overlay sr-var -o lowerdir=/var,upperdir=${dir}/var.up,workdir=${dir}/var.work /var`,
      'mount -t tmpfs sr-run /run',
      `mkdir -p /var/lib/docker && mount --bind ${dir}/docker /var/lib/docker`,
      'rm -rf /etc/docker /etc/setup-registry /var/lib/registry /var/log/docker.log && mkdir -p /etc/docker',
      'ip link set lo up',
      `ip addr add ${TEST_ADDRESS}/32 dev lo`,
      `echo ready > ${dir}/ready`,
      'exec /usr/bin/tini -s -- sleep infinity',
    ].join('\n');
    const holder = spawn('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', 'bash', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    holder.stderr!.on('data', (d) => (stderr += d));
    await waitFor(() => existsSync(path.join(dir, 'ready')) || holder.exitCode !== null, 10_000);
    if (holder.exitCode !== null) throw new Error(`test host did not start: ${stderr}`);
    const pid1 = await waitForValue(async () => {
      const r = await execa('pgrep', ['-P', String(holder.pid)], { reject: false });
      return r.stdout.trim().split('\n')[0] ? Number(r.stdout.trim().split('\n')[0]) : null;
    }, 5000);
    const host = new TestHost(dir, holder, pid1);
    try {
      host.writeFile('/etc/os-release', opts.osRelease ?? OS_RELEASE.debian12);
      host.writeFile('/etc/init.d/docker', patchedInitScript(), 0o755);
      if (opts.daemonJson !== undefined) host.writeFile('/etc/docker/daemon.json', opts.daemonJson);
      if (opts.defaultDocker !== undefined) host.writeFile('/etc/default/docker', opts.defaultDocker);
      if (opts.startDocker !== false) {
        await host.startDocker();
        if (opts.registryImage !== false) await host.loadRegistryImage('registry:3');
      }
    } catch (err) {
      await host.destroy();
      throw err;
    }
    return host;
  }

  /** Runs a command inside the host; never throws on a non-zero exit. */
  async exec(argv: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Run> {
    const r = await execa('nsenter', ['-t', String(this.pid1), '-m', '-n', '-p', '--', ...argv], {
      reject: false,
      input: opts.input,
      timeout: opts.timeoutMs ?? 120_000,
      env: { CI: '' },
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async sh(script: string): Promise<Run> {
    return this.exec(['sh', '-c', script]);
  }

  /** Runs the built tool inside the host, as an operator would. */
  tool(...args: string[]): Promise<Run> {
    return this.exec(['node', TOOL, ...args]);
  }

  /** The host's files, seen from outside through its mount namespace. */
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

  async startDocker(): Promise<void> {
    const r = await this.exec(['service', 'docker', 'start']);
    if (r.exitCode !== 0) throw new Error(`service docker start failed: ${r.stdout}${r.stderr}\n${this.readFile('/var/log/docker.log')}`);
    await this.waitForDocker();
  }

  async waitForDocker(timeoutMs = 30_000): Promise<void> {
    await waitForValue(async () => ((await this.exec(['docker', 'version', '--format', '{{.Server.Version}}'])).exitCode === 0 ? true : null), timeoutMs).catch(() => {
      throw new Error(`dockerd did not answer:\n${this.readFile('/var/log/docker.log')?.split('\n').slice(-20).join('\n')}`);
    });
  }

  /** The pid of the running dockerd, from its pidfile (null when it is not running). */
  async dockerdPid(): Promise<number | null> {
    const pid = this.readFile('/run/docker.pid')?.trim();
    if (!pid) return null;
    const r = await this.exec(['kill', '-0', pid]);
    return r.exitCode === 0 ? Number(pid) : null;
  }

  async docker(...args: string[]): Promise<Run> {
    return this.exec(['docker', ...args]);
  }

  async loadRegistryImage(tag: string): Promise<void> {
    const tar = registryRootfsTar();
    const r = await this.exec(['docker', 'import', ...IMPORT_CHANGES.flatMap((c) => ['-c', c]), tar, tag]);
    if (r.exitCode !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  }

  /** A small image made inside the host (no network), for pushes that prove the trust. */
  async makeImage(tag: string, content = tag): Promise<void> {
    const r = await this.sh(`d=$(mktemp -d) && echo '${content}' > $d/payload && tar -C $d -c payload | docker import - ${tag} >/dev/null && rm -rf $d`);
    if (r.exitCode !== 0) throw new Error(`making ${tag} failed: ${r.stderr}`);
  }

  async destroy(): Promise<void> {
    try {
      process.kill(this.pid1, 'SIGKILL');
    } catch {
      /* already gone */
    }
    if (this.holder.exitCode === null) await new Promise((r) => this.holder.once('exit', r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian's init script, with its ulimit lines made non-fatal: this machine refuses to raise them. */
function patchedInitScript(): string {
  return readFileSync('/etc/init.d/docker', 'utf8').replace(/^(\s*ulimit [^\n]*)$/gm, '$1 || true');
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForValue<T>(get: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
