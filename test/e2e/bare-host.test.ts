import { expect, it } from 'vitest';
import { describeE2E } from './harness/prerequisites.js';
import { TestHost } from './harness/namespace-host.js';
import { hostEnv, REPO, TEST_ADDRESS } from './harness/host.js';

const ENTRY = `${TEST_ADDRESS}:5000`;

describeE2E('from a bare host: dockerd stopped, no registry image, no Docker Hub', () => {
  let host: TestHost | undefined;

  it('no registry image and no network: --offline-image builds one from the docker-registry package; install, push and check succeed', async () => {
    host = await TestHost.create({ registryImage: false });
    const version = (await host.exec(['dpkg-query', '-W', '-f=${Version}', 'docker-registry'])).stdout.trim();
    const tag = `setup-registry/registry:${version.replace(/[^\w.-]/g, '-')}`;
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--offline-image');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`image ${tag}, built from docker-registry ${version}`);
    expect((await host.docker('inspect', '-f', '{{.Config.Image}}', 'registry')).stdout.trim()).toBe(tag);
    const shape = JSON.parse((await host.docker('image', 'inspect', '-f', '{{json .Config}}', tag)).stdout);
    expect(shape.Entrypoint).toEqual(['/bin/registry']);
    expect(shape.Cmd).toEqual(['serve', '/etc/docker/registry/config.yml']);
    expect(Object.keys(shape.ExposedPorts)).toEqual(['5000/tcp']);
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!)).toMatchObject({ image: tag, imageSource: `built from docker-registry ${version}` });
    expect((await host.push(ENTRY, 'offline')).ok).toBe(true);
    expect((await host.tool('check', '--deep')).exitCode).toBe(0);
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--offline-image')).stdout).toContain('already configured');
  });

  it('without --offline-image, a missing image that cannot be pulled names both ways out', async () => {
    host = await TestHost.create({ registryImage: false });
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('--image');
    // another tag of the registry is here (the docs' registry:2): named, and the advice works
    await host.loadRegistryImage('registry:2');
    const named = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(named.exitCode).toBe(1);
    expect(named.stderr).toContain('image registry:3 is not on this host and could not be pulled; setup-registry --yes --image registry:2 (registry:2 is here)');
    expect(named.stderr).toContain('or setup-registry --yes --offline-image (built from the docker-registry package, with no network)');
    const followed = await host.tool('--yes', '--address', TEST_ADDRESS, '--image', 'registry:2');
    expect(followed.exitCode, followed.stdout + followed.stderr).toBe(0);
  });

  it('--image-archive loads an archive made by docker save and runs it', async () => {
    host = await TestHost.create();
    await host.docker('save', 'registry:3', '-o', '/tmp/registry-archive.tar');
    await host.docker('rmi', 'registry:3');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--image-archive', '/tmp/registry-archive.tar');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('image registry:3, loaded from /tmp/registry-archive.tar');
    expect((await host.push(ENTRY, 'archived')).ok).toBe(true);
    const wrong = await host.tool('--yes', '--address', TEST_ADDRESS, '--image-archive', '/tmp/registry-archive.tar', '--image', 'other:1');
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('--image other:1 is not in /tmp/registry-archive.tar (it holds registry:3)');
  });

  it("root's docker context (docker context use) points elsewhere: the image is still loaded into this host's dockerd", async () => {
    host = await TestHost.create();
    await host.docker('save', 'registry:3', '-o', '/var/tmp/registry-archive.tar');
    await host.docker('rmi', 'registry:3');
    const use = await host.sh('docker context create elsewhere --docker host=unix:///run/nowhere.sock && docker context use elsewhere');
    expect(use.exitCode, use.stderr).toBe(0);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--image-archive', '/var/tmp/registry-archive.tar');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('nowhere.sock');
    expect((await host.sh('DOCKER_CONTEXT=default docker image inspect -f ok registry:3')).stdout.trim()).toBe('ok');
    const push = await host.sh(`export DOCKER_CONTEXT=default; docker tag registry:3 ${ENTRY}/ctx:1 && docker push ${ENTRY}/ctx:1`);
    expect(push.exitCode, push.stderr).toBe(0);
  });

  it('dockerd stopped: started the way the host starts it, then everything converges in a second pass', async () => {
    host = await TestHost.create();
    await host.exec(['service', 'docker', 'stop']);
    expect(await host.dockerdPid()).toBeNull();
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('service docker start');
    // dockerd's own version (`dockerd --version`), not the docker CLI's, which differs on this machine
    const dockerd = (await host.exec(['dockerd', '--version'])).stdout.match(/version ([^\s,]+)/)![1]!;
    expect(r.stdout).toContain(`, Docker ${dockerd}, dockerd not running`);
    expect(r.stdout).toContain('looking at the host again');
    expect(await host.dockerdPid()).toBeGreaterThan(0);
    expect((await host.push(ENTRY, 'started')).ok).toBe(true);
  });

  it("Podman's docker stand-in (podman-docker, RHEL 8+ and Fedora) is named: no dockerd to configure, nothing changed", async () => {
    host = await TestHost.create({ daemonJson: '{}\n' });
    await host.exec(['service', 'docker', 'stop']);
    // The stand-in's answer, on a PATH of the host's own (/run is private to it).
    host.writeFile('/run/podman-docker/docker', '#!/bin/sh\necho "podman version 4.9.4"\n');
    await host.exec(['chmod', '+x', '/run/podman-docker/docker']);
    const path = `PATH=/run/podman-docker:${hostEnv().PATH}`;
    const r = await host.exec(['env', path, 'node', `${REPO}/bin/setup-registry.cjs`, '--yes', '--address', TEST_ADDRESS]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('the docker command here is Podman (podman-docker), which has no dockerd to trust a registry: install Docker');
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    expect(await host.dockerdPid()).toBeNull();
    const check = await host.exec(['env', path, 'node', `${REPO}/bin/setup-registry.cjs`, 'check', '--only', 'dockerd-running', '--address', TEST_ADDRESS]);
    expect(check.stdout).toContain('the docker command here is Podman (podman-docker): there is no dockerd');
  });

  it('dockerd that does not come up: the last lines of its log and nothing left changed', async () => {
    host = await TestHost.create({ daemonJson: '{"debug": false}\n' });
    await host.exec(['service', 'docker', 'stop']);
    host.writeFile('/etc/default/docker', 'DOCKER_OPTS="--no-such-flag"\n');
    // The default --timeout (60 s): the init script's start returns 0 all the same, and the wait sees dockerd gone.
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('dockerd exited: no dockerd process has run for 2 s');
    expect(r.stderr).not.toContain('not after 60 s');
    expect(r.stderr).toContain('last lines of tail -n 15 /var/log/docker.log');
    expect(r.stderr).toContain('unknown flag: --no-such-flag');
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{"debug": false}\n');
    expect(host.readFile('/etc/default/docker')).toBe('DOCKER_OPTS="--no-such-flag"\n');
  });

  it('daemon.json with a byte-order mark (a Windows editor), which dockerd 20.10 cannot start with: check names it; the install writes it without the mark, starts dockerd, and a push works', async () => {
    host = await TestHost.create({ daemonJson: '{"debug": false}\n' });
    await host.exec(['service', 'docker', 'stop']);
    host.writeFile('/etc/docker/daemon.json', '\uFEFF{"debug": false}\n');
    // dockerd itself refuses the file: the reason the mark must go.
    expect((await host.sh("/etc/init.d/docker start >/dev/null; for i in $(seq 50); do grep -q \"invalid character 'ï'\" /var/log/docker.log && ! pidof dockerd && exit 0; sleep 0.1; done; exit 1")).exitCode).toBe(0);
    const check = await host.tool('check', '--address', TEST_ADDRESS, '--only', 'daemon-json-valid');
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain(`/etc/docker/daemon.json starts with a byte-order mark, which dockerd 20.10`);
    expect(check.stdout).toContain("sed -i '1s/^\\xEF\\xBB\\xBF//' /etc/docker/daemon.json");
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('so the mark is dropped');
    expect(host.readFile('/etc/docker/daemon.json')).toBe(`{"debug": false, "insecure-registries": ["${ENTRY}"]}\n`);
    expect((await host.push(ENTRY, 'unmarked')).ok).toBe(true);
    expect((await host.tool('check', '--only', 'daemon-json-valid')).exitCode).toBe(0);
  });

  it('daemon.json emptied under a running dockerd, which cannot start with an empty file: an install that edits no trust (loopback) still writes {}, and dockerd comes back from a restart', async () => {
    host = await TestHost.create({ daemonJson: '{"debug": false}\n' });
    host.writeFile('/etc/docker/daemon.json', '');
    const check = await host.tool('check', '--address', 'localhost', '--only', 'daemon-json-valid');
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain('/etc/docker/daemon.json is empty, which dockerd 20.10');
    const pid = await host.dockerdPid();
    const r = await host.tool('--yes', '--address', 'localhost');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(host.readFile('/etc/docker/daemon.json')).toBe('{}\n');
    expect(await host.dockerdPid()).toBe(pid);
    await host.exec(['service', 'docker', 'restart']);
    await host.waitForDocker();
    await host.sh('for i in $(seq 100); do curl -sf -o /dev/null http://localhost:5000/v2/ && exit 0; sleep 0.1; done; exit 1');
    expect((await host.push('localhost:5000', 'after-restart')).ok).toBe(true);
    expect((await host.tool('--yes', '--address', 'localhost')).stdout).toContain('already configured');
  });

  it('Docker missing: a clear error naming --install-docker, nothing changed', async () => {
    host = await TestHost.create();
    // Hide the docker CLI inside this host only (/usr is shared with the machine, so no package is removed here;
    // the real package install is tested on the systemd host).
    await host.sh('mount --bind /dev/null /usr/local/bin/docker 2>/dev/null; mount --bind /dev/null /usr/bin/docker');
    const r = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('docker is not installed on this host; run again with --install-docker to install docker.io');
    expect(host.readFile('/etc/docker/daemon.json')).toBeNull();
  });
});
