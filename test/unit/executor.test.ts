import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUPS_KEPT, execute, type Step } from '../../src/execute/executor.js';
import { hostFiles } from '../../src/ports/files.js';
import type { Ports } from '../../src/ports/index.js';
import type { Action } from '../../src/plan/actions.js';

/**
 * The executor's ordering, with dockerd and processes replaced by fakes that log what they are
 * asked and when they answer (the end-to-end tests prove the same run on real hosts; this pins
 * down the order, which those cannot observe).
 */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function fakeHost(createMs: number) {
  const root = mkdtempSync(path.join(tmpdir(), 'sr-exec-'));
  roots.push(root);
  mkdirSync(path.join(root, 'etc/docker'), { recursive: true });
  writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{"log-driver": "json-file"}\n');
  const log: string[] = [];
  const ports: Ports = {
    files: hostFiles(root),
    live: hostFiles(root),
    http: { request: async () => ({ status: 200, headers: { get: () => null }, text: '' }), lookup: async () => [], localAddresses: () => [] },
    processes: {
      run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
      probe: async () => ({ exitCode: 0, stdout: '', stderr: '', notFound: false }),
      signal: (pid, signal) => void log.push(`${signal} ${pid}`),
      canRun: () => true,
    },
    docker: {
      socket: '/fake.sock',
      async request(method, p) {
        log.push(`${method} ${p}`);
        if (p.startsWith('/containers/create')) {
          await new Promise((r) => setTimeout(r, createMs));
          log.push('created');
          return { status: 201, text: '{"Id":"c0ffee"}' };
        }
        return { status: p.includes('/start') ? 204 : 200, text: '' };
      },
    },
  };
  return { root, log, ports };
}

const run: Action = {
  kind: 'container',
  op: 'run',
  argv: ['docker', 'run', '-d', '--name', 'registry', 'registry:3'],
  create: { path: '/containers/create?name=registry', body: { Image: 'registry:3' } },
  why: 'no registry container',
  early: true,
};
const edit = (before: string): Action => ({ kind: 'write-file', path: '/etc/docker/daemon.json', before, after: '{"insecure-registries": ["198.18.0.1:5000"]}\n', mode: 0o644, why: 'trust' });
const reload: Action = { kind: 'daemon', op: 'reload', via: { signal: 'SIGHUP', pid: 4242 }, why: 'apply the trust' };

function verifyStep(log: string[], fail = false): Step {
  return {
    title: 'verify',
    prepare: async () => void log.push('prepare'),
    run: async () => {
      log.push('verify');
      if (fail) throw new Error('the registry does not answer');
    },
  };
}

