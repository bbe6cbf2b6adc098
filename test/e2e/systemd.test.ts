import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeE2E, SYSTEMD_HOST } from './harness/prerequisites.js';
import { SystemdHost } from './harness/systemd-host.js';
import { OS_RELEASE, TEST_ADDRESS, waitForValue } from './harness/host.js';

const ENTRY = `${TEST_ADDRESS}:5000`;
const DROP_IN = '/etc/systemd/system/docker.service.d/setup-registry.conf';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

/** The upstream unit texts, adapted only where this tree's binaries live, installed for the real systemd to run. */
const dockerCeUnit = () => fixture('units/docker-ce.service').replace('/usr/bin/dockerd', '/usr/sbin/dockerd');
const redHatUnit = () =>
  fixture('units/rhel-docker-1.13.service')
    .replace(/ExecStart=\/usr\/bin\/dockerd-current \\\n(?:\s+--[^\n]*\\\n)+/, 'ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock \\\n')
    .replace('Requires=docker-cleanup.timer\n', 'Requires=docker.socket\n');

describeE2E('install under real systemd (systemd-nspawn host, docker.service)', () => {
  let host: SystemdHost | undefined;

  it('Debian docker.io unit: systemctl reload (same MainPID), docker enabled at boot, a real push works; rerun is a no-op', async () => {
    host = await SystemdHost.create();
    await host.exec(['systemctl', 'disable', 'docker']);
    const pid = await host.dockerdPid();
    const before = await host.push(ENTRY, 'x');
    expect(before.ok).toBe(false);

    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, changed: true, daemon: 'reload', facts: { init: 'systemd', distro: { id: 'debian', versionId: '12' } } });
    expect(out.actions.map((a: { command?: string[] }) => a.command?.join(' ')).filter(Boolean)).toContain('systemctl reload docker');
    expect(await host.dockerdPid()).toBe(pid);
    expect((await host.exec(['systemctl', 'is-enabled', 'docker'])).stdout.trim()).toBe('enabled');
    expect((await host.push(ENTRY, 'after')).ok).toBe(true);

    const again = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already configured');
    expect(await host.dockerdPid()).toBe(pid);
  });

  it('after a reboot the registry is back by itself (docker enabled by the install): its images served, pushes trusted, check passes', async () => {
    host = await SystemdHost.create({ persistent: true });
    // Docker started by hand after its package, but not enabled: the registry would not come back.
    await host.exec(['systemctl', 'disable', 'docker']);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await host.push(ENTRY, 'before-reboot')).ok).toBe(true);

    host = await host.reboot();
    // Nothing is started by the test after the boot: systemd starts dockerd, dockerd the registry.
    const catalog = await waitForValue(async () => ((await host!.exec(['curl', '-sf', `http://${ENTRY}/v2/_catalog`])).stdout || null), 30_000).catch(() => '{"repositories": ["(no answer 30 s after the boot)"]}');
    expect(JSON.parse(catalog).repositories).toContain('before-reboot');
    expect((await host.push(ENTRY, 'after-reboot')).ok).toBe(true);
    const check = await host.tool('check');
    expect(check.exitCode, check.stdout).toBe(0);
  });

  it('"hosts" in daemon.json while the unit passes -H fd:// (the classic): refused before the reload, dockerd untouched; check names both places', async () => {
    // written after dockerd started: only its next reload or start would meet it
    const conflicting = '{"hosts": ["unix:///var/run/docker.sock"]}\n';
    host = await SystemdHost.create({ files: { '/etc/docker/daemon.json': conflicting }, restartDocker: false });
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`dockerd would refuse its configuration at the reload this needs: "hosts" is in /etc/docker/daemon.json and also given as -H (the running dockerd's command line)`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(conflicting);
    expect(await host.dockerdPid()).toBe(pid);
    const check = JSON.parse((await host.tool('check', '--json', '--address', TEST_ADDRESS)).stdout);
    expect(check.checks.find((c: { id: string }) => c.id === 'daemon-flag-conflict')).toMatchObject({
      status: 'fail',
      fix: 'keep one of the two: remove "hosts" from /etc/docker/daemon.json, or -H from ExecStart in /usr/lib/systemd/system/docker.service',
    });
  });

  it('-H fd:// with docker.socket moved by a drop-in (ListenStream=/run/docker-alt.sock): dockerd is found there, installed to by a reload, and a push works', async () => {
    host = await SystemdHost.create();
    const h = host;
    h.writeFile('/etc/systemd/system/docker.socket.d/alt.conf', '[Socket]\nListenStream=\nListenStream=/run/docker-alt.sock\n');
    const moved = await h.sh('systemctl daemon-reload && systemctl stop docker.service docker.socket && systemctl start docker.socket docker.service');
    expect(moved.exitCode, moved.stderr).toBe(0);
    const alt = 'DOCKER_HOST=unix:///run/docker-alt.sock';
    await waitForValue(async () => ((await h.sh(`${alt} docker version --format '{{.Server.Version}}'`)).stdout.trim() || null), 30_000);
    // systemd leaves the old socket file behind (RemoveOnStop=no): it refuses connections.
    expect((await h.docker('version', '--format', '{{.Server.Version}}')).exitCode, 'the default socket does not answer').not.toBe(0);
    const pid = await h.dockerdPid();
    const r = await h.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('systemctl reload docker');
    expect(await h.dockerdPid()).toBe(pid);
    const check = await h.tool('check');
    expect(check.exitCode, check.stdout).toBe(0);
    const push = await h.sh(`export ${alt}; d=$(mktemp -d) && echo alt > $d/p && tar -C $d -c p | docker import - local/alt:1 >/dev/null && docker tag local/alt:1 ${ENTRY}/alt:1 && docker push ${ENTRY}/alt:1`);
    expect(push.exitCode, push.stdout + push.stderr).toBe(0);
  });

  it('the blog posts\' DOCKER_OPTS="$DOCKER_OPTS --insecure-registry ..." under systemd (which passes $DOCKER_OPTS on as it is, so dockerd will not start): refused before anything changes, check names it; written out in one line, the install works', async () => {
    const blog = 'DOCKER_OPTS="--log-level=warn"\nDOCKER_OPTS="$DOCKER_OPTS --insecure-registry=10.4.5.6:5000"\n';
    host = await SystemdHost.create({ files: { '/etc/default/docker': blog } });
    const h = host;
    // The real systemd and dockerd: it does not start.
    const refused = await h.sh('for i in $(seq 50); do journalctl -u docker --no-pager -o cat | grep -F \'"dockerd" accepts no argument(s)\' && exit 0; sleep 0.1; done; exit 1');
    expect(refused.exitCode, refused.stdout).toBe(0);
    const r = await h.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('DOCKER_OPTS in /etc/default/docker holds $DOCKER_OPTS, which systemd does not expand');
    expect(h.readFile('/etc/default/docker')).toBe(blog);
    expect(h.readFile('/etc/docker/daemon.json')).toBeNull();
    const check = await h.tool('check', '--address', TEST_ADDRESS, '--only', 'env-file-expansion');
    expect(check.exitCode).toBe(1);
    // The fix names the line the shell would have made of it; following it is all it takes.
    const line = 'DOCKER_OPTS="--log-level=warn --insecure-registry=10.4.5.6:5000"';
    expect(check.stdout).toContain(`write DOCKER_OPTS's options out in one assignment in /etc/default/docker, without $DOCKER_OPTS: ${line}`);
    h.writeFile('/etc/default/docker', `${line}\n`);
    // Fixed by hand, docker starts again (and gets its image, which this host had no dockerd to load into).
    await h.exec(['systemctl', 'reset-failed', 'docker']);
    await h.exec(['systemctl', 'start', 'docker']);
    await h.waitForDocker();
    await h.loadRegistryImage('registry:3');
    const fixed = await h.tool('--yes', '--address', TEST_ADDRESS);
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    expect(h.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--log-level=warn"\n');
    expect(Object.keys(await h.liveInsecure())).toEqual(expect.arrayContaining(['10.4.5.6:5000', ENTRY]));
    expect((await h.push(ENTRY, 'unblogged')).ok).toBe(true);
  });

  it('a --method docker-opts install, then docker.io swapped for docker-ce (whose unit ignores DOCKER_OPTS): check names the lost trust, and repair moves it into daemon.json (and out of DOCKER_OPTS) instead of refusing the recorded method', async () => {
    /** A host with a docker-opts install whose docker.io unit then gave way to docker-ce's. */
    let shipped: string | null = null;
    const swappedHost = async () => {
      host = await SystemdHost.create();
      shipped = host.readFile('/etc/default/docker');
      expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts')).exitCode).toBe(0);
      host.writeFile('/etc/systemd/system/docker.service', dockerCeUnit());
      await host.exec(['systemctl', 'daemon-reload']);
      await host.exec(['systemctl', 'restart', 'docker']);
      await host.waitForDocker();
      return host;
    };
    const h = await swappedHost();
    expect(Object.keys(await h.liveInsecure())).not.toContain(ENTRY);
    const check = await h.tool('check', '--only', 'registry-trusted,registry-configured');
    expect(check.exitCode).toBe(1);
    expect(check.stdout).not.toContain('--method docker-opts cannot be used here');
    const repair = await h.tool('repair', '--yes');
    expect(repair.exitCode, repair.stdout + repair.stderr).toBe(0);
    expect(JSON.parse(h.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual([ENTRY]);
    expect(JSON.parse(h.readFile('/etc/setup-registry/state.json')!).method).toBe('daemon-json');
    // ...and out of DOCKER_OPTS, where it would clash with daemon.json the day a unit reads it again
    // (byte for byte as the package shipped it: the line the install added went with its comment)
    expect(h.readFile('/etc/default/docker')).toBe(shipped);
    expect((await h.push(ENTRY, 'swapped')).ok).toBe(true);
    expect((await h.tool('--yes')).stdout).toContain('already configured');
    await h.destroy();

    // Uninstalled after such a swap instead: the flag goes from the file nothing reads, dockerd is left alone.
    const u = await swappedHost();
    const pid = await u.dockerdPid();
    const un = await u.tool('uninstall', '--yes');
    expect(un.exitCode, un.stdout + un.stderr).toBe(0);
    expect(u.readFile('/etc/default/docker')).toBe(shipped);
    expect(await u.dockerdPid()).toBe(pid);
    expect(u.readFile('/etc/setup-registry/state.json')).toBeNull();
  });

  it('a client host trusting by --method systemd-dropin: repair leaves the working drop-in alone (no move into daemon.json, no restart); with its flag lost, repair puts the trust back', async () => {
    host = await SystemdHost.create();
    const h = host;
    expect((await h.tool('trust', '10.3.3.3:5000', '--yes', '--method', 'systemd-dropin')).exitCode).toBe(0);
    const pid = await h.dockerdPid();
    const healthy = await h.tool('repair', '--yes');
    expect(healthy.exitCode, healthy.stdout + healthy.stderr).toBe(0);
    expect(healthy.stdout).toContain('healthy: nothing to repair');
    expect(await h.dockerdPid()).toBe(pid);
    expect(h.readFile(DROP_IN)).toContain('--insecure-registry 10.3.3.3:5000');
    expect(h.readFile('/etc/docker/daemon.json')).toBeNull();
    // the drop-in removed by hand: the trust is lost at the restart; repair brings it back
    await h.sh(`rm ${DROP_IN} && systemctl daemon-reload && systemctl restart docker`);
    await h.waitForDocker();
    const fixed = await h.tool('repair', '--yes');
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    expect(Object.keys(await h.liveInsecure())).toContain('10.3.3.3:5000');
    // A package upgrade changes the unit's ExecStart (here: a new flag): the drop-in's copy would keep the old one for good
    const upgraded = fixture('units/debian-docker.io.service').replace('--containerd=/run/containerd/containerd.sock', '--containerd=/run/containerd/containerd.sock --log-level=info');
    h.writeFile('/etc/systemd/system/docker.service', upgraded);
    await h.exec(['systemctl', 'daemon-reload']);
    const stale = JSON.parse((await h.tool('check', '--json', '--only', 'dropin-current')).stdout).checks[0];
    expect(stale).toMatchObject({ status: 'fail', fix: 'setup-registry repair', message: expect.stringContaining('a package upgrade changed it since') });
    const followed = await h.tool('repair', '--yes');
    expect(followed.exitCode, followed.stdout + followed.stderr).toBe(0);
    const args = (await h.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    expect(args).toContain('--log-level=info');
    expect(args).toContain('--insecure-registry 10.3.3.3:5000');
    expect(JSON.parse((await h.tool('check', '--json', '--only', 'dropin-current')).stdout).checks[0].status).toBe('ok');
  });

  it('a client host trusting by --method docker-opts: a later trust without --method keeps to it, untrust takes out only its own flag, the last untrust leaves the file as shipped; five starts of docker.service in a minute pass its start limit', async () => {
    host = await SystemdHost.create();
    const h = host;
    const shipped = h.readFile('/etc/default/docker');
    const args = async () => (await h.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    const run = async (...argv: string[]) => {
      const r = await h.tool(...argv, '--yes');
      expect(r.exitCode, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r;
    };
    await run('trust', '10.9.9.9:5000', '--method', 'docker-opts');
    // no --method: the recorded one, not a move of the first flag into daemon.json
    await run('trust', '10.9.9.8:5000');
    expect(h.readFile('/etc/default/docker')).toContain('DOCKER_OPTS="--insecure-registry 10.9.9.9:5000 --insecure-registry 10.9.9.8:5000"');
    expect(h.readFile('/etc/docker/daemon.json')).toBeNull();
    await run('untrust', '10.9.9.9:5000');
    expect(h.readFile('/etc/default/docker')).toContain('DOCKER_OPTS="--insecure-registry 10.9.9.8:5000"');
    expect(h.readFile('/etc/docker/daemon.json')).toBeNull();
    expect(await args()).toContain('--insecure-registry 10.9.9.8:5000');
    expect(await args()).not.toContain('10.9.9.9:5000');
    await run('untrust', '10.9.9.8:5000');
    expect(h.readFile('/etc/default/docker')).toBe(shipped);
    expect(await args()).not.toContain('--insecure-registry');
    expect(h.readFile('/etc/setup-registry/trusted.json')).toBeNull();
  });

  it('a client host trusting by --method docker-opts, then docker.io swapped for docker-ce: repair moves the trust into daemon.json and takes the unread flag out of DOCKER_OPTS; untrust leaves neither', async () => {
    host = await SystemdHost.create();
    const h = host;
    const shipped = h.readFile('/etc/default/docker');
    expect((await h.tool('trust', '10.9.9.9:5000', '--method', 'docker-opts', '--yes')).exitCode).toBe(0);
    h.writeFile('/etc/systemd/system/docker.service', dockerCeUnit());
    await h.exec(['systemctl', 'daemon-reload']);
    await h.exec(['systemctl', 'restart', 'docker']);
    await h.waitForDocker();
    const repair = await h.tool('repair', '--yes');
    expect(repair.exitCode, repair.stdout + repair.stderr).toBe(0);
    expect(JSON.parse(h.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual(['10.9.9.9:5000']);
    expect(Object.keys(await h.liveInsecure())).toContain('10.9.9.9:5000');
    // left there, the flag would stop dockerd the day a unit reads DOCKER_OPTS again ("both as a flag and in the configuration file")
    expect(h.readFile('/etc/default/docker')).toBe(shipped);
    expect(JSON.parse(h.readFile('/etc/setup-registry/trusted.json')!).registries).toEqual([{ entry: '10.9.9.9:5000', tls: false, method: 'daemon-json' }]);
    expect((await h.tool('untrust', '10.9.9.9:5000', '--yes')).exitCode).toBe(0);
    expect(JSON.parse(h.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual([]);
    expect(h.readFile('/etc/default/docker')).toBe(shipped);
  });

  it('docker-ce unit ignores DOCKER_OPTS (moby#23040): the flag there is no conflict; reload only', async () => {
    host = await SystemdHost.create({
      files: { '/etc/systemd/system/docker.service': dockerCeUnit(), '/etc/default/docker': 'DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n' },
    });
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).daemon).toBe('reload');
    expect(await host.dockerdPid()).toBe(pid);
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n');
    expect((await host.push(ENTRY, 'ce')).ok).toBe(true);
  });

  it('a host already broken by the flag-vs-file conflict (docker.service failed) is repaired: flags moved, docker started', async () => {
    // A working host, then someone adds a flag while daemon.json has entries, and restarts.
    host = await SystemdHost.create();
    host.writeFile('/etc/default/docker', '# ops\nDOCKER_OPTS="--insecure-registry 10.1.2.3:5000 --log-level=warn"\n');
    host.writeFile('/etc/docker/daemon.json', '{\n  "insecure-registries": ["10.9.9.9:5000"],\n  "log-driver": "json-file"\n}\n');
    await host.exec(['systemctl', 'restart', 'docker']);
    expect((await host.exec(['systemctl', 'is-active', 'docker'])).stdout.trim()).not.toBe('active');
    expect((await host.exec(['journalctl', '-u', 'docker', '--no-pager'])).stdout).toContain('specified both as a flag and in the configuration file');

    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await host.exec(['systemctl', 'is-active', 'docker'])).stdout.trim()).toBe('active');
    expect(host.readFile('/etc/default/docker')).toBe('# ops\nDOCKER_OPTS="--log-level=warn"\n');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'insecure-registries': ['10.9.9.9:5000', '10.1.2.3:5000', ENTRY], 'log-driver': 'json-file' });
    expect(JSON.parse(r.stdout).daemon).toBe('start');
    const live = await host.liveInsecure();
    expect(Object.keys(live)).toEqual(expect.arrayContaining(['10.9.9.9:5000', '10.1.2.3:5000', ENTRY]));
    expect((await host.exec(['systemctl', 'restart', 'docker'])).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'healed')).ok).toBe(true);
  });

  it('--method systemd-dropin: drop-in with the full ExecStart, daemon-reload, restart; push works; rerun no-op (with --method or without); uninstall removes the drop-in', async () => {
    host = await SystemdHost.create();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'systemd-dropin');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(host.readFile(DROP_IN)).toContain(`ExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS --insecure-registry ${ENTRY}\n`);
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain(`--insecure-registry ${ENTRY}`);
    expect((await host.push(ENTRY, 'dropin')).ok).toBe(true);
    const pid = await host.dockerdPid();
    const again = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'systemd-dropin');
    expect(again.stdout).toContain('already configured');
    expect((await host.tool('--yes')).stdout).toContain('already configured');
    expect(await host.dockerdPid()).toBe(pid);
    // Left behind, the drop-in would pin this ExecStart past a docker package upgrade that changes the unit's.
    const un = await host.tool('uninstall', '--yes');
    expect(un.exitCode, un.stdout + un.stderr).toBe(0);
    expect(host.readFile(DROP_IN)).toBeNull();
    expect((await host.exec(['systemctl', 'show', '-p', 'DropInPaths', '--value', 'docker'])).stdout.trim()).toBe('');
    const args = (await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    expect(args).toContain('/usr/sbin/dockerd -H fd://');
    expect(args).not.toContain('--insecure-registry');
  });

  it("Red Hat's docker 1.13 unit with /etc/sysconfig/docker: INSECURE_REGISTRY moved into daemon.json, OPTIONS kept, restart works", async () => {
    host = await SystemdHost.create({
      files: {
        '/etc/os-release': OS_RELEASE.centos7,
        '/etc/systemd/system/docker.service': redHatUnit(),
        '/etc/sysconfig/docker': "# site\nOPTIONS='--log-level=warn'\nINSECURE_REGISTRY='--insecure-registry 10.1.2.3:5000'\n",
      },
    });
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain('--insecure-registry 10.1.2.3:5000');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ daemon: 'restart', facts: { distro: { id: 'centos', versionId: '7', family: 'rhel' } } });
    expect(host.readFile('/etc/sysconfig/docker')).toBe("# site\nOPTIONS='--log-level=warn'\nINSECURE_REGISTRY=''\n");
    expect((await host.exec(['systemctl', 'restart', 'docker'])).exitCode).toBe(0);
    const args = (await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    expect(args).toContain('--log-level=warn');
    expect(args).not.toContain('--insecure-registry');
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.2.3:5000', ENTRY]));
    expect((await host.push(ENTRY, 'rh')).ok).toBe(true);
  });

  it("dockerd as another unit, as snap names it (snap.docker.dockerd, no ExecReload, its own daemon.json): SIGHUP to its pid, that unit enabled; docker.service untouched", async () => {
    host = await SystemdHost.create();
    const SNAP_JSON = '/var/snap/docker/current/config/daemon.json';
    host.writeFile(SNAP_JSON, '{"log-driver": "json-file"}\n');
    host.writeFile(
      '/etc/systemd/system/snap.docker.dockerd.service',
      '[Unit]\nDescription=Docker, under the name snap gives it\nAfter=containerd.service\n\n[Service]\n' +
        `ExecStart=/usr/sbin/dockerd -H unix:///var/run/docker.sock --containerd=/run/containerd/containerd.sock --config-file=${SNAP_JSON}\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n`,
    );
    await host.exec(['systemctl', 'disable', '--now', 'docker.socket', 'docker.service']);
    await host.exec(['systemctl', 'mask', 'docker.socket', 'docker.service']);
    await host.exec(['systemctl', 'daemon-reload']);
    expect((await host.exec(['systemctl', 'start', 'snap.docker.dockerd'])).exitCode).toBe(0);
    await host.waitForDocker();
    const mainPid = async () => Number((await host!.exec(['systemctl', 'show', '-p', 'MainPID', '--value', 'snap.docker.dockerd'])).stdout.trim());
    const pid = await mainPid();
    expect(pid).toBeGreaterThan(0);

    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`kill -HUP ${pid}`);
    expect(JSON.parse(host.readFile(SNAP_JSON)!)).toEqual({ 'log-driver': 'json-file', 'insecure-registries': [ENTRY] });
    expect(host.readFile('/etc/docker/daemon.json')).toBeNull();
    expect(await mainPid()).toBe(pid);
    expect((await host.exec(['systemctl', 'is-enabled', 'snap.docker.dockerd'])).stdout.trim()).toBe('enabled');
    expect((await host.exec(['systemctl', 'is-active', 'docker.service'])).stdout.trim()).not.toBe('active');
    expect((await host.push(ENTRY, 'snap')).ok).toBe(true);
    expect((await host.tool('check')).exitCode).toBe(0);
  });

  it('a host without Docker: --install-docker installs docker.io from the distro, --offline-image installs docker-registry and builds the image; push works', async () => {
    host = await SystemdHost.create({ registryImage: false });
    expect((await host.exec(['dpkg', '-r', 'docker.io'])).exitCode).toBe(0);
    expect((await host.sh('command -v docker')).exitCode).not.toBe(0);
    const refused = await host.tool('--yes', '--address', TEST_ADDRESS, '--offline-image');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('--install-docker');

    // A fresh cloud VM: unattended-upgrades holds dpkg's lock for a while after boot; apt waits for it.
    // The holder (perl-base is essential) takes an fcntl lock as dpkg does (struct flock as on x86_64),
    // and lets go 2 s after an apt-get has started, however long this machine takes to get there.
    const holdDpkg = [
      "use Fcntl; open(my $f, '>>', '/var/lib/dpkg/lock-frontend') or die $!;",
      "my $lock = pack('s s x4 q q i x4', F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $lock) or die $!;",
      "open(my $h, '>', '/run/dpkg-held'); close($h);",
      "sub comm { open(my $c, '<', \"$_[0]/comm\") or return ''; my $name = <$c>; return $name // '' }",
      "my $until = time + 120;",
      "while (time < $until) { last if grep { comm($_) =~ /^apt-get$/ } glob('/proc/[0-9]*'); select(undef, undef, undef, 0.1); }",
      'sleep 2;',
    ];
    host.writeFile('/run/hold-dpkg.pl', `${holdDpkg.join('\n')}\n`);
    await host.sh('setsid perl /run/hold-dpkg.pl </dev/null >/run/hold-dpkg.log 2>&1 &');
    const held = host;
    await waitForValue(async () => (held.readFile('/run/dpkg-held') === null ? null : true), 10_000).catch(() => {
      throw new Error(`the lock holder did not start: ${held.readFile('/run/hold-dpkg.log')}`);
    });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--install-docker', '--offline-image');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends docker.io');
    expect(r.stdout).toContain('apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends docker-registry');
    // It waited for the lock: no failed install, and no package lists refreshed for nothing.
    expect(r.stdout).toContain('Waiting for cache lock');
    expect(r.stdout).not.toContain('E: Could not get lock');
    expect(r.stdout).not.toContain('InRelease');
    expect((await host.exec(['systemctl', 'is-active', 'docker'])).stdout.trim()).toBe('active');
    expect((await host.exec(['systemctl', 'is-enabled', 'docker'])).stdout.trim()).toBe('enabled');
    // The package's own registry service would hold port 5000: stopped and disabled, the container serves.
    expect((await host.exec(['systemctl', 'is-active', 'docker-registry'])).stdout.trim()).not.toBe('active');
    expect((await host.exec(['systemctl', 'is-enabled', 'docker-registry'])).stdout.trim()).toBe('disabled');
    const state = JSON.parse(host.readFile('/etc/setup-registry/state.json')!);
    expect(state.imageSource).toMatch(/^built from docker-registry 2\.8/);
    expect((await host.push(ENTRY, 'bare')).ok).toBe(true);
    expect((await host.tool('check')).exitCode).toBe(0);
  });
  // A whole systemd host boots per test and dockerd restarts under real systemd: on a loaded CI
  // machine that can be slow; each step is bounded in the harness, and a failure reports the host.
}, SYSTEMD_HOST, { timeout: 300_000 });
