import { expect, it } from 'vitest';
import { describeE2E } from './harness/prerequisites.js';
import { TestHost } from './harness/namespace-host.js';
import { TEST_ADDRESS } from './harness/host.js';

const ENTRY = `${TEST_ADDRESS}:5000`;
const KEYS = { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m' }, debug: false };
const ORIGINAL = `${JSON.stringify(KEYS, null, 2)}\n`;

describeE2E('faults made to happen for real: the host is never left broken', () => {
  let host: TestHost | undefined;

  /** dockerd runs, daemon.json parses and keeps every key, and the old or the new trust is fully in effect. */
  async function assertSound(h: TestHost, expect_: 'old' | 'new' | 'either') {
    await h.waitForDocker(20_000);
    const text = h.readFile('/etc/docker/daemon.json')!;
    const config = JSON.parse(text);
    for (const [k, v] of Object.entries(KEYS)) expect(config[k]).toEqual(v);
    const inFile = (config['insecure-registries'] ?? []).includes(ENTRY);
    const live = ENTRY in (await h.liveInsecure());
    expect(live, 'the live trust matches the file').toBe(inFile);
    if (expect_ === 'old') expect(inFile).toBe(false);
    if (expect_ === 'new') expect(inFile).toBe(true);
    expect((await h.sh('ls -a /etc/docker')).stdout).not.toMatch(/\.tmp/);
  }

  /** The registry container is started while the trust is written: a failed write takes it away again. */
  async function assertNoRegistryContainer(h: TestHost) {
    expect((await h.docker('ps', '-a', '--filter', 'name=^registry$', '--format', '{{.Names}}')).stdout.trim()).toBe('');
  }

  it('a full disk under /etc/docker (tmpfs filled up): a clear error, nothing changed', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const pid = await host.dockerdPid();
    await host.sh('mount -t tmpfs -o size=64k sr-full /etc/docker && printf %s \'' + ORIGINAL.replace(/'/g, "'\\''") + '\' > /etc/docker/daemon.json && (dd if=/dev/zero of=/etc/docker/filler bs=1k count=1000 2>/dev/null; true)');
    expect((await host.sh('df -k /etc/docker | tail -1')).stdout).toMatch(/100%/);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/ENOSPC|no space left/i);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(await host.dockerdPid()).toBe(pid);
    await assertSound(host, 'old');
    await assertNoRegistryContainer(host);
  });

  it('/etc/docker read-only: a clear error, nothing changed', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    await host.sh('mount --bind /etc/docker /etc/docker && mount -o remount,ro,bind /etc/docker');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/EROFS|read-only/i);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    await assertSound(host, 'old');
    await assertNoRegistryContainer(host);
  });

  it('daemon.json a symlink (configuration management keeps the file elsewhere): its target is edited, the link kept, a push works, and a rerun changes nothing', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const h = host;
    await h.sh('mkdir -p /etc/docker-managed && mv /etc/docker/daemon.json /etc/docker-managed/daemon.json && ln -s /etc/docker-managed/daemon.json /etc/docker/daemon.json');
    const r = await h.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    // Read inside the host: the link's absolute target is the host's own /etc.
    expect((await h.sh('readlink /etc/docker/daemon.json')).stdout.trim()).toBe('/etc/docker-managed/daemon.json');
    const target = JSON.parse((await h.sh('cat /etc/docker-managed/daemon.json')).stdout);
    expect(target).toEqual({ ...KEYS, 'insecure-registries': [ENTRY] });
    expect((await h.sh('ls /etc/docker-managed')).stdout).toMatch(/daemon\.json\.\d{8}T\d{6}Z\.bak/);
    expect(ENTRY in (await h.liveInsecure())).toBe(true);
    expect((await h.push(ENTRY, 'linked')).ok).toBe(true);
    expect((await h.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
  });

  it('daemon.json immutable (chattr +i, to keep tools off it): the failure names the attribute, nothing changed', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const h = host;
    expect((await h.sh('chattr +i /etc/docker/daemon.json')).exitCode).toBe(0);
    try {
      const r = await h.tool('--yes', '--address', TEST_ADDRESS);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('cannot replace /etc/docker/daemon.json (EPERM): /etc/docker/daemon.json is immutable or append-only (lsattr -d /etc/docker/daemon.json; chattr -i /etc/docker/daemon.json allows the change)');
      expect(h.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
      await assertSound(h, 'old');
      await assertNoRegistryContainer(h);
    } finally {
      // The host's files are removed with it: an immutable one would stay behind.
      await h.sh('chattr -i /etc/docker/daemon.json');
    }
  });

  it('dockerd refuses its restart (a flag the tool cannot see): everything is rolled back and dockerd runs the old configuration', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL, defaultDocker: 'DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n' });
    // After dockerd started, someone adds a flag to the init script itself: only the restart reads it.
    const script = host.readFile('/etc/init.d/docker')!.replace('$DOCKER_OPTS \\', '$DOCKER_OPTS --insecure-registry 10.8.8.8:5000 \\');
    host.writeFile('/etc/init.d/docker', script, 0o755);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--timeout', '8');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('rolled back');
    expect(r.stderr).toContain('restored /etc/docker/daemon.json');
    expect(r.stderr).toMatch(/backups: .*daemon\.json\.\d{8}T\d{6}Z\.bak/);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n');
    await assertSound(host, 'old');
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.2.3:5000', '10.8.8.8:5000']));
  });

  it('dockerd killed during the reload: rolled back and started again on the old configuration', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const pid = await host.dockerdPid();
    const run = host.tool('--yes', '--address', TEST_ADDRESS, '--timeout', '5');
    for (let i = 0; i < 2000 && host.readFile('/etc/docker/daemon.json') === ORIGINAL; i++) await new Promise((r) => setTimeout(r, 2));
    await host.exec(['kill', '-9', String(pid)]);
    const r = await run;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('started dockerd again');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(await host.dockerdPid()).not.toBe(pid);
    await assertSound(host, 'old');
  });

  it('a hung dockerd (stopped with SIGSTOP): named as not answering, waited for within --timeout, everything rolled back; once it runs on, the old configuration is in effect', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const pid = await host.dockerdPid();
    await host.exec(['kill', '-STOP', String(pid)]);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--timeout', '2');
    await host.exec(['kill', '-CONT', String(pid)]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`dockerd (pid ${pid}) not answering`);
    expect(r.stdout).toContain(`service docker start: dockerd (pid ${pid}) runs but does not answer yet (still starting?)`);
    expect(r.stderr).toContain('restored /etc/docker/daemon.json');
    // the start is run once more on the restored files, not once more again
    expect(r.stderr.match(/could NOT re-run service docker start/g)).toHaveLength(1);
    expect(r.stderr).not.toContain('could NOT start dockerd again');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(await host.dockerdPid()).toBe(pid);
    await assertSound(host, 'old');
  });

  it('a registry that never answers: the trust is rolled back and the container this run created is removed', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    // A registry image that listens on another port inside: the container runs, /v2/ on 5000 never answers.
    await host.loadRegistryImage('local/deaf-registry:1', ['ENV REGISTRY_HTTP_ADDR=:5001']);
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--image', 'local/deaf-registry:1', '--timeout', '3');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`registry answering at http://${ENTRY}/v2/: not after 3 s`);
    expect(r.stderr).toContain('removed container registry, created by this run');
    expect(r.stderr).toContain('restored /etc/docker/daemon.json');
    expect((await host.docker('ps', '-a', '--format', '{{.Names}}')).stdout.trim()).toBe('');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect(await host.dockerdPid()).toBe(pid);
    await assertSound(host, 'old');
  });

  it("a data directory with no space left: the failed push says what the registry logged (not only dockerd's 500), and is rolled back", async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    await host.sh('mkdir -p /var/lib/registry && mount -t tmpfs -o size=4k sr-full /var/lib/registry && (dd if=/dev/zero of=/var/lib/registry/fill bs=1k count=8 2>/dev/null || true)');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('500 Internal Server Error');
    expect(r.stderr).toMatch(/the registry logged \(docker logs registry\): filesystem: .*no space left on device/);
    expect(r.stderr).toContain('restored /etc/docker/daemon.json');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    await assertSound(host, 'old');
  });

  it('a registry container that exits at once: the failure says so with the cause it logged (not after --timeout), and is rolled back', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    // TLS files that do not exist: the registry stops as it starts, and --restart always keeps restarting it.
    await host.loadRegistryImage('local/broken-registry:1', ['ENV REGISTRY_HTTP_TLS_CERTIFICATE=/nonexistent.crt', 'ENV REGISTRY_HTTP_TLS_KEY=/nonexistent.key']);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--image', 'local/broken-registry:1');
    expect(r.exitCode).toBe(1);
    // The cause its log gives (its fatal line), not the lines after it.
    expect(r.stderr).toMatch(/the registry container registry (exited \(exit code \d+\) and is being restarted|stopped \(exit code \d+\)|restarted \d+ times) instead of answering: open \/nonexistent.crt: no such file or directory \(docker logs registry\)/);
    expect(r.stderr).not.toContain('not after 60 s');
    expect(r.stderr).toContain('removed container registry, created by this run');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
    await assertSound(host, 'old');
  });

  it('dockerd refuses the reload (a key it does not know, written after it started): the failure quotes its log at once, and is rolled back', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    // Valid JSON, and no key both a flag and in the file, but a misspelt key (the plural is right):
    // dockerd runs only because it has not re-read the file since.
    const latent = `${JSON.stringify({ ...KEYS, 'max-concurrent-upload': 3 }, null, 2)}\n`;
    host.writeFile('/etc/docker/daemon.json', latent);
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("dockerd refused the new configuration (tail -n 200 /var/log/docker.log): unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't match any configuration option: max-concurrent-upload");
    expect(r.stderr).not.toContain('not after 60 s');
    expect(r.stderr).toContain('restored /etc/docker/daemon.json');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(latent);
    expect(await host.dockerdPid()).toBe(pid);
    await assertNoRegistryContainer(host);
    expect(ENTRY in (await host.liveInsecure())).toBe(false);
  });

  it('SIGTERM, or SIGINT (Ctrl-C), during an install rolls back like a failure', async () => {
    for (const signal of ['TERM', 'INT']) {
      host = await TestHost.create({ daemonJson: ORIGINAL });
      const run = host.tool('--yes', '--address', TEST_ADDRESS);
      for (let i = 0; i < 2000 && host.readFile('/etc/docker/daemon.json') === ORIGINAL; i++) await new Promise((r) => setTimeout(r, 2));
      await host.exec(['pkill', `-${signal}`, '-f', 'bin/setup-registry.cjs']);
      const r = await run;
      expect(r.exitCode, signal).toBe(1);
      expect(r.stderr).toContain(`interrupted by SIG${signal}`);
      expect(host.readFile('/etc/docker/daemon.json')).toBe(ORIGINAL);
      await assertSound(host, 'old');
      await assertNoRegistryContainer(host);
      expect(host.readFile('/run/setup-registry.lock')).toBeNull();
      await host.destroy();
      host = undefined;
    }
  });

  it('the tool killed with SIGKILL at points spread over an install, then repair --yes: a healthy host every time', async () => {
    for (const delayMs of [0, 150, 350, 600, 900, 1300]) {
      host = await TestHost.create({ daemonJson: ORIGINAL });
      const run = host.tool('--yes', '--address', TEST_ADDRESS);
      await new Promise((r) => setTimeout(r, delayMs));
      await host.exec(['pkill', '-KILL', '-f', 'bin/setup-registry.cjs']);
      await run;
      // Whatever moment it died at: every file is the old or the new version, never a torn one.
      await host.waitForDocker();
      const config = JSON.parse(host.readFile('/etc/docker/daemon.json')!);
      for (const [k, v] of Object.entries(KEYS)) expect(config[k], `after a kill at ${delayMs} ms`).toEqual(v);
      const repair = await host.tool('repair', '--yes', '--address', TEST_ADDRESS);
      expect(repair.exitCode, `repair after a kill at ${delayMs} ms: ${repair.stdout}${repair.stderr}`).toBe(0);
      const check = await host.tool('check');
      expect(check.exitCode, `check after a kill at ${delayMs} ms: ${check.stdout}`).toBe(0);
      await assertSound(host, 'new');
      expect((await host.push(ENTRY, `k${delayMs}`)).ok).toBe(true);
      await host.destroy();
      host = undefined;
    }
  });

  it('an uninstall cut short between its write and the reload (or, for DOCKER_OPTS, the restart): the next uninstall makes dockerd drop the entry it still holds', async () => {
    // The state such a kill leaves, made exactly: the entry out of the file, still live, the install still recorded.
    host = await TestHost.create({ daemonJson: ORIGINAL });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    host.writeFile('/etc/docker/daemon.json', host.readFile('/etc/docker/daemon.json')!.replace(`"${ENTRY}"`, ''));
    expect(Object.keys(await host.liveInsecure())).toContain(ENTRY);
    const pid = await host.dockerdPid();
    const un = await host.tool('uninstall', '--yes');
    expect(un.exitCode, un.stdout + un.stderr).toBe(0);
    expect(un.stdout).toContain(`${ENTRY} no longer configured but still live in dockerd (an earlier run cut short?): it will be reloaded`);
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);
    expect(await host.dockerdPid()).toBe(pid);
    await assertSound(host, 'old');
    await host.destroy();

    host = await TestHost.create({ daemonJson: ORIGINAL, defaultDocker: 'DOCKER_OPTS="--log-level=warn"\n' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts')).exitCode).toBe(0);
    host.writeFile('/etc/default/docker', 'DOCKER_OPTS="--log-level=warn"\n');
    const cut = await host.tool('uninstall', '--yes');
    expect(cut.exitCode, cut.stdout + cut.stderr).toBe(0);
    expect(cut.stdout).toContain('it will be restarted');
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).not.toContain('--insecure-registry');
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);
    await assertSound(host, 'old');
  });

  it('SIGKILL at points spread over a move to another port and over a TLS install: every entry and CA written is recorded at that moment (write-ahead), and repair --yes converges with none left over; trust records before it writes', async () => {
    const ours = (h: TestHost) => ((JSON.parse(h.readFile('/etc/docker/daemon.json')!)['insecure-registries'] ?? []) as string[]).filter((e) => e.startsWith(`${TEST_ADDRESS}:`));
    const recorded = (h: TestHost, file: string) => (JSON.parse(h.readFile(file) ?? '{"added": [], "registries": []}') as { added?: { entry: string }[]; registries?: { entry: string }[] });
    for (const delayMs of [100, 250, 400, 550, 800]) {
      host = await TestHost.create({ daemonJson: ORIGINAL });
      expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
      const run = host.tool('--yes', '--port', '5001');
      await new Promise((r) => setTimeout(r, delayMs));
      await host.exec(['pkill', '-KILL', '-f', 'bin/setup-registry.cjs']);
      await run;
      await host.waitForDocker();
      const named = recorded(host, '/etc/setup-registry/state.json').added!.map((a) => a.entry);
      for (const entry of ours(host)) expect(named, `after a kill at ${delayMs} ms, ${entry} is in daemon.json`).toContain(entry);
      const repair = await host.tool('repair', '--yes');
      expect(repair.exitCode, `repair after a kill at ${delayMs} ms: ${repair.stdout}${repair.stderr}`).toBe(0);
      expect((await host.tool('check')).exitCode, `check after a kill at ${delayMs} ms`).toBe(0);
      const state = JSON.parse(host.readFile('/etc/setup-registry/state.json')!) as { port: number; added: { entry: string }[] };
      expect(ours(host), `after a kill at ${delayMs} ms and repair`).toEqual([`${TEST_ADDRESS}:${state.port}`]);
      expect(state.added.map((a) => a.entry)).toEqual([`${TEST_ADDRESS}:${state.port}`]);
      await host.destroy();
      host = undefined;
    }
    // A TLS install on a new host: its CA in certs.d is never there without the record that names it.
    for (const delayMs of [300, 600]) {
      host = await TestHost.create({ daemonJson: ORIGINAL });
      const run = host.tool('--yes', '--address', TEST_ADDRESS, '--tls');
      await new Promise((r) => setTimeout(r, delayMs));
      await host.exec(['pkill', '-KILL', '-f', 'bin/setup-registry.cjs']);
      await run;
      await host.waitForDocker();
      if (host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`) !== null) expect(JSON.parse(host.readFile('/etc/setup-registry/state.json') ?? '{}').tls, `after a kill at ${delayMs} ms`).toBeDefined();
      const repair = await host.tool('repair', '--yes', '--address', TEST_ADDRESS);
      expect(repair.exitCode, `repair after a kill at ${delayMs} ms: ${repair.stdout}${repair.stderr}`).toBe(0);
      expect((await host.tool('check')).exitCode).toBe(0);
      await host.destroy();
      host = undefined;
    }
    // A TLS registry moved to another port: its CA goes into certs.d under the new name while the
    // record still names the old one, so the record must name that CA first.
    // Docker trusts by the *.crt files there (a removed CA's backup, ca.crt.STAMP.bak, stays beside it).
    const certsDirs = async (h: TestHost) => (await h.sh(`cd /etc/docker/certs.d 2>/dev/null && ls -d ${TEST_ADDRESS}:*/ca.crt 2>/dev/null || true`)).stdout.split('\n').filter(Boolean).map((f) => f.replace(/\/ca\.crt$/, '')).sort();
    for (const [delayMs, then] of [[150, 'repair'], [350, 'repair'], [600, 'repair'], [350, 'uninstall']] as const) {
      host = await TestHost.create({ daemonJson: ORIGINAL });
      expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--tls')).exitCode).toBe(0);
      const run = host.tool('--yes', '--port', '5001');
      await new Promise((r) => setTimeout(r, delayMs));
      await host.exec(['pkill', '-KILL', '-f', 'bin/setup-registry.cjs']);
      await run;
      await host.waitForDocker();
      const state = JSON.parse(host.readFile('/etc/setup-registry/state.json')!) as { address: string; port: number; cas?: string[] };
      for (const dir of await certsDirs(host)) {
        const known = dir === `${state.address}:${state.port}` || (state.cas ?? []).includes(`/etc/docker/certs.d/${dir}/ca.crt`);
        expect(known, `after a kill at ${delayMs} ms, certs.d/${dir} is on disk; the record: ${JSON.stringify(state)}`).toBe(true);
      }
      if (then === 'uninstall') {
        const uninstall = await host.tool('uninstall', '--yes');
        expect(uninstall.exitCode, `uninstall after a kill at ${delayMs} ms: ${uninstall.stdout}${uninstall.stderr}`).toBe(0);
        expect(await certsDirs(host), `after a kill at ${delayMs} ms and uninstall`).toEqual([]);
        await host.destroy();
        host = undefined;
        continue;
      }
      const repair = await host.tool('repair', '--yes');
      expect(repair.exitCode, `repair after a kill at ${delayMs} ms: ${repair.stdout}${repair.stderr}`).toBe(0);
      expect((await host.tool('check')).exitCode, `check after a kill at ${delayMs} ms`).toBe(0);
      const after = JSON.parse(host.readFile('/etc/setup-registry/state.json')!) as { port: number; cas?: string[] };
      expect(await certsDirs(host), `after a kill at ${delayMs} ms and repair`).toEqual([`${TEST_ADDRESS}:${after.port}`]);
      expect(after.cas, 'the record of a move is dropped once it is done').toBeUndefined();
      await host.destroy();
      host = undefined;
    }
    // trust on a client host: its window is a few ms (too short to hit with a kill), so its plan's order is what is checked:
    // the record is written before the entry, and untrust forgets it only after the entry is gone.
    host = await TestHost.create({ daemonJson: ORIGINAL, registryImage: false });
    const steps = (out: string) => out.split('\n').filter((l) => /^\d+\. /.test(l)).map((l) => l.replace(/^\d+\. (\S+ \S+).*/, '$1'));
    expect(steps((await host.tool('trust', '10.7.7.7:5000', '--dry-run')).stdout)).toEqual(['create /etc/setup-registry/trusted.json:', 'edit /etc/docker/daemon.json:', 'kill -HUP']);
    expect((await host.tool('trust', '10.7.7.7:5000', '--yes')).exitCode).toBe(0);
    expect(steps((await host.tool('untrust', '10.7.7.7:5000', '--dry-run')).stdout)).toEqual(['edit /etc/docker/daemon.json:', 'remove /etc/setup-registry/trusted.json:', 'kill -HUP']);
  });

  it('two runs started together: one does the work, the other is refused at once', async () => {
    host = await TestHost.create({ daemonJson: ORIGINAL });
    const [a, b] = await Promise.all([host.tool('--yes', '--address', TEST_ADDRESS), host.tool('--yes', '--address', TEST_ADDRESS)]);
    const codes = [a.exitCode, b.exitCode].sort();
    expect(codes).toEqual([0, 1]);
    const refused = a.exitCode === 1 ? a : b;
    expect(refused.stderr).toMatch(/another setup-registry run \(pid \d+\) is changing this host/);
    await assertSound(host, 'new');
    expect(host.readFile('/run/setup-registry.lock')).toBeNull();
  });
});
