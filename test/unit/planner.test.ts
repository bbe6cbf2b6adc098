import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planInstall } from '../../src/plan/planner.js';
import { garbageCollectCommand } from '../../src/plan/container.js';
import { planUninstall } from '../../src/plan/uninstall.js';
import { renderPlan } from '../../src/plan/render.js';
import type { Action, WriteFile } from '../../src/plan/actions.js';
import { DROP_IN } from '../../src/plan/trust/systemd-dropin.js';
import { trustedLive } from '../../src/plan/trust/daemon-json.js';
import { parseAddress, parseDataDir, parseImage, parseTimeout, type Wanted } from '../../src/plan/wanted.js';
import { readState } from '../../src/plan/state.js';
import { parseTrusted, recordTrust, renderTrusted, TRUSTED_FILE } from '../../src/plan/trusted-record.js';
import { methodInUse } from '../../src/plan/trust/index.js';
import { misreadKeys } from '../../src/knowledge/dockerd-options.js';
import { staleDropIn } from '../../src/plan/trust/systemd-dropin.js';
import { HostRefusal } from '../../src/errors.js';
import { loadTemplates } from '../../src/templates.js';
import { factsFrom } from './host-fixture.js';
import { parseRegistry } from '../../src/commands/trust.js';
import { runChecks, type CheckContext } from '../../src/check/checks.js';

