import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { execa } from 'execa';
import { containerCgroups, DockerHost, endHost, initOf, removeCgroup, REPO, TEST_ADDRESS, waitForValue } from './host.js';

export const TREE = '/var/cache/setup-registry-e2e/bookworm-systemd';
const PACKAGES = 'systemd,systemd-sysv,dbus,docker.io,procps,iproute2,iptables,curl,ca-certificates,libstdc++6';

/** The Debian mirror this machine's apt is configured with (the tests name no host of their own). */
function aptMirror(): string {
  for (const dir of ['/etc/apt/sources.list.d']) {
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      if (!f.endsWith('.sources')) continue;
      const text = readFileSync(`${dir}/${f}`, 'utf8');
      for (const block of text.split(/\n\s*\n/)) {
        if (/^Suites:.*\bbookworm\b/m.test(block) && /^Components:.*\bmain\b/m.test(block)) {
          const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1];
          if (uri && !uri.includes('security')) return uri;
        }
      }
    }
  }
  const list = existsSync('/etc/apt/sources.list') ? readFileSync('/etc/apt/sources.list', 'utf8') : '';
  const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(list);
  if (m) return m[1]!;
  throw new Error('no bookworm mirror found in the apt configuration');
}

/**
 * Packages that are not installed in the tree but whose .deb files wait in its apt cache, so a test
 * host (which has no network) can install them the way an operator would.
 */
const CACHED_ONLY = ['docker-registry'];

async function ensureCachedDebs(tree: string): Promise<void> {
  const archives = `${tree}/var/cache/apt/archives`;
  const missing = CACHED_ONLY.filter((p) => !readdirSync(archives).some((f) => f.startsWith(`${p}_`)));
  if (missing.length) await execa('apt-get', ['download', ...missing], { cwd: archives, timeout: 300_000 });
}

/** A Debian bookworm tree with systemd and docker.io, built once per machine by debootstrap. */
export async function ensureSystemdTree(): Promise<string> {
  const tree = await buildTree();
  await ensureCachedDebs(tree);
  return tree;
}

async function buildTree(): Promise<string> {
  if (existsSync(`${TREE}/usr/sbin/dockerd`)) return TREE;
  const lock = `${TREE}.lock`;
  mkdirSync('/var/cache/setup-registry-e2e', { recursive: true });
  // One builder at a time; the others wait for the finished tree.
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(`${TREE}/usr/sbin/dockerd`)) return TREE;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(`${TREE}/usr/sbin/dockerd`)) return TREE;
    const tmp = `${TREE}.building`;
    rmSync(tmp, { recursive: true, force: true });
    await execa('debootstrap', ['--variant=minbase', `--include=${PACKAGES}`, 'bookworm', tmp, aptMirror()], { timeout: 600_000 });
    renameSync(tmp, TREE);
    return TREE;
  } finally {
    rmdirSync(lock);
  }
}

export interface SystemdHostOptions {
  /** files written before dockerd is (re)started with them, e.g. a unit variant or /etc/default/docker */
  files?: Record<string, string>;
  /** restart docker.service after writing the files (default: when files are given) */
  restartDocker?: boolean;
  registryImage?: boolean;
  /** keep what the host writes across a reboot (see reboot()), instead of a fresh host every boot */
  persistent?: boolean;
}

/**
 * A host that keeps its writes: its root is an overlay of the tree with an upper directory of its
 * own, mounted in a private mount namespace of the launcher, and /var/lib/docker a directory of its own.
 */
interface Persistent {
  dir: string;
}

/**
 * nspawn mounts the cgroup v1 controllers read-only, and dockerd needs them writable to start
 * containers. The first boot's set-up remounts them from outside; after a reboot dockerd starts the
 * registry at boot, before any set-up could run, so a unit of the test host's own does it first.
 */
const CGROUPS_WRITABLE = '/etc/systemd/system/sr-test-cgroups-writable.service';
const CGROUPS_WRITABLE_UNIT = `[Unit]
Description=test host: cgroup controllers writable, as on a real machine
DefaultDependencies=no
Before=containerd.service docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for m in /sys/fs/cgroup/*/; do case $m in */unified/|*/systemd/) ;; *) mount -o remount,bind,rw "$m";; esac; done'
[Install]
WantedBy=sysinit.target
`;

