import { existsSync } from 'node:fs';
import { beforeEach, expect, it } from 'vitest';
import { describeE2E } from './harness/prerequisites.js';
import { connect, TestHost } from './harness/namespace-host.js';
import { TEST_ADDRESS } from './harness/host.js';
import { garbageCollectCommand } from '../../src/plan/container.js';

const ENTRY = `${TEST_ADDRESS}:5000`;
const OTHER_KEYS = { 'log-driver': 'json-file', 'registry-mirrors': ['https://mirror.example.invalid'] };

describeE2E('check, repair, uninstall, trust, catalog and tags on real hosts', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await TestHost.create({ daemonJson: `${JSON.stringify(OTHER_KEYS, null, 2)}\n` });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await host.push(ENTRY, 'before')).ok).toBe(true);
  });

  async function checkJson() {
    const r = await host.tool('check', '--json');
    return { code: r.exitCode, out: JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; status: string; fix?: string }[] } };
  }

  /** check names the broken layer with its fix; repair fixes it; check passes; the image pushed before still pulls. */
  async function breakCheckRepair(failing: string[]) {
    const broken = await checkJson();
    expect(broken.code).toBe(1);
    const failed = broken.out.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id)).toEqual(expect.arrayContaining(failing));
    for (const f of failed) expect(f.fix).toBeTruthy();
    const repaired = await host.tool('repair', '--yes');
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    const after = await checkJson();
    expect(after.out.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(after.code).toBe(0);
    await host.docker('rmi', `${ENTRY}/before:1`);
    expect((await host.docker('pull', `${ENTRY}/before:1`)).exitCode).toBe(0);
  }

  it('check on a healthy host passes every check; --list-checks and --only work; nothing changes', async () => {
    const stat = async () => (await host.sh('stat -c %Y.%i /etc/docker/daemon.json; docker inspect -f {{.State.StartedAt}} registry')).stdout;
    const before = await stat();
    const r = await checkJson();
    expect(r.code).toBe(0);
    expect(r.out.ok).toBe(true);
    expect(r.out.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['docker-installed', 'dockerd-running', 'daemon-json-valid', 'registry-trusted', 'container-restart-policy', 'registry-ping', 'data-dir-space']));
    expect((await host.tool('check', '--list-checks')).stdout.split('\n')).toContain('push (with --deep)');
    const only = JSON.parse((await host.tool('check', '--json', '--only', 'registry-ping')).stdout);
    expect(only.checks.map((c: { id: string }) => c.id)).toEqual(['registry-ping']);
    const deep = await host.tool('check', '--deep', '--only', 'push');
    expect(deep.exitCode, deep.stdout).toBe(0);
    expect((await host.tool('check', '--only', 'nope')).exitCode).toBe(2);
    expect(await stat()).toBe(before);
  });

  it('container stopped', async () => {
    await host.docker('stop', 'registry');
    await breakCheckRepair(['container-running', 'registry-ping']);
  });

  it('container paused (docker pause: still "running", answers nothing)', async () => {
    await host.docker('pause', 'registry');
    await breakCheckRepair(['container-running', 'registry-ping']);
    expect((await host.docker('inspect', '-f', '{{.State.Status}}', 'registry')).stdout.trim()).toBe('running');
  });

  it('docker disabled at boot (update-rc.d docker disable): the registry would not come back after a reboot; repair enables it', async () => {
    await host.exec(['update-rc.d', 'docker', 'disable']);
    expect(host.readFile('/etc/rc2.d/S01docker')).toBeNull();
    const fix = (await checkJson()).out.checks.find((c) => c.id === 'docker-enabled')?.fix;
    expect(fix).toBe('update-rc.d docker enable');
    await breakCheckRepair(['docker-enabled']);
    expect(host.readFile('/etc/rc2.d/S01docker')).not.toBeNull();
    // Its links removed altogether: an install makes them again.
    await host.exec(['update-rc.d', '-f', 'docker', 'remove']);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('update-rc.d docker defaults');
    expect(host.readFile('/etc/rc2.d/S01docker')).not.toBeNull();
    expect((await checkJson()).code).toBe(0);
  });

  it('container removed: one failure for it (the checks of the container it would have are not run), or, asked alone, the check asked fails', async () => {
    await host.docker('rm', '-f', 'registry');
    const { out } = await checkJson();
    const containerChecks = out.checks.filter((c) => c.id.startsWith('container-') && c.id !== 'container-exists');
    expect(containerChecks.length).toBeGreaterThan(4);
    expect(containerChecks.every((c) => c.status === 'skip')).toBe(true);
    expect((await host.tool('check')).stdout).toMatch(/\n2 of \d+ checks failed; \d+ not run, for what failed$/m);
    const alone = await host.tool('check', '--only', 'container-running', '--json');
    expect(alone.exitCode).toBe(1);
    expect(JSON.parse(alone.stdout).checks).toEqual([expect.objectContaining({ id: 'container-running', status: 'fail', message: 'no container named registry', fix: 'setup-registry repair' })]);
    await breakCheckRepair(['container-exists', 'registry-ping']);
  });

  it('container and its image removed, with no way to pull one: repair fails with nothing changed, naming whole commands; the offline one works, and keeps the images', async () => {
    await host.docker('rm', '-f', 'registry');
    await host.docker('rmi', 'registry:3');
    const daemonJson = host.readFile('/etc/docker/daemon.json');
    const failed = await host.tool('repair', '--yes');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('image registry:3 is not on this host and could not be pulled; setup-registry --yes --image IMAGE (another image), or docker load -i FILE (an archive of registry:3), then run again, or setup-registry --yes --offline-image (built from the docker-registry package, with no network)');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(daemonJson);
    const offline = await host.tool('--yes', '--offline-image');
    expect(offline.exitCode, offline.stdout + offline.stderr).toBe(0);
    expect((await host.tool('check')).exitCode).toBe(0);
    await host.docker('rmi', `${ENTRY}/before:1`);
    expect((await host.docker('pull', `${ENTRY}/before:1`)).exitCode).toBe(0);
  });

  it('container recreated by hand with another restart policy and port', async () => {
    await host.docker('rm', '-f', 'registry');
    await host.docker('run', '-d', '--name', 'registry', '-p', '5001:5000', '-v', '/var/lib/registry:/var/lib/registry', 'registry:3');
    await breakCheckRepair(['container-restart-policy', 'container-port', 'registry-ping']);
  });

  it('data directory deleted and made again under the running registry: check names it, repair restarts the registry, and pushes work again', async () => {
    await host.exec(['sh', '-c', 'rm -rf /var/lib/registry && mkdir /var/lib/registry']);
    // The registry still answers its ping, but writes into the deleted directory: every push fails.
    const push = await host.tool('check', '--deep', '--only', 'push');
    expect(push.exitCode).toBe(1);
    expect(push.stdout).toContain('the registry logged (docker logs registry): filesystem: mkdir /var/lib/registry/docker: no such file or directory');
    const broken = await checkJson();
    expect(broken.code).toBe(1);
    expect(broken.out.checks.filter((c) => c.status === 'fail')).toEqual([
      { id: 'container-data-dir', status: 'fail', message: '/var/lib/registry on this host is not the directory the registry has: deleted (or deleted and made again) after it started, so what it writes there is lost, or fails', fix: 'setup-registry repair' },
    ]);
    const repaired = await host.tool('repair', '--yes');
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('docker restart registry');
    expect((await checkJson()).code).toBe(0);
    expect((await host.push(ENTRY, 'kept')).ok).toBe(true);
    expect(existsSync(host.path('/var/lib/registry/docker/registry/v2/repositories/kept'))).toBe(true);
  });

  it('trust entry removed from daemon.json (and reloaded)', async () => {
    host.writeFile('/etc/docker/daemon.json', `${JSON.stringify(OTHER_KEYS)}\n`);
    await host.exec(['kill', '-HUP', String(await host.dockerdPid())]);
    await new Promise((r) => setTimeout(r, 500));
    // dockerd keeps a registry trusted when the key disappears on reload; the file no longer has it.
    await breakCheckRepair(['registry-configured']);
    // written by JSON.stringify (one line, no spaces): repaired in the same style
    expect(host.readFile('/etc/docker/daemon.json')).toBe(`${JSON.stringify({ ...OTHER_KEYS, 'insecure-registries': [ENTRY] })}\n`);
  });

  it('a state file that cannot be read: check says so; install rewrites it (the old one backed up); one from a newer setup-registry is refused, unchanged', async () => {
    const STATE = '/etc/setup-registry/state.json';
    host.writeFile(STATE, '{"version": 1, "address": ');
    const c = await host.tool('check');
    expect(c.exitCode).toBe(2);
    expect(c.stderr.trim()).toBe(`setup-registry: no registry recorded on this host (${STATE} cannot be read (not valid JSON; an install rewrites it)): pass --address (a host that only trusts a registry elsewhere: check --registry HOST:PORT)`);
    expect((await host.tool('uninstall', '--dry-run')).stdout).toContain(`${STATE} cannot be read (not valid JSON): only a container labelled as ours is removed, and no trust entry is touched`);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${STATE} cannot be read (not valid JSON): it is written anew, the old one kept as a backup`);
    expect(JSON.parse(host.readFile(STATE)!)).toMatchObject({ version: 1, address: TEST_ADDRESS });
    expect((await host.sh(`cat ${STATE}.*.bak`)).stdout).toContain('{"version": 1, "address": ');
    expect((await host.tool('check')).exitCode).toBe(0);

    const newer = '{"version": 2, "address": "198.18.0.1", "added": []}\n';
    host.writeFile(STATE, newer);
    for (const args of [['--yes', '--address', TEST_ADDRESS], ['check'], ['repair', '--yes'], ['uninstall', '--yes']]) {
      const refused = await host.tool(...args);
      expect(refused.exitCode, args.join(' ')).toBe(2);
      expect(refused.stderr).toContain(`${STATE} was written by a newer setup-registry (state format 2, this one reads 1): run that version`);
    }
    expect(host.readFile(STATE)).toBe(newer);
    expect((await host.docker('inspect', '-f', '{{.State.Running}}', 'registry')).stdout.trim()).toBe('true');
  });

  it('a conflicting DOCKER_OPTS flag: dockerd refuses to start after a restart', async () => {
    host.writeFile('/etc/default/docker', 'DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n');
    await host.exec(['service', 'docker', 'restart']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(host.readFile('/var/log/docker.log')).toContain('specified both as a flag and in the configuration file');
    await breakCheckRepair(['dockerd-running', 'daemon-flag-conflict']);
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS=""\n');
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.2.3:5000', ENTRY]));
  });

  it('dockerd stopped', async () => {
    await host.exec(['service', 'docker', 'stop']);
    await breakCheckRepair(['dockerd-running']);
  });

  it('daemon.json hand-edited into invalid JSON: never overwritten silently; --restore-backup restores the newest valid backup', async () => {
    const broken = '{\n  "log-driver": "json-file",\n  "insecure-registries": ["198.18.0.1:5000"\n}\n';
    host.writeFile('/etc/docker/daemon.json', broken);
    const c = await checkJson();
    expect(c.code).toBe(1);
    expect(c.out.checks.find((x) => x.id === 'daemon-json-valid')).toMatchObject({ status: 'fail', fix: expect.stringContaining('--restore-backup') });
    const refused = await host.tool('repair', '--yes');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/daemon\.json:4:1: not valid JSON/);
    expect(refused.stderr).toMatch(/daemon\.json\.\d{8}T\d{6}Z\.bak/);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(broken);
    const restored = await host.tool('repair', '--yes', '--restore-backup');
    expect(restored.exitCode, restored.stdout + restored.stderr).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ ...OTHER_KEYS, 'insecure-registries': [ENTRY] });
    expect((await checkJson()).code).toBe(0);
  });

  it("the garbage collection check names for a nearly full disk works on the real registry: unused blobs go, the rest is still served, the registry is back", async () => {
    expect((await host.push(ENTRY, 'gone')).ok).toBe(true);
    const digest = (await host.sh(`curl -sI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' http://${ENTRY}/v2/gone/manifests/1 | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //ip'`)).stdout.trim();
    expect(digest).toMatch(/^sha256:/);
    expect((await host.sh(`curl -s -o /dev/null -w '%{http_code}' -X DELETE http://${ENTRY}/v2/gone/manifests/${digest}`)).stdout).toBe('202');
    const blobs = async () => Number((await host.sh('find /var/lib/registry/docker/registry/v2/blobs -name data | wc -l')).stdout.trim());
    const before = await blobs();
    const inspect = JSON.parse((await host.docker('inspect', 'registry')).stdout)[0] as { Config: { Image: string; Cmd: string[] }; HostConfig: { UsernsMode: string } };
    const command = garbageCollectCommand('registry', { image: inspect.Config.Image, command: inspect.Config.Cmd, usernsMode: inspect.HostConfig.UsernsMode });
    const gc = await host.sh(command);
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(await blobs()).toBeLessThan(before);
    await expect.poll(async () => (await host.tool('check', '--only', 'registry-ping')).exitCode, { timeout: 10_000 }).toBe(0);
    await host.docker('rmi', `${ENTRY}/before:1`);
    expect((await host.docker('pull', `${ENTRY}/before:1`)).exitCode).toBe(0);
  });

  it('catalog and tags list what was pushed; unreachable registries and unknown names are clear errors', async () => {
    await host.push(ENTRY, 'team/app');
    await host.makeImage('local/v2:1', 'two');
    await host.docker('tag', 'local/v2:1', `${ENTRY}/team/app:2`);
    await host.docker('push', `${ENTRY}/team/app:2`);
    const cat = await host.tool('catalog');
    expect(cat.exitCode).toBe(0);
    expect(cat.stdout.trim().split('\n')).toEqual(['before', 'team/app']);
    expect(JSON.parse((await host.tool('catalog', '--json')).stdout)).toEqual({ repositories: ['before', 'team/app'] });
    expect((await host.tool('tags', 'team/app')).stdout.trim().split('\n').sort()).toEqual(['1', '2']);
    const missing = await host.tool('tags', 'nope');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('no repository "nope"');
    const down = await host.tool('catalog', '--registry', '127.0.0.1:5999');
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toContain('does not answer');
    // under --json the error is one JSON object on stdout too, as for every other command
    const missingJson = await host.tool('tags', 'nope', '--json');
    expect(missingJson.exitCode).toBe(1);
    expect(JSON.parse(missingJson.stdout)).toEqual({ ok: false, changed: false, error: expect.stringContaining('no repository "nope"'), exitCode: 1 });
  });

  it('catalog follows Link pagination', async () => {
    for (let i = 0; i < 3; i++) await host.push(ENTRY, `repo${i}`);
    const pages = await host.exec(['curl', '-si', `http://${ENTRY}/v2/_catalog?n=2`]);
    expect(pages.stdout).toMatch(/Link: <[^>]+>; rel="next"/i);
    const r = await host.tool('catalog', '--page-size', '2');
    expect(r.stdout.trim().split('\n')).toEqual(['before', 'repo0', 'repo1', 'repo2']);
  });

  it('uninstall removes the container and exactly its entry, keeps every other key and the data', async () => {
    const config = JSON.parse(host.readFile('/etc/docker/daemon.json')!);
    config['insecure-registries'].unshift('10.7.7.7:5000');
    host.writeFile('/etc/docker/daemon.json', `${JSON.stringify(config, null, 2)}\n`);
    const r = await host.tool('uninstall', '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept: the registry\'s data in /var/lib/registry');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ ...OTHER_KEYS, 'insecure-registries': ['10.7.7.7:5000'] });
    expect((await host.docker('ps', '-aq')).stdout).toBe('');
    expect((await host.sh('ls /var/lib/registry/docker/registry/v2/repositories')).stdout).toContain('before');
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect((await host.tool('uninstall', '--yes')).stdout).toContain('nothing to uninstall');
  });

  it('uninstall with dockerd stopped: dockerd is started and the container removed (it would come back with dockerd), the entry removed', async () => {
    await host.exec(['service', 'docker', 'stop']);
    const r = await host.tool('uninstall', '--yes', '--purge');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(', dockerd not running');
    expect(r.stdout).toMatch(/2\. service docker start: dockerd is not running\n3\. docker rm -f registry: remove the registry container, if it is there/);
    expect((await host.docker('ps', '-aq')).stdout).toBe('');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ ...OTHER_KEYS, 'insecure-registries': [] });
    expect((await host.docker('info', '--format', '{{json .RegistryConfig.IndexConfigs}}')).stdout).not.toContain(ENTRY);
    expect(existsSync(host.path('/var/lib/registry/docker'))).toBe(false);
  });

  it("uninstall --purge deletes the registry's own files, never what else the data directory holds", async () => {
    // someone else's file in the directory the registry was given
    host.writeFile('/var/lib/registry/NOTES.txt', 'not the registry\'s\n');
    const r = await host.tool('uninstall', '--yes', '--purge');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('remove /var/lib/registry/docker/registry, then /var/lib/registry/docker and /var/lib/registry if empty');
    expect((await host.sh('ls -A /var/lib/registry')).stdout.trim()).toBe('NOTES.txt');
    expect(host.readFile('/var/lib/registry/NOTES.txt')).toBe("not the registry's\n");
  });

  it('uninstall --purge of a data directory that is a disk of its own (a mount point): emptied, the mount point stays', async () => {
    await host.sh('mkdir -p /var/lib/regdisk && mount -t tmpfs regdisk /var/lib/regdisk');
    const moved = await host.tool('--yes', '--address', TEST_ADDRESS, '--data-dir', '/var/lib/regdisk');
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect((await host.push(ENTRY, 'on-disk')).ok).toBe(true);
    // that disk is a tmpfs here: check says what a reboot would do to it
    const space = JSON.parse((await host.tool('check', '--json', '--only', 'data-dir-space')).stdout).checks[0];
    expect(space).toMatchObject({ status: 'warn', message: '/var/lib/regdisk is in memory (tmpfs): its images are lost at every reboot' });
    const r = await host.tool('uninstall', '--yes', '--purge');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect((await host.exec(['mountpoint', '-q', '/var/lib/regdisk'])).exitCode).toBe(0);
    expect((await host.sh('ls -A /var/lib/regdisk')).stdout.trim()).toBe('');
  });

  it('an install cut short before it recorded itself, on a host that also trusts another registry: check and repair still treat it as the registry host', async () => {
    // a second host on a link of its own gives this one an address other hosts reach it on, which check and repair fall back to
    const peer = await TestHost.create({ registryImage: false });
    const net = await connect(host, peer);
    await host.docker('run', '-d', '--name', 'other-registry', '-p', '5001:5000', 'registry:3');
    const other = `${TEST_ADDRESS}:5001`;
    expect((await host.tool('trust', other, '--yes')).exitCode).toBe(0);
    await host.exec(['rm', '/etc/setup-registry/state.json']);
    const c = await host.tool('check', '--json');
    const checks = (JSON.parse(c.stdout) as { checks: { id: string; status: string; registry?: string }[] }).checks;
    expect(checks.find((f) => f.id === 'container-running')).toMatchObject({ status: 'ok' });
    expect(checks.filter((f) => f.id === 'registry-ping').map((f) => f.registry)).toEqual([undefined, other]);
    const r = await host.tool('repair', '--yes');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!)).toMatchObject({ address: net.a, port: 5000 });
    expect((await peer.push(`${net.a}:5000`, 'frompeer')).output).toContain('server gave HTTP response to HTTPS client');
    expect((await host.push(`${net.a}:5000`, 'after')).ok).toBe(true);
  });

  it('trust on a client host makes a push to a registry it did not install work; untrust removes it', async () => {
    // with the registry image, as a host that repair could wrongly make a registry host of
    const client = await TestHost.create({ daemonJson: '{"debug": true}\n' });
    const net = await connect(host, client);
    const remote = `${net.a}:5000`;
    expect((await client.push(remote, 'fromclient')).output).toContain('server gave HTTP response to HTTPS client');
    // nothing installed, nothing trusted yet: check says what it is checking, and how to check a client host
    const bare = await client.tool('check');
    expect(bare.exitCode).toBe(1);
    expect(bare.stdout.split('\n')[0]).toMatch(/^no install recorded on this host \(\/etc\/setup-registry\/state\.json\): checked as the registry host an install with the defaults would make \(\d+\.\d+\.\d+\.\d+:5000\); a host that only uses a registry elsewhere: check --registry HOST:PORT$/);
    // check --registry: this host as the registry's client; the registry host's own checks are not run here
    const clientCheck = async (...extra: string[]) => {
      const c = await client.tool('check', '--registry', remote, '--json', ...extra);
      return { code: c.exitCode, checks: (JSON.parse(c.stdout) as { checks: { id: string; status: string; fix?: string }[] }).checks };
    };
    const untrusted = await clientCheck();
    expect(untrusted.code).toBe(1);
    expect(untrusted.checks.find((c) => c.id === 'registry-trusted')).toMatchObject({ status: 'fail', fix: `setup-registry trust ${remote} --yes` });
    expect(untrusted.checks.find((c) => c.id === 'registry-ping')?.status).toBe('ok');
    expect(untrusted.checks.map((c) => c.id)).not.toContain('container-running');
    const pid = await client.dockerdPid();
    const r = await client.tool('trust', remote, '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(client.readFile('/etc/docker/daemon.json')!)).toEqual({ debug: true, 'insecure-registries': [remote] });
    expect(await client.dockerdPid()).toBe(pid);
    expect((await client.push(remote, 'fromclient')).ok).toBe(true);
    const trusted = await clientCheck('--deep');
    expect(trusted.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(trusted.code).toBe(0);
    expect(trusted.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['registry-trusted', 'registry-configured', 'registry-ping', 'push']));
    expect(trusted.checks.map((c) => c.id)).not.toContain('container-exists');
    // the registry host goes away: the client says where to look
    await host.docker('stop', 'registry');
    const down = await clientCheck();
    expect(down.checks.find((c) => c.id === 'registry-ping')).toMatchObject({ status: 'fail', fix: `setup-registry check on the registry's host; from here, a firewall or route between this host and ${remote}` });
    await host.docker('start', 'registry');
    await expect.poll(async () => (await client.tool('check', '--registry', remote, '--only', 'registry-ping')).exitCode, { timeout: 15_000 }).toBe(0);
    expect((await client.tool('trust', remote, '--yes')).stdout).toContain('already trusted');
    // trust recorded what it did: check and repair here know it without being told the registry again
    expect(JSON.parse(client.readFile('/etc/setup-registry/trusted.json')!)).toEqual({ version: 1, registries: [{ entry: remote, tls: false, method: 'daemon-json' }] });
    const plain = await client.tool('check', '--json');
    expect(plain.exitCode, plain.stdout).toBe(0);
    const plainChecks = (JSON.parse(plain.stdout) as { checks: { id: string; status: string; registry?: string }[] }).checks;
    expect(plainChecks.find((c) => c.id === 'registry-trusted')).toMatchObject({ status: 'ok', registry: remote });
    expect(plainChecks.find((c) => c.id === 'dockerd-running')).toMatchObject({ status: 'ok' });
    expect(plainChecks.map((c) => c.id)).not.toContain('container-exists');
    // the entry taken out by hand and dockerd reloaded: check names it; repair puts it back, and installs no registry here
    const trustedJson = client.readFile('/etc/docker/daemon.json');
    // (dockerd's reload leaves its insecure registries as they are when the key is not in the file)
    client.writeFile('/etc/docker/daemon.json', '{"debug": true, "insecure-registries": []}\n');
    await client.exec(['kill', '-HUP', String(pid)]);
    await expect.poll(async () => (await client.liveInsecure())[remote]).toBeUndefined();
    const lost = await client.tool('check');
    expect(lost.exitCode).toBe(1);
    expect(lost.stdout).toContain(`${remote} (trusted through setup-registry trust):`);
    expect(lost.stdout).toContain(`fix: setup-registry trust ${remote} --yes`);
    const repaired = await client.tool('repair', '--yes');
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    expect(client.readFile('/etc/docker/daemon.json')).toBe(trustedJson);
    expect(await client.dockerdPid()).toBe(pid);
    expect((await client.docker('ps', '-aq')).stdout.trim()).toBe('');
    expect(client.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect((await client.push(remote, 'fromclient')).ok).toBe(true);
    expect((await client.tool('repair', '--yes')).stdout).toContain('healthy: nothing to repair');
    // uninstall has no registry to remove here, and says how the trust is undone
    const un = await client.tool('uninstall', '--yes');
    expect(un.exitCode, un.stderr).toBe(0);
    expect(un.stdout).toContain(`kept: the trust of ${remote} (undo it with: setup-registry untrust ${remote} --yes)`);
    expect(client.readFile('/etc/docker/daemon.json')).toBe(trustedJson);
    const u = await client.tool('untrust', remote, '--yes');
    expect(u.exitCode, u.stderr).toBe(0);
    expect(client.readFile('/etc/setup-registry/trusted.json')).toBeNull();
    expect(JSON.parse(client.readFile('/etc/docker/daemon.json')!)).toEqual({ debug: true, 'insecure-registries': [] });
    expect((await client.liveInsecure())[remote]).toBeUndefined();
    // a CIDR block in the configuration, live, covers the registry: nothing to add, no reload, and the push works
    const byBlock = `{"debug": true, "insecure-registries": ["${net.a.replace(/\.\d+$/, '.0')}/24"]}\n`;
    client.writeFile('/etc/docker/daemon.json', byBlock);
    await client.exec(['kill', '-HUP', String(pid)]);
    await expect.poll(async () => (await client.docker('info', '--format', '{{json .RegistryConfig.InsecureRegistryCIDRs}}')).stdout).toContain('/24');
    const covered = await client.tool('trust', remote, '--yes');
    expect(covered.stdout).toContain(`already trusted: ${remote} (by ${net.a.replace(/\.\d+$/, '.0')}/24 in dockerd's insecure registries); recorded in /etc/setup-registry/trusted.json`);
    expect(client.readFile('/etc/docker/daemon.json')).toBe(byBlock);
    expect((await client.tool('trust', remote, '--yes')).stdout.trim()).toBe(`already trusted: ${remote} (by ${net.a.replace(/\.\d+$/, '.0')}/24 in dockerd's insecure registries)`);
    expect((await client.push(remote, 'fromclient')).ok).toBe(true);
    // untrust: the block is not its to take away; the record forgets the registry
    const forgotten = await client.tool('untrust', remote, '--yes');
    expect(forgotten.stdout.trim()).toBe(`${remote} stays trusted by ${net.a.replace(/\.\d+$/, '.0')}/24 in dockerd's insecure registries, a block untrust leaves in place; its configuration unchanged; taken out of /etc/setup-registry/trusted.json`);
    expect(client.readFile('/etc/setup-registry/trusted.json')).toBeNull();
    expect(client.readFile('/etc/docker/daemon.json')).toBe(byBlock);
    expect((await client.tool('trust', 'not a registry', '--yes')).exitCode).toBe(2);
    // a registry run as the Docker docs say (deletes not enabled): the push works, and its image stays, with a warning
    await host.docker('run', '-d', '--name', 'docs-registry', '-p', '5001:5000', 'registry:3');
    const docs = `${net.a}:5001`;
    await expect.poll(async () => (await client.tool('check', '--registry', docs, '--only', 'registry-ping')).exitCode, { timeout: 10_000 }).toBe(0);
    const kept = await client.tool('check', '--registry', docs, '--only', 'push', '--json');
    expect(JSON.parse(kept.stdout).checks[0]).toMatchObject({ id: 'push', status: 'warn', message: expect.stringContaining(`the registry does not allow deletes, so ${docs}/setup-registry/smoke:latest stays`) });
    expect(kept.exitCode).toBe(0);
    // a registry host that also trusts another registry: check covers its own registry, then that one
    const docsHere = `${TEST_ADDRESS}:5001`;
    expect((await host.tool('trust', docsHere, '--yes')).exitCode).toBe(0);
    const both = await host.tool('check', '--json');
    expect(both.exitCode, both.stdout).toBe(0);
    const bothChecks = (JSON.parse(both.stdout) as { checks: { id: string; status: string; registry?: string }[] }).checks;
    expect(bothChecks.find((c) => c.id === 'container-running')).toMatchObject({ status: 'ok' });
    expect(bothChecks.filter((c) => c.id === 'registry-trusted').map((c) => [c.registry, c.status])).toEqual([[undefined, 'ok'], [docsHere, 'ok']]);
    expect(bothChecks.filter((c) => c.id === 'dockerd-running')).toHaveLength(1);
  });
});
