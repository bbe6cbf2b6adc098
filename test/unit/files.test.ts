import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostFiles } from '../../src/ports/files.js';
import { hostPorts } from '../../src/ports/index.js';
import { acquireLock } from '../../src/execute/lock.js';

const trees: string[] = [];
afterEach(() => {
  for (const root of trees.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tree() {
  const root = mkdtempSync(path.join(tmpdir(), 'sr-files-'));
  trees.push(root);
  mkdirSync(path.join(root, 'etc/docker'), { recursive: true });
  return root;
}

describe('file port (atomic writes under a root)', () => {
  it('edits the target of a symlinked daemon.json and keeps the link, its mode and a timestamped backup', async () => {
    const root = tree();
    mkdirSync(path.join(root, 'srv/config'), { recursive: true });
    writeFileSync(path.join(root, 'srv/config/docker.json'), '{"a": 1}\n');
    chmodSync(path.join(root, 'srv/config/docker.json'), 0o640);
    symlinkSync('../../srv/config/docker.json', path.join(root, 'etc/docker/daemon.json'));
    const files = hostFiles(root);
    const backup = await files.backup('/etc/docker/daemon.json', '20261128T120000Z');
    await files.writeAtomic('/etc/docker/daemon.json', '{"a": 2}\n');
    expect(lstatSync(path.join(root, 'etc/docker/daemon.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(root, 'etc/docker/daemon.json'))).toBe('../../srv/config/docker.json');
    expect(readFileSync(path.join(root, 'srv/config/docker.json'), 'utf8')).toBe('{"a": 2}\n');
    expect(statSync(path.join(root, 'srv/config/docker.json')).mode & 0o777).toBe(0o640);
    expect(backup).toBe('/srv/config/docker.json.20261128T120000Z.bak');
    expect(readFileSync(path.join(root, backup!), 'utf8')).toBe('{"a": 1}\n');
    expect(readdirSync(path.join(root, 'srv/config')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('creates missing files with the mode asked for, and reports a missing file as null', async () => {
    const root = tree();
    const files = hostFiles(root);
    expect(await files.read('/etc/docker/daemon.json')).toBeNull();
    expect(await files.backup('/etc/docker/daemon.json', 'x')).toBeNull();
    await files.writeAtomic('/etc/setup-registry/state.json', '{}\n', { mode: 0o644 });
    expect(statSync(path.join(root, 'etc/setup-registry/state.json')).mode & 0o777).toBe(0o644);
    expect(await files.createExclusive('/run/lock', '1')).toBe(true);
    expect(await files.createExclusive('/run/lock', '2')).toBe(false);
  });
});

describe('the run lock', () => {
  it('takes over the lock of a dead run, sweeps its temp files, and releases it', async () => {
    const root = tree();
    const ports = hostPorts(root);
    writeFileSync(path.join(root, 'etc/docker/.daemon.json.setup-registry-999999.tmp'), 'half');
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{}');
    mkdirSync(path.join(root, 'run'), { recursive: true });
    writeFileSync(path.join(root, 'run/setup-registry.lock'), '999999\n');
    const release = await acquireLock(ports);
    expect(readdirSync(path.join(root, 'etc/docker'))).toEqual(['daemon.json']);
    expect(readFileSync(path.join(root, 'run/setup-registry.lock'), 'utf8')).toBe(`${process.pid}\n`);
    release();
    expect(readdirSync(path.join(root, 'run'))).toEqual([]);
  });
});
