import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeE2E } from './harness/prerequisites.js';
import { TestHost } from './harness/namespace-host.js';
import { OS_RELEASE, TEST_ADDRESS, waitForValue } from './harness/host.js';
import { dockerApi, type DockerApi } from '../../src/ports/docker-api.js';
import type { Ports } from '../../src/ports/index.js';
import { reloadEvents, waitForTrust } from '../../src/execute/verify.js';

const ENTRY = `${TEST_ADDRESS}:5000`;
const UNRELATED = {
  'log-driver': 'json-file',
  'log-opts': { 'max-size': '10m', 'max-file': '3' },
  'registry-mirrors': ['https://mirror.example.invalid'],
};

describeE2E('install on a sysvinit Debian host (real dockerd, real registry, real push)', () => {
  let host: TestHost | undefined;

  async function pushWorks(h: TestHost, name: string): Promise<{ ok: boolean; output: string }> {
    await h.makeImage(`local/${name}:1`);
    await h.docker('tag', `local/${name}:1`, `${ENTRY}/${name}:1`);
    const r = await h.docker('push', `${ENTRY}/${name}:1`);
    return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
  }

  it('installs, trusts by reload (same dockerd pid), keeps unrelated daemon.json keys, and a real push works', async () => {
    host = await TestHost.create({ daemonJson: `${JSON.stringify(UNRELATED, null, 2)}\n` });
    const pidBefore = await host.dockerdPid();
    expect(pidBefore).toBeGreaterThan(0);

    // Before: the classic failure, which proves the push below really depends on the trust.
    await host.docker('run', '-d', '--name', 'probe', '-p', '5000:5000', 'registry:3');
    const before = await pushWorks(host, 'before');
    expect(before.ok).toBe(false);
    expect(before.output).toContain('server gave HTTP response to HTTPS client');
    await host.docker('rm', '-f', 'probe');

    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.stderr + r.stdout).toContain('registry ready');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('the registry will take pushes and pulls from anyone who reaches port 5000 of this host (plain HTTP, no auth): to restrict it, --tls --auth USER, or a firewall');

    const config = JSON.parse(host.readFile('/etc/docker/daemon.json')!);
    expect(config).toEqual({ ...UNRELATED, 'insecure-registries': [ENTRY] });
    expect(Object.keys(config)).toEqual([...Object.keys(UNRELATED), 'insecure-registries']);
    expect(await host.dockerdPid()).toBe(pidBefore);

    const inspect = JSON.parse((await host.docker('inspect', 'registry')).stdout)[0];
    expect(inspect.HostConfig.RestartPolicy.Name).toBe('always');
    expect(inspect.HostConfig.PortBindings['5000/tcp'][0].HostPort).toBe('5000');
    expect(inspect.Mounts.find((m: { Destination: string }) => m.Destination === '/var/lib/registry').Source).toBe('/var/lib/registry');
    expect(inspect.Config.Env).toContain('REGISTRY_STORAGE_DELETE_ENABLED=true');

    const after = await pushWorks(host, 'after');
    expect(after.output).not.toContain('HTTP response to HTTPS client');
    expect(after.ok).toBe(true);
    // The smoke image was deleted again; the pushed one is there.
    const catalog = (await host.exec(['curl', '-s', `http://${ENTRY}/v2/after/tags/list`])).stdout;
    expect(JSON.parse(catalog)).toEqual({ name: 'after', tags: ['1'] });
    const smokeTags = JSON.parse((await host.exec(['curl', '-s', `http://${ENTRY}/v2/setup-registry/smoke/tags/list`])).stdout);
    expect(smokeTags.tags ?? []).toEqual([]);
    expect((await host.docker('images', '--format', '{{.Repository}}')).stdout).not.toContain('setup-registry/smoke');
    const backups = (await host.sh('ls /etc/docker')).stdout;
    expect(backups).toMatch(/daemon\.json\.\d{8}T\d{6}Z\.bak/);
  });

  it("the trust watch reads a real dockerd's reload event, without GET /info, and a reload that dropped the entry is not trust", async () => {
    host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    const real = dockerApi(host.path('/run/docker.sock'));
    const asked: string[] = [];
    const docker: DockerApi = { socket: real.socket, request: (method, p, opts) => (asked.push(p.split('?')[0]!), real.request(method, p, opts)) };
    const ports = { docker } as unknown as Ports;
    const pid = String(await host.dockerdPid());

    const since = Date.now();
    host.writeFile('/etc/docker/daemon.json', `{"log-driver": "json-file", "insecure-registries": ["${ENTRY}", "10.9.0.0/16"]}\n`);
    await host.exec(['kill', '-HUP', pid]);
    await waitForTrust(ports, ENTRY, 10_000, { reloadedSince: since });
    expect(asked.every((p) => p === '/events')).toBe(true);
    expect(await reloadEvents(real, since)).toEqual([[ENTRY, '10.9.0.0/16']]);
    expect(JSON.parse((await host.docker('info', '--format', '{{json .RegistryConfig.IndexConfigs}}')).stdout)[ENTRY]?.Secure).toBe(false);

    const dropped = Date.now();
    host.writeFile('/etc/docker/daemon.json', '{"log-driver": "json-file", "insecure-registries": ["10.9.0.0/16"]}\n');
    await host.exec(['kill', '-HUP', pid]);
    await expect(waitForTrust(ports, ENTRY, 60_000, { reloadedSince: dropped })).rejects.toThrow(`dockerd reloaded its configuration without ${ENTRY} (insecure registries after the reload: 10.9.0.0/16)`);
  });

  it('a second run changes nothing: same file, same dockerd, same container, "already configured"', async () => {
    host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}' });
    const first = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(first.exitCode).toBe(0);
    // A file on one line stays one line, spaced as it was (and still without a final newline).
    expect(host.readFile('/etc/docker/daemon.json')).toBe(`{"log-driver": "json-file", "insecure-registries": ["${ENTRY}"]}`);
    const stat = async () => (await host!.sh('stat -c %i.%Y.%Z /etc/docker/daemon.json /etc/setup-registry/state.json')).stdout;
    const statBefore = await stat();
    const pid = await host.dockerdPid();
    const id = (await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout;

    const second = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('already configured');
    expect(await stat()).toBe(statBefore);
    expect(await host.dockerdPid()).toBe(pid);
    expect((await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout).toBe(id);
    // its image's tag removed (docker rmi -f, an image prune): the running registry needs no pull, nor a new record
    await host.docker('rmi', '-f', 'registry:3');
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    expect(await stat()).toBe(statBefore);
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!).imageSource).toBe('already on this host');

    // a second registry under another name: refused (its record would replace this one's), nothing changed
    const other = await host.tool('--yes', '--address', TEST_ADDRESS, '--name', 'cache', '--port', '5001');
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain(`setup-registry already manages the registry registry (${ENTRY}) on this host`);
    expect(await stat()).toBe(statBefore);
    expect((await host.docker('ps', '-a', '--format', '{{.Names}}')).stdout.trim()).toBe('registry');
  });

  it('a rerun with fewer flags keeps what the install recorded (address, port); a flag given changes just that', async () => {
    host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--port', '5001')).exitCode).toBe(0);
    const daemonJson = host.readFile('/etc/docker/daemon.json');
    const id = (await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout;
    // Neither --address (this test host has no primary IPv4 to fall back on) nor --port: the recorded ones.
    const again = await host.tool('--yes');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(`already configured: the registry at ${TEST_ADDRESS}:5001 is running`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(daemonJson);
    expect((await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout).toBe(id);
    // --port alone moves the port only: the address stays, the old entry goes.
    const moved = await host.tool('--yes', '--port', '5002');
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`note: clients that use ${TEST_ADDRESS}:5001 must use ${TEST_ADDRESS}:5002 now: on each, setup-registry trust ${TEST_ADDRESS}:5002 --yes, then setup-registry untrust ${TEST_ADDRESS}:5001 --yes`);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'log-driver': 'json-file', 'insecure-registries': [`${TEST_ADDRESS}:5002`] });
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!)).toMatchObject({ address: TEST_ADDRESS, port: 5002 });
    expect((await host.push(`${TEST_ADDRESS}:5002`, 'moved')).ok).toBe(true);
    // Another --name (without --address): refused as a second registry, with the way out, not for want of an address
    const second = await host.tool('--yes', '--name', 'reg2', '--port', '5003');
    expect([second.exitCode, second.stderr.trim()]).toEqual([2, `setup-registry: setup-registry already manages the registry registry (${TEST_ADDRESS}:5002) on this host, and manages one per host; to change that one, run again with --name registry; for another, uninstall it first`]);
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!)).toMatchObject({ name: 'registry', port: 5002 });
  });

  it('moves an existing DOCKER_OPTS --insecure-registry into daemon.json: a restart succeeds and both registries are trusted', async () => {
    host = await TestHost.create({ defaultDocker: '# site settings\nDOCKER_OPTS="--insecure-registry 10.1.2.3:5000 --log-level=warn"\n' });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.daemon).toBe('restart');
    expect(host.readFile('/etc/default/docker')).toBe('# site settings\nDOCKER_OPTS="--log-level=warn"\n');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual(['10.1.2.3:5000', ENTRY]);

    // A full restart the way the host does it must succeed (no flag-vs-file conflict left).
    const restart = await host.exec(['service', 'docker', 'restart']);
    expect(restart.exitCode).toBe(0);
    await host.waitForDocker();
    const live = JSON.parse((await host.docker('info', '--format', '{{json .RegistryConfig.IndexConfigs}}')).stdout);
    expect(live['10.1.2.3:5000']?.Secure).toBe(false);
    expect(live[ENTRY]?.Secure).toBe(false);
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain('--log-level=warn');
    expect((await pushWorks(host, 'opts')).ok).toBe(true);
  });

  it('DOCKER_OPTS as the blog posts write it ("$DOCKER_OPTS --insecure-registry ...", escaped quotes): every flag moves into daemon.json, the rest stays as written, a restart succeeds; or, with --method docker-opts, the flag is added there', async () => {
    // Each line as `echo 'DOCKER_OPTS="$DOCKER_OPTS ..."' >> /etc/default/docker` leaves it: the init script sources them in order.
    const blog = '# site settings\nDOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\nDOCKER_OPTS="$DOCKER_OPTS --label=\\"site=a\\" --insecure-registry=10.4.5.6:5000 --log-level=warn"\n';
    host = await TestHost.create({ defaultDocker: blog });
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain('--insecure-registry 10.1.2.3:5000 --label="site=a"');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe('# site settings\nDOCKER_OPTS=""\nDOCKER_OPTS="$DOCKER_OPTS --label=\\"site=a\\" --log-level=warn"\n');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual(['10.1.2.3:5000', '10.4.5.6:5000', ENTRY]);
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.2.3:5000', '10.4.5.6:5000', ENTRY]));
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain('--label="site=a" --log-level=warn');
    expect((await pushWorks(host, 'blog')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    await host.destroy();

    host = await TestHost.create({ defaultDocker: blog });
    const opts = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts');
    expect(opts.exitCode, opts.stdout + opts.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe(blog.replace('--log-level=warn"', `--log-level=warn --insecure-registry ${ENTRY}"`));
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.2.3:5000', '10.4.5.6:5000', ENTRY]));
    expect((await pushWorks(host, 'blogopts')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts')).stdout).toContain('already configured');
  });

  it('DOCKER_OPTS over continuation lines (a flag a line): the flag moves into daemon.json, the other lines stay, and the restart takes them', async () => {
    const multi = 'DOCKER_OPTS="--log-level=warn \\\n  --insecure-registry 10.1.2.3:5000 \\\n  --label=site=a"\n';
    host = await TestHost.create({ defaultDocker: multi });
    expect((await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout).toContain('--insecure-registry 10.1.2.3:5000');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--log-level=warn \\\n \\\n  --label=site=a"\n');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual(['10.1.2.3:5000', ENTRY]);
    const args = (await host.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    expect(args).toContain('--log-level=warn');
    expect(args).toContain('--label=site=a');
    expect(args).not.toContain('--insecure-registry');
    expect((await pushWorks(host, 'multiline')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
  });

  it('--method docker-opts appends the flag to DOCKER_OPTS and restarts; the push works; a provisioning pass without --method keeps it so; moved to daemon.json with another port, the old flag goes, and uninstall leaves nothing', async () => {
    const original = '# keep me\nDOCKER_OPTS="--log-level=warn"\nOTHER=1\n';
    host = await TestHost.create({ defaultDocker: original });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe(`# keep me\nDOCKER_OPTS="--log-level=warn --insecure-registry ${ENTRY}"\nOTHER=1\n`);
    expect(host.readFile('/etc/docker/daemon.json')).toBeNull();
    expect((await pushWorks(host, 'viaopts')).ok).toBe(true);
    const again = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts');
    expect(again.stdout).toContain('already configured');
    // The recorded way is kept: no move into daemon.json, no restart of dockerd (and of every container).
    const pid = await host.dockerdPid();
    const plain = await host.tool('--yes');
    expect(plain.stdout).toContain('already configured');
    expect(await host.dockerdPid()).toBe(pid);
    expect(host.readFile('/etc/docker/daemon.json')).toBeNull();

    const moved = await host.tool('--yes', '--port', '5001', '--method', 'daemon-json');
    expect(moved.exitCode, moved.stdout + moved.stderr).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual([`${TEST_ADDRESS}:5001`]);
    expect(host.readFile('/etc/default/docker')).toBe(original);
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);
    expect((await host.push(`${TEST_ADDRESS}:5001`, 'moved')).ok).toBe(true);
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual([]);
    expect(host.readFile('/etc/default/docker')).toBe(original);
  });

  it("--method docker-opts on Debian's own /etc/default/docker (no DOCKER_OPTS in it): the line it adds goes at uninstall with its comment, leaving the file byte for byte; a file it wrote goes too", async () => {
    const shipped = readFileSync(new URL('../fixtures/debian-default-docker', import.meta.url), 'utf8');
    host = await TestHost.create({ defaultDocker: shipped });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe(`${shipped}# Added by setup-registry: the line below goes when its last --insecure-registry flag does.\nDOCKER_OPTS="--insecure-registry ${ENTRY}"\n`);
    expect((await pushWorks(host, 'debianopts')).ok).toBe(true);
    const dockerdArgs = async () => (await host!.exec(['ps', '-o', 'args=', '-C', 'dockerd'])).stdout;
    expect(await dockerdArgs()).toContain(`--insecure-registry ${ENTRY}`);
    const gone = await host.tool('uninstall', '--yes');
    expect(gone.exitCode, gone.stdout + gone.stderr).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBe(shipped);
    expect(await dockerdArgs()).not.toContain('--insecure-registry');
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);

    // No /etc/default/docker at all: the tool writes one, and uninstall takes it away again.
    await host.sh('rm /etc/default/docker');
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts')).exitCode).toBe(0);
    expect(host.readFile('/etc/default/docker')).toContain(`DOCKER_OPTS="--insecure-registry ${ENTRY}"`);
    expect((await pushWorks(host, 'newopts')).ok).toBe(true);
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    expect(host.readFile('/etc/default/docker')).toBeNull();
    expect(await dockerdArgs()).not.toContain('--insecure-registry');
  });

  it('dockerd started with --config-file (here from DOCKER_OPTS): that file gets the entry, /etc/docker/daemon.json is left alone, the reload takes it, and uninstall takes it out there', async () => {
    host = await TestHost.create({ startDocker: false, defaultDocker: 'DOCKER_OPTS="--config-file /etc/docker/alt.json"\n' });
    host.writeFile('/etc/docker/alt.json', '{"debug": true}\n');
    host.writeFile('/etc/docker/daemon.json', '{"log-level": "info"}\n');
    await host.startDocker();
    await host.loadRegistryImage('registry:3');
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/docker/alt.json')).toBe(`{"debug": true, "insecure-registries": ["${ENTRY}"]}\n`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"log-level": "info"}\n');
    expect(await host.dockerdPid()).toBe(pid);
    expect((await pushWorks(host, 'altconfig')).ok).toBe(true);
    expect((await host.tool('check')).exitCode).toBe(0);
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    expect(host.readFile('/etc/docker/alt.json')).toBe('{"debug": true, "insecure-registries": []}\n');
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);
  });

  it('the trust key misspelled in daemon.json: "insecure_registries" (dockerd refuses the file) refuses the install, nothing changed, check names the rename, which works; "insecure-registry" (a flag\'s name, which dockerd ignores) gets a warning', async () => {
    host = await TestHost.create();
    // written under a running dockerd, which has not read it: its next reload or start would fail
    const misspelled = '{"debug": true, "insecure_registries": ["10.1.1.1:5000"]}\n';
    host.writeFile('/etc/docker/daemon.json', misspelled);
    const refused = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect([refused.exitCode, refused.stderr.trim()]).toEqual([2, 'setup-registry: dockerd would refuse its configuration at the reload this needs: "insecure_registries" in /etc/docker/daemon.json is no key dockerd knows (it means "insecure-registries"), and runs now only because it has not re-read the file since it started; rename it, then run again']);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(misspelled);
    expect((await host.docker('ps', '-aq')).stdout).toBe('');
    const check = await host.tool('check', '--json', '--only', 'daemon-json-keys', '--address', TEST_ADDRESS);
    expect(JSON.parse(check.stdout).checks).toEqual([expect.objectContaining({ id: 'daemon-json-keys', status: 'fail', fix: 'rename "insecure_registries" to "insecure-registries" in /etc/docker/daemon.json (merged into it, if it is there too)' })]);
    // the fix works: dockerd reads it, and the install adds to it
    host.writeFile('/etc/docker/daemon.json', misspelled.replace('insecure_registries', 'insecure-registries'));
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(await host.liveInsecure())).toEqual(expect.arrayContaining(['10.1.1.1:5000', ENTRY]));
    expect((await pushWorks(host, 'renamed')).ok).toBe(true);
    // under the flag's name dockerd starts and reloads, and never reads it: a warning, and the install goes on
    host.writeFile('/etc/docker/daemon.json', `{"insecure-registry": ["10.2.2.2:5000"], "insecure-registries": ["${ENTRY}"]}\n`);
    const warned = await host.tool('check', '--json', '--only', 'daemon-json-keys');
    expect(JSON.parse(warned.stdout).checks).toEqual([expect.objectContaining({ status: 'warn', message: expect.stringContaining('"insecure-registry" in /etc/docker/daemon.json is a flag\'s name, not a key: dockerd ignores it') })]);
    await host.sh('kill -HUP $(cat /var/run/docker.pid)');
    expect((await host.tool('--yes')).exitCode).toBe(0);
    expect(Object.keys(await host.liveInsecure())).not.toContain('10.2.2.2:5000');
  });

  it('--dry-run shows the diff and changes nothing', async () => {
    host = await TestHost.create({ daemonJson: '{"debug": true}\n' });
    const r = await host.tool('--dry-run', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`-{"debug": true}\n`);
    expect(r.stdout).toContain(`+{"debug": true, "insecure-registries": ["${ENTRY}"]}\n`);
    expect(r.stdout).toContain('docker run -d --name registry');
    expect(r.stdout).not.toContain('is not an address of this host');
    // an address this host does not have: the plan says where the verification will go
    const away = await host.tool('--dry-run', '--address', '192.0.2.10');
    expect(away.stdout).toContain('192.0.2.10 is not an address of this host: the verification reaches the registry there');
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"debug": true}\n');
    expect((await host.docker('ps', '-aq')).stdout).toBe('');
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
  });

  it('refuses bad input and bad hosts with one line, exit 2 (under --json, a JSON object with the error too), and changes nothing', async () => {
    // dockerd running, then someone breaks daemon.json by hand (moby#30183).
    host = await TestHost.create();
    host.writeFile('/etc/docker/daemon.json', '{\n  "debug": true,\n  "log-driver" "json-file"\n}\n');
    const malformed = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toMatch(/\/etc\/docker\/daemon\.json:3:\d+: not valid JSON/);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{\n  "debug": true,\n  "log-driver" "json-file"\n}\n');

    host.writeFile('/etc/docker/daemon.json', '{}\n');
    host.writeFile('/var/lib/a-file', 'not a directory\n');
    for (const args of [['--port', '0'], ['--port', '70000'], ['--address', 'a b'], ['--address', '1.2.3.4"; rm -rf /'], ['--method', 'bogus'], ['--data-dir', '/var/lib/a-file'], ['--data-dir', '/var/lib/a-file/images']]) {
      const r = await host.tool('--yes', '--address', TEST_ADDRESS, ...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      if (args[1]!.includes('a-file')) expect(r.stderr.trim()).toBe(`setup-registry: --data-dir: ${args[1]} is not a directory`);
    }
    // Dotted numbers that are no IPv4 address: refused as such, not taken for a host name and waited on for --timeout
    for (const [args, error] of [
      [['--address', '300.1.1.1'], '--address: "300.1.1.1" is not an IPv4 address (four numbers from 0 to 255, without leading zeros), nor a host name (whose last part is not all digits)'],
      [['--address', '10.0.0'], '--address: "10.0.0" is not an IPv4 address'],
      [['--address', '10.0.0.01'], '--address: "10.0.0.01" is not an IPv4 address'],
      [['--san', 'registry.lan'], '--san goes with --tls'],
      [['--tls', '--san', 'a b'], '--san: "a b" is not a host name or IPv4 address'],
    ] as const) {
      const r = await host.tool('--yes', '--address', TEST_ADDRESS, ...args);
      expect([r.exitCode, r.stderr.trim().split('\n').length], args.join(' ')).toEqual([2, 1]);
      expect(r.stderr).toContain(`setup-registry: ${error}`);
    }
    // IPv6 is named as such; a DOCKER_OPTS that ends in a bare --insecure-registry takes no flag after it
    const v6 = await host.tool('--yes', '--address', 'fd00::1');
    expect([v6.exitCode, v6.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(v6.stderr).toContain('"fd00::1" is an IPv6 address');
    const defaults = host.readFile('/etc/default/docker');
    host.writeFile('/etc/default/docker', 'DOCKER_OPTS="--debug --insecure-registry"\n');
    const bare = await host.tool('--yes', '--address', TEST_ADDRESS, '--method', 'docker-opts');
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toContain('DOCKER_OPTS in /etc/default/docker ends in --insecure-registry with no registry after it');
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--debug --insecure-registry"\n');
    if (defaults === null) await host.sh('rm /etc/default/docker');
    else host.writeFile('/etc/default/docker', defaults);
    // a host name that does not resolve here: refused before anything changes, not after --timeout
    const unresolved = await host.tool('--yes', '--address', 'registry.example.invalid');
    expect(unresolved.exitCode).toBe(2);
    expect(unresolved.stderr.trim().split('\n')).toHaveLength(1);
    expect(unresolved.stderr).toMatch(/--address registry\.example\.invalid does not resolve on this host \(E[A-Z_]+\)/);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    // under --json, stdout still carries one JSON object, for the provisioning tool that parses it
    for (const args of [['--port', '0'], ['--address', 'registry.example.invalid'], ['--bogus-flag']]) {
      const r = await host.tool('--yes', '--json', '--address', TEST_ADDRESS, ...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ ok: false, changed: false, error: expect.any(String), exitCode: 2 });
    }
    expect(JSON.parse((await host.tool('--yes', '--json', '--port', '0')).stdout).error).toBe('--port: "0" is not a port (1-65535)');

    // without root: a change is refused at once; a dry run or a check says why dockerd cannot be asked
    const nobody = await host.toolAsNobody('--yes', '--address', TEST_ADDRESS);
    expect([nobody.exitCode, nobody.stderr.trim()]).toEqual([2, "setup-registry: must run as root: it changes Docker's configuration and containers (run it with sudo; --dry-run does not need root)"]);
    const nobodyDry = await host.toolAsNobody('--dry-run', '--address', TEST_ADDRESS);
    expect(nobodyDry.exitCode).toBe(2);
    expect(nobodyDry.stderr).toContain('cannot ask dockerd: its socket is not open to this user');
    expect((await host.toolAsNobody('check', '--only', 'dockerd-running', '--address', TEST_ADDRESS)).stdout).toContain("dockerd's socket is not open to this user");

    const noTty = await host.tool('--address', TEST_ADDRESS);
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain('--yes');

    // The trust's key twice in daemon.json: dockerd reads the last, an edit would land on the first.
    const twice = '{"insecure-registries": ["10.9.9.9:5000"], "insecure-registries": ["10.8.8.8:5000"]}\n';
    host.writeFile('/etc/docker/daemon.json', twice);
    const repeated = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect([repeated.exitCode, repeated.stderr.trim()]).toEqual([2, 'setup-registry: /etc/docker/daemon.json: "insecure-registries" appears more than once, and dockerd reads only the last (["10.8.8.8:5000"]); merge them into one by hand, it was left unchanged']);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(twice);
    // A directory where daemon.json belongs (what a bind mount of a missing file leaves)
    await host.exec(['sh', '-c', 'rm /etc/docker/daemon.json && mkdir /etc/docker/daemon.json']);
    const directory = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect([directory.exitCode, directory.stderr.trim()]).toEqual([2, 'setup-registry: /etc/docker/daemon.json is a directory, not a file: dockerd cannot read its configuration; remove it (or put the file there)']);
    await host.exec(['rmdir', '/etc/docker/daemon.json']);
    host.writeFile('/etc/docker/daemon.json', '{}\n');

    // A port held by a process on one address only (dockerd publishes on every address): named, and nothing changes.
    const listener = await host.sh(`setsid node -e "require('net').createServer().listen(5000, '127.0.0.1')" </dev/null >/dev/null 2>&1 & echo $!
until grep -q ':1388 .* 0A ' /proc/net/tcp; do sleep 0.05; done`);
    const held = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect([held.exitCode, held.stderr.trim()]).toEqual([2, `setup-registry: port 5000 is already in use by node (pid ${listener.stdout.trim()}); choose another with --port`]);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    await host.exec(['kill', listener.stdout.trim()]);

    // A port held by another container: named, and nothing changes.
    await host.docker('run', '-d', '--name', 'squatter', '-p', '5000:5000', 'registry:3');
    const taken = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(taken.exitCode).toBe(2);
    expect(taken.stderr.trim()).toBe('setup-registry: port 5000 is already in use by container squatter (image registry:3); to take that registry over (its images stay where they are), run again with --name squatter, or choose another --port');
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    expect((await host.docker('ps', '-a', '--format', '{{.Names}}')).stdout.trim()).toBe('squatter');
    // the advice works
    const volume = (await host.docker('inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'squatter')).stdout.trim();
    const takeOver = await host.tool('--yes', '--address', TEST_ADDRESS, '--name', 'squatter');
    expect(takeOver.exitCode, takeOver.stderr).toBe(0);
    expect((await host.docker('inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'squatter')).stdout.trim()).toBe(volume);
  });

  it('recreates a registry container whose settings differ, keeping the pushed images', async () => {
    host = await TestHost.create();
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    expect((await pushWorks(host, 'kept')).ok).toBe(true);
    await host.docker('rm', '-f', 'registry');
    await host.docker('run', '-d', '--name', 'registry', '--restart', 'no', '-p', '5000:5000', '-v', '/var/lib/registry:/var/lib/registry', 'registry:3');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('restart policy no -> always');
    expect((await host.docker('inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', 'registry')).stdout.trim()).toBe('always');
    await host.docker('rmi', `${ENTRY}/kept:1`);
    expect((await host.docker('pull', `${ENTRY}/kept:1`)).exitCode).toBe(0);
  });

  it("the registry's log is cut (10m, 3 files) under dockerd's default logging, left to dockerd where it caps logs itself; check warns for a log that is never cut", async () => {
    const logConfig = async (h: TestHost) => JSON.parse((await h.docker('inspect', '--format', '{{json .HostConfig.LogConfig}}', 'registry')).stdout) as { Type: string; Config: Record<string, string> };
    const logsCheck = async (h: TestHost) => (JSON.parse((await h.tool('check', '--json', '--only', 'container-logs')).stdout) as { checks: { status: string; message: string; fix?: string }[] }).checks[0]!;
    host = await TestHost.create({ daemonJson: '{}\n' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    expect(await logConfig(host)).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(await logsCheck(host)).toMatchObject({ status: 'ok', message: 'json-file, cut at 10m (3 files)' });
    // made again by hand without a cap: check warns, a rerun leaves it running; the fix recreates it with one
    await host.docker('rm', '-f', 'registry');
    await host.docker('run', '-d', '--name', 'registry', '--restart', 'always', '-p', '5000:5000', '-v', '/var/lib/registry:/var/lib/registry', '-e', 'REGISTRY_STORAGE_DELETE_ENABLED=true', '--label', 'io.github.setup-registry.managed=true', 'registry:3');
    const uncut = await logsCheck(host);
    expect(uncut).toMatchObject({ status: 'warn', fix: 'docker rm -f registry && setup-registry repair --yes   (made again with --log-opt max-size=10m --log-opt max-file=3; the images stay)' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    // the fix, as an operator types it
    await host.docker('rm', '-f', 'registry');
    expect((await host.tool('repair', '--yes')).exitCode).toBe(0);
    expect((await logConfig(host)).Config).toEqual({ 'max-size': '10m', 'max-file': '3' });
    expect((await pushWorks(host, 'cut')).ok).toBe(true);
    await host.destroy();
    // dockerd caps logs itself ("log-opts"): its cap is the container's, none of ours added
    host = await TestHost.create({ daemonJson: '{"log-opts": {"max-size": "50m"}}\n' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    expect(await logConfig(host)).toEqual({ Type: 'json-file', Config: { 'max-size': '50m' } });
    expect(await logsCheck(host)).toMatchObject({ status: 'ok', message: 'json-file, cut at 50m' });
  });

  it('a data directory on a disk of its own, unmounted on the host while the registry runs: it keeps serving from it, and a rerun does not restart it onto the empty mount point', async () => {
    host = await TestHost.create();
    await host.exec(['sh', '-c', 'mkdir -p /var/lib/registry && mount -t tmpfs disk /var/lib/registry']);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    expect((await pushWorks(host, 'ondisk')).ok).toBe(true);
    const started = (await host.docker('inspect', '-f', '{{.State.StartedAt}}', 'registry')).stdout;
    await host.exec(['umount', '-l', '/var/lib/registry']);
    const again = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(again.stdout).toContain('already configured');
    expect((await host.docker('inspect', '-f', '{{.State.StartedAt}}', 'registry')).stdout).toBe(started);
    expect((await host.tool('catalog')).stdout.trim()).toBe('ondisk');
  });

  it('a host name as the address (here from /etc/hosts, written just before the run, while dockerd still holds its 5 s copy of the file; given in capitals): trusted by that name in lowercase, as dockerd matches it letter for letter, and a push by that name works', async () => {
    host = await TestHost.create();
    host.writeFile('/etc/hosts', `${host.readFile('/etc/hosts') ?? ''}${TEST_ADDRESS} registry.test\n`);
    const r = await host.tool('--yes', '--address', 'Registry.TEST');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual(['registry.test:5000']);
    expect((await host.push('registry.test:5000', 'named')).ok).toBe(true);
  });

  it('dockerd with userns-remap: the registry stays remapped where it can work, runs unmapped (--userns host) on a directory root owns or with TLS, and pushes work', async () => {
    host = await TestHost.create({ daemonJson: '{"userns-remap": "default"}\n' });
    // no data directory yet: dockerd makes it for the remapped root, and the registry stays remapped
    const fresh = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(fresh.exitCode, fresh.stdout + fresh.stderr).toBe(0);
    expect(fresh.stdout).not.toContain('--userns host');
    expect((await host.docker('inspect', '-f', '{{.HostConfig.UsernsMode}}', 'registry')).stdout.trim()).toBe('');
    expect((await host.sh('stat -c %u /var/lib/registry')).stdout.trim()).toBe('100000');
    expect((await host.push(ENTRY, 'remapped')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');

    // made before by root (a first install, by hand): a remapped root cannot write it
    expect((await host.tool('uninstall', '--yes', '--purge')).exitCode).toBe(0);
    await host.sh('mkdir -p /var/lib/registry');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('dockerd remaps container users (userns-remap): the registry runs with --userns host');
    expect((await host.docker('inspect', '-f', '{{.HostConfig.UsernsMode}}', 'registry')).stdout.trim()).toBe('host');
    expect((await host.push(ENTRY, 'unmapped')).ok).toBe(true);
    await host.docker('run', '-d', '--name', 'other', 'registry:3');
    expect((await host.docker('inspect', '-f', '{{.HostConfig.UsernsMode}}', 'other')).stdout.trim()).toBe('');
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    expect((await host.tool('check')).exitCode).toBe(0);
    // TLS: the registry reads its key (root's, mode 0600), and the install's own push over TLS works
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    const secure = await host.tool('--yes', '--address', TEST_ADDRESS, '--tls');
    expect(secure.exitCode, secure.stdout + secure.stderr).toBe(0);
    expect(secure.stdout).toContain('to use /var/lib/registry and its TLS key as root owns them on this host');
  });

  it('an address inside a CIDR block dockerd already trusts: daemon.json untouched, no reload, a push works, and uninstall leaves the block', async () => {
    const config = '{"insecure-registries": ["198.18.0.0/16"]}\n';
    host = await TestHost.create({ daemonJson: config });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('plan (dockerd: untouched)');
    expect(r.stdout).toContain(`${ENTRY} is trusted by 198.18.0.0/16 in dockerd's insecure registries: no entry of its own needed`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(config);
    expect((await host.push(ENTRY, 'bycidr')).ok).toBe(true);
    const check = await host.tool('check', '--only', 'registry-configured,registry-trusted');
    expect(check.stdout).toContain('is trusted by 198.18.0.0/16 in the configuration, so it survives a restart');
    expect(check.exitCode).toBe(0);
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(config);
    // untrust removes no block other registries may need, and says the registry stays trusted by it
    const untrust = await host.tool('untrust', ENTRY, '--yes');
    expect([untrust.exitCode, untrust.stdout.trim()]).toEqual([0, `${ENTRY} stays trusted by 198.18.0.0/16 in dockerd's insecure registries, a block untrust leaves in place; nothing changed`]);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(config);
  });

  it('the entry written "http://HOST:PORT" (dockerd drops the scheme and trusts it): daemon.json untouched, no reload, a push works; check warns with the fix; untrust removes it', async () => {
    const config = `{"insecure-registries": ["http://${ENTRY}"]}\n`;
    host = await TestHost.create({ daemonJson: config });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('plan (dockerd: untouched)');
    expect(r.stdout).toContain(`${ENTRY} is trusted by "http://${ENTRY}" (dockerd drops the scheme) in dockerd's insecure registries: no entry of its own needed`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(config);
    expect((await host.push(ENTRY, 'schemed')).ok).toBe(true);
    const check = await host.tool('check');
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`! insecure-entries +insecure-registries entry "http://${ENTRY}" has a scheme: dockerd drops it and trusts ${ENTRY}, with a warning at every start\\n +fix: write it as ${ENTRY} in /etc/docker/daemon.json`));
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    expect((await host.tool('uninstall', '--yes')).exitCode).toBe(0);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(config);
    // the operator's own entry, as written: untrust of the registry removes it
    const untrust = await host.tool('untrust', ENTRY, '--yes');
    expect(untrust.exitCode, untrust.stdout + untrust.stderr).toBe(0);
    expect(untrust.stdout).toContain(`no longer trusted: ${ENTRY}`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"insecure-registries": []}\n');
    expect((await host.docker('info', '--format', '{{json .RegistryConfig.IndexConfigs}}')).stdout).not.toContain(ENTRY);
  });

  it('dockerd publishing on 127.0.0.1 by default ("ip"): the registry is published on its own address, where clients reach it, and a push works', async () => {
    host = await TestHost.create({ daemonJson: '{"ip": "127.0.0.1"}\n' });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--timeout', '10');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('dockerd publishes ports on 127.0.0.1 unless told otherwise');
    expect((await host.docker('port', 'registry', '5000')).stdout.trim()).toBe(ENTRY);
    expect((await host.push(ENTRY, 'everywhere')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).stdout).toContain('already configured');
    // one published without an address, as by hand: on 127.0.0.1 here, which check names and repair fixes
    await host.docker('rm', '-f', 'registry');
    await host.docker('run', '-d', '--name', 'registry', '--restart', 'always', '-p', '5000:5000', '-v', '/var/lib/registry:/var/lib/registry', '-e', 'REGISTRY_STORAGE_DELETE_ENABLED=true', '--label', 'io.github.setup-registry.managed=true', 'registry:3');
    const c = await host.tool('check', '--only', 'container-port');
    expect(c.stdout).toContain(`${ENTRY} is not published (127.0.0.1:5000)`);
    expect((await host.tool('repair', '--yes')).exitCode).toBe(0);
    expect((await host.docker('port', 'registry', '5000')).stdout.trim()).toBe(ENTRY);
  });

  it('"insecure-registries": null (what a template writes for an empty list; dockerd reads it as none): replaced by the list, and a push works', async () => {
    host = await TestHost.create({ daemonJson: '{"insecure-registries": null, "debug": false}\n' });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(`{"insecure-registries": ["${ENTRY}"], "debug": false}\n`);
    expect((await host.push(ENTRY, 'fromnull')).ok).toBe(true);
  });

  it('a registry on loopback (localhost): daemon.json untouched, no reload, published on loopback only, and a push works', async () => {
    host = await TestHost.create({ daemonJson: `${JSON.stringify(UNRELATED, null, 2)}\n` });
    const before = host.readFile('/etc/docker/daemon.json');
    const pid = await host.dockerdPid();
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const r = await host.tool('--yes', '--address', 'localhost');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('localhost:5000 is on loopback, which dockerd always trusts: no configuration needed');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(before);
    expect(await host.dockerdPid()).toBe(pid);
    const events = await host.docker('events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=daemon', '--filter', 'type=container', '--format', '{{.Type}} {{.Action}}');
    expect(events.stdout).toContain('container start');
    expect(events.stdout).not.toContain('daemon reload');
    expect((await host.push('localhost:5000', 'local')).ok).toBe(true);
    // published on loopback only: not on the host's other address, which the network would reach
    expect((await host.docker('port', 'registry', '5000')).stdout.trim()).toBe('127.0.0.1:5000');
    expect((await host.exec(['curl', '-sf', '-o', '/dev/null', `http://${ENTRY}/v2/`])).exitCode).not.toBe(0);
    expect((await host.tool('check')).exitCode).toBe(0);
    expect((await host.tool('--yes', '--address', 'localhost')).stdout).toContain('already configured');
  });

  it('takes over a registry started by hand as the docs say (images in an anonymous volume): same volume, images still served', async () => {
    host = await TestHost.create();
    await host.docker('run', '-d', '-p', '5000:5000', '--restart=always', '--name', 'registry', 'registry:3');
    const volume = (await host.docker('inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'registry')).stdout.trim();
    expect(volume).toMatch(/^[0-9a-f]{64}$/);
    // loopback is trusted without configuration: what an operator pushed before the tool
    expect(await waitForValue(async () => ((await host!.push('localhost:5000', 'mine')).ok ? true : null), 10_000)).toBe(true);

    // nothing installed yet: check (and so repair) looks at the images where the container keeps them
    expect((await host.tool('check', '--address', TEST_ADDRESS, '--only', 'container-data-dir')).stdout).toContain(`volume ${volume} mounted`);

    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`its images stay in volume ${volume}`);
    expect(r.stdout).toContain(`data in volume ${volume}`);
    const inspect = JSON.parse((await host.docker('inspect', 'registry')).stdout)[0];
    expect(inspect.Mounts.map((m: { Name?: string; Destination: string }) => [m.Name, m.Destination])).toEqual([[volume, '/var/lib/registry']]);
    expect(inspect.Config.Labels['io.github.setup-registry.managed']).toBe('true');
    // the new registry serves what the old one held, at the address clients use
    await host.docker('rmi', 'localhost:5000/mine:1');
    expect((await host.docker('pull', `${ENTRY}/mine:1`)).exitCode).toBe(0);

    const again = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(again.stdout).toContain('already configured');
    expect((await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout.trim()).toBe(inspect.Id);
    expect((await host.tool('check')).exitCode).toBe(0);

    // uninstall --purge deletes the images: here, the volume
    const purge = await host.tool('uninstall', '--yes', '--purge');
    expect(purge.exitCode, purge.stderr).toBe(0);
    expect(purge.stdout).toContain(`docker volume rm ${volume}`);
    expect((await host.docker('volume', 'ls', '-q')).stdout).not.toContain(volume);
  });

  it("refuses to replace someone else's container whose files or settings would be lost", async () => {
    host = await TestHost.create({ daemonJson: '{}\n' });
    const idOf = async (name: string) => (await host!.docker('inspect', '--format', '{{.Id}}', name)).stdout.trim();
    // not a registry: it keeps its files inside itself
    await host.makeImage('local/app:1');
    await host.docker('create', '--name', 'registry', 'local/app:1', '/payload');
    const app = await idOf('registry');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('a container named registry (image local/app:1) exists and was not made by setup-registry; it has nothing mounted at /var/lib/registry');
    expect(await idOf('registry')).toBe(app);
    // a registry configured by hand: its settings would be lost
    await host.docker('run', '-d', '--name', 'hub', '-p', '5000:5000', '-e', 'REGISTRY_HTTP_SECRET=s3cret', 'registry:3');
    const hub = await idOf('hub');
    const configured = await host.tool('--yes', '--address', TEST_ADDRESS, '--name', 'hub');
    expect(configured.exitCode).toBe(2);
    expect(configured.stderr).toContain('replacing it would lose its settings (REGISTRY_HTTP_SECRET); to only make dockerd trust it: setup-registry trust 198.18.0.1:5000');
    expect(await idOf('hub')).toBe(hub);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    // the advice works: dockerd trusts that registry as it is
    const trusted = await host.tool('trust', ENTRY, '--yes');
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect((await pushWorks(host, 'to-hub')).ok).toBe(true);
    expect(await idOf('hub')).toBe(hub);
  });

  it('a directive both a flag and in daemon.json (-H and "hosts"): refused at once, dockerd untouched; check names the fix, which works', async () => {
    // dockerd started with -H; "hosts" went into daemon.json later, so only its next reload or start would fail
    host = await TestHost.create({ defaultDocker: 'DOCKER_OPTS="-H unix:///var/run/docker.sock"\n', daemonJson: '{"log-driver": "json-file"}\n' });
    const conflicting = '{"log-driver": "json-file", "hosts": ["unix:///var/run/docker.sock"]}\n';
    host.writeFile('/etc/docker/daemon.json', conflicting);
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`dockerd would refuse its configuration at the reload this needs: "hosts" is in /etc/docker/daemon.json and also given as -H (the running dockerd's command line)`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(conflicting);
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect(await host.dockerdPid()).toBe(pid);
    expect((await host.docker('ps', '-aq', '--filter', 'name=^registry$')).stdout.trim()).toBe('');
    // the trust command plans the same reload: refused the same way
    expect((await host.tool('trust', ENTRY, '--yes')).stderr).toContain('"hosts" is in /etc/docker/daemon.json and also given as -H');
    const check = JSON.parse((await host.tool('check', '--json', '--address', TEST_ADDRESS)).stdout);
    expect(check.checks.find((c: { id: string }) => c.id === 'daemon-flag-conflict')).toMatchObject({
      status: 'fail',
      fix: 'keep one of the two: remove "hosts" from /etc/docker/daemon.json, or -H from DOCKER_OPTS in /etc/default/docker',
    });
    // the fix, as check gives it
    host.writeFile('/etc/docker/daemon.json', '{"log-driver": "json-file"}\n');
    const fixed = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    expect(await host.dockerdPid()).toBe(pid);
    expect((await host.push(ENTRY, 'after-fix')).ok).toBe(true);
  });

  it('dockerd serving its API on a socket of its own (-H unix:///run/alt.sock) is found there and installed to; one on tcp:// only is refused, naming the fix, nothing changed', async () => {
    host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    const h = host;
    // The registry image is loaded while dockerd is on the default socket; then dockerd moves.
    const restartWith = async (opts: string, ready: string) => {
      const r = await h.sh(`/etc/init.d/docker stop >/dev/null; echo 'DOCKER_OPTS="${opts}"' > /etc/default/docker; /etc/init.d/docker start >/dev/null; for i in $(seq 100); do ${ready} && exit 0; sleep 0.1; done; exit 1`);
      expect(r.exitCode, r.stderr).toBe(0);
    };
    const alt = 'DOCKER_HOST=unix:///run/alt.sock';
    await restartWith('-H unix:///run/alt.sock', `${alt} docker version >/dev/null 2>&1`);
    expect(host.readFile('/var/run/docker.sock')).toBeNull();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const check = await host.tool('check');
    expect(check.exitCode, check.stdout).toBe(0);
    const live = JSON.parse((await host.sh(`${alt} docker info --format '{{json .RegistryConfig.IndexConfigs}}'`)).stdout);
    expect(live[ENTRY]).toMatchObject({ Secure: false });
    const push = await host.sh(`export ${alt}; d=$(mktemp -d) && echo alt > $d/p && tar -C $d -c p | docker import - local/alt:1 >/dev/null && docker tag local/alt:1 ${ENTRY}/alt:1 && docker push ${ENTRY}/alt:1`);
    expect(push.exitCode, push.stdout + push.stderr).toBe(0);

    await restartWith('-H tcp://127.0.0.1:2375', 'docker -H tcp://127.0.0.1:2375 version >/dev/null 2>&1');
    const daemonJson = host.readFile('/etc/docker/daemon.json');
    const refused = await host.tool('--yes', '--address', TEST_ADDRESS, '--port', '5001');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/dockerd \(pid \d+\) serves its API only on tcp:\/\/127\.0\.0\.1:2375, and setup-registry asks it over a unix socket: add -H unix:\/\/\/var\/run\/docker\.sock to its options .*, and restart it, then run again/);
    expect(host.readFile('/etc/docker/daemon.json')).toBe(daemonJson);
    const checked = JSON.parse((await host.tool('check', '--json')).stdout);
    expect(checked.checks.find((c: { id: string }) => c.id === 'dockerd-running')).toMatchObject({ status: 'fail', fix: expect.stringContaining('add -H unix:///var/run/docker.sock to its options') });
  });

  it("dockerd behind a proxy that cannot reach the registry: the plan says so, the failed push names the proxy and the fix, which works", async () => {
    // The Debian way: /etc/default/docker exports the proxy to dockerd. Nothing listens on that port.
    const proxied = 'export HTTP_PROXY="http://127.0.0.1:3128"\n';
    host = await TestHost.create({ defaultDocker: proxied, daemonJson: '{"log-driver": "json-file"}\n' });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    const route = `dockerd reaches ${ENTRY} through the proxy http://127.0.0.1:3128 (its HTTP_PROXY, set in /etc/default/docker; NO_PROXY does not cover ${TEST_ADDRESS})`;
    const fix = `add ${TEST_ADDRESS} to dockerd's NO_PROXY in /etc/default/docker, then: service docker restart`;
    expect(r.stdout).toContain(`${route}: pushes go through that proxy, and fail if it cannot reach the registry; to go direct: ${fix}`);
    expect(r.stderr).toContain('proxyconnect tcp: dial tcp 127.0.0.1:3128');
    expect(r.stderr).toContain(`likely cause: ${route}; ${fix}`);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"log-driver": "json-file"}\n');
    const proxyCheck = async () => JSON.parse((await host!.tool('check', '--json', '--address', TEST_ADDRESS)).stdout).checks.find((c: { id: string }) => c.id === 'dockerd-proxy');
    expect(await proxyCheck()).toMatchObject({ status: 'warn', fix });
    // a client host's trust says the same
    expect((await host.tool('trust', ENTRY, '--dry-run')).stdout).toContain(`${route}: pushes go through that proxy, and fail if it cannot reach the registry; to go direct: ${fix}`);
    // the fix, as given
    host.writeFile('/etc/default/docker', `${proxied}export NO_PROXY="${TEST_ADDRESS}"\n`);
    expect((await host.exec(['service', 'docker', 'restart'])).exitCode).toBe(0);
    await host.waitForDocker();
    const fixed = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).not.toContain('through the proxy');
    expect((await host.push(ENTRY, 'direct')).ok).toBe(true);
    expect(await proxyCheck()).toMatchObject({ status: 'ok' });
  });

  it('interactive: asks address, port and storage in a terminal, shows the plan, applies after confirmation (Ctrl-C there changes nothing); asked again, it offers what was installed', async () => {
    host = await TestHost.create({ osRelease: OS_RELEASE.ubuntu22 });
    // Ctrl-C at the plan's question: nothing changed, and the next run is not locked out.
    const daemonJson = host.readFile('/etc/docker/daemon.json');
    const cancelled = host.terminal();
    await cancelled.answer('Address clients will use', `${TEST_ADDRESS}\r`);
    await cancelled.answer('Port', '\r');
    await cancelled.answer('Storage directory', '\r');
    await cancelled.answer('Apply this plan?', '\x03');
    expect(await cancelled.done()).toBe(1);
    expect(cancelled.screen).toContain('setup-registry: cancelled at the prompt: nothing was changed');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(daemonJson);
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect((await host.docker('ps', '-aq')).stdout.trim()).toBe('');
    const term = host.terminal();
    await term.answer('Address clients will use', `${TEST_ADDRESS}\r`);
    await term.answer('Port', '\r');
    await term.answer('Storage directory', '/srv/registry\r');
    expect(await term.expectText('Apply this plan?')).toBe(true);
    expect(term.screen).toContain('Ubuntu 22.04.4 LTS (Debian/Ubuntu), sysvinit');
    expect(term.screen).toContain('+  "insecure-registries": [');
    expect(term.screen).not.toContain('WILL be restarted');
    term.type('y\r');
    expect(await term.done(), term.screen).toBe(0);
    expect(term.screen).toContain(`docker tag IMAGE ${ENTRY}/NAME && docker push ${ENTRY}/NAME`);
    expect((await host.docker('inspect', '--format', '{{range .Mounts}}{{.Source}}{{end}}', 'registry')).stdout.trim()).toBe('/srv/registry');
    expect((await pushWorks(host, 'typed')).ok).toBe(true);
    // Again, Enter at every prompt: each default is what was installed (this test host has no primary IPv4 to offer instead).
    const again = host.terminal();
    await again.answer('Address clients will use', '\r');
    await again.answer('Port', '\r');
    await again.answer('Storage directory', '\r');
    expect(await again.done(), again.screen).toBe(0);
    expect(again.screen).toContain(`already configured: the registry at ${ENTRY} is running`);
  });

  it('daemon.json edited while the plan waits for its confirmation: that edit is kept, nothing else is left changed', async () => {
    host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    const pid = await host.dockerdPid();
    const term = host.terminal();
    await term.answer('Address clients will use', `${TEST_ADDRESS}\r`);
    await term.answer('Port', '\r');
    await term.answer('Storage directory', '\r');
    expect(await term.expectText('Apply this plan?'), term.screen).toBe(true);
    // someone else's change, made while the operator reads the plan
    const theirs = '{"log-driver": "json-file", "log-level": "warn"}\n';
    host.writeFile('/etc/docker/daemon.json', theirs);
    term.type('y\r');
    expect(await term.done()).toBe(1);
    expect(term.screen).toContain('/etc/docker/daemon.json changed since setup-registry read it (another program, or an edit meanwhile); it was left as it is: run again to plan from what it holds now');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(theirs);
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect((await host.docker('ps', '-aq', '--filter', 'name=^registry$')).stdout.trim()).toBe('');
    expect(await host.dockerdPid()).toBe(pid);
    // run again: planned from what it holds now, their key kept
    const again = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'log-driver': 'json-file', 'log-level': 'warn', 'insecure-registries': [ENTRY] });
  });

  it('no registry image and no way to pull one: a clear error naming --image, nothing changed', async () => {
    host = await TestHost.create({ registryImage: false, daemonJson: '{"debug": true}\n' });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('image registry:3 is not on this host and could not be pulled');
    expect(r.stderr).toContain('--image');
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"debug": true}\n');
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect((await host.docker('ps', '-aq')).stdout).toBe('');
  });

  it('interactive, no image on the host: offers to build one from the docker-registry package, and does', async () => {
    host = await TestHost.create({ registryImage: false });
    const term = host.terminal('--address', TEST_ADDRESS);
    await term.answer('Address clients will use', '\r');
    await term.answer('Port', '\r');
    await term.answer('Storage directory', '\r');
    await term.answer('is not on this host', '\x1b[B');
    await new Promise((r) => setTimeout(r, 200));
    term.type('\r');
    expect(await term.expectText('Apply this plan?')).toBe(true);
    expect(term.screen).toContain('build setup-registry/registry:');
    term.type('y\r');
    expect(await term.done(), term.screen.slice(-2000)).toBe(0);
    expect(term.screen).toContain('built from docker-registry');
    expect((await pushWorks(host, 'built')).ok).toBe(true);
  });
});