/** The checks that read only the facts (no host to ask), for the registry the planner tests install. */
function checksOn(facts: CheckContext['facts']) {
  const target = { entry: ENTRY, name: 'registry', method: 'auto', tls: null, auth: null } as unknown as CheckContext['target'];
  return runChecks({ facts, target, ports: undefined as never }, { deep: false, only: ['insecure-entries', 'registry-configured'] });
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const wanted: Wanted = { address: '10.0.0.5', port: 5000, name: 'registry', image: 'registry:3', dataDir: '/var/lib/registry', method: 'auto', timeoutMs: 60_000 };
const templates = loadTemplates();
const ENTRY = '10.0.0.5:5000';
const writes = (actions: Action[]) => actions.filter((a): a is WriteFile => a.kind === 'write-file');
const ops = (actions: Action[]) => actions.flatMap((a) => (a.kind === 'daemon' ? [`daemon:${a.op}`] : a.kind === 'container' ? [`container:${a.op}`] : []));
const healthyContainer = { id: 'c1', running: true, status: 'running', image: 'registry:3', restartPolicy: 'always', hostPort: '5000', hostIp: null, dataDir: '/var/lib/registry', dataPath: '/var/lib/registry', env: ['REGISTRY_STORAGE_DELETE_ENABLED=true'], labels: {}, mounts: [{ source: '/var/lib/registry', destination: '/var/lib/registry' }] };

describe('install planner (pure: facts in, actions out)', () => {
  it('fresh sysvinit host: merges daemon.json, reloads by SIGHUP, runs the container, records state', async () => {
    const facts = await factsFrom({ files: { '/etc/docker/daemon.json': '{"log-driver": "json-file"}\n' } });
    const plan = planInstall(facts, wanted, templates);
    expect(plan.method).toBe('daemon-json');
    expect(plan.daemon).toBe('reload');
    // Write-ahead: the record first, so a run cut short leaves no entry it does not name.
    const [state, dj] = writes(plan.actions);
    expect([state!.path, dj!.path]).toEqual(['/etc/setup-registry/state.json', '/etc/docker/daemon.json']);
    expect(JSON.parse(dj!.after)).toEqual({ 'log-driver': 'json-file', 'insecure-registries': [ENTRY] });
    expect(plan.actions.find((a) => a.kind === 'daemon')).toMatchObject({ op: 'reload', via: { signal: 'SIGHUP', pid: 4242 } });
    expect(ops(plan.actions)).toEqual(['daemon:reload', 'container:run']);
    expect(JSON.parse(state!.after)).toMatchObject({ address: '10.0.0.5', port: 5000, method: 'daemon-json', added: [{ entry: ENTRY, method: 'daemon-json', file: '/etc/docker/daemon.json' }] });
    expect(renderPlan(plan)).toContain(`+{"log-driver": "json-file", "insecure-registries": ["${ENTRY}"]}`);
    expect(plan.notes).toContain('the registry will take pushes and pulls from anyone who reaches port 5000 of this host (plain HTTP, no auth): to restrict it, --tls --auth USER, or a firewall');
  });

  it("a daemon.json dockerd before 23.0 cannot read (empty, or a byte-order mark) is written as it can, in the trust's edit or on its own; not for 23.0 and newer", async () => {
    // Stopped on an empty file: the edit that adds the entry is all it takes; the start follows.
    const empty = await factsFrom({ files: { '/etc/docker/daemon.json': '' }, docker: { running: false, pid: null, serverVersion: null, liveInsecure: null } });
    const started = planInstall(empty, wanted, templates);
    expect(writes(started.actions).find((w) => w.path === '/etc/docker/daemon.json')!.after).toBe(`{\n  "insecure-registries": [\n    "${ENTRY}"\n  ]\n}\n`);
    expect(ops(started.actions)).toContain('daemon:start');
    // The entry already there and live: no reload, but the mark goes, or dockerd would not come back at its next start.
    const marked = `\uFEFF{"insecure-registries": ["${ENTRY}"]}\n`;
    const bom = await factsFrom({ files: { '/etc/docker/daemon.json': marked }, docker: { liveInsecure: { registries: [ENTRY], cidrs: ['127.0.0.0/8'] } } });
    const plan = planInstall(bom, wanted, templates);
    const fix = writes(plan.actions).find((w) => w.path === '/etc/docker/daemon.json')!;
    expect(fix).toMatchObject({ before: marked, after: marked.slice(1) });
    expect(fix.why).toBe("/etc/docker/daemon.json starts with a byte-order mark, which dockerd 20.10.24 cannot read (\"invalid character 'ï'\"): it will not start with it, so the mark is dropped");
    expect(plan.daemon).toBe('none');
    // The edit the trust makes anyway says so too.
    const both = planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '\uFEFF{"debug": true}\n' } }), wanted, templates);
    const edit = writes(both.actions).find((w) => w.path === '/etc/docker/daemon.json')!;
    expect(edit.after).toBe(`{"debug": true, "insecure-registries": ["${ENTRY}"]}\n`);
    expect(edit.why).toMatch(/^add 10\.0\.0\.5:5000 to insecure-registries; .* starts with a byte-order mark, .*, so the mark is dropped$/);
    // dockerd 23.0 and newer read both: nothing to do beyond the trust.
    const lenient = await factsFrom({ files: { '/etc/docker/daemon.json': marked }, docker: { serverVersion: '24.0.7', clientVersion: '24.0.7', liveInsecure: { registries: [ENTRY], cidrs: ['127.0.0.0/8'] } } });
    expect(writes(planInstall(lenient, wanted, templates).actions).filter((w) => w.path === '/etc/docker/daemon.json')).toEqual([]);
    // A registry that needs no entry (loopback) gets the file made readable, and records no entry for it.
    const loopback = planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '\n' } }), { ...wanted, address: 'localhost' }, templates);
    expect(writes(loopback.actions).find((w) => w.path === '/etc/docker/daemon.json')!.after).toBe('{}\n');
    expect(loopback.state!.added).toEqual([]);
  });

  it('the registry container starts early only when it needs nothing from the steps before it and dockerd stays up', async () => {
    const early = (plan: { actions: Action[] }) => plan.actions.filter((a) => a.kind === 'container' && a.early).map((a) => (a as { op: string }).op);
    // reload, image present, no old container: dockerd creates it while daemon.json is written and reloaded
    expect(early(planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '{}\n' } }), wanted, templates))).toEqual(['run']);
    // a restart would stop it again: in order
    const restart = await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS="--insecure-registry=10.1.2.3:5000"\n' }, docker: { argv: ['/usr/sbin/dockerd', '--insecure-registry=10.1.2.3:5000'] } });
    expect(planInstall(restart, wanted, templates).daemon).toBe('restart');
    expect(early(planInstall(restart, wanted, templates))).toEqual([]);
    // the image must be pulled first: in order
    expect(early(planInstall(await factsFrom({ imagePresent: false }), wanted, templates))).toEqual([]);
    // an old container with other settings must go first: in order
    const old = await factsFrom({ container: { ...healthyContainer, hostPort: '5001' } });
    expect(ops(planInstall(old, wanted, templates).actions)).toContain('container:remove');
    expect(early(planInstall(old, wanted, templates))).toEqual([]);
  });

  it('a registry on loopback needs no trust configuration: dockerd always trusts 127.0.0.0/8 (and names resolving there)', async () => {
    const facts = await factsFrom({ files: { '/etc/docker/daemon.json': '{"log-driver": "json-file"}\n' } });
    for (const address of ['127.0.0.1', 'localhost']) {
      const plan = planInstall(facts, { ...wanted, address }, templates);
      expect(writes(plan.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
      expect(ops(plan.actions)).toEqual(['container:run']);
      expect(plan.notes.join('\n')).toContain(`${address}:5000 is on loopback, which dockerd always trusts: no configuration needed; the registry is published on 127.0.0.1 only`);
      expect(plan.actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['-p', '127.0.0.1:5000:5000']) });
      expect(trustedLive({ registries: [], cidrs: ['127.0.0.0/8'] }, `${address}:5000`)).toBe(true);
    }
    // the same container, published on every interface before: recreated on loopback only
    const open = await factsFrom({ container: healthyContainer });
    expect(renderPlan(planInstall(open, { ...wanted, address: '127.0.0.1' }, templates))).toContain('port 0.0.0.0:5000 -> 127.0.0.1:5000');
    expect(ops(planInstall(await factsFrom({ container: { ...healthyContainer, hostIp: '127.0.0.1' } }), { ...wanted, address: 'localhost' }, templates).actions)).toEqual([]);
    expect(trustedLive({ registries: [], cidrs: ['127.0.0.0/8'] }, 'registry.test:5000')).toBe(false);
  });

  it('a CIDR block in the configuration and live in dockerd that holds the address: no entry of its own, no reload; a block only in the file, or none, gets the entry', async () => {
    const files = { '/etc/docker/daemon.json': '{"insecure-registries": ["10.0.0.0/8"]}\n' };
    const live = { liveInsecure: { registries: [], cidrs: ['10.0.0.0/8', '127.0.0.0/8'] } };
    const covered = planInstall(await factsFrom({ files, docker: live }), wanted, templates);
    expect(writes(covered.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
    expect(ops(covered.actions)).toEqual(['container:run']);
    expect(covered.notes).toContain(`${ENTRY} is trusted by 10.0.0.0/8 in dockerd's insecure registries: no entry of its own needed`);
    // in the file but not live (not reloaded since): the entry, as without the block
    const notLive = planInstall(await factsFrom({ files }), wanted, templates);
    expect(writes(notLive.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json', '/etc/docker/daemon.json']);
    // a block elsewhere: the entry
    const elsewhere = planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registries": ["192.168.0.0/16"]}\n' }, docker: { liveInsecure: { registries: [], cidrs: ['192.168.0.0/16'] } } }), wanted, templates);
    expect(JSON.parse(writes(elsewhere.actions)[1]!.after)).toEqual({ 'insecure-registries': ['192.168.0.0/16', ENTRY] });
    // an entry of its own already there is kept: nothing to do
    const both = { '/etc/docker/daemon.json': `{"insecure-registries": ["10.0.0.0/8", "${ENTRY}"]}\n` };
    expect(writes(planInstall(await factsFrom({ files: both, docker: { liveInsecure: { registries: [ENTRY], cidrs: ['10.0.0.0/8'] } } }), wanted, templates).actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
  });

  it('the entry written with a scheme ("http://HOST:PORT", which dockerd reads as HOST:PORT), live: no entry of its own, no reload; check warns and names the fix', async () => {
    for (const written of [`http://${ENTRY}`, `HTTPS://${ENTRY}`]) {
      const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${written}"]}\n` };
      const facts = await factsFrom({ files, docker: { liveInsecure: { registries: [ENTRY], cidrs: ['127.0.0.0/8'] } } });
      const plan = planInstall(facts, wanted, templates);
      expect(writes(plan.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
      expect(ops(plan.actions)).toEqual(['container:run']);
      expect(plan.notes).toContain(`${ENTRY} is trusted by "${written}" (dockerd drops the scheme) in dockerd's insecure registries: no entry of its own needed`);
      const byId = Object.fromEntries((await checksOn(facts)).map((c) => [c.id, c]));
      expect(byId['insecure-entries']).toMatchObject({ status: 'warn', fix: `write it as ${ENTRY} in /etc/docker/daemon.json` });
      expect(byId['registry-configured']!.status).toBe('ok');
    }
    // another scheme: dockerd refuses the file
    const ftp = await factsFrom({ files: { '/etc/docker/daemon.json': `{"insecure-registries": ["ftp://${ENTRY}"]}\n` } });
    expect((await checksOn(ftp)).find((c) => c.id === 'insecure-entries')!.status).toBe('fail');
  });

  it('a state file that cannot be read is written anew, saying so; one from a newer setup-registry is refused', async () => {
    expect(readState(null)).toEqual({ state: null });
    expect(readState('')).toEqual({ problem: 'empty' });
    expect(readState('{"version": 1, "address": ')).toEqual({ problem: 'not valid JSON' });
    expect(readState('[]')).toEqual({ problem: 'not a JSON object' });
    expect(readState('{"address": "x"}')).toEqual({ problem: 'unknown state format null' });
    expect(() => readState('{"version": 2}')).toThrow(HostRefusal);
    expect(() => readState('{"version": 2}')).toThrow('/etc/setup-registry/state.json was written by a newer setup-registry (state format 2, this one reads 1): run that version');
    const plan = planInstall(await factsFrom({ files: { '/etc/setup-registry/state.json': '{"version": 1, "addr' } }), wanted, templates);
    expect(plan.notes).toContain('/etc/setup-registry/state.json cannot be read (not valid JSON): it is written anew, the old one kept as a backup; trust entries it recorded are not known, so uninstall leaves them');
    expect(writes(plan.actions).find((w) => w.path === '/etc/setup-registry/state.json')).toMatchObject({ before: '{"version": 1, "addr' });
  });

  it('converged host: no actions at all', async () => {
    const first = planInstall(await factsFrom({}), wanted, templates);
    const state = writes(first.actions).find((w) => w.path.endsWith('state.json'))!.after;
    const facts = await factsFrom({
      files: { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}`, '/etc/setup-registry/state.json': state },
      docker: { liveInsecure: { registries: [ENTRY], cidrs: [] } },
      container: healthyContainer,
    });
    expect(planInstall(facts, wanted, templates).actions).toEqual([]);
  });

  it('a --method docker-opts registry moved to another port by daemon.json: its old flag is taken out, not moved into daemon.json with the new entry', async () => {
    const optsWanted = { ...wanted, method: 'docker-opts' as const };
    const first = planInstall(await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS="--debug"\n' } }), optsWanted, templates);
    const state = writes(first.actions).find((w) => w.path.endsWith('state.json'))!.after;
    const facts = await factsFrom({
      files: { '/etc/default/docker': `DOCKER_OPTS="--debug --insecure-registry ${ENTRY}"\n`, '/etc/setup-registry/state.json': state },
      docker: { argv: ['/usr/sbin/dockerd', '--debug', '--insecure-registry', ENTRY], liveInsecure: { registries: [ENTRY], cidrs: [] } },
      container: healthyContainer,
    });
    // the same port by the recorded way: nothing to do
    expect(planInstall(facts, optsWanted, templates).actions).toEqual([]);
    const moved = planInstall(facts, { ...wanted, port: 5001, method: 'daemon-json' }, templates);
    const byPath = Object.fromEntries(writes(moved.actions).map((w) => [w.path, w.after]));
    expect(JSON.parse(byPath['/etc/docker/daemon.json']!)['insecure-registries']).toEqual(['10.0.0.5:5001']);
    expect(byPath['/etc/default/docker']).toBe('DOCKER_OPTS="--debug"\n');
    expect(moved.daemon).toBe('restart');
    expect(moved.notes).toContain(`dockerd will be restarted: --insecure-registry ${ENTRY} is taken out of its flags, and flags are only read at start`);
    expect(JSON.parse(byPath['/etc/setup-registry/state.json']!).added.map((a: { entry: string }) => a.entry)).toEqual(['10.0.0.5:5001']);
  });

  it('entry in the file but not live: reload only, no write', async () => {
    const facts = await factsFrom({ files: { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` }, container: healthyContainer });
    const plan = planInstall(facts, wanted, templates);
    expect(writes(plan.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
    expect(ops(plan.actions)).toEqual(['daemon:reload']);
  });

  it('an entry to remove that no file holds but dockerd still does (a run cut short before its reload): reloaded, or restarted when the running command line holds it; not live, nothing', async () => {
    const state = { version: 1, address: '10.0.0.5', port: 5000, name: 'registry', image: 'registry:3', imageSource: 'x', dataDir: '/var/lib/registry', method: 'daemon-json', added: [{ entry: ENTRY, method: 'daemon-json', file: '/etc/docker/daemon.json' }] } as unknown as Parameters<typeof planUninstall>[1];
    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] } };
    const cut = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registries": []}\n' }, docker: live });
    const plan = planUninstall(cut, state, templates, { purge: false });
    expect(ops(plan.actions)).toEqual(['daemon:reload']);
    expect(plan.notes).toContain(`${ENTRY} no longer configured but still live in dockerd (an earlier run cut short?): it will be reloaded`);
    const flagged = await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS=""\n' }, docker: { ...live, argv: ['/usr/bin/dockerd', '-p', '/var/run/docker.pid', '--insecure-registry', ENTRY] } });
    expect(ops(planUninstall(flagged, { ...state!, method: 'docker-opts', added: [{ entry: ENTRY, method: 'docker-opts', file: '/etc/default/docker' }] }, templates, { purge: false }).actions)).toEqual(['daemon:restart']);
    const gone = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registries": []}\n' } });
    expect(ops(planUninstall(gone, state, templates, { purge: false }).actions)).toEqual([]);
  });

  it('flag in DOCKER_OPTS (sysvinit): moves it into daemon.json, keeps other flags, restarts', async () => {
    const facts = await factsFrom({
      files: { '/etc/default/docker': '# mine\nDOCKER_OPTS="--insecure-registry=10.1.2.3:5000 --dns 1.1.1.1"\n' },
      docker: { argv: ['/usr/sbin/dockerd', '-p', '/var/run/docker.pid', '--insecure-registry=10.1.2.3:5000', '--dns', '1.1.1.1'] },
    });
    const plan = planInstall(facts, wanted, templates);
    expect(plan.daemon).toBe('restart');
    const byPath = Object.fromEntries(writes(plan.actions).map((w) => [w.path, w.after]));
    expect(byPath['/etc/default/docker']).toBe('# mine\nDOCKER_OPTS="--dns 1.1.1.1"\n');
    expect(JSON.parse(byPath['/etc/docker/daemon.json']!)['insecure-registries']).toEqual(['10.1.2.3:5000', ENTRY]);
    expect(plan.notes.join()).toMatch(/will be restarted/);
    // The user's own entry is not recorded as ours: uninstall must not take it away.
    expect(JSON.parse(byPath['/etc/setup-registry/state.json']!).added.map((a: { entry: string }) => a.entry)).toEqual([ENTRY]);
  });

  it('docker-ce unit under systemd ignores DOCKER_OPTS (moby#23040): not a conflict, reload by systemctl, enable at boot', async () => {
    const facts = await factsFrom({
      init: 'systemd',
      files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), '/etc/default/docker': 'DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n' },
    });
    const site = facts.startup.flagSites.find((s) => s.file === '/etc/default/docker')!;
    expect(site.effective).toBe(false);
    const plan = planInstall(facts, wanted, templates);
    expect(plan.daemon).toBe('reload');
    expect(plan.actions.find((a) => a.kind === 'daemon' && a.op === 'reload')).toMatchObject({ via: { argv: ['systemctl', 'reload', 'docker'] } });
    expect(ops(plan.actions)).toContain('daemon:enable');
    expect(writes(plan.actions).map((w) => w.path)).not.toContain('/etc/default/docker');
    // --method docker-opts asked for here is refused; recorded by an earlier install (before this unit), it gives way to auto
    expect(() => planInstall(facts, { ...wanted, method: 'docker-opts' }, templates)).toThrow(/--method docker-opts cannot be used here/);
    expect(planInstall(facts, { ...wanted, method: 'docker-opts', methodRecorded: true }, templates).method).toBe('daemon-json');
  });

  it('--method docker-opts refuses to add a flag after a bare --insecure-registry (it would become its value)', async () => {
    const facts = await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS="--debug --insecure-registry"\n' }, docker: { argv: ['/usr/sbin/dockerd', '--debug'] } });
    expect(() => planInstall(facts, { ...wanted, method: 'docker-opts' }, templates)).toThrow(/^DOCKER_OPTS in \/etc\/default\/docker ends in --insecure-registry with no registry after it/);
    // by daemon.json, the file is none of this run's business: it names no registry to move
    expect(writes(planInstall(facts, wanted, templates).actions).map((w) => w.path)).not.toContain('/etc/default/docker');
  });

  it('drop-ins as systemd merges them: a name in /etc masks the same name in /run and /lib, the rest apply in name order', async () => {
    const unit = fixture('units/docker-ce.service');
    const facts = await factsFrom({
      init: 'systemd',
      files: {
        '/lib/systemd/system/docker.service': unit,
        '/lib/systemd/system/docker.service.d/10-flags.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --insecure-registry 10.1.1.1:5000\n',
        '/run/systemd/system/docker.service.d/10-flags.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --insecure-registry 10.2.2.2:5000\n',
        '/etc/systemd/system/docker.service.d/10-flags.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --insecure-registry 10.3.3.3:5000\n',
        '/run/systemd/system/docker.service.d/20-more.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --insecure-registry 10.4.4.4:5000\n',
      },
    });
    expect(facts.startup.unitSources.map((u) => u.path)).toEqual(['/lib/systemd/system/docker.service', '/etc/systemd/system/docker.service.d/10-flags.conf', '/run/systemd/system/docker.service.d/20-more.conf']);
    expect(facts.startup.flagSites.find((s) => s.kind === 'exec-start')).toMatchObject({ file: '/run/systemd/system/docker.service.d/20-more.conf', registries: ['10.4.4.4:5000'] });
  });

  it('an entry recorded under DOCKER_OPTS on a host whose unit no longer reads it: moved into daemon.json, and taken out of DOCKER_OPTS, where it would clash the day it is read again', async () => {
    const optsWanted = { ...wanted, method: 'docker-opts' as const };
    const first = planInstall(await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS="--debug"\n' } }), optsWanted, templates);
    const state = writes(first.actions).find((w) => w.path.endsWith('state.json'))!.after;
    const facts = await factsFrom({
      init: 'systemd',
      files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), '/etc/default/docker': `DOCKER_OPTS="--debug --insecure-registry ${ENTRY}"\n`, '/etc/setup-registry/state.json': state },
      container: healthyContainer,
    });
    const plan = planInstall(facts, { ...optsWanted, methodRecorded: true }, templates);
    const byPath = Object.fromEntries(writes(plan.actions).map((w) => [w.path, w.after]));
    expect(JSON.parse(byPath['/etc/docker/daemon.json']!)['insecure-registries']).toEqual([ENTRY]);
    expect(byPath['/etc/default/docker']).toBe('DOCKER_OPTS="--debug"\n');
    expect(plan.daemon).toBe('reload');
    expect(JSON.parse(byPath['/etc/setup-registry/state.json']!).added).toEqual([{ entry: ENTRY, method: 'daemon-json', file: '/etc/docker/daemon.json' }]);
    // uninstalled there instead, the flag goes from the file, and dockerd (which never read it) is left alone
    const removal = planUninstall(facts, JSON.parse(state), templates, { purge: false });
    expect(writes(removal.actions).find((w) => w.path === '/etc/default/docker')!.after).toBe('DOCKER_OPTS="--debug"\n');
    expect(ops(removal.actions)).toEqual(['container:remove']);
  });

  it("Debian's docker.io unit reads DOCKER_OPTS: the flag there is a conflict and is moved", async () => {
    const facts = await factsFrom({
      init: 'systemd',
      files: { '/lib/systemd/system/docker.service': fixture('units/debian-docker.io.service'), '/etc/default/docker': `${fixture('debian-default-docker')}DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\n` },
      links: { '/etc/systemd/system/multi-user.target.wants/docker.service': '/lib/systemd/system/docker.service' },
    });
    const plan = planInstall(facts, wanted, templates);
    expect(plan.daemon).toBe('restart');
    // systemd's start limit (3 a minute) is reset first: a deliberate restart is no crash loop
    expect(ops(plan.actions)).toEqual(['daemon:clear-failure', 'daemon:restart', 'container:run']);
    const edited = writes(plan.actions).find((w) => w.path === '/etc/default/docker')!;
    expect(edited.after).toBe(`${fixture('debian-default-docker')}DOCKER_OPTS=""\n`);
  });

  it('the same file read by an init script expands "$DOCKER_OPTS ..." (both lines\' flags move); read by systemd it does not: a restart is refused, a reload gets a note', async () => {
    const blog = 'DOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\nDOCKER_OPTS="$DOCKER_OPTS --log-level=warn"\n';
    const sysv = planInstall(await factsFrom({ files: { '/etc/default/docker': blog }, docker: { argv: ['/usr/sbin/dockerd', '--insecure-registry', '10.1.2.3:5000', '--log-level=warn'] } }), wanted, templates);
    expect(sysv.daemon).toBe('restart');
    expect(writes(sysv.actions).find((w) => w.path === '/etc/default/docker')!.after).toBe('DOCKER_OPTS=""\nDOCKER_OPTS="$DOCKER_OPTS --log-level=warn"\n');
    const unit = { '/lib/systemd/system/docker.service': fixture('units/debian-docker.io.service') };
    const moving = await factsFrom({ init: 'systemd', files: { ...unit, '/etc/default/docker': blog.replace('--log-level=warn', '--insecure-registry=10.4.5.6:5000') } });
    expect(() => planInstall(moving, wanted, templates)).toThrow(HostRefusal);
    expect(() => planInstall(moving, wanted, templates)).toThrow(/^dockerd cannot restart as this host starts it: DOCKER_OPTS in \/etc\/default\/docker holds \$DOCKER_OPTS, which systemd does not expand/);
    const reloading = planInstall(await factsFrom({ init: 'systemd', files: { ...unit, '/etc/default/docker': 'DOCKER_OPTS="--debug"\nDOCKER_OPTS="$DOCKER_OPTS --log-level=warn"\n' } }), wanted, templates);
    expect(reloading.daemon).toBe('reload');
    expect(reloading.notes.join('\n')).toContain('dockerd gets "$DOCKER_OPTS" as an argument and will not start ("accepts no argument(s)"), at its next restart or boot');
  });

  it("Red Hat's docker 1.13: INSECURE_REGISTRY in /etc/sysconfig/docker is moved; OPTIONS and comments kept", async () => {
    const facts = await factsFrom({
      init: 'systemd',
      files: { '/etc/os-release': 'ID="centos"\nVERSION_ID="7"\nID_LIKE="rhel fedora"\n', '/usr/lib/systemd/system/docker.service': fixture('units/rhel-docker-1.13.service'), '/etc/sysconfig/docker': fixture('rhel-sysconfig-docker') },
      docker: { serverVersion: '1.13.1', clientVersion: '1.13.1' },
    });
    expect(facts.distro.family).toBe('rhel');
    const plan = planInstall(facts, wanted, templates);
    const edited = writes(plan.actions).find((w) => w.path === '/etc/sysconfig/docker')!;
    expect(edited.after).toBe(fixture('rhel-sysconfig-docker').replace("INSECURE_REGISTRY='--insecure-registry 10.1.2.3:5000'", "INSECURE_REGISTRY=''"));
    expect(plan.daemon).toBe('restart');
  });

  it('Docker older than 1.12 on Red Hat: auto picks INSECURE_REGISTRY in /etc/sysconfig/docker', async () => {
    const facts = await factsFrom({
      init: 'systemd',
      files: { '/etc/os-release': 'ID="centos"\nVERSION_ID="7"\n', '/usr/lib/systemd/system/docker.service': fixture('units/rhel-docker-1.13.service'), '/etc/sysconfig/docker': "OPTIONS='--selinux-enabled'\n" },
      docker: { serverVersion: '1.10.3' },
    });
    const plan = planInstall(facts, wanted, templates);
    expect(plan.method).toBe('sysconfig');
    const written = writes(plan.actions).find((w) => w.path === '/etc/sysconfig/docker')!.after;
    expect(written).toBe(`OPTIONS='--selinux-enabled'\n# Added by setup-registry: the line below goes when its last --insecure-registry flag does.\nINSECURE_REGISTRY="--insecure-registry ${ENTRY}"\n`);
    // Uninstalled, the line it added goes whole with its comment: the file is byte for byte what it was (not INSECURE_REGISTRY="").
    const state = JSON.parse(writes(plan.actions).find((w) => w.path.endsWith('state.json'))!.after);
    const installed = await factsFrom({
      init: 'systemd',
      files: { '/etc/os-release': 'ID="centos"\nVERSION_ID="7"\n', '/usr/lib/systemd/system/docker.service': fixture('units/rhel-docker-1.13.service'), '/etc/sysconfig/docker': written },
      docker: { serverVersion: '1.10.3', liveInsecure: { registries: [ENTRY], cidrs: [] } },
    });
    expect(writes(planUninstall(installed, state, templates, { purge: false }).actions).find((w) => w.path === '/etc/sysconfig/docker')!.after).toBe("OPTIONS='--selinux-enabled'\n");
    // A flag the operator wrote into that line since stays, and so does the line.
    const shared = written.replace('"--insecure-registry', '"--selinux-enabled --insecure-registry');
    const sharedFacts = await factsFrom({ init: 'systemd', files: { '/usr/lib/systemd/system/docker.service': fixture('units/rhel-docker-1.13.service'), '/etc/sysconfig/docker': shared }, docker: { serverVersion: '1.10.3' } });
    expect(writes(planUninstall(sharedFacts, state, templates, { purge: false }).actions).find((w) => w.path === '/etc/sysconfig/docker')!.after).toBe(written.replace(`"--insecure-registry ${ENTRY}"`, '"--selinux-enabled"'));
  });

  it('--method docker-opts where /etc/default/docker is missing: the file it writes goes again at uninstall; an install on top of its own emptied line reuses it', async () => {
    const optsWanted = { ...wanted, method: 'docker-opts' as const };
    const plan = planInstall(await factsFrom({}), optsWanted, templates);
    const written = writes(plan.actions).find((w) => w.path === '/etc/default/docker')!;
    expect(written.before).toBeNull();
    expect(written.after).toBe(`${templates.envFileHeader}# Added by setup-registry: the line below goes when its last --insecure-registry flag does.\nDOCKER_OPTS="--insecure-registry ${ENTRY}"\n`);
    const state = JSON.parse(writes(plan.actions).find((w) => w.path.endsWith('state.json'))!.after);
    const installed = await factsFrom({ files: { '/etc/default/docker': written.after }, docker: { liveInsecure: { registries: [ENTRY], cidrs: [] } } });
    const removal = planUninstall(installed, state, templates, { purge: false });
    expect(removal.actions.filter((a) => a.kind === 'remove-path').map((a) => (a as { path: string }).path)).toEqual(['/etc/default/docker', '/etc/setup-registry/state.json']);
    expect(ops(removal.actions)).toContain('daemon:restart');
  });

  it("our drop-in's copy of ExecStart, once a package upgrade changed the unit's: named, and a rerun writes it anew from the unit's", async () => {
    const plan = planInstall(await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service') } }), { ...wanted, method: 'systemd-dropin' }, templates);
    const dropIn = writes(plan.actions).find((w) => w.path === DROP_IN)!.after;
    const current = await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), [DROP_IN]: dropIn } });
    expect(staleDropIn(current)).toBeNull();
    const upgraded = fixture('units/docker-ce.service').replace('ExecStart=/usr/bin/dockerd -H fd://', 'ExecStart=/usr/bin/dockerd --log-level=info -H fd://');
    const later = await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': upgraded, [DROP_IN]: dropIn }, docker: { liveInsecure: { registries: [ENTRY], cidrs: [] } } });
    expect(staleDropIn(later)).toEqual({ path: DROP_IN, runs: `/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --insecure-registry ${ENTRY}`, unitHas: '/usr/bin/dockerd --log-level=info -H fd:// --containerd=/run/containerd/containerd.sock' });
    const rerun = planInstall(later, { ...wanted, method: 'systemd-dropin' }, templates);
    expect(writes(rerun.actions).find((w) => w.path === DROP_IN)!.after).toContain(`ExecStart=/usr/bin/dockerd --log-level=info -H fd:// --containerd=/run/containerd/containerd.sock --insecure-registry ${ENTRY}\n`);
  });

  it('--method systemd-dropin writes a drop-in that resets ExecStart, then daemon-reload and restart', async () => {
    const facts = await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service') } });
    const plan = planInstall(facts, { ...wanted, method: 'systemd-dropin' }, templates);
    const dropIn = writes(plan.actions).find((w) => w.path === DROP_IN)!;
    expect(dropIn.after).toContain(`[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --insecure-registry ${ENTRY}\n`);
    expect(ops(plan.actions).slice(0, 3)).toEqual(['daemon:unit-reload', 'daemon:clear-failure', 'daemon:restart']);
    // Idempotent: with our drop-in in place, nothing more to write for the trust.
    const again = await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), [DROP_IN]: dropIn.after }, docker: { liveInsecure: { registries: [ENTRY], cidrs: [] } } });
    expect(writes(planInstall(again, { ...wanted, method: 'systemd-dropin' }, templates).actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
    // Uninstalled, our drop-in says nothing the unit does not: it goes (left, it would pin this ExecStart past a package upgrade).
    const state = JSON.parse(writes(plan.actions).find((w) => w.path.endsWith('state.json'))!.after);
    const removal = planUninstall(again, state, templates, { purge: false });
    expect(removal.actions.filter((a) => a.kind === 'remove-path').map((a) => (a as { path: string }).path)).toEqual([DROP_IN, '/etc/setup-registry/state.json']);
    expect(ops(removal.actions)).toEqual(['daemon:unit-reload', 'daemon:clear-failure', 'daemon:restart']);
    expect(removal.actions.findIndex((a) => a.kind === 'remove-path' && a.path === DROP_IN)).toBeLessThan(removal.actions.findIndex((a) => a.kind === 'daemon'));
  });

  it('flag methods refuse when daemon.json already lists insecure-registries (dockerd would not start)', async () => {
    const facts = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registries": ["x:1"]}' } });
    expect(() => planInstall(facts, { ...wanted, method: 'docker-opts' }, templates)).toThrow(/would stop dockerd from starting/);
  });

  it('refuses: malformed daemon.json, a port held by someone else, a method this host cannot use', async () => {
    await expect(factsFrom({ files: { '/etc/docker/daemon.json': '{"a": }' } }).then((f) => planInstall(f, wanted, templates))).rejects.toThrow(/daemon\.json:1:\d+: not valid JSON/);
    const busy = await factsFrom({ portHolder: { port: 5000, description: 'nginx (pid 7)', ours: false } });
    expect(() => planInstall(busy, wanted, templates)).toThrow('port 5000 is already in use by nginx (pid 7); choose another with --port');
    // a container's published port: named; a registry under another name can be taken over
    const proxy = { port: 5000, description: 'docker-proxy (pid 9)', ours: false, proxy: true };
    const app = await factsFrom({ portHolder: { ...proxy, container: { name: 'web', image: 'nginx:1.25', registryStorage: false } } });
    expect(() => planInstall(app, wanted, templates)).toThrow('port 5000 is already in use by container web (image nginx:1.25); choose another with --port');
    const other = await factsFrom({ portHolder: { ...proxy, container: { name: 'my-registry', image: 'registry:2', registryStorage: true } } });
    expect(() => planInstall(other, wanted, templates)).toThrow('port 5000 is already in use by container my-registry (image registry:2); to take that registry over (its images stay where they are), run again with --name my-registry, or choose another --port');
    expect(() => planInstall(busy, { ...wanted, method: 'systemd-dropin' }, templates)).toThrow();
    const sysv = await factsFrom({});
    expect(() => planInstall(sysv, { ...wanted, method: 'systemd-dropin' }, templates)).toThrow(/does not run systemd/);
    // another registry this tool manages here: one per host (its record, and its trust at uninstall, would be lost)
    expect(() => planInstall({ ...sysv, otherRecorded: { name: 'registry', entry: '10.0.0.5:5000' } }, { ...wanted, name: 'cache', port: 5001 }, templates)).toThrow(
      'setup-registry already manages the registry registry (10.0.0.5:5000) on this host, and manages one per host; to change that one, run again with --name registry; for another, uninstall it first',
    );
    // Podman's docker stand-in: no dockerd to trust anything
    const podman = await factsFrom({ docker: { running: false, serverVersion: null, podman: true, error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock (ENOENT)' } });
    expect(() => planInstall(podman, wanted, templates)).toThrow(/the docker command here is Podman \(podman-docker\), which has no dockerd/);
    // dockerd's socket closed to this user: whether it runs is unknown, so no plan (not a "start dockerd")
    const denied = await factsFrom({ docker: { running: false, serverVersion: null, denied: true, error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock (EACCES)' } });
    expect(() => planInstall(denied, wanted, templates)).toThrow(/cannot ask dockerd: its socket is not open to this user \(.*EACCES\)\); run as root/);
    // a dockerd that runs and does not answer: on tcp:// only, refused with the fix (a start would change nothing); else still starting, and waited for
    const unanswered = { running: false, serverVersion: null, liveInsecure: null, error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock (ENOENT)' };
    const tcpOnly = await factsFrom({ docker: { ...unanswered, argv: ['/usr/sbin/dockerd', '-H', 'tcp://127.0.0.1:2375'] } });
    expect(() => planInstall(tcpOnly, wanted, templates)).toThrow('dockerd (pid 4242) serves its API only on tcp://127.0.0.1:2375, and setup-registry asks it over a unix socket: add -H unix:///var/run/docker.sock to its options (or "unix:///var/run/docker.sock" to "hosts" in /etc/docker/daemon.json), and restart it, then run again');
    const starting = planInstall(await factsFrom({ docker: { ...unanswered, argv: ['/usr/sbin/dockerd'] } }), wanted, templates);
    expect(starting.actions.find((a) => a.kind === 'daemon')).toMatchObject({ op: 'start', why: 'dockerd (pid 4242) runs but does not answer yet (still starting?): started (nothing to do if it runs), then waited for' });
    // a host name that does not resolve here: the push test could never reach it
    const named = { ...wanted, address: 'registry.example.invalid' };
    expect(() => planInstall({ ...sysv, addressLookup: { error: 'ENOTFOUND' } }, named, templates)).toThrow(
      '--address registry.example.invalid does not resolve on this host (ENOTFOUND), and dockerd here pushes to the registry by that name to prove it works; add it to DNS or /etc/hosts, or use an IP address',
    );
    const resolved = planInstall({ ...sysv, addressLookup: { addresses: ['10.0.0.5'], local: true } }, named, templates);
    expect(resolved.actions.length).toBeGreaterThan(0);
    expect(resolved.notes.join('\n')).not.toContain('is not an address of this host');
    // an address that is not this host's: planned, with a note on where the verification goes
    const away = planInstall({ ...sysv, addressLookup: { addresses: ['203.0.113.7'], local: false } }, named, templates);
    expect(away.notes).toContain('registry.example.invalid (203.0.113.7) is not an address of this host: the verification reaches the registry there, so NAT or a load balancer must lead back here');
    expect(planInstall({ ...sysv, addressLookup: { addresses: ['10.0.0.5'], local: false } }, wanted, templates).notes).toContain('10.0.0.5 is not an address of this host: the verification reaches the registry there, so NAT or a load balancer must lead back here');
  });

  it('dockerd stopped: starts it after the file change; the container is left to a second pass once dockerd answers', async () => {
    const facts = await factsFrom({ docker: { running: false, serverVersion: null, pid: null, argv: null, liveInsecure: null }, imagePresent: null });
    const plan = planInstall(facts, wanted, templates);
    expect(ops(plan.actions)).toEqual(['daemon:start']);
    expect(plan.secondPass).toBe(true);
    expect(plan.notes.join()).toContain('planned once dockerd runs');
  });

  it('missing image on a running daemon: the pull comes before any change', async () => {
    const plan = planInstall(await factsFrom({ imagePresent: false }), wanted, templates);
    // every way out as a whole command (a repair takes no image flags); Debian's registry package builds one with no network
    expect(plan.actions[0]).toMatchObject({
      kind: 'container',
      op: 'pull',
      hint: 'image registry:3 is not on this host and could not be pulled; setup-registry --yes --image IMAGE (another image), or docker load -i FILE (an archive of registry:3), then run again, or setup-registry --yes --offline-image (built from the docker-registry package, with no network)',
    });
    expect(JSON.parse(writes(plan.actions).find((w) => w.path === '/etc/setup-registry/state.json')!.after).imageSource).toBe('pulled');
    // another tag of the registry is here: the way out names it
    const facts = await factsFrom({ imagePresent: false });
    const withTwo = planInstall({ ...facts, image: { ...facts.image, alternatives: ['registry:2'] } }, wanted, templates);
    expect(withTwo.actions[0]).toMatchObject({ hint: expect.stringMatching(/^image registry:3 is not on this host and could not be pulled; setup-registry --yes --image registry:2 \(registry:2 is here\), or docker load/) });
  });

  it('a container with other settings is recreated, saying what differs; a stopped one is started', async () => {
    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] } };
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const recreate = planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, restartPolicy: 'no', hostPort: '5001' } }), wanted, templates);
    expect(ops(recreate.actions)).toEqual(['container:remove', 'container:run']);
    expect(recreate.actions.find((a) => a.kind === 'container')!.why).toContain('restart policy no -> always, port 5001 -> 5000');
    const stopped = planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, running: false, status: 'exited' } }), wanted, templates);
    expect(ops(stopped.actions)).toEqual(['container:start']);
  });

  it("the registry's log is capped under dockerd's default logging only (json-file without max-size); an existing container is not recreated for it", async () => {
    const runOf = (plan: { actions: Action[] }) => plan.actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }> | undefined;
    const capped = runOf(planInstall(await factsFrom({ container: null, docker: { logDriver: 'json-file', logRotated: false } }), wanted, templates))!;
    expect(capped.argv).toEqual(expect.arrayContaining(['--log-opt', 'max-size=10m', '--log-opt', 'max-file=3']));
    expect(capped.create!.body).toMatchObject({ HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } } });
    for (const docker of [{ logDriver: 'json-file', logRotated: true }, { logDriver: 'journald', logRotated: false }]) {
      const left = runOf(planInstall(await factsFrom({ container: null, docker }), wanted, templates))!;
      expect(left.argv).not.toContain('--log-opt');
      expect((left.create!.body.HostConfig as Record<string, unknown>).LogConfig).toBeUndefined();
    }
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}\n` };
    const uncut = { ...healthyContainer, log: { type: 'json-file', config: {} } };
    expect(planInstall(await factsFrom({ files, docker: { liveInsecure: { registries: [ENTRY], cidrs: [] }, logDriver: 'json-file', logRotated: false }, container: uncut }), wanted, templates).actions.filter((a) => a.kind === 'container')).toEqual([]);
  });

  it('an SELinux-enabled dockerd: host directories are bound with :Z (relabeled for the registry), a volume as it is; an existing bind without it is recreated', async () => {
    const runOf = (plan: { actions: Action[] }) => plan.actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }>;
    const fresh = runOf(planInstall(await factsFrom({ docker: { selinux: true } }), { ...wanted, tls: { sans: [] } }, templates));
    expect(fresh.argv).toEqual(expect.arrayContaining(['/var/lib/registry:/var/lib/registry:Z', '/etc/setup-registry/tls:/certs:ro,Z']));
    expect(fresh.create!.body).toMatchObject({ HostConfig: { Binds: ['/var/lib/registry:/var/lib/registry:Z', '/etc/setup-registry/tls:/certs:ro,Z'] } });
    // without SELinux in dockerd, as before
    expect(runOf(planInstall(await factsFrom({}), wanted, templates)).argv).toContain('/var/lib/registry:/var/lib/registry');

    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] }, selinux: true };
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const unlabeled = planInstall(await factsFrom({ files, docker: live, container: healthyContainer }), wanted, templates);
    expect(ops(unlabeled.actions)).toEqual(['container:remove', 'container:run']);
    expect(unlabeled.actions.find((a) => a.kind === 'container')!.why).toContain('data /var/lib/registry not labeled for SELinux (:Z)');
    const labeled = { ...healthyContainer, mounts: [{ source: '/var/lib/registry', destination: '/var/lib/registry', mode: 'z' }] };
    expect(ops(planInstall(await factsFrom({ files, docker: live, container: labeled }), wanted, templates).actions)).toEqual([]);
    const inVolume = { ...healthyContainer, dataDir: 'regdata', mounts: [{ source: '/var/lib/docker/volumes/regdata/_data', destination: '/var/lib/registry', mode: 'z' }] };
    const volumeRun = runOf(planInstall(await factsFrom({ files, docker: live, container: { ...inVolume, restartPolicy: 'no' } }), { ...wanted, dataDir: 'regdata' }, templates));
    expect(volumeRun.argv).toContain('regdata:/var/lib/registry');
  });

  it('a bound directory deleted under the running registry: a restart (not a recreate), and check fails container-data-dir; a paused one is unpaused first', async () => {
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] } };
    const stale = await factsFrom({ files, docker: live, container: { ...healthyContainer, staleBinds: ['/var/lib/registry'] } });
    const plan = planInstall(stale, wanted, templates);
    expect(ops(plan.actions)).toEqual(['container:restart']);
    expect(plan.actions.find((a) => a.kind === 'container')!.why).toContain('/var/lib/registry on this host is not the directory the registry has');
    const target = { ...wanted, entry: ENTRY, method: 'auto' } as unknown as CheckContext['target'];
    const [finding] = await runChecks({ facts: stale, target, ports: undefined as never }, { deep: false, only: ['container-data-dir'] });
    expect(finding).toMatchObject({ status: 'fail', fix: 'setup-registry repair' });
    // paused (docker pause): unpaused first, since a paused container cannot be restarted
    expect(ops(planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, status: 'paused', staleBinds: [] } }), wanted, templates).actions)).toEqual(['container:unpause']);
    expect(ops(planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, status: 'paused', staleBinds: ['/var/lib/registry'] } }), wanted, templates).actions)).toEqual(['container:unpause', 'container:restart']);
    // stopped: the start binds it anew anyway
    expect(ops(planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, running: false, status: 'exited', staleBinds: [] } }), wanted, templates).actions)).toEqual(['container:start']);
  });

  it('a dockerd that publishes on 127.0.0.1 by default ("ip"): the registry is published on its own address (every interface when this host does not have it), said in the plan; loopback stays loopback; an "ip" that is the address is kept', async () => {
    const plan = planInstall(await factsFrom({ docker: { bindIp: '127.0.0.1' } }), wanted, templates);
    const run = plan.actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }>;
    expect(run.argv).toEqual(expect.arrayContaining(['-p', '0.0.0.0:5000:5000']));
    expect(run.create!.body).toMatchObject({ HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '0.0.0.0', HostPort: '5000' }] } } });
    expect(plan.notes).toContain(`dockerd publishes ports on 127.0.0.1 unless told otherwise ("ip" in its configuration): the registry is published on every interface (-p 0.0.0.0:5000:5000), where its clients reach it at ${ENTRY}`);
    // the address is this host's: published there only
    const own = planInstall({ ...(await factsFrom({ docker: { bindIp: '127.0.0.1' } })), addressLookup: { addresses: ['10.0.0.5'], local: true } }, wanted, templates);
    expect(own.actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['-p', '10.0.0.5:5000:5000']) });
    expect(own.notes.join('\n')).toContain('the registry is published on 10.0.0.5 (-p 10.0.0.5:5000:5000)');
    // "ip" is the registry's address: dockerd's default is right, and kept
    const same = planInstall(await factsFrom({ docker: { bindIp: '10.0.0.5' } }), wanted, templates);
    expect(same.actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['-p', '5000:5000']) });
    expect(same.notes.join('\n')).not.toContain('unless told otherwise');
    // without it, no address: dockerd's default (every interface, IPv6 too)
    expect(planInstall(await factsFrom({}), wanted, templates).actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['-p', '5000:5000']) });
    const local = planInstall(await factsFrom({ docker: { bindIp: '127.0.0.1' } }), { ...wanted, address: '127.0.0.1' }, templates);
    expect(local.actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['-p', '127.0.0.1:5000:5000']) });
    // one published without an address, so on 127.0.0.1 (as the facts resolve it): recreated
    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] }, bindIp: '127.0.0.1' };
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const hidden = planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, hostIp: '127.0.0.1' } }), wanted, templates);
    expect(hidden.actions.find((a) => a.kind === 'container')!.why).toContain('port 127.0.0.1:5000 -> 0.0.0.0:5000');
    const kept = planInstall(await factsFrom({ files, docker: { ...live, bindIp: '10.0.0.5' }, container: { ...healthyContainer, hostIp: '10.0.0.5' } }), wanted, templates);
    expect(ops(kept.actions)).toEqual([]);
  });

  it('a dockerd that remaps users (userns-remap): the registry runs with --userns host where its root could not do the work, said in the plan; one running remapped there is recreated', async () => {
    const plan = planInstall(await factsFrom({ docker: { userns: true } }), wanted, templates);
    const run = plan.actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }>;
    expect(run.argv.join(' ')).toContain('--restart always --userns host -p');
    expect(run.create!.body).toMatchObject({ HostConfig: { UsernsMode: 'host' } });
    expect(plan.notes.join('\n')).toContain("the registry runs with --userns host, Docker's per-container opt-out, to use /var/lib/registry as root owns them on this host");
    const live = { liveInsecure: { registries: [ENTRY], cidrs: [] }, userns: true };
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const remapped = planInstall(await factsFrom({ files, docker: live, container: healthyContainer }), wanted, templates);
    expect(remapped.actions.find((a) => a.kind === 'container')!.why).toContain('users remapped (userns-remap) -> --userns host');
    expect(ops(planInstall(await factsFrom({ files, docker: live, container: { ...healthyContainer, usernsMode: 'host' } }), wanted, templates).actions)).toEqual([]);
    expect(planInstall(await factsFrom({}), wanted, templates).notes.join('\n')).not.toContain('userns');
    // where the remapped root can do the work, it stays remapped: a data directory not made yet (dockerd makes it for that user), or one that user owns
    const runArgvWith = async (owner: number | null, extra: Partial<Wanted> = {}) => {
      const facts = { ...(await factsFrom({ docker: { userns: true, usernsRoot: 100000 } })), dataDirOwners: { '/var/lib/registry': owner } };
      return (planInstall(facts, { ...wanted, ...extra }, templates).actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }>).argv;
    };
    expect(await runArgvWith(null)).not.toContain('--userns');
    expect(await runArgvWith(100000)).not.toContain('--userns');
    expect(await runArgvWith(0)).toContain('--userns');
    expect(await runArgvWith(null, { tls: { sans: [] } })).toContain('--userns');
  });

  describe('an existing container keeps its images where they are', () => {
    const files = { '/etc/docker/daemon.json': `{"insecure-registries": ["${ENTRY}"]}` };
    const docker = { liveInsecure: { registries: [ENTRY], cidrs: [] } };
    const VOLUME = '1a92d311f4f7';
    // `docker run -d -p 5000:5000 --restart=always --name registry registry:2`, as the docs say: an anonymous volume, no label of ours
    const byHand = { ...healthyContainer, env: [], dataDir: VOLUME, dataPath: `/var/lib/docker/volumes/${VOLUME}/_data`, mounts: [{ source: `/var/lib/docker/volumes/${VOLUME}/_data`, destination: '/var/lib/registry' }] };
    const { dataDir: _, ...noDataDir } = wanted;
    const run = (plan: { actions: Action[] }) => plan.actions.find((a) => a.kind === 'container' && a.op === 'run') as Extract<Action, { kind: 'container' }> | undefined;

    it('a registry started by hand in a volume is recreated on the same volume, and says so', async () => {
      const plan = planInstall(await factsFrom({ files, docker, container: byHand }), noDataDir, templates);
      expect(ops(plan.actions)).toEqual(['container:remove', 'container:run']);
      expect(plan.actions.find((a) => a.kind === 'container')!.why).toBe(`recreate registry (not made by setup-registry; environment lacks REGISTRY_STORAGE_DELETE_ENABLED=true); its images stay in volume ${VOLUME}`);
      expect(run(plan)!.create!.body).toMatchObject({ HostConfig: { Binds: [`${VOLUME}:/var/lib/registry`] } });
      expect(run(plan)!.argv.join(' ')).toContain(`-v ${VOLUME}:/var/lib/registry`);
      expect(plan.dataDir).toBe(VOLUME);
      expect(JSON.parse(writes(plan.actions).find((w) => w.path.endsWith('state.json'))!.after).dataDir).toBe(VOLUME);
      // once ours on that volume, a rerun leaves it alone
      const ours = { ...byHand, env: ['REGISTRY_STORAGE_DELETE_ENABLED=true'], labels: { 'io.github.setup-registry.managed': 'true' } };
      expect(ops(planInstall(await factsFrom({ files, docker, container: ours }), noDataDir, templates).actions)).toEqual([]);
    });

    it('a bind-mounted directory is kept the same way; --data-dir elsewhere says the images are not moved', async () => {
      const bound = { ...byHand, dataDir: '/srv/images', dataPath: '/srv/images', mounts: [{ source: '/srv/images', destination: '/var/lib/registry' }] };
      const kept = planInstall(await factsFrom({ files, docker, container: bound }), noDataDir, templates);
      expect(run(kept)!.create!.body).toMatchObject({ HostConfig: { Binds: ['/srv/images:/var/lib/registry'] } });
      const moved = planInstall(await factsFrom({ files, docker, container: byHand }), { ...wanted, dataDir: '/srv/registry' }, templates);
      expect(moved.actions.find((a) => a.kind === 'container')!.why).toContain(`the images in volume ${VOLUME} are not moved: the new container serves /srv/registry`);
      expect(run(moved)!.create!.body).toMatchObject({ HostConfig: { Binds: ['/srv/registry:/var/lib/registry'] } });
      // no container: the default
      expect(planInstall(await factsFrom({}), noDataDir, templates).dataDir).toBe('/var/lib/registry');
    });

    it("someone else's container by that name with nothing at /var/lib/registry is refused, not removed", async () => {
      const other = { ...healthyContainer, image: 'nginx:1.25', env: [], dataDir: null, dataPath: null, mounts: [] };
      const facts = await factsFrom({ files, docker, container: other });
      expect(() => planInstall(facts, wanted, templates)).toThrow(/a container named registry \(image nginx:1\.25\) exists and was not made by setup-registry; it has nothing mounted at \/var\/lib\/registry.*choose another --name/);
      // a registry of someone else's with settings ours would drop (here: TLS and auth, as in the docs): refused, named
      const secured = {
        ...byHand,
        env: ['REGISTRY_AUTH=htpasswd', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd', 'REGISTRY_HTTP_TLS_CERTIFICATE=/certs/domain.crt', 'REGISTRY_STORAGE_DELETE_ENABLED=true'],
        mounts: [...byHand.mounts, { source: '/srv/auth', destination: '/auth' }, { source: '/srv/certs', destination: '/certs' }],
      };
      expect(() => planInstall({ ...facts, container: secured }, noDataDir, templates)).toThrow(
        'a container named registry (image registry:3) exists and was not made by setup-registry; replacing it would lose its settings (REGISTRY_AUTH, REGISTRY_AUTH_HTPASSWD_PATH, REGISTRY_HTTP_TLS_CERTIFICATE, /srv/auth at /auth, /srv/certs at /certs); to only make dockerd trust it: setup-registry trust 10.0.0.5:5000; or choose another --name (and --port)',
      );
      // ours (labelled) without the mount is simply recreated
      const ours = { ...other, labels: { 'io.github.setup-registry.managed': 'true' } };
      expect(ops(planInstall(await factsFrom({ files, docker, container: ours }), wanted, templates).actions)).toEqual(['container:remove', 'container:run']);
    });
  });

  it("dockerd under another unit (snap's, without ExecReload): reloaded by SIGHUP, enabled and logged under its own name", async () => {
    const unit = fixture('units/debian-docker.io.service').replace(/^ExecReload=.*\n/m, '');
    const facts = await factsFrom({ init: 'systemd', unit: 'snap.docker.dockerd.service', files: { '/etc/systemd/system/snap.docker.dockerd.service': unit, '/var/snap/docker/current/config/daemon.json': '{}\n' }, docker: { argv: ['/snap/docker/current/bin/dockerd', '--config-file=/var/snap/docker/current/config/daemon.json'] } });
    const plan = planInstall(facts, wanted, templates);
    expect(writes(plan.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json', '/var/snap/docker/current/config/daemon.json']);
    expect(plan.actions.find((a) => a.kind === 'daemon' && a.op === 'reload')).toMatchObject({ via: { signal: 'SIGHUP', pid: 4242 } });
    expect(plan.actions.find((a) => a.kind === 'daemon' && a.op === 'enable')).toMatchObject({ via: { argv: ['systemctl', 'enable', 'snap.docker.dockerd'] } });
    // with ExecReload, systemctl reload of that unit
    const reloadable = await factsFrom({ init: 'systemd', unit: 'snap.docker.dockerd.service', files: { '/etc/systemd/system/snap.docker.dockerd.service': fixture('units/debian-docker.io.service') } });
    expect(planInstall(reloadable, wanted, templates).actions.find((a) => a.kind === 'daemon' && a.op === 'reload')).toMatchObject({ via: { argv: ['systemctl', 'reload', 'snap.docker.dockerd'] } });
  });

  it('sysvinit: an init script disabled at boot is enabled, one without rc links gets them, runlevel from /etc/inittab; none when dockerd has no init script', async () => {
    const script = { '/etc/init.d/docker': '#!/bin/sh\n' };
    const enableOf = async (spec: Parameters<typeof factsFrom>[0]) => planInstall(await factsFrom(spec), wanted, templates).actions.find((a) => a.kind === 'daemon' && a.op === 'enable');
    expect(await enableOf({ files: script, links: { '/etc/rc2.d/K01docker': '../init.d/docker' } })).toMatchObject({ via: { argv: ['update-rc.d', 'docker', 'enable'] } });
    expect(await enableOf({ files: { ...script, '/etc/rc2.d/S01dbus': '' } })).toMatchObject({ via: { argv: ['update-rc.d', 'docker', 'defaults'] } });
    expect(await enableOf({ files: script, links: { '/etc/rc2.d/S01docker': '../init.d/docker' } })).toBeUndefined();
    // runlevel 3 by /etc/inittab: its links count, not runlevel 2's
    expect(await enableOf({ files: { ...script, '/etc/inittab': 'id:3:initdefault:\n' }, links: { '/etc/rc2.d/S01docker': '../init.d/docker', '/etc/rc3.d/K01docker': '../init.d/docker' } })).toMatchObject({ via: { argv: ['update-rc.d', 'docker', 'enable'] } });
    expect(await enableOf({ files: {} })).toBeUndefined();
    const target = { entry: ENTRY, name: 'registry', method: 'auto', tls: null, auth: null } as unknown as CheckContext['target'];
    const facts = await factsFrom({ files: script, links: { '/etc/rc2.d/K01docker': '../init.d/docker' } });
    const checks = await runChecks({ facts, target, ports: undefined as never }, { deep: false, only: ['docker-enabled'] });
    expect(checks).toMatchObject([{ id: 'docker-enabled', status: 'fail', fix: 'update-rc.d docker enable' }]);
  });

  it('--config-file on the dockerd command line decides which daemon.json is edited', async () => {
    const facts = await factsFrom({ files: { '/srv/docker.json': '{"debug": true}' }, docker: { argv: ['/usr/sbin/dockerd', '--config-file=/srv/docker.json'] } });
    const plan = planInstall(facts, wanted, templates);
    expect(writes(plan.actions)[1]!.path).toBe('/srv/docker.json');
  });
});

describe('install planner: bare hosts and images without Docker Hub', () => {
  const noDocker = { docker: { installed: false, running: false, clientVersion: null, serverVersion: null, pid: null, argv: null, liveInsecure: null }, imagePresent: null };

  it('Docker missing: refuses without --install-docker, else installs the distro package and starts it, the rest in a second pass', async () => {
    const facts = await factsFrom(noDocker);
    expect(() => planInstall(facts, wanted, templates)).toThrow(/docker is not installed on this host; run again with --install-docker to install docker.io/);
    const plan = planInstall(facts, { ...wanted, installDocker: true }, templates);
    expect(plan.actions[0]).toMatchObject({ kind: 'package', packages: ['docker.io'], install: ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends'], refresh: ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'] });
    expect(ops(plan.actions)).toEqual(['daemon:start']);
    expect(plan.secondPass).toBe(true);
  });

  it('Red Hat family: docker-ce with Docker\'s repository, moby-engine on Fedora, else a clear refusal', async () => {
    const rhel = (id: string) => ({ ...noDocker, init: 'systemd' as const, files: { '/etc/os-release': `ID="${id}"\nVERSION_ID="9"\n` } });
    expect(planInstall(await factsFrom({ ...rhel('rocky'), dockerCeRepo: true }), { ...wanted, installDocker: true }, templates).actions[0]).toMatchObject({ packages: ['docker-ce'], install: ['dnf', 'install', '-y'] });
    expect(planInstall(await factsFrom(rhel('fedora')), { ...wanted, installDocker: true }, templates).actions[0]).toMatchObject({ packages: ['moby-engine'] });
    await expect(factsFrom(rhel('rhel')).then((f) => planInstall(f, { ...wanted, installDocker: true }, templates))).rejects.toThrow(/no dockerd package of its own/);
  });

  it('CentOS 7: yum, where there is no dnf; Red Hat\'s docker 1.13 from extras, or docker-ce with Docker\'s repository', async () => {
    const centos7 = { ...noDocker, init: 'systemd' as const, runnable: ['yum'], files: { '/etc/os-release': 'ID="centos"\nVERSION_ID="7"\n' } };
    expect(planInstall(await factsFrom(centos7), { ...wanted, installDocker: true }, templates).actions[0]).toMatchObject({ packages: ['docker'], install: ['yum', 'install', '-y'], refresh: ['yum', 'makecache'] });
    expect(planInstall(await factsFrom({ ...centos7, dockerCeRepo: true }), { ...wanted, installDocker: true }, templates).actions[0]).toMatchObject({ packages: ['docker-ce'], install: ['yum', 'install', '-y'] });
    // dnf where it is there (RHEL 8+, where yum is dnf too)
    expect(planInstall(await factsFrom({ ...centos7, runnable: ['yum', 'dnf'] }), { ...wanted, installDocker: true }, templates).actions[0]).toMatchObject({ install: ['dnf', 'install', '-y'] });
  });

  it('--offline-image: installs the registry package (its own service stopped), then builds setup-registry/registry:VERSION', async () => {
    const pkg = { name: 'docker-registry', binary: '/usr/bin/docker-registry', service: 'docker-registry', installed: false, version: null };
    const first = planInstall(await factsFrom({ registryPackage: pkg, imageName: null, imagePresent: false }), { ...wanted, image: null, offlineImage: true }, templates);
    expect(first.actions.find((a) => a.kind === 'package')).toMatchObject({ packages: ['docker-registry'], after: [['service', 'docker-registry', 'stop'], ['update-rc.d', 'docker-registry', 'disable']] });
    expect(first.secondPass).toBe(true);
    const second = planInstall(await factsFrom({ registryPackage: { ...pkg, installed: true, version: '2.8.2+ds1-1' }, imageName: 'setup-registry/registry:2.8.2-ds1-1', imagePresent: false }), { ...wanted, image: null, offlineImage: true }, templates);
    expect(second.actions.find((a) => a.kind === 'image')).toMatchObject({ op: 'build', tag: 'setup-registry/registry:2.8.2-ds1-1', binary: '/usr/bin/docker-registry' });
    expect(second.actions.find((a) => a.kind === 'container' && a.op === 'run')).toMatchObject({ argv: expect.arrayContaining(['setup-registry/registry:2.8.2-ds1-1']) });
    expect(second.state).toMatchObject({ image: 'setup-registry/registry:2.8.2-ds1-1', imageSource: 'built from docker-registry 2.8.2+ds1-1' });
  });

  it('--image-archive: the load comes first, before any change', async () => {
    const plan = planInstall(await factsFrom({ imagePresent: false }), { ...wanted, imageArchive: '/srv/registry.tar' }, templates);
    expect(plan.actions[0]).toMatchObject({ kind: 'image', op: 'load', argv: ['docker', 'load', '-i', '/srv/registry.tar'] });
    expect(plan.state).toMatchObject({ imageSource: 'loaded from /srv/registry.tar' });
  });
});

describe('install planner: directives dockerd would refuse (a flag and a daemon.json key)', () => {
  const hosts = '{"hosts": ["unix:///var/run/docker.sock"], "debug": true}\n';
  it('the trust key spelled as dockerd knows no directive ("insecure_registries"): every reload or start refused, naming it; under its flag\'s name ("insecure-registry", ignored by dockerd) no refusal', async () => {
    expect(misreadKeys({ insecure_registries: [], 'insecure-registry': [], 'registry-mirror': [], 'registry-mirrors': [], debug: true })).toEqual([
      { key: 'insecure_registries', meant: 'insecure-registries', dockerd: 'refuses' },
      { key: 'insecure-registry', meant: 'insecure-registries', dockerd: 'ignores' },
      { key: 'registry-mirror', meant: 'registry-mirrors', dockerd: 'ignores' },
    ]);
    const refused = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure_registries": ["10.1.1.1:5000"]}\n' } });
    expect(() => planInstall(refused, wanted, templates)).toThrow(
      'dockerd would refuse its configuration at the reload this needs: "insecure_registries" in /etc/docker/daemon.json is no key dockerd knows (it means "insecure-registries"), and runs now only because it has not re-read the file since it started; rename it, then run again',
    );
    // a loopback registry changes nothing in dockerd: a note
    expect(planInstall(refused, { ...wanted, address: '127.0.0.1' }, templates).notes.join('\n')).toContain('"insecure_registries" in /etc/docker/daemon.json is no key dockerd knows (it means "insecure-registries"): dockerd will refuse to start at its next restart or boot; rename it');
    const ignored = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registry": ["10.1.1.1:5000"]}\n' } });
    expect(planInstall(ignored, wanted, templates).daemon).toBe('reload');
  });
  it('a reload would fail (the running dockerd has -H and daemon.json has "hosts"): refused, before anything is planned', async () => {
    const facts = await factsFrom({ files: { '/etc/docker/daemon.json': hosts }, docker: { argv: ['/usr/sbin/dockerd', '-H', 'unix:///var/run/docker.sock'] } });
    expect(() => planInstall(facts, wanted, templates)).toThrow(
      /^dockerd would refuse its configuration at the reload this needs: "hosts" is in \/etc\/docker\/daemon\.json and also given as -H \(the running dockerd's command line\), and runs now only because/,
    );
  });
  it("under systemd, the unit's -H fd:// counts for a restart; for a reload only the running command line does (the unit's is a note)", async () => {
    const unit = { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service') };
    // dockerd was started before the unit got -H: the reload works, the next start will not
    const reload = await factsFrom({ init: 'systemd', files: { ...unit, '/etc/docker/daemon.json': hosts }, docker: { argv: ['/usr/bin/dockerd'] } });
    const plan = planInstall(reload, wanted, templates);
    expect(plan.daemon).toBe('reload');
    expect(plan.notes.join('\n')).toContain('"hosts" is in /etc/docker/daemon.json and also given as -H (ExecStart in /lib/systemd/system/docker.service): dockerd will refuse to start at its next restart or boot');
    // --method systemd-dropin restarts dockerd: refused
    expect(() => planInstall(reload, { ...wanted, method: 'systemd-dropin' }, templates)).toThrow(/at the restart this needs: "hosts" .* -H \(ExecStart in \/lib\/systemd\/system\/docker\.service\)/);
    // dockerd is down: it cannot start
    expect(() => planInstall({ ...reload, docker: { ...reload.docker, running: false, pid: null, argv: null } }, wanted, templates)).toThrow(/^dockerd cannot start: "hosts"/);
  });
  it('DOCKER_OPTS flags count for the restart that moves --insecure-registry into daemon.json; the trust key itself is left to the move', async () => {
    const files = { '/etc/default/docker': 'DOCKER_OPTS="-D --insecure-registry 10.1.2.3:5000"\n', '/etc/docker/daemon.json': '{"debug": true, "insecure-registries": ["10.9.9.9:5000"]}\n' };
    const facts = await factsFrom({ files, docker: { argv: ['/usr/sbin/dockerd', '-p', '/var/run/docker.pid'] } });
    expect(() => planInstall(facts, wanted, templates)).toThrow(/at the restart this needs: "debug" is in \/etc\/docker\/daemon\.json and also given as -D \(DOCKER_OPTS in \/etc\/default\/docker\)/);
    const withoutDebug = await factsFrom({ files: { ...files, '/etc/docker/daemon.json': '{"insecure-registries": ["10.9.9.9:5000"]}\n' } });
    expect(planInstall(withoutDebug, wanted, templates).daemon).toBe('restart');
  });
});

describe("install planner: dockerd's proxy", () => {
  it('a registry NO_PROXY does not cover gets a note naming the proxy, where it is set and the fix; one it covers, or TLS without HTTPS_PROXY, none', async () => {
    const dropIn = { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), '/etc/systemd/system/docker.service.d/http-proxy.conf': '[Service]\nEnvironment="HTTP_PROXY=http://proxy.corp:3128"\n' };
    const facts = await factsFrom({ init: 'systemd', files: dropIn, docker: { proxy: { http: 'http://proxy.corp:3128', https: null, noProxy: 'localhost,.corp' } } });
    const plan = planInstall(facts, wanted, templates);
    expect(plan.proxy).toMatchObject({ host: '10.0.0.5', variable: 'HTTP_PROXY', setIn: '/etc/systemd/system/docker.service.d/http-proxy.conf' });
    expect(plan.notes.join('\n')).toContain(
      "dockerd reaches 10.0.0.5:5000 through the proxy http://proxy.corp:3128 (its HTTP_PROXY, set in /etc/systemd/system/docker.service.d/http-proxy.conf; NO_PROXY does not cover 10.0.0.5): pushes go through that proxy, and fail if it cannot reach the registry; to go direct: add 10.0.0.5 to dockerd's NO_PROXY in /etc/systemd/system/docker.service.d/http-proxy.conf, then: systemctl daemon-reload && systemctl restart docker",
    );
    expect(planInstall({ ...facts, docker: { ...facts.docker, proxy: { http: 'http://proxy.corp:3128', https: null, noProxy: '10.0.0.0/8' } } }, wanted, templates).proxy).toBeNull();
    expect(planInstall(facts, { ...wanted, address: 'registry.corp' }, templates).proxy).toBeNull();
    expect(planInstall(facts, { ...wanted, address: '127.0.0.1' }, templates).proxy).toBeNull();
  });
});

describe("the registry's garbage collection (check's fix when its disk is nearly full)", () => {
  it('stops the registry, collects in a container of the same image and mounts against the config it serves with, starts it again', () => {
    expect(garbageCollectCommand('registry', { image: 'registry:3', command: ['/etc/distribution/config.yml'] })).toBe(
      'docker stop registry && docker run --rm --volumes-from registry registry:3 garbage-collect /etc/distribution/config.yml; docker start registry',
    );
    expect(garbageCollectCommand('reg', { image: 'setup-registry/registry:2.8.2', command: ['serve', '/etc/docker/registry/config.yml'], usernsMode: 'host' })).toBe(
      'docker stop reg && docker run --rm --volumes-from reg --userns host setup-registry/registry:2.8.2 garbage-collect /etc/docker/registry/config.yml; docker start reg',
    );
    expect(garbageCollectCommand('registry', { image: 'registry:2', command: [] })).toContain('garbage-collect /etc/docker/registry/config.yml');
  });
});

describe('install planner: a secure registry', () => {
  it('--tls on a fresh host: CA, certificate for every SAN, CA into certs.d; no insecure entry and no daemon reload', async () => {
    const plan = planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '{"debug": true}' } }), { ...wanted, tls: { sans: ['registry.example.internal'] } }, templates);
    const tls = plan.actions.filter((a) => a.kind === 'tls');
    expect(tls.map((a) => a.op)).toEqual(['create-ca', 'issue-cert', 'install-ca']);
    expect(tls[1]).toMatchObject({ sans: ['10.0.0.5', 'registry.example.internal'] });
    expect(tls[2]).toMatchObject({ to: '/etc/docker/certs.d/10.0.0.5:5000/ca.crt' });
    expect(writes(plan.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json']);
    expect(plan.daemon).toBe('none');
    const run = plan.actions.find((a) => a.kind === 'container' && a.op === 'run')!;
    expect(run.kind === 'container' && run.argv).toEqual(expect.arrayContaining(['REGISTRY_HTTP_TLS_CERTIFICATE=/certs/server.crt', '/etc/setup-registry/tls:/certs:ro']));
    expect(plan.state).toMatchObject({ tls: { sans: ['registry.example.internal'] } });
    // on 443, the CA also goes where Docker looks for references without the port
    const on443 = planInstall(await factsFrom({}), { ...wanted, port: 443, tls: { sans: [] } }, templates).actions.filter((a) => a.kind === 'tls' && a.op === 'install-ca');
    expect(on443.map((a) => a.kind === 'tls' && a.to)).toEqual(['/etc/docker/certs.d/10.0.0.5:443/ca.crt', '/etc/docker/certs.d/10.0.0.5/ca.crt']);
  });

  it('the trust follows the registry: an entry an earlier install added and no longer needed is taken out (a new port; TLS now)', async () => {
    const first = planInstall(await factsFrom({ files: { '/etc/docker/daemon.json': '{"debug": true}\n' } }), wanted, templates);
    const installed = {
      '/etc/docker/daemon.json': writes(first.actions).find((w) => w.path === '/etc/docker/daemon.json')!.after,
      '/etc/setup-registry/state.json': writes(first.actions).find((w) => w.path.endsWith('state.json'))!.after,
    };
    const docker = { liveInsecure: { registries: [ENTRY], cidrs: ['127.0.0.0/8'] } };
    const facts = await factsFrom({ files: installed, docker, container: { ...healthyContainer, labels: { 'io.github.setup-registry.managed': 'true' } } });
    // another port: one edit swaps the entries, one reload
    const moved = planInstall(facts, { ...wanted, port: 5001 }, templates);
    const dj = writes(moved.actions).find((w) => w.path === '/etc/docker/daemon.json')!;
    expect(JSON.parse(dj.after)).toEqual({ debug: true, 'insecure-registries': ['10.0.0.5:5001'] });
    expect(ops(moved.actions)).toEqual(['daemon:reload', 'container:remove', 'container:run']);
    expect(moved.state!.added).toEqual([{ entry: '10.0.0.5:5001', method: 'daemon-json', file: '/etc/docker/daemon.json' }]);
    expect(moved.notes).toContain(`${ENTRY}: added by an earlier install for this registry, no longer needed`);
    // Write-ahead: the record names the new entry (beside the old) before the edit, and is made final last.
    const stateWrites = writes(moved.actions).filter((w) => w.path === '/etc/setup-registry/state.json');
    expect(writes(moved.actions).map((w) => w.path)).toEqual(['/etc/setup-registry/state.json', '/etc/docker/daemon.json', '/etc/setup-registry/state.json']);
    expect(JSON.parse(stateWrites[0]!.after)).toMatchObject({ port: 5000, added: [{ entry: ENTRY }, { entry: '10.0.0.5:5001' }] });
    expect(stateWrites[1]!.before).toBe(stateWrites[0]!.after);
    // TLS now: the insecure entry goes (dockerd would not verify the certificate), reloaded
    const secured = planInstall(facts, { ...wanted, tls: { sans: [] } }, templates);
    expect(JSON.parse(writes(secured.actions).find((w) => w.path === '/etc/docker/daemon.json')!.after)).toEqual({ debug: true, 'insecure-registries': [] });
    expect(ops(secured.actions)).toContain('daemon:reload');
    expect(secured.state!.added).toEqual([]);
    expect(secured.notes.join('\n')).toContain('over TLS an insecure entry would stop dockerd from verifying the certificate');
    // the same install again: nothing is stale
    expect(planInstall(facts, wanted, templates).notes.join('\n')).not.toContain('no longer needed');
  });

  it('uninstall of a registry whose images are in a volume: kept (and said that a prune would delete it), or with --purge the volume goes', async () => {
    const state = { version: 1 as const, address: '10.0.0.5', port: 5000, name: 'registry', image: 'registry:3', imageSource: 'already on this host', dataDir: '1a92d311f4f7', method: 'daemon-json' as const, added: [] };
    const facts = await factsFrom({ container: { ...healthyContainer, labels: { 'io.github.setup-registry.managed': 'true' } } });
    const kept = planUninstall(facts, state, templates, { purge: false });
    expect(kept.kept).toContain("the registry's data in volume 1a92d311f4f7 (delete it with --purge; unused now, so `docker volume prune` would delete it too)");
    const purged = planUninstall(facts, state, templates, { purge: true });
    expect(purged.actions.map((a) => (a.kind === 'container' ? a.argv.join(' ') : a.kind === 'remove-path' ? `rm ${a.path}` : a.kind))).toEqual(['docker rm -f registry', 'docker volume rm 1a92d311f4f7', 'rm /etc/setup-registry/state.json']);
  });

  it('--tls-cert replacing a certificate: the old key is the key write\'s "before", so a rollback puts the pair back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sr-certs-'));
    try {
      const make = (name: string) => {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:10.0.0.5', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)], { stdio: 'ignore' });
        return { cert: readFileSync(path.join(dir, `${name}.crt`), 'utf8'), key: readFileSync(path.join(dir, `${name}.key`), 'utf8') };
      };
      const [old, next] = [make('old'), make('new')];
      const tls = { caCert: null, caKey: false, serverCert: old.cert, serverKey: old.key, certsD: null, htpasswd: null };
      const plan = planInstall(await factsFrom({ tls }), { ...wanted, tls: { sans: [], provided: { cert: next.cert, key: next.key, ca: null } } }, templates);
      const byPath = Object.fromEntries(writes(plan.actions).map((w) => [w.path, w]));
      expect(byPath['/etc/setup-registry/tls/server.crt']).toMatchObject({ before: old.cert, after: next.cert });
      expect(byPath['/etc/setup-registry/tls/server.key']).toMatchObject({ before: old.key, after: next.key, secret: true });
      // The same files again: nothing to write.
      const again = planInstall(await factsFrom({ tls: { ...tls, serverCert: next.cert, serverKey: next.key } }), { ...wanted, tls: { sans: [], provided: { cert: next.cert, key: next.key, ca: null } } }, templates);
      expect(writes(again.actions).filter((w) => w.path.startsWith('/etc/setup-registry/tls/'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the operator's certificate kept by a later run: nothing written while it is there, its CA put back from itself when self-signed, a missing one refused naming --tls-cert", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sr-certs-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '90', '-subj', '/CN=self', '-addext', 'subjectAltName=IP:10.0.0.5', '-keyout', path.join(dir, 'self.key'), '-out', path.join(dir, 'self.crt')], { stdio: 'ignore' });
      const [cert, key] = ['self.crt', 'self.key'].map((f) => readFileSync(path.join(dir, f), 'utf8')) as [string, string];
      const kept = { ...wanted, tls: { sans: [], provided: 'kept' as const } };
      const tls = { caCert: null, caKey: false, serverCert: cert, serverKey: key, certsD: cert, htpasswd: null };
      const steady = planInstall(await factsFrom({ tls }), kept, templates);
      expect(steady.actions.filter((a) => a.kind === 'tls' || (a.kind === 'write-file' && a.path !== '/etc/setup-registry/state.json'))).toEqual([]);
      expect(steady.state).toMatchObject({ tls: { sans: [], provided: true } });
      const caGone = planInstall(await factsFrom({ tls: { ...tls, certsD: null } }), kept, templates);
      expect(writes(caGone.actions).filter((w) => w.path.startsWith('/etc/docker/certs.d/'))).toEqual([expect.objectContaining({ path: '/etc/docker/certs.d/10.0.0.5:5000/ca.crt', after: cert, why: 'put back the CA Docker trusts this registry by' })]);
      expect(caGone.actions.some((a) => a.kind === 'tls')).toBe(false);
      await expect(factsFrom({ tls: { ...tls, serverCert: null } }).then((f) => planInstall(f, kept, templates))).rejects.toThrow('the certificate given earlier with --tls-cert is gone (/etc/setup-registry/tls/server.crt is missing): give it again with --tls-cert and --tls-key');
      await expect(factsFrom({ tls }).then((f) => planInstall(f, { ...kept, address: '10.0.0.6' }, templates))).rejects.toThrow(/^the certificate given earlier with --tls-cert \(\/etc\/setup-registry\/tls\/server.crt\) does not cover 10.0.0.6 .*: give one with --tls-cert and --tls-key$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CA an earlier install put in certs.d goes with its port or with its TLS, and stays while the registry serves TLS there', async () => {
    const tls = { caCert: 'CA', caKey: true, serverCert: null, serverKey: null, certsD: null, htpasswd: null, recordedCas: ['/etc/docker/certs.d/10.0.0.5:5000/ca.crt'] };
    const removed = (plan: { actions: readonly { kind: string; path?: string }[] }) => plan.actions.filter((a) => a.kind === 'remove-path').map((a) => a.path);
    expect(removed(planInstall(await factsFrom({ tls }), { ...wanted, port: 5001, tls: { sans: [] } }, templates))).toEqual(['/etc/docker/certs.d/10.0.0.5:5000/ca.crt']);
    expect(removed(planInstall(await factsFrom({ tls }), wanted, templates))).toEqual(['/etc/docker/certs.d/10.0.0.5:5000/ca.crt']);
    expect(removed(planInstall(await factsFrom({ tls: { ...tls, certsD: 'CA' } }), { ...wanted, tls: { sans: [] } }, templates))).toEqual([]);
  });

  it('a TLS registry moved: the record names its CA under the new name before it is written; a record cut short there is converged, and undone by uninstall', async () => {
    const OLD_CA = '/etc/docker/certs.d/10.0.0.5:5000/ca.crt';
    const NEW_CA = '/etc/docker/certs.d/10.0.0.5:5001/ca.crt';
    const recorded = { version: 1, address: '10.0.0.5', port: 5000, name: 'registry', image: 'registry:3', imageSource: 'x', dataDir: '/var/lib/registry', method: 'daemon-json', tls: { sans: [] }, added: [] };
    const stateFile = (s: object) => ({ '/etc/setup-registry/state.json': `${JSON.stringify(s, null, 2)}\n` });
    const tls = { caCert: 'CA', caKey: true, serverCert: null, serverKey: null, certsD: null, htpasswd: null, recordedCas: [OLD_CA] };
    const move = planInstall(await factsFrom({ files: stateFile(recorded), tls }), { ...wanted, port: 5001, tls: { sans: [] } }, templates);
    const journal = writes(move.actions)[0]!;
    expect(journal.path).toBe('/etc/setup-registry/state.json');
    expect(JSON.parse(journal.after)).toEqual({ ...recorded, cas: [NEW_CA] });
    expect(move.actions.indexOf(journal)).toBeLessThan(move.actions.findIndex((a) => a.kind === 'tls' && a.op === 'install-ca' && a.to === NEW_CA));
    expect(move.state).not.toHaveProperty('cas');
    expect(move.state).toMatchObject({ port: 5001 });
    // Cut short after the new CA went in: the record still names port 5000, and NEW_CA as written ahead.
    const cutShort = { ...recorded, cas: [NEW_CA] };
    const back = planInstall(await factsFrom({ files: stateFile(cutShort), tls: { ...tls, certsD: 'CA', recordedCas: [OLD_CA, NEW_CA] } }), { ...wanted, tls: { sans: [] } }, templates);
    expect(back.actions.filter((a) => a.kind === 'remove-path').map((a) => (a as { path: string }).path)).toEqual([NEW_CA]);
    expect(writes(back.actions).filter((w) => w.path.startsWith('/etc/docker/certs.d/'))).toEqual([]);
    expect(back.state).not.toHaveProperty('cas');
    const removedByUninstall = planUninstall(await factsFrom({ files: stateFile(cutShort), tls: { ...tls, certsD: 'CA', recordedCas: [OLD_CA, NEW_CA] } }), cutShort as unknown as Parameters<typeof planUninstall>[1], templates, { purge: false });
    expect(removedByUninstall.actions.filter((a) => a.kind === 'remove-path').map((a) => (a as { path: string }).path)).toEqual([OLD_CA, NEW_CA, '/etc/setup-registry/state.json']);
  });

  it('--auth: the password file is a secret write (never shown); without TLS it is refused', async () => {
    const plan = planInstall(await factsFrom({}), { ...wanted, tls: { sans: [] }, auth: { htpasswd: 'alice:$2b$10$abc\n' } }, templates);
    const htpasswd = writes(plan.actions).find((w) => w.path === '/etc/setup-registry/auth/htpasswd')!;
    expect(htpasswd).toMatchObject({ mode: 0o600, secret: true });
    expect(renderPlan(plan)).not.toContain('$2b$10$abc');
    await expect(factsFrom({}).then((f) => planInstall(f, { ...wanted, auth: { htpasswd: 'x' } }, templates))).rejects.toThrow(/--auth needs --tls/);
  });
});

describe('--data-dir', () => {
  it('refuses system directories (mounted into the registry, and looked into by uninstall --purge), and . or ..', () => {
    for (const bad of ['/', '/etc', '/var/lib/', '/var/lib/docker/volumes/x', '/proc/1', '/run/registry', '/srv/../etc', 'relative', '/a b']) expect(() => parseDataDir(bad), bad).toThrow(/^--data-dir: /);
    expect(parseDataDir('/srv/registry/')).toBe('/srv/registry');
    expect(parseDataDir('/data//registry')).toBe('/data/registry');
    expect(parseDataDir('/var/lib/registry')).toBe('/var/lib/registry');
  });
  it('refuses an image reference docker would refuse (an uppercase repository; a host or a tag may have capitals), and a timeout out of range, in one line', () => {
    for (const ok of ['registry:3', 'registry:TAG_Upper', 'My.Registry:5000/team/registry:3', 'localhost:5000/registry', 'registry@sha256:abc']) expect(parseImage(ok), ok).toBe(ok);
    for (const bad of ['UPPER:1', 'Registry', 'my.registry:5000/Team/registry:3', 'registry:3 --privileged']) expect(() => parseImage(bad), bad).toThrow(/^--image: /);
    expect(parseTimeout('1.5')).toBe(1500);
    // trust, untrust and --registry take HOST:PORT, and say so in their own terms
    expect(parseRegistry('10.0.0.5:5000')).toBe('10.0.0.5:5000');
    // dockerd matches insecure-registries and certs.d letter for letter; names are written in lowercase
    expect(parseRegistry('Reg.Example:5000')).toBe('reg.example:5000');
    for (const v6 of ['fd00::1', '[fd00::1]', '::1']) expect(() => parseAddress(v6), v6).toThrow(`--address: "${v6}" is an IPv6 address`);
    // A last part all digits makes an IPv4 address or nothing (no host name ends so): dockerd and Node.js would read these differently, or not at all
    for (const ok of ['10.0.0.5', '0.0.0.0', '255.255.255.255', 'reg-1.example', '1example.com', 'host0']) expect(parseAddress(ok), ok).toBe(ok);
    for (const bad of ['300.1.1.1', '10.0.0', '10.0.0.01', '1.2.3.4.5', 'reg.example.5', '4294967295']) expect(() => parseAddress(bad), bad).toThrow(`--address: "${bad}" is not an IPv4 address (four numbers from 0 to 255, without leading zeros), nor a host name`);
    expect(() => parseAddress('a b', '--san')).toThrow('--san: "a b" is not a host name');
    expect(() => parseRegistry('300.1.1.1:5000')).toThrow('"300.1.1.1:5000" is not HOST:PORT');
    for (const bad of ['http://10.0.0.5:5000', '10.0.0.5', '10.0.0.5:99999', 'a b:5000']) expect(() => parseRegistry(bad), bad).toThrow(`"${bad}" is not HOST:PORT (a host name or IPv4 address, and a port; no scheme or path)`);
    for (const bad of ['0', '-1', '3601', 'soon']) expect(() => parseTimeout(bad), bad).toThrow(`--timeout: "${bad}" must be a number of seconds, more than 0 and at most 3600`);
  });

  it("uninstall --purge takes the registry's own tree, and the directory only when nothing else is in it", async () => {
    const state = { version: 1, address: '10.0.0.5', port: 5000, name: 'registry', image: 'registry:3', imageSource: 'x', dataDir: '/srv/shared', method: 'daemon-json', added: [] } as unknown as Parameters<typeof planUninstall>[1];
    const plan = planUninstall(await factsFrom({}), state, templates, { purge: true });
    expect(plan.actions.find((a) => a.kind === 'remove-path' && a.path.startsWith('/srv'))).toEqual({ kind: 'remove-path', path: '/srv/shared/docker/registry', thenIfEmpty: ['/srv/shared/docker', '/srv/shared'], why: '--purge: delete the pushed images' });
  });

  it('uninstall with dockerd down (its containers unknown): starts it, then removes the recorded container, before the data goes', async () => {
    const state = { version: 1, address: '10.0.0.5', port: 5000, name: 'reg', image: 'registry:3', imageSource: 'x', dataDir: '/srv/shared', method: 'daemon-json', added: [] } as unknown as Parameters<typeof planUninstall>[1];
    const down = await factsFrom({ docker: { running: false, serverVersion: null, pid: null, argv: null, liveInsecure: null } });
    const plan = planUninstall(down, state, templates, { purge: true });
    expect(plan.daemon).toBe('start');
    expect(plan.actions.map((a) => (a.kind === 'remove-path' ? `remove-path:${a.path}` : ops([a])[0]))).toEqual(['daemon:start', 'container:remove', 'remove-path:/srv/shared/docker/registry', 'remove-path:/etc/setup-registry/state.json']);
    expect(plan.actions[1]).toMatchObject({ argv: ['docker', 'rm', '-f', 'reg'] });
  });
});

describe("a client host's record of the registries trust made it trust", () => {
  const one = renderTrusted([{ entry: '10.0.0.5:5000', tls: false }]);
  it('trust adds a registry, sorted, once; the same trust again changes nothing', () => {
    const first = recordTrust(null, { add: [{ entry: '10.0.0.5:5000', tls: false }] });
    expect(first).toMatchObject({ kind: 'write-file', path: TRUSTED_FILE, before: null, after: one });
    expect(recordTrust(one, { add: [{ entry: '10.0.0.5:5000', tls: false }] })).toBeNull();
    const second = recordTrust(one, { add: [{ entry: '10.0.0.1:443', tls: true }] }) as WriteFile;
    expect(parseTrusted(second.after).registries).toEqual([{ entry: '10.0.0.1:443', tls: true }, { entry: '10.0.0.5:5000', tls: false }]);
    // trusted again through its CA instead of an insecure entry: recorded as such
    expect(parseTrusted((recordTrust(one, { add: [{ entry: '10.0.0.5:5000', tls: true }] }) as WriteFile).after).registries).toEqual([{ entry: '10.0.0.5:5000', tls: true }]);
  });
  it('untrust removes it; the file goes with the last one; nothing recorded, nothing to do', () => {
    const two = renderTrusted([{ entry: '10.0.0.1:443', tls: true }, { entry: '10.0.0.5:5000', tls: false }]);
    expect(parseTrusted((recordTrust(two, { remove: ['10.0.0.1:443'] }) as WriteFile).after).registries).toEqual([{ entry: '10.0.0.5:5000', tls: false }]);
    expect(recordTrust(one, { remove: ['10.0.0.5:5000'] })).toEqual({ kind: 'remove-path', path: TRUSTED_FILE, why: expect.any(String) });
    expect(recordTrust(null, { remove: ['10.0.0.5:5000'] })).toBeNull();
    expect(recordTrust(one, { remove: ['10.9.9.9:5000'] })).toBeNull();
  });
  it('a record that cannot be read counts as none and is rewritten; one from a newer version is left alone', () => {
    for (const text of ['', 'not json', 'null', '[]', '{"version": 1, "registries": "x"}', '{"version": 1, "registries": [{"entry": 5}]}']) {
      expect(parseTrusted(text).registries).toEqual([]);
      expect(recordTrust(text, { add: [{ entry: '10.0.0.5:5000', tls: false }] })).toMatchObject({ kind: 'write-file', before: text, after: one });
    }
    const newer = '{"version": 2, "registries": []}';
    expect(parseTrusted(newer)).toEqual({ registries: [], newer: true });
    expect(recordTrust(newer, { add: [{ entry: '10.0.0.5:5000', tls: false }] })).toBeNull();
  });
  it('the method an insecure entry was written with is kept: a later trust without --method keeps to it, untrust edits the method whose files hold the entry', async () => {
    const recorded = parseTrusted(renderTrusted([{ entry: '10.0.0.5:5000', tls: false, method: 'docker-opts' }, { entry: '10.0.0.6:443', tls: true }])).registries;
    expect(recorded).toEqual([{ entry: '10.0.0.5:5000', tls: false, method: 'docker-opts' }, { entry: '10.0.0.6:443', tls: true }]);
    expect(parseTrusted('{"version": 1, "registries": [{"entry": "a:1", "tls": false, "method": "bogus"}]}').registries).toEqual([{ entry: 'a:1', tls: false }]);
    const opts = await factsFrom({ files: { '/etc/default/docker': 'DOCKER_OPTS="--insecure-registry 10.0.0.5:5000"\n' } });
    expect(methodInUse(opts, 'trust', ['10.0.0.7:5000'], recorded)).toBe('docker-opts');
    expect(methodInUse(opts, 'untrust', ['10.0.0.5:5000'], [])).toBe('docker-opts');
    // the unit ignores DOCKER_OPTS now (docker-ce): auto
    const ce = await factsFrom({ init: 'systemd', files: { '/lib/systemd/system/docker.service': fixture('units/docker-ce.service'), '/etc/default/docker': 'DOCKER_OPTS="--insecure-registry 10.0.0.5:5000"\n' } });
    expect(methodInUse(ce, 'trust', ['10.0.0.7:5000'], recorded)).toBe('auto');
    // nothing recorded, or registries recorded under two methods: auto; an entry in daemon.json: daemon-json
    expect(methodInUse(opts, 'trust', ['10.0.0.7:5000'], [])).toBe('auto');
    expect(methodInUse(opts, 'trust', ['10.0.0.7:5000'], [...recorded, { tls: false, method: 'daemon-json' }])).toBe('auto');
    const json = await factsFrom({ files: { '/etc/docker/daemon.json': '{"insecure-registries": ["10.0.0.5:5000"]}' } });
    expect(methodInUse(json, 'untrust', ['10.0.0.5:5000'], [])).toBe('daemon-json');
  });
});
