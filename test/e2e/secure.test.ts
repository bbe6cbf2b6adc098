import { expect, it } from 'vitest';
import { describeE2E } from './harness/prerequisites.js';
import { connect, TestHost } from './harness/namespace-host.js';
import { REPO, TEST_ADDRESS, waitForValue } from './harness/host.js';

const ENTRY = `${TEST_ADDRESS}:5000`;
const PASSWORD = 'Correct-Horse-7391';
const CA = '/etc/setup-registry/ca/ca.crt';

describeE2E('a secure registry: TLS with its own CA, htpasswd auth, CA trust on clients', () => {
  const tool = (h: TestHost, args: string[], input?: string) => h.exec(['node', `${REPO}/bin/setup-registry.cjs`, ...args], { input });
  const login = (h: TestHost, entry: string, user: string, password: string) => h.exec(['docker', 'login', entry, '-u', user, '--password-stdin'], { input: `${password}\n` });

  it('--tls --auth alice --password-stdin: login and push work, no insecure entry, 401 without credentials, the password nowhere', async () => {
    const host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    const r = await tool(host, ['--yes', '--address', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('anyone who reaches port');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'log-driver': 'json-file' });
    expect(host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`)).toBe(host.readFile(CA));
    // valid from an hour back (as Let's Encrypt does): a client whose clock is a little behind still accepts them
    for (const cert of [CA, '/etc/setup-registry/tls/server.crt']) {
      const start = Date.parse((await host.exec(['openssl', 'x509', '-in', cert, '-noout', '-startdate'])).stdout.trim().replace('notBefore=', ''));
      expect(Date.now() - start).toBeGreaterThan(55 * 60_000);
      expect(Date.now() - start).toBeLessThan(65 * 60_000);
    }
    // the signing's own files are gone
    expect((await host.sh('ls -A /etc/setup-registry/ca /etc/setup-registry/tls')).stdout.split(/\s+/).filter((f) => f && !f.endsWith(':')).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
    const unauth = await host.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', CA, `https://${ENTRY}/v2/`]);
    expect(unauth.stdout).toBe('401');
    const noLogin = await host.push(ENTRY, 'anon');
    expect(noLogin.ok).toBe(false);
    expect(noLogin.output).toMatch(/no basic auth credentials|unauthorized/);
    expect((await login(host, ENTRY, 'alice', 'wrong-password')).exitCode).not.toBe(0);
    expect((await login(host, ENTRY, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'secured')).ok).toBe(true);
    // Secrets: only a bcrypt hash, in files only root can read; never in any output.
    expect(host.readFile('/etc/setup-registry/auth/htpasswd')).toMatch(/^alice:\$2[aby]\$10\$/);
    expect((await host.sh('stat -c %a /etc/setup-registry/auth/htpasswd /etc/setup-registry/ca/ca.key /etc/setup-registry/tls/server.key')).stdout.split('\n').filter(Boolean)).toEqual(['600', '600', '600']);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    // (docker login itself keeps base64 credentials in the client config, /run/test-docker-client here: that is Docker's, not ours.)
    const leaks = await host.sh(`grep -rl '${PASSWORD}' /etc /var/lib/registry /run /var/log 2>/dev/null || true`);
    expect(leaks.stdout.trim()).toBe('');
    // Rerun: nothing changes (the stored hash matches the password).
    const again = await tool(host, ['--yes', '--address', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(again.stdout).toContain('already configured');
    // check knows the TLS registry, and with what docker login saved it checks as alice and pushes (--deep).
    const finding = (out: string, id: string) => JSON.parse(out).checks.find((c: { id: string }) => c.id === id);
    const check = await host.tool('check', '--deep', '--json');
    expect(check.exitCode, check.stdout).toBe(0);
    expect(finding(check.stdout, 'registry-ping').message).toContain('401 (up, auth required)');
    expect(finding(check.stdout, 'registry-ping').message).toContain('200 as alice (credentials from /run/test-docker-client/config.json)');
    expect(finding(check.stdout, 'push')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^pushed and deleted sha256:/) });
    expect(check.stdout).not.toContain(PASSWORD);
    // A wrong password given on stdin is a failed check, with the fix.
    const wrong = await tool(host, ['check', '--user', 'alice', '--password-stdin', '--json'], 'not-it\n');
    expect(wrong.exitCode).toBe(1);
    expect(finding(wrong.stdout, 'registry-ping')).toMatchObject({ status: 'fail', message: expect.stringContaining('as alice (credentials from --user): HTTP 401'), fix: expect.stringContaining('docker login') });
    // A credential helper (credsStore), asked over its real stdin protocol; and no credentials at all.
    host.writeFile('/tmp/bin/docker-credential-srtest', `#!/bin/sh\nread url\n[ "$url" = "${ENTRY}" ] && echo '{"Username":"alice","Secret":"${PASSWORD}"}'\n`, 0o755);
    host.writeFile('/tmp/helper-config/config.json', '{"credsStore": "srtest"}\n');
    const viaHelper = await host.sh(`PATH=/tmp/bin:$PATH DOCKER_CONFIG=/tmp/helper-config node ${REPO}/bin/setup-registry.cjs check --deep --json`);
    expect(viaHelper.exitCode, viaHelper.stdout).toBe(0);
    expect(finding(viaHelper.stdout, 'registry-ping').message).toContain('200 as alice (credentials from docker-credential-srtest)');
    const anonymous = await host.sh(`DOCKER_CONFIG=/tmp/none node ${REPO}/bin/setup-registry.cjs check --deep --json`);
    expect(finding(anonymous.stdout, 'push')).toMatchObject({ status: 'warn', fix: expect.stringContaining(`docker login ${ENTRY}`) });
    // catalog: with --user, with docker login's credentials, and refused without any.
    const cat = await tool(host, ['catalog', '--user', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(cat.stdout.trim()).toBe('secured');
    expect((await host.tool('catalog')).stdout.trim()).toBe('secured');
    expect((await host.sh(`DOCKER_CONFIG=/tmp/none node ${REPO}/bin/setup-registry.cjs catalog`)).stderr).toContain('requires authentication');
    // --auth on this TLS registry (kept from the record, no --tls needed) adds a user, proven by a push as bob; with --no-tls it is refused.
    const refused = await host.tool('--yes', '--no-tls', '--auth', 'bob', '--password', 'x');
    expect([refused.exitCode, refused.stderr.trim()]).toEqual([2, 'setup-registry: --no-tls goes with none of --tls-cert, --tls-key, --tls-ca, --san and --auth']);
    const bob = await host.tool('--yes', '--auth', 'bob', '--password', 'Bobs-Password-2');
    expect(bob.exitCode, bob.stdout + bob.stderr).toBe(0);
    expect(bob.stdout).toContain(`push a tiny image to ${ENTRY} over TLS as bob and delete it`);
    expect((await host.tool('user', 'list')).stdout.trim().split('\n')).toEqual(['alice', 'bob']);
  });

  it("on 443, HTTPS's own port: pushes by the name without the port work too (its CA in both certs.d directories), and uninstall removes both", async () => {
    const host = await TestHost.create();
    const r = await tool(host, ['--yes', '--address', TEST_ADDRESS, '--port', '443', '--tls']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`docker tag IMAGE ${TEST_ADDRESS}/NAME && docker push ${TEST_ADDRESS}/NAME`);
    for (const dir of [`${TEST_ADDRESS}:443`, TEST_ADDRESS]) expect(host.readFile(`/etc/docker/certs.d/${dir}/ca.crt`)).toBe(host.readFile(CA));
    expect((await host.push(TEST_ADDRESS, 'portless')).ok).toBe(true);
    expect((await host.push(`${TEST_ADDRESS}:443`, 'ported')).ok).toBe(true);
    expect((await tool(host, ['--yes', '--address', TEST_ADDRESS, '--port', '443', '--tls'])).stdout).toContain('already configured');
    expect((await tool(host, ['check'])).exitCode).toBe(0);
    // the port-less CA deleted: check names it, repair puts it back
    await host.exec(['rm', `/etc/docker/certs.d/${TEST_ADDRESS}/ca.crt`]);
    const missing = JSON.parse((await tool(host, ['check', '--json', '--only', 'tls-ca-installed'])).stdout).checks[0];
    expect(missing).toMatchObject({ status: 'fail', message: expect.stringContaining(`/etc/docker/certs.d/${TEST_ADDRESS}/ca.crt is missing`) });
    expect((await tool(host, ['repair', '--yes'])).exitCode).toBe(0);
    expect(host.readFile(`/etc/docker/certs.d/${TEST_ADDRESS}/ca.crt`)).toBe(host.readFile(CA));
    expect((await tool(host, ['uninstall', '--yes'])).exitCode).toBe(0);
    for (const dir of [`${TEST_ADDRESS}:443`, TEST_ADDRESS]) expect(host.readFile(`/etc/docker/certs.d/${dir}/ca.crt`)).toBeNull();
  });

  it('without the CA in certs.d the push fails with the certificate error', async () => {
    const host = await TestHost.create();
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--tls')).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'withca')).ok).toBe(true);
    await host.sh(`rm -rf /etc/docker/certs.d/${ENTRY}`);
    const r = await host.push(ENTRY, 'noca');
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/x509: certificate signed by unknown authority/);
    const check = await host.tool('check');
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/tls-ca-installed .*missing/);
    expect((await host.tool('repair', '--yes')).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'noca')).ok).toBe(true);
  });

  it('a plain registry made secure: the insecure entry the first install added goes, so dockerd verifies the certificate', async () => {
    const host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
    expect((await host.tool('--yes', '--address', TEST_ADDRESS)).exitCode).toBe(0);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)['insecure-registries']).toEqual([ENTRY]);
    const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--tls');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('over TLS an insecure entry would stop dockerd from verifying the certificate');
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'log-driver': 'json-file', 'insecure-registries': [] });
    expect(Object.keys(await host.liveInsecure())).not.toContain(ENTRY);
    expect((await host.push(ENTRY, 'verified')).ok).toBe(true);
    // the proof that the certificate is verified now: without the CA, the push fails
    await host.sh(`mv /etc/docker/certs.d/${ENTRY}/ca.crt /tmp/ca.crt`);
    const unverified = await host.push(ENTRY, 'unverified');
    expect(unverified.output).toMatch(/x509: certificate signed by unknown authority/);
    await host.sh(`mv /tmp/ca.crt /etc/docker/certs.d/${ENTRY}/ca.crt`);
    expect((await host.tool('check')).exitCode).toBe(0);
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!).added).toEqual([]);
    // an insecure entry put back by hand: check warns that the certificate is not verified
    host.writeFile('/etc/docker/daemon.json', `{"insecure-registries": ["${ENTRY}"]}\n`);
    await host.sh('kill -HUP $(cat /var/run/docker.pid)');
    await waitForValue(async () => (Object.keys(await host.liveInsecure()).includes(ENTRY) ? true : null), 10_000);
    expect((await host.tool('check', '--only', 'registry-trusted')).stdout).toContain(`${ENTRY} is also an insecure registry in docker info: dockerd does not verify its certificate`);
  });

  it('--tls-cert/--tls-key that cannot serve (another address, not its key, not PEM, encrypted) are refused before anything changes; a self-signed one is its own CA; one from an unknown CA fails at once', async () => {
    const host = await TestHost.create({ daemonJson: '{}\n' });
    const make = (name: string, san: string, extra = '') => `openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ${name}.key -out ${name}.crt -days 30 -subj /CN=${name} -addext subjectAltName=IP:${san} ${extra} 2>/dev/null`;
    // under the host's private /etc
    await host.sh(`mkdir -p /etc/t && cd /etc/t && ${make('other', '10.9.9.9')} && ${make('self', TEST_ADDRESS)} && openssl pkey -in self.key -aes256 -passout pass:secret -out enc.key &&
      ${make('ca', '10.0.0.1')} && openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout leaf.key -out leaf.csr -subj /CN=leaf 2>/dev/null &&
      printf 'subjectAltName=IP:${TEST_ADDRESS}' > ext && openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 30 -extfile ext 2>/dev/null`);
    const refused: [string[], string][] = [
      [['/etc/t/other.crt', '/etc/t/other.key'], `--tls-cert does not cover ${TEST_ADDRESS} (its subjectAltNames: 10.9.9.9)`],
      [['/etc/t/self.crt', '/etc/t/other.key'], '--tls-key: it is not the key of --tls-cert'],
      [['/etc/t/self.key', '/etc/t/self.key'], '--tls-cert: it is not a certificate in PEM'],
      [['/etc/t/self.crt', '/etc/t/self.crt'], '--tls-key: it is not a private key in PEM'],
      [['/etc/t/self.crt', '/etc/t/enc.key'], '--tls-key: it is encrypted, and the registry cannot ask for its passphrase'],
    ];
    for (const [[cert, key], message] of refused) {
      const r = await host.tool('--yes', '--address', TEST_ADDRESS, '--tls-cert', cert, '--tls-key', key);
      expect(r.exitCode, message).toBe(2);
      expect(r.stderr.trim()).toBe(`setup-registry: ${message}${message.startsWith('--tls-cert does not cover') ? '; Docker would refuse it' : ''}`);
    }
    expect(host.readFile('/etc/setup-registry/state.json')).toBeNull();
    expect(host.readFile('/etc/setup-registry/tls/server.crt')).toBeNull();
    expect((await host.docker('ps', '-aq')).stdout).toBe('');

    // signed by a CA Docker is not given: the verification says so at once (not after --timeout), and it is rolled back
    const unknown = await host.tool('--yes', '--address', TEST_ADDRESS, '--tls-cert', '/etc/t/leaf.crt', '--tls-key', '/etc/t/leaf.key', '--timeout', '30');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("the registry's certificate does not verify against the CA it is trusted by (unable to verify the first certificate); with --tls-cert, pass the CA that signed it with --tls-ca");
    expect((await host.docker('ps', '-aq')).stdout).toBe('');

    // self-signed: its own CA, installed where Docker reads it, and a push works
    const self = await host.tool('--yes', '--address', TEST_ADDRESS, '--tls-cert', '/etc/t/self.crt', '--tls-key', '/etc/t/self.key');
    expect(self.exitCode, self.stdout + self.stderr).toBe(0);
    expect(host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`)).toBe(host.readFile('/etc/t/self.crt'));
    expect((await host.push(ENTRY, 'selfsigned')).ok).toBe(true);
  });

  it("the operator's certificate (--tls-cert) is served as it is by later runs: repair neither replaces it nor makes a CA, puts its CA back in certs.d; a rerun adds auth with it; check names its renewal", async () => {
    const host = await TestHost.create({ daemonJson: '{}\n' });
    await host.sh(`mkdir -p /etc/t && cd /etc/t && openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout self.key -out self.crt -days 20 -subj /CN=self -addext subjectAltName=IP:${TEST_ADDRESS} 2>/dev/null`);
    const given = host.readFile('/etc/t/self.crt');
    const served = () => host.readFile('/etc/setup-registry/tls/server.crt');
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--tls-cert', '/etc/t/self.crt', '--tls-key', '/etc/t/self.key')).exitCode).toBe(0);
    const healthy = await host.tool('repair', '--yes');
    expect(healthy.stdout, healthy.stderr).toContain('healthy: nothing to repair');
    expect(served()).toBe(given);
    expect(host.readFile(CA)).toBeNull();
    // Within 30 days of its end: the fix is the operator's renewal (repair would not do it).
    const expiring = JSON.parse((await host.tool('check', '--json', '--only', 'tls-certificate')).stdout).checks[0];
    expect(expiring).toMatchObject({ status: 'warn', message: expect.stringMatching(/^the certificate given with --tls-cert expires in (19|20) days$/), fix: 'renew it, then: setup-registry --yes --tls-cert CERT --tls-key KEY' });
    // Its CA gone from certs.d and the container removed: repair puts both back, with that certificate.
    await host.sh(`rm /etc/docker/certs.d/${ENTRY}/ca.crt && docker rm -f registry >/dev/null`);
    const repaired = await host.tool('repair', '--yes');
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    expect(host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`)).toBe(given);
    expect(served()).toBe(given);
    expect(host.readFile(CA)).toBeNull();
    expect((await host.push(ENTRY, 'kept')).ok).toBe(true);
    // A rerun that adds auth (no --address: the recorded one) keeps it; the install's push as alice verifies it.
    const auth = await tool(host, ['--yes', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(auth.exitCode, auth.stdout + auth.stderr).toBe(0);
    expect(auth.stdout).toContain(`push a tiny image to ${ENTRY} over TLS as alice and delete it`);
    expect(served()).toBe(given);
    expect(host.readFile(CA)).toBeNull();
    // user add restarts the registry and waits for it over TLS, verified against that certificate.
    const add = await tool(host, ['user', 'add', 'bob', '--yes', '--password-stdin'], 'bobs-Password-1\n');
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect((await login(host, ENTRY, 'bob', 'bobs-Password-1')).exitCode).toBe(0);
  });

  it('a TLS registry with auth stays so on a rerun without those flags; --port moves it with its CA; --no-tls (with --no-auth) makes it plain HTTP and takes its CA out of certs.d', async () => {
    const host = await TestHost.create({ daemonJson: '{}\n' });
    expect((await tool(host, ['--yes', '--address', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`)).exitCode).toBe(0);
    const containerId = async () => (await host.docker('inspect', '--format', '{{.Id}}', 'registry')).stdout;
    const id = await containerId();
    const again = await host.tool('--yes', '--address', TEST_ADDRESS);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('already configured');
    expect(await containerId()).toBe(id);
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({});
    // Plain HTTP would drop the auth that needs TLS: said, and nothing changed.
    const noTls = await host.tool('--yes', '--no-tls');
    expect([noTls.exitCode, noTls.stderr.trim()]).toEqual([2, 'setup-registry: --no-tls: the registry installed here has auth (htpasswd), which needs TLS: pass --no-auth too']);
    expect(await containerId()).toBe(id);
    // Another port: the same TLS and users there, its CA under the new name, the old one gone.
    const moved = await host.tool('--yes', '--port', '5001');
    expect(moved.exitCode, moved.stdout + moved.stderr).toBe(0);
    const movedEntry = `${TEST_ADDRESS}:5001`;
    expect(moved.stdout).toContain(`setup-registry trust ${movedEntry} --ca ${CA} --yes, then setup-registry untrust ${ENTRY} --yes`);
    expect(host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`)).toBeNull();
    expect(host.readFile(`/etc/docker/certs.d/${movedEntry}/ca.crt`)).toBe(host.readFile(CA));
    expect((await login(host, movedEntry, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await host.push(movedEntry, 'moved')).ok).toBe(true);
    // Plain HTTP, asked for: an insecure entry instead of the CA.
    const plain = await host.tool('--yes', '--no-tls', '--no-auth');
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0);
    expect(host.readFile(`/etc/docker/certs.d/${movedEntry}/ca.crt`)).toBeNull();
    expect(JSON.parse(host.readFile('/etc/docker/daemon.json')!)).toEqual({ 'insecure-registries': [movedEntry] });
    expect(JSON.parse(host.readFile('/etc/setup-registry/state.json')!)).not.toHaveProperty('tls');
    expect((await host.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${movedEntry}/v2/`])).stdout).toBe('200');
    expect((await host.push(movedEntry, 'plain')).ok).toBe(true);
    expect((await host.tool('check')).exitCode).toBe(0);
  });

  it('an expired certificate is reported by check and renewed by repair', async () => {
    const host = await TestHost.create();
    expect((await host.tool('--yes', '--address', TEST_ADDRESS, '--tls')).exitCode).toBe(0);
    // Re-sign the server certificate with dates in the past (openssl ca takes explicit dates).
    const expire = await host.sh(`set -e; d=$(mktemp -d); cd $d
      printf '[ca]\\ndefault_ca=x\\n[x]\\ndatabase=%s/idx\\nnew_certs_dir=%s\\nserial=%s/serial\\npolicy=p\\ndefault_md=sha256\\ncopy_extensions=copy\\n[p]\\ncommonName=supplied\\n' $d $d $d > cfg
      touch idx; echo 01 > serial
      openssl req -new -key /etc/setup-registry/tls/server.key -subj /CN=${TEST_ADDRESS} -addext subjectAltName=IP:${TEST_ADDRESS} -out csr 2>/dev/null
      openssl ca -batch -config cfg -cert ${CA} -keyfile /etc/setup-registry/ca/ca.key -in csr -out /etc/setup-registry/tls/server.crt -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
      docker restart registry >/dev/null`);
    expect(expire.exitCode, expire.stderr).toBe(0);
    const check = await host.tool('check');
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain('tls-certificate           the certificate expired on 2020-02-01');
    const repair = await host.tool('repair', '--yes');
    expect(repair.exitCode, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toContain('issue a server certificate');
    expect((await host.tool('check')).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'renewed')).ok).toBe(true);
    // uninstall takes the CA out of certs.d and keeps the material unless --purge.
    const u = await host.tool('uninstall', '--yes');
    expect(u.exitCode, u.stderr).toBe(0);
    expect(host.readFile(`/etc/docker/certs.d/${ENTRY}/ca.crt`)).toBeNull();
    expect(host.readFile(CA)).not.toBeNull();
    expect(u.stdout).toContain('delete them with --purge');
  });

  it('user add, list and remove: a new user logs in; a removed one cannot', async () => {
    const host = await TestHost.create();
    expect((await tool(host, ['--yes', '--address', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`)).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'x')).ok).toBe(false);
    expect((await login(host, ENTRY, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'kept')).ok).toBe(true);
    const add = await tool(host, ['user', 'add', 'bob', '--yes', '--password-stdin'], 'bobs-Password-1\n');
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect((await host.tool('user', 'list')).stdout.trim().split('\n')).toEqual(['alice', 'bob']);
    expect((await login(host, ENTRY, 'bob', 'bobs-Password-1')).exitCode).toBe(0);
    // a password with white space around it: docker login takes it off, so such a user could never log in
    const spaced = await tool(host, ['user', 'add', 'carol', '--yes', '--password-stdin'], '  two words  \n');
    expect([spaced.exitCode, spaced.stderr.trim()]).toEqual([2, 'setup-registry: the password starts or ends with white space, which docker login takes off before it sends it, so it could never log in: choose one without']);
    expect((await host.tool('user', 'list')).stdout.trim().split('\n')).toEqual(['alice', 'bob']);
    expect((await host.tool('user', 'remove', 'bob', '--yes')).exitCode).toBe(0);
    expect((await login(host, ENTRY, 'bob', 'bobs-Password-1')).exitCode).not.toBe(0);
    // The images survive user changes.
    expect((await login(host, ENTRY, 'alice', PASSWORD)).exitCode).toBe(0);
    await host.docker('rmi', `${ENTRY}/kept:1`);
    expect((await host.docker('pull', `${ENTRY}/kept:1`)).exitCode).toBe(0);
    // the only user left is kept: without it nobody could log in
    const htpasswd = host.readFile('/etc/setup-registry/auth/htpasswd');
    const last = await host.tool('user', 'remove', 'alice', '--yes');
    expect([last.exitCode, last.stderr.trim()]).toEqual([2, "setup-registry: alice is the registry's only user: removed, nobody could log in; add another first (setup-registry user add NAME)"]);
    expect(host.readFile('/etc/setup-registry/auth/htpasswd')).toBe(htpasswd);
  });

  it('the password file or the key gone (the registry cannot start): check names it, and the cause the exiting container logged; repair re-issues the key, and names user add for the password file, which brings it back', async () => {
    const host = await TestHost.create();
    expect((await tool(host, ['--yes', '--address', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`)).exitCode).toBe(0);
    type Finding = { id: string; status: string; message: string; fix?: string };
    const checks = async () => {
      const r = await host.tool('check', '--json');
      return { exitCode: r.exitCode, byId: Object.fromEntries((JSON.parse(r.stdout).checks as Finding[]).map((c) => [c.id, c])) };
    };
    // dockerd keeps restarting it, so it is "restarting" between its tries, whatever the moment.
    const breakRegistry = async (remove: string) => {
      await host.sh(`rm ${remove} && docker restart registry >/dev/null`);
      await waitForValue(async () => ((await host.docker('inspect', '--format', '{{.State.Status}}', 'registry')).stdout.trim() === 'restarting' ? true : null), 20_000);
    };
    expect((await checks()).byId['auth-users']).toMatchObject({ status: 'ok', message: '1 user in /etc/setup-registry/auth/htpasswd' });

    await breakRegistry('/etc/setup-registry/auth/htpasswd');
    const noUsers = await checks();
    expect(noUsers.exitCode).toBe(1);
    expect(noUsers.byId['auth-users']).toMatchObject({ status: 'fail', message: 'no password file at /etc/setup-registry/auth/htpasswd: the registry cannot start', fix: 'setup-registry user add NAME' });
    expect(noUsers.byId['container-running']).toMatchObject({ status: 'fail', message: expect.stringMatching(/^registry keeps exiting \(dockerd has restarted it \d+ times?\): .*failed to open htpasswd path/) });
    const refused = await host.tool('repair', '--yes');
    expect([refused.exitCode, refused.stderr.trim()]).toEqual([2, "setup-registry: the registry's password file is gone (/etc/setup-registry/auth/htpasswd): the registry cannot start without it; add a user again: setup-registry user add NAME"]);
    expect((await tool(host, ['user', 'add', 'alice', '--yes', '--password-stdin'], `${PASSWORD}\n`)).exitCode).toBe(0);
    expect((await checks()).exitCode).toBe(0);

    await breakRegistry('/etc/setup-registry/tls/server.key');
    const noKey = await checks();
    expect(noKey.byId['tls-certificate']).toMatchObject({ status: 'fail', message: 'no key in /etc/setup-registry/tls/server.key: the registry cannot start', fix: 'setup-registry repair' });
    expect(noKey.byId['container-running']?.message).toMatch(/^registry keeps exiting \(dockerd has restarted it \d+ times?\): open \/certs\/server.key: no such file or directory$/);
    const repaired = await host.tool('repair', '--yes');
    expect(repaired.exitCode, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('issue a server certificate');
    expect((await checks()).exitCode).toBe(0);
    expect((await login(host, ENTRY, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await host.push(ENTRY, 'rekeyed')).ok).toBe(true);
  });

  it('a client host: trust --ca makes login and pull work; --ca-from-registry fetches the CA; untrust removes it', async () => {
    const host = await TestHost.create();
    const client = await TestHost.create({ registryImage: false });
    const net = await connect(host, client);
    const remote = `${net.a}:5000`;
    const r = await tool(host, ['--yes', '--address', net.a, '--san', TEST_ADDRESS, '--tls', '--auth', 'alice', '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect((await login(host, remote, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await host.push(remote, 'shared')).ok).toBe(true);

    expect((await login(client, remote, 'alice', PASSWORD)).stderr).toMatch(/x509|certificate/);
    // check --registry on the client: a TLS registry whose CA this host lacks, and the fix that installs it
    const clientCheck = async (...extra: string[]) => {
      const c = await client.tool('check', '--registry', remote, '--json', ...extra);
      return { code: c.exitCode, checks: (JSON.parse(c.stdout) as { checks: { id: string; status: string; message: string; fix?: string }[] }).checks };
    };
    const lacking = await clientCheck();
    expect(lacking.code).toBe(1);
    expect(lacking.checks.find((c) => c.id === 'tls-ca-installed')).toMatchObject({ status: 'fail', fix: `setup-registry trust ${remote} --ca CA.crt --yes   (or: --ca-from-registry)` });
    expect(lacking.checks.find((c) => c.id === 'registry-trusted')?.message).toContain('serves TLS with a certificate this host does not trust');
    client.writeFile('/tmp/ca.crt', host.readFile(CA)!);
    const t = await client.tool('trust', remote, '--ca', '/tmp/ca.crt', '--yes');
    expect(t.exitCode, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toContain(`${remote} asks for credentials: docker login ${remote}`);
    expect(client.readFile('/etc/docker/daemon.json')).toBeNull();
    expect((await login(client, remote, 'alice', PASSWORD)).exitCode).toBe(0);
    expect((await client.docker('pull', `${remote}/shared:1`)).exitCode).toBe(0);
    // trusted, and logged in: the ping as alice and a push with her saved credentials
    const trusted = await clientCheck('--deep');
    expect(trusted.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(trusted.checks.find((c) => c.id === 'registry-ping')?.message).toContain('200 as alice');
    expect(trusted.checks.find((c) => c.id === 'tls-ca-installed')?.message).toBe(`CA installed as /etc/docker/certs.d/${remote}/ca.crt`);
    expect(trusted.code).toBe(0);
    // recorded as trusted through its CA: check needs no --registry; repair cannot bring back a CA that is gone, and says so
    expect(JSON.parse(client.readFile('/etc/setup-registry/trusted.json')!)).toEqual({ version: 1, registries: [{ entry: remote, tls: true }] });
    const plain = await client.tool('check', '--json');
    expect(plain.exitCode, plain.stdout).toBe(0);
    expect((JSON.parse(plain.stdout) as { checks: { id: string; registry?: string }[] }).checks.find((c) => c.id === 'tls-ca-installed')?.registry).toBe(remote);
    const ca = client.readFile(`/etc/docker/certs.d/${remote}/ca.crt`)!;
    await client.exec(['rm', `/etc/docker/certs.d/${remote}/ca.crt`]);
    const lost = await client.tool('repair', '--yes');
    expect(lost.exitCode).toBe(1);
    expect(lost.stderr).toContain(`the CA of ${remote} is gone from /etc/docker/certs.d/${remote}/ca.crt: give it again with setup-registry trust ${remote} --ca CA.crt --yes`);
    expect((await client.docker('ps', '-aq')).stdout.trim()).toBe('');
    client.writeFile(`/etc/docker/certs.d/${remote}/ca.crt`, ca);
    const healthy = await client.tool('repair', '--yes');
    expect(healthy.exitCode, healthy.stderr).toBe(0);
    expect(healthy.stdout).toContain('healthy: nothing to repair');

    expect((await client.tool('untrust', remote, '--yes')).exitCode).toBe(0);
    expect(client.readFile(`/etc/docker/certs.d/${remote}/ca.crt`)).toBeNull();
    expect(client.readFile('/etc/setup-registry/trusted.json')).toBeNull();
    const fetched = await client.tool('trust', remote, '--ca-from-registry', '--yes');
    expect(fetched.exitCode, fetched.stdout + fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain('SHA-256 fingerprint');
    // logged in by now (docker login above): no hint to log in
    expect(fetched.stdout).not.toContain('asks for credentials');
    expect(client.readFile(`/etc/docker/certs.d/${remote}/ca.crt`)).toBe(host.readFile(CA));
  });
});