let counter = 0;

/**
 * A throwaway host running real systemd 252 with docker.service, booted by systemd-nspawn from the
 * debootstrapped tree. --volatile=overlay makes every boot a fresh host whose writes vanish;
 * --private-network gives it its own loopback, where 198.18.0.1 is added. The project and node
 * are bound in read-only. The launcher moves into cgroups of its own first, because --keep-unit
 * (needed here: this machine runs no systemd of its own) splits the caller's cgroup.
 */
export class SystemdHost extends DockerHost {
  private constructor(
    private readonly nspawn: ChildProcess,
    pid1: number,
    private readonly cgroup: string,
    private persistent: Persistent | null,
  ) {
    super(pid1, '/opt/setup-registry');
  }

  protected nsenterFlags(): string[] {
    return ['-a'];
  }

  static async create(opts: SystemdHostOptions = {}): Promise<SystemdHost> {
    const tree = await ensureSystemdTree();
    const persistent = opts.persistent ? newPersistent() : null;
    const host = await SystemdHost.boot(tree, persistent).catch(async (err: Error) => {
      // A boot that stalls is the machine's hiccup, not the product's: one fresh boot more, said in the log.
      console.warn(`systemd test host did not boot (${err.message}); booting a fresh one`);
      if (persistent) resetPersistent(persistent);
      return SystemdHost.boot(tree, persistent);
    });
    try {
      // Containers need the cgroup v1 controllers writable; nspawn mounts them read-only.
      await host.sh('for m in /sys/fs/cgroup/*/; do case $m in */unified/|*/systemd/) ;; *) mount -o remount,bind,rw "$m";; esac; done');
      if (persistent) {
        host.writeFile(CGROUPS_WRITABLE, CGROUPS_WRITABLE_UNIT);
        await host.exec(['systemctl', 'enable', 'sr-test-cgroups-writable']);
      }
      await host.network();
      for (const [p, text] of Object.entries(opts.files ?? {})) host.writeFile(p, text);
      if (opts.restartDocker ?? Boolean(opts.files)) {
        await host.exec(['systemctl', 'daemon-reload']);
        await host.exec(['systemctl', 'restart', 'docker']);
      }
      if ((await host.exec(['systemctl', 'is-active', 'docker'])).stdout.trim() === 'active') {
        await host.waitForDocker();
        if (opts.registryImage !== false) await host.loadRegistryImage('registry:3');
      }
    } catch (err) {
      await host.destroy();
      throw err;
    }
    return host;
  }

  /** Its own loopback address, which --private-network does not keep across boots. */
  private async network(): Promise<void> {
    await this.exec(['ip', 'link', 'set', 'lo', 'up']);
    await this.exec(['ip', 'addr', 'add', `${TEST_ADDRESS}/32`, 'dev', 'lo']);
  }

  /**
   * Shuts the host down as an operator's reboot would (systemd stops dockerd and its containers),
   * and boots it again from what it wrote: only what starts at boot runs. A persistent host only.
   */
  async reboot(): Promise<SystemdHost> {
    const persistent = this.persistent;
    if (!persistent) throw new Error('reboot() needs a host created with persistent: true');
    await this.exec(['systemctl', 'poweroff'], { timeoutMs: 5000 });
    await waitForValue(async () => (this.nspawn.exitCode !== null || this.nspawn.signalCode !== null ? true : null), 60_000);
    this.persistent = null;
    await this.destroy();
    const host = await SystemdHost.boot(await ensureSystemdTree(), persistent).catch((err: Error) => {
      rmSync(persistent.dir, { recursive: true, force: true });
      throw err;
    });
    await host.network();
    return host;
  }