describe('execute', () => {
  it('starts an early container first, and its verification work only once dockerd has created it', async () => {
    const { log, ports } = fakeHost(30);
    const before = '{"log-driver": "json-file"}\n';
    const report = await execute(ports, [edit(before), reload, run], [verifyStep(log)], { renderer: 'silent', timeoutMs: 5000 });

    expect(report.failure).toBeNull();
    // The create is asked before the trust is written and dockerd reloaded...
    expect(log.indexOf('POST /containers/create?name=registry')).toBeLessThan(log.indexOf('SIGHUP 4242'));
    // ...and the verification's early work waits until it is answered.
    expect(log.indexOf('created')).toBeLessThan(log.indexOf('prepare'));
    expect(log.indexOf('POST /containers/c0ffee/start')).toBeGreaterThan(-1);
  });

  it('a start that never answers (a hung dockerd): the rollback runs that start once more, not twice', async () => {
    const { root, ports } = fakeHost(0);
    const starts: string[] = [];
    ports.processes.run = async (argv) => (starts.push(argv.join(' ')), { exitCode: 0, stdout: '', stderr: '' });
    ports.docker.request = async () => Promise.reject(new Error('GET /_ping: no answer from dockerd (unix:///fake.sock)'));
    const start: Action = { kind: 'daemon', op: 'start', via: { argv: ['service', 'docker', 'start'] }, why: 'dockerd (pid 42) runs but does not answer yet', logs: ['true'] };
    const before = '{"log-driver": "json-file"}\n';
    const report = await execute(ports, [edit(before), start], [], { renderer: 'silent', timeoutMs: 200, startDaemon: [{ argv: ['service', 'docker', 'start'] }] });
    expect(report.failure?.message).toMatch(/dockerd answering: not after/);
    expect(starts.filter((c) => c === 'service docker start')).toHaveLength(2);
    expect(report.rolledBack).toEqual(['restored /etc/docker/daemon.json', expect.stringMatching(/^could NOT re-run service docker start: dockerd answering: not after/)]);
    expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe(before);
  });

  it('starts no verification work once a run fails, and removes the container it created', async () => {
    const { root, log, ports } = fakeHost(30);
    const before = '{"log-driver": "json-file"}\n';
    // A write that fails at once (its directory is a file), while the early create is still on its way.
    const broken: Action = { ...edit(before), path: '/etc/docker/daemon.json/nested' } as Action;
    const report = await execute(ports, [broken, reload, run], [verifyStep(log)], { renderer: 'silent', timeoutMs: 5000 });

    expect(report.failure).not.toBeNull();
    expect(log).not.toContain('prepare');
    expect(log).not.toContain('verify');
    expect(log).not.toContain('SIGHUP 4242');
    expect(log).toContain('DELETE /containers/c0ffee?force=1');
    expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe(before);
  });

  it('a file changed since the facts were read is not written over: the run fails naming it, and what it wrote before is put back', async () => {
    const { root, ports } = fakeHost(0);
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{"log-driver": "json-file", "debug": true}\n');
    const env: Action = { kind: 'write-file', path: '/etc/default/docker', before: null, after: 'DOCKER_OPTS=""\n', mode: 0o644, why: 'test' };
    const report = await execute(ports, [env, edit('{"log-driver": "json-file"}\n'), reload], [], { renderer: 'silent', timeoutMs: 5000 });
    expect(report.failure?.message).toBe('/etc/docker/daemon.json changed since setup-registry read it (another program, or an edit meanwhile); it was left as it is: run again to plan from what it holds now');
    expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe('{"log-driver": "json-file", "debug": true}\n');
    expect(report.rolledBack).toContain('removed /etc/default/docker');
    expect(report.backups).toEqual([]);
  });

  it("a rollback leaves alone a file changed again after this run wrote it (someone else's change now), and says so", async () => {
    const { root, log, ports } = fakeHost(0);
    const before = '{"log-driver": "json-file"}\n';
    const meddler: Step = {
      title: 'verify',
      run: async () => {
        writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{"mine": 1}\n');
        throw new Error('the registry does not answer');
      },
    };
    const report = await execute(ports, [edit(before), reload], [meddler], { renderer: 'silent', timeoutMs: 5000 });
    expect(report.failure?.message).toBe('the registry does not answer');
    expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe('{"mine": 1}\n');
    expect(report.rolledBack[0]).toMatch(/^did NOT restore \/etc\/docker\/daemon\.json: it changed again after this run wrote it/);
    expect(log.filter((l) => l === 'SIGHUP 4242')).toHaveLength(2);
  });

  it(`keeps the newest ${BACKUPS_KEPT} backups of a file after a run that succeeded; other files' and other names stay`, async () => {
    const { root, ports } = fakeHost(0);
    const dir = path.join(root, 'etc/docker');
    const old = Array.from({ length: 12 }, (_, i) => `daemon.json.2025010${Math.floor(i / 6) + 1}T0${i % 6}0000Z.bak`);
    for (const n of [...old, 'daemon.json.mine.bak', 'key.json.20250101T000000Z.bak']) writeFileSync(path.join(dir, n), '{}');
    const report = await execute(ports, [edit('{"log-driver": "json-file"}\n')], [], { renderer: 'silent', timeoutMs: 5000 });
    expect(report.failure).toBeNull();
    const left = readdirSync(dir).filter((n) => n.endsWith('.bak')).sort();
    const ours = left.filter((n) => /^daemon\.json\.\d{8}T\d{6}Z\.bak$/.test(n));
    expect(ours).toHaveLength(BACKUPS_KEPT);
    expect(ours).toContain(path.basename(report.backups[0]!));
    expect(ours).not.toContain(old[0]);
    expect(left).toContain('daemon.json.mine.bak');
    expect(left).toContain('key.json.20250101T000000Z.bak');
  });

  it('a removal takes its tree, then each following directory only while it is empty', async () => {
    const { root, ports } = fakeHost(0);
    for (const d of ['data/docker/registry/v2', 'shared/docker/registry/v2']) mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'shared/other'), 'x');
    const purge = (dir: string): Action => ({ kind: 'remove-path', path: `/${dir}/docker/registry`, thenIfEmpty: [`/${dir}/docker`, `/${dir}`], why: 'purge' });
    const report = await execute(ports, [purge('data'), purge('shared')], [], { renderer: 'silent', timeoutMs: 5000 });
    expect(report.failure).toBeNull();
    expect(readdirSync(root)).not.toContain('data');
    expect(readdirSync(path.join(root, 'shared'))).toEqual(['other']);
  });

  it('a container of ours that appeared after the facts (left by a killed run) is removed and the create sent again; anyone else\'s is not', async () => {
    for (const labels of [{ 'io.github.setup-registry.managed': 'true' }, {}]) {
      const { log, ports } = fakeHost(0);
      let creates = 0;
      const real = ports.docker.request.bind(ports.docker);
      ports.docker.request = async (method, p, opts) => {
        if (p.startsWith('/containers/create') && creates++ === 0) {
          log.push(`${method} ${p}`);
          return { status: 409, text: '{"message":"Conflict. The container name \\"/registry\\" is already in use"}' };
        }
        if (p === '/containers/registry/json') return { status: 200, text: JSON.stringify({ Config: { Labels: labels } }) };
        return real(method, p, opts);
      };
      const report = await execute(ports, [{ ...run, early: false }], [], { renderer: 'silent', timeoutMs: 5000 });
      if (Object.keys(labels).length) {
        expect(report.failure).toBeNull();
        expect(log.filter((l) => l.startsWith('POST /containers/create') || l.startsWith('DELETE'))).toEqual(['POST /containers/create?name=registry', 'DELETE /containers/registry?force=1', 'POST /containers/create?name=registry']);
      } else {
        expect(report.failure?.message).toContain('HTTP 409');
        expect(log.some((l) => l.startsWith('DELETE /containers/registry'))).toBe(false);
      }
    }
  });
});
