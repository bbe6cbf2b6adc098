import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostPorts } from '../../src/ports/index.js';
import { savedCredentials } from '../../src/facts/docker-credentials.js';

const ENTRY = '10.0.0.5:5000';
const PATH = process.env.PATH;

/** A docker client config dir (under a root, as the tool sees it) with `config` as its config.json. */
const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'sr-creds-'));
  roots.push(root);
  return root;
}

function clientConfig(config: unknown) {
  const root = tempRoot();
  mkdirSync(path.join(root, 'docker'), { recursive: true });
  writeFileSync(path.join(root, 'docker/config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return { ports: hostPorts(root), dir: '/docker', root };
}

/** A credential helper on PATH that answers like the real ones: the server URL on stdin, JSON on stdout. */
function helper(root: string, name: string, script: string) {
  const bin = path.join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, `docker-credential-${name}`), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(bin, `docker-credential-${name}`), 0o755);
  process.env.PATH = `${bin}:${PATH}`;
}

describe('credentials saved by docker login', () => {
  afterEach(() => {
    process.env.PATH = PATH;
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('reads the base64 user:password of config.json "auths" for the entry (a colon in the password kept)', async () => {
    const { ports, dir } = clientConfig({ auths: { [ENTRY]: { auth: Buffer.from('alice:s3:cret').toString('base64') }, 'other:5000': { auth: Buffer.from('bob:x').toString('base64') } } });
    expect(await savedCredentials(ports, ENTRY, dir)).toEqual({ user: 'alice', password: 's3:cret', source: '/docker/config.json' });
    expect(await savedCredentials(ports, 'nothing:5000', dir)).toBeNull();
  });

  it('asks the credential helper named for the registry, over its stdin protocol', async () => {
    const { ports, dir, root } = clientConfig({ credHelpers: { [ENTRY]: 'fake' }, auths: { [ENTRY]: {} } });
    helper(root, 'fake', `read url; [ "$1" = get ] && [ "$url" = "${ENTRY}" ] && echo '{"ServerURL":"'$url'","Username":"carol","Secret":"pw"}'`);
    expect(await savedCredentials(ports, ENTRY, dir)).toEqual({ user: 'carol', password: 'pw', source: 'docker-credential-fake' });
  });

  it('a helper that knows nothing, a missing helper, a helper name with a path, bad JSON: no credentials, no error', async () => {
    const a = clientConfig({ credsStore: 'empty' });
    helper(a.root, 'empty', 'echo "credentials not found in native keychain"; exit 1');
    expect(await savedCredentials(a.ports, ENTRY, a.dir)).toBeNull();
    const b = clientConfig({ credsStore: 'not-installed' });
    expect(await savedCredentials(b.ports, ENTRY, b.dir)).toBeNull();
    const c = clientConfig({ credsStore: '../../bin/sh', auths: { [ENTRY]: { auth: Buffer.from('dave:pw').toString('base64') } } });
    expect((await savedCredentials(c.ports, ENTRY, c.dir))?.user).toBe('dave');
    for (const text of ['{', 'null', '[]', '"x"']) expect(await savedCredentials(clientConfig(text).ports, ENTRY, '/docker')).toBeNull();
    expect(await savedCredentials(hostPorts(tempRoot()), ENTRY, '/docker')).toBeNull();
  });
});