  /** Boots the tree until systemd says the system is up; destroys what it started when that does not happen within 30 s. */
  private static async boot(tree: string, persistent: Persistent | null): Promise<SystemdHost> {
    const name = `srsd-${process.pid}-${++counter}`;
    const cgroup = `sr-${name}`;
    const common =
      `-q -M ${name} -b --private-network --register=no --keep-unit --console=passive --capability=all --system-call-filter='@keyring bpf'` +
      ` --bind-ro=${REPO}:/opt/setup-registry --bind-ro=${process.execPath}:/usr/local/bin/node`;
    const nspawn = persistent
      ? // The overlay is mounted in the launcher's own mount namespace: it goes when the host does.
        `exec unshare -m --propagation private sh -c "mount -t overlay sr-sd -o lowerdir=${tree},upperdir=${persistent.dir}/upper,workdir=${persistent.dir}/work ${persistent.dir}/root` +
        ` && exec systemd-nspawn -D ${persistent.dir}/root ${common.replace(/"/g, '\\"')} --bind=${persistent.dir}/docker:/var/lib/docker"`
      : `exec systemd-nspawn -D ${tree} ${common} --volatile=overlay --tmpfs=/var/lib/docker`;
    const script = [`for h in systemd unified; do mkdir -p /sys/fs/cgroup/$h/${cgroup} && echo $$ > /sys/fs/cgroup/$h/${cgroup}/cgroup.procs; done`, nspawn].join('\n');
    const launcher = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    launcher.stderr!.on('data', (d) => (stderr += d));
    const pid1 = await initOf(launcher, 15_000, () => stderr, 'systemd').catch(async (err: Error) => {
      await endHost(launcher, 0);
      throw err;
    });
    const host = new SystemdHost(launcher, pid1, cgroup, persistent);
    try {
      // Early in boot `systemctl` can block talking to systemd: each try is cut short and retried.
      await waitForValue(async () => (/^(running|degraded)/.test((await host.exec(['systemctl', 'is-system-running'], { timeoutMs: 5000 })).stdout) ? true : null), 30_000);
    } catch (err) {
      const state = (await host.exec(['systemctl', 'list-jobs', '--no-pager'], { timeoutMs: 5000 })).stdout;
      await host.destroy();
      throw new Error(`not up after 30 s: ${(err as Error).message}; jobs: ${state.trim() || 'none listed'}`);
    }
    return host;
  }

  async dockerdPid(): Promise<number | null> {
    const pid = Number((await this.exec(['systemctl', 'show', '-p', 'MainPID', '--value', 'docker'])).stdout.trim());
    return pid > 0 ? pid : null;
  }

  protected async dockerLog(): Promise<string> {
    return (await this.exec(['journalctl', '-u', 'docker', '--no-pager', '-n', '20'], { timeoutMs: 5000 })).stdout;
  }

  protected async stateReport(): Promise<string> {
    const jobs = await this.exec(['systemctl', 'list-jobs', '--no-pager'], { timeoutMs: 5000 });
    // dockerd's own lines are in the docker log above.
    const journal = await this.exec(['sh', '-c', 'journalctl --no-pager -n 80 | grep -v " dockerd\\[" | tail -n 15'], { timeoutMs: 5000 });
    return `${await super.stateReport()}\nsystemd jobs:\n${jobs.stdout}${jobs.stderr}\njournal (without dockerd):\n${journal.stdout}`;
  }

  async destroy(): Promise<void> {
    this.forget();
    const containers = containerCgroups(this.pid1);
    await endHost(this.nspawn, this.pid1);
    for (const dir of [...containers, ...['systemd', 'unified'].map((h) => `/sys/fs/cgroup/${h}/${this.cgroup}`)]) removeCgroup(dir);
    if (this.persistent) rmSync(this.persistent.dir, { recursive: true, force: true });
  }
}

function newPersistent(): Persistent {
  const dir = mkdtempSync('/tmp/sr-sd-');
  resetPersistent({ dir });
  return { dir };
}

function resetPersistent(p: Persistent): void {
  for (const d of ['upper', 'work', 'root', 'docker']) {
    rmSync(`${p.dir}/${d}`, { recursive: true, force: true });
    mkdirSync(`${p.dir}/${d}`);
  }
}

