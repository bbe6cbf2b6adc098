import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { containerCgroups, DockerHost, endHost, initOf, OS_RELEASE, removeCgroup, REPO, TEST_ADDRESS, waitFor } from './host.js';

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

/**
 * A throwaway sysvinit-style Docker host: private mount, network and pid namespaces; /etc and /var
 * are copy-on-write overlays of this machine's (nothing the test or the tool writes reaches the
 * real ones), /run is empty (no systemd there), /var/lib/docker is a fresh directory, and
 * 198.18.0.1 is an address of this host only. dockerd is started the Debian way, by
 * /etc/init.d/docker reading DOCKER_OPTS. Killing the namespace's init ends everything in it.
 */
export class TestHost extends DockerHost {
  private constructor(
    readonly dir: string,
    private readonly holder: ChildProcess,
    pid1: number,
  ) {
    super(pid1, REPO);
  }

  protected nsenterFlags(): string[] {
    return ['-m', '-n', '-p'];
  }

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
    const pid1 = await initOf(holder, 5000, () => stderr);
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

  async startDocker(): Promise<void> {
    const r = await this.exec(['service', 'docker', 'start']);
    if (r.exitCode !== 0) throw new Error(`service docker start failed: ${r.stdout}${r.stderr}\n${this.readFile('/var/log/docker.log')}`);
    await this.waitForDocker();
  }

  /** The pid of the running dockerd, from its pidfile (null when it is not running). */
  async dockerdPid(): Promise<number | null> {
    const pid = this.readFile('/run/docker.pid')?.trim();
    if (!pid) return null;
    const r = await this.exec(['kill', '-0', pid]);
    return r.exitCode === 0 ? Number(pid) : null;
  }

  async destroy(): Promise<void> {
    this.forget();
    const containers = containerCgroups(this.pid1);
    await endHost(this.holder, this.pid1);
    for (const dir of containers) removeCgroup(dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian's init script, with its ulimit lines made non-fatal: this machine refuses to raise them. */
function patchedInitScript(): string {
  return readFileSync('/etc/init.d/docker', 'utf8').replace(/^(\s*ulimit [^\n]*)$/gm, '$1 || true');
}


let links = 0;

/**
 * Wires two test hosts together with a veth pair: `a` gets 198.18.1.1/24 and `b` 198.18.1.2/24,
 * so `b` can act as a client host of a registry on `a`. Traffic stays inside the two namespaces.
 */
export async function connect(a: TestHost, b: TestHost): Promise<{ a: string; b: string }> {
  const [ea, eb] = [`sra${process.pid % 10000}x${++links}`, `srb${process.pid % 10000}x${links}`];
  const run = async (argv: string[]) => {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false });
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  };
  await run(['ip', 'link', 'add', ea, 'type', 'veth', 'peer', 'name', eb]);
  await run(['ip', 'link', 'set', ea, 'netns', String(a.pid1)]);
  await run(['ip', 'link', 'set', eb, 'netns', String(b.pid1)]);
  for (const [h, dev, ip] of [[a, ea, '198.18.1.1'], [b, eb, '198.18.1.2']] as const) {
    await h.exec(['ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
    await h.exec(['ip', 'link', 'set', dev, 'up']);
  }
  return { a: '198.18.1.1', b: '198.18.1.2' };
}
