import { describe, expect, it } from 'vitest';
import { editInsecureRegistries, parseDaemonJson, readableByEveryDockerd, renderDaemonJson, withInsecureRegistries } from '../../src/formats/daemon-json.js';
import { appendToVariable, parseEnvFile, readVariable, removeFromVariable, sourcedVariable } from '../../src/formats/env-file.js';
import { endsInBareInsecureFlag, insecureFlagSpans, insecureRegistryFlags, optionValues, withInsecureRegistryFlag, withoutInsecureRegistryFlags } from '../../src/formats/dockerd-flags.js';
import { effectiveService, execWords, listenStreams, referencedVariables } from '../../src/formats/systemd-unit.js';
import { parseOsRelease } from '../../src/formats/os-release.js';
import { classifyDistro } from '../../src/knowledge/distros.js';
import { apiOutOfReach, dockerdHosts, flagConflicts, keyOfFlagWord, keysInFile, unixSocketOf } from '../../src/knowledge/dockerd-options.js';
import { nextLink } from '../../src/registry-api.js';
import { demuxLogs, exitCause, registryLoggedError } from '../../src/formats/docker-logs.js';
import { reloadRefusal } from '../../src/formats/dockerd-log.js';
import { goesThroughProxy } from '../../src/formats/no-proxy.js';
import { unitOfCgroup } from '../../src/facts/dockerd-process.js';

describe('daemon.json', () => {
  it('names the file, line and column of a syntax error', () => {
    expect(() => parseDaemonJson('{\n  "a": 1\n  "b": 2\n}', '/etc/docker/daemon.json')).toThrow(/^\/etc\/docker\/daemon\.json:3:3: not valid JSON/);
    expect(() => parseDaemonJson('{"a": 1', 'f')).toThrow(/^f:1:\d+: not valid JSON/);
  });
  it('refuses null, arrays and a non-list insecure-registries, and accepts empty files, a BOM and a null list', () => {
    expect(() => parseDaemonJson('null', 'f')).toThrow(/holds null/);
    expect(() => parseDaemonJson('[]', 'f')).toThrow(/holds an array/);
    expect(() => parseDaemonJson('{"insecure-registries": "a:1"}', 'f')).toThrow(/must be a list of strings/);
    expect(parseDaemonJson('  \n', 'f')).toEqual({ config: {}, empty: true });
    expect(parseDaemonJson('\uFEFF{"debug": true}', 'f').config).toEqual({ debug: true });
    // null is no list to dockerd (Go leaves the slice nil): accepted, and replaced by the list
    const nullList = '{\n  "insecure-registries": null,\n  "debug": true\n}\n';
    const parsed = parseDaemonJson(nullList, 'f').config;
    expect(editInsecureRegistries(nullList, parsed, ['x:5'])).toBe('{\n  "insecure-registries": [\n    "x:5"\n  ],\n  "debug": true\n}\n');
  });
  it('merges an entry key by key: order, other keys and existing entries kept, no duplicates', () => {
    const config = { 'log-driver': 'json-file', 'insecure-registries': ['a:1'], debug: false };
    const next = withInsecureRegistries(config, ['b:2', 'a:1']);
    expect(Object.keys(next)).toEqual(['log-driver', 'insecure-registries', 'debug']);
    expect(next['insecure-registries']).toEqual(['a:1', 'b:2']);
    expect(withInsecureRegistries(next, ['b:2'])).toEqual(next);
    expect(withInsecureRegistries({ debug: true }, ['x:5'])).toEqual({ debug: true, 'insecure-registries': ['x:5'] });
  });
  it('keeps an emptied list as [] (a reload ignores keys that are absent, so the entry would stay live)', () => {
    expect(withInsecureRegistries({ debug: true, 'insecure-registries': ['x:5'] }, [], ['x:5'])).toEqual({ debug: true, 'insecure-registries': [] });
    expect(withInsecureRegistries({ debug: true }, [], ['x:5'])).toEqual({ debug: true });
  });
  it('renders 2-space JSON with a final newline', () => {
    expect(renderDaemonJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
  });
});

describe('shell env files', () => {
  const text = '# comment\nexport DOCKER_OPTS="--dns 8.8.8.8 \\"x\\"" # trailing\nOTHER=\'single q\'\nPLAIN=a\\ b\n';
  it('reads values the way the shell would', () => {
    expect(readVariable(text, 'DOCKER_OPTS', 'f')).toBe('--dns 8.8.8.8 "x"');
    expect(readVariable(text, 'OTHER', 'f')).toBe('single q');
    expect(readVariable(text, 'PLAIN', 'f')).toBe('a b');
    expect(readVariable(text, 'MISSING', 'f')).toBeUndefined();
    expect(readVariable('A=1\nA=2\n', 'A', 'f')).toBe('2');
  });
  it('refuses to parse unterminated quotes', () => {
    expect(() => parseEnvFile('DOCKER_OPTS="unterminated\n', '/etc/default/docker')).toThrow(/^\/etc\/default\/docker:1: cannot parse/);
  });
});

describe('shell env files as an init script sources them (the blog posts\' DOCKER_OPTS="$DOCKER_OPTS ...")', () => {
  const blog = '# site\nDOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\nDOCKER_OPTS="$DOCKER_OPTS --insecure-registry=10.4.5.6:5000 --log-level=warn"\n';
  const dropFlags = (text: string, only?: string[]) => removeFromVariable(text, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v, only));
  it('reads each assignment in order, expanding $NAME and ${NAME} from what came before (unset: empty)', () => {
    expect(sourcedVariable(blog, 'DOCKER_OPTS', 'f')).toBe('--insecure-registry 10.1.2.3:5000 --insecure-registry=10.4.5.6:5000 --log-level=warn');
    expect(readVariable(blog, 'DOCKER_OPTS', 'f')).toBe('$DOCKER_OPTS --insecure-registry=10.4.5.6:5000 --log-level=warn');
    expect(sourcedVariable('DNS=8.8.8.8\nDOCKER_OPTS="--dns ${DNS} $UNSET--debug"\n', 'DOCKER_OPTS', 'f')).toBe('--dns 8.8.8.8 --debug');
    expect(sourcedVariable("DOCKER_OPTS='$DOCKER_OPTS x'\n", 'DOCKER_OPTS', 'f')).toBe('$DOCKER_OPTS x');
    expect(() => sourcedVariable('X=$(cat /etc/x)\nDOCKER_OPTS="$X --debug"\n', 'DOCKER_OPTS', 'f')).toThrow(/^f:1: DOCKER_OPTS depends on X, which is set by a command/);
    expect(() => sourcedVariable('DOCKER_OPTS="${EXTRA:-x}"\n', 'DOCKER_OPTS', 'f')).toThrow(/^f:1: DOCKER_OPTS is set by a command or a parameter operator/);
    expect(sourcedVariable('X=$(cat /etc/x)\nDOCKER_OPTS="--debug"\n', 'DOCKER_OPTS', 'f')).toBe('--debug');
  });
  it('takes flags out of every assignment as written, keeping $DOCKER_OPTS, quotes, escapes and comments', () => {
    expect(dropFlags(blog)).toBe('# site\nDOCKER_OPTS=""\nDOCKER_OPTS="$DOCKER_OPTS --log-level=warn"\n');
    expect(dropFlags(blog, ['10.4.5.6:5000'])).toBe('# site\nDOCKER_OPTS="--insecure-registry 10.1.2.3:5000"\nDOCKER_OPTS="$DOCKER_OPTS --log-level=warn"\n');
    expect(dropFlags("export DOCKER_OPTS='--insecure-registry=a:1 --label=\"x y\"' # why\n")).toBe("export DOCKER_OPTS='--label=\"x y\"' # why\n");
    expect(dropFlags('DOCKER_OPTS="--label=\\"x=y\\" --insecure-registry=a:1"\n')).toBe('DOCKER_OPTS="--label=\\"x=y\\""\n');
    expect(dropFlags('DOCKER_OPTS=--insecure-registry=a:1 # why\n')).toBe('DOCKER_OPTS= # why\n');
    expect(dropFlags(blog.replace('10.1.2.3', '10.1.2.\\3'))).toMatch(/^# site/);
    expect(() => dropFlags('DOCKER_OPTS="--insecure-registry=a:"\'1\'\n')).toThrow(/^f:1: "--insecure-registry=a:1" in DOCKER_OPTS is written with quotes or escapes inside it/);
  });
  it('follows a value over continuation lines and open quotes, and edits it there', () => {
    const multi = '# dns\nDOCKER_OPTS="--dns 8.8.8.8 \\\n  --insecure-registry=x:1 \\\n  --log-level=warn"\nOTHER=1\n';
    expect(sourcedVariable(multi, 'DOCKER_OPTS', 'f')).toBe('--dns 8.8.8.8   --insecure-registry=x:1   --log-level=warn');
    expect(readVariable(multi, 'OTHER', 'f')).toBe('1');
    expect(dropFlags(multi)).toBe('# dns\nDOCKER_OPTS="--dns 8.8.8.8 \\\n \\\n  --log-level=warn"\nOTHER=1\n');
    expect(sourcedVariable(dropFlags(multi), 'DOCKER_OPTS', 'f')).toBe('--dns 8.8.8.8    --log-level=warn');
    expect(appendToVariable(multi, 'DOCKER_OPTS', '--x', 'f')).toBe(multi.replace('warn"', 'warn --x"'));
    expect(sourcedVariable('DOCKER_OPTS=--a\\\n--b\n', 'DOCKER_OPTS', 'f')).toBe('--a--b');
    // a file whose last line ends in a continuation (found by the fuzz test): a new line after it would become that value's end
    expect(appendToVariable('A=\\\n', 'DOCKER_OPTS', '--x', 'f')).toBe('A=\\\n\nDOCKER_OPTS="--x"\n');
    expect(readVariable(appendToVariable('A=\\\n', 'DOCKER_OPTS', '--x', 'f'), 'A', 'f')).toBe('');
    expect(parseEnvFile('A="x\nB=y"\n', 'f').map((a) => [a.name, a.value])).toEqual([['A', 'x\nB=y']]);
    expect(() => parseEnvFile('A=x\\', 'f')).toThrow(/^f:1: cannot parse the value of A safely/);
  });
  it('adds words inside the closing quote, quotes an unquoted value, or adds the line', () => {
    expect(appendToVariable(blog, 'DOCKER_OPTS', '--insecure-registry x:5', 'f')).toBe(blog.replace('--log-level=warn"', '--log-level=warn --insecure-registry x:5"'));
    // uninstall takes out what install put in: the file is as it was
    expect(dropFlags(appendToVariable(blog, 'DOCKER_OPTS', '--insecure-registry x:5', 'f'), ['x:5'])).toBe(blog);
    expect(appendToVariable("DOCKER_OPTS='--debug' # why\n", 'DOCKER_OPTS', '--x', 'f')).toBe("DOCKER_OPTS='--debug --x' # why\n");
    expect(appendToVariable('DOCKER_OPTS=""\n', 'DOCKER_OPTS', '--x', 'f')).toBe('DOCKER_OPTS="--x"\n');
    expect(appendToVariable('DOCKER_OPTS=\n', 'DOCKER_OPTS', '--x', 'f')).toBe('DOCKER_OPTS="--x"\n');
    expect(appendToVariable('DOCKER_OPTS=$DOCKER_OPTS\n', 'DOCKER_OPTS', '--x', 'f')).toBe('DOCKER_OPTS="$DOCKER_OPTS --x"\n');
    expect(appendToVariable('# none\n', 'DOCKER_OPTS', '--x', 'f')).toBe('# none\nDOCKER_OPTS="--x"\n');
    expect(() => appendToVariable('DOCKER_OPTS=a\\ b\n', 'DOCKER_OPTS', '--x', 'f')).toThrow(/ends unquoted with escapes/);
    expect(() => appendToVariable('DOCKER_OPTS=""\n', 'DOCKER_OPTS', '--x"; reboot', 'f')).toThrow(/metacharacters/);
  });
});

describe('dockerd flags', () => {
  it('finds both --insecure-registry forms', () => {
    expect(insecureRegistryFlags('--insecure-registry a:1 --log-level=warn --insecure-registry=b:2')).toEqual(['a:1', 'b:2']);
    // A last one with no value names no registry, and goes when all go; one added after it would become its value.
    expect(insecureRegistryFlags('--debug --insecure-registry')).toEqual([]);
    expect(withoutInsecureRegistryFlags('--debug --insecure-registry')).toBe('--debug');
    expect(withoutInsecureRegistryFlags('--debug --insecure-registry', ['a:1'])).toBe('--debug --insecure-registry');
    expect(endsInBareInsecureFlag('--debug --insecure-registry')).toBe(true);
    expect(endsInBareInsecureFlag('--insecure-registry --debug')).toBe(false);
  });
  it('removes flags by span, every other flag kept verbatim', () => {
    expect(withoutInsecureRegistryFlags('--insecure-registry a:1 --log-level=warn --insecure-registry=b:2')).toBe('--log-level=warn');
    expect(withoutInsecureRegistryFlags('-H  fd:// --insecure-registry=b:2  --debug', ['b:2'])).toBe('-H  fd:// --debug');
    expect(withoutInsecureRegistryFlags('--insecure-registry a:1 --insecure-registry b:2', ['a:1'])).toBe('--insecure-registry b:2');
  });
  it('appends a flag once', () => {
    expect(withInsecureRegistryFlag('', 'a:1')).toBe('--insecure-registry a:1');
    expect(withInsecureRegistryFlag('--debug', 'a:1')).toBe('--debug --insecure-registry a:1');
    expect(withInsecureRegistryFlag('--debug --insecure-registry=a:1', 'a:1')).toBe('--debug --insecure-registry=a:1');
  });
  it("names each flag's daemon.json key the way dockerd does: long name, plural list options, one-letter flags", () => {
    expect(['-H', 'fd://', '--host=tcp://0.0.0.0:2375', '--label', 'a=b', '-D', '--log-level=warn', '-p/var/run/docker.pid', '--oom-score-adjust', '-500', '$DOCKER_OPTS', '/usr/bin/dockerd'].map(keyOfFlagWord)).toEqual([
      'hosts', null, 'hosts', 'labels', null, 'debug', 'log-level', 'pidfile', 'oom-score-adjust', null, null, null,
    ]);
  });
  it('finds the directives dockerd refuses (a flag and a daemon.json key), nested objects flattened, its map options and runtimes not', () => {
    const sources = [{ words: ['/usr/bin/dockerd', '-H', 'fd://', '--add-runtime', 'x=/y', '--log-opt', 'max-size=1m', '--http-proxy', 'http://p'], where: 'ExecStart in u' }];
    expect(flagConflicts(sources, { hosts: ['unix:///var/run/docker.sock'], runtimes: { x: { path: '/y' } }, 'log-opts': { 'max-size': '1m' }, proxies: { 'http-proxy': 'http://q' } })).toEqual([
      { key: 'hosts', flag: '-H', where: 'ExecStart in u' },
      { key: 'log-opts', flag: '--log-opt', where: 'ExecStart in u' },
      { key: 'http-proxy', flag: '--http-proxy', where: 'ExecStart in u' },
    ]);
    expect(keysInFile({ 'log-opts': { 'max-size': '1m' }, proxies: { 'no-proxy': 'x' }, debug: true })).toEqual(['log-opts', 'no-proxy', 'debug']);
    expect(flagConflicts(sources, { 'log-driver': 'json-file' })).toEqual([]);
    expect(flagConflicts(sources, null)).toEqual([]);
  });
  it('reads option values from an argv', () => {
    expect(optionValues(['dockerd', '-p', '/run/d.pid', '--config-file=/x.json'], ['-p', '--pidfile'])).toEqual(['/run/d.pid']);
    expect(optionValues(['dockerd', '--config-file=/x.json'], ['--config-file'])).toEqual(['/x.json']);
  });
});

describe("dockerd's API addresses (-H, --host, \"hosts\")", () => {
  it('reads every spelling of the flag, else daemon.json, else the default socket; only unix sockets are where this tool asks', () => {
    const dockerd = '/usr/sbin/dockerd';
    expect(dockerdHosts([dockerd, '-H', 'unix:///run/a.sock', '-H=tcp://0.0.0.0:2375', '-Hfd://', '--host', 'unix://', '--host=unix:///b.sock'], null)).toEqual(['unix:///run/a.sock', 'tcp://0.0.0.0:2375', 'fd://', 'unix://', 'unix:///b.sock']);
    expect(dockerdHosts([dockerd], { hosts: ['tcp://127.0.0.1:2375', 7] })).toEqual(['tcp://127.0.0.1:2375']);
    expect(dockerdHosts([dockerd, '-H', 'unix:///run/a.sock'], { hosts: ['tcp://127.0.0.1:2375'] })).toEqual(['unix:///run/a.sock']);
    expect(dockerdHosts([dockerd, '--pidfile', '/run/d.pid'], {})).toEqual(['unix:///var/run/docker.sock']);
    // -H's value is the next word, never a flag of its own
    expect(dockerdHosts([dockerd, '--log-level', 'debug', '-D'], null)).toEqual(['unix:///var/run/docker.sock']);
    expect(['unix:///run/a.sock', 'unix://', 'fd://', 'fd://3', 'tcp://1.2.3.4:2375', 'ssh://me@host', '/run/a.sock'].map(unixSocketOf)).toEqual(['/run/a.sock', '/var/run/docker.sock', '/var/run/docker.sock', '/var/run/docker.sock', null, null, null]);
    expect(apiOutOfReach(42, [dockerd, '-H', 'tcp://127.0.0.1:2375'], null, '/etc/docker/daemon.json')).toEqual({
      problem: 'dockerd (pid 42) serves its API only on tcp://127.0.0.1:2375, and setup-registry asks it over a unix socket',
      fix: 'add -H unix:///var/run/docker.sock to its options (or "unix:///var/run/docker.sock" to "hosts" in /etc/docker/daemon.json), and restart it',
    });
    expect(apiOutOfReach(42, [dockerd, '-H', 'tcp://127.0.0.1:2375', '-H', 'unix:///run/a.sock'], null, '/etc/docker/daemon.json')).toBeNull();
  });
});

describe('systemd units', () => {
  it("a socket unit's ListenStream= list, with an empty one clearing what came before (a drop-in moving docker.socket)", () => {
    const unit = { path: '/lib/systemd/system/docker.socket', text: '[Unit]\nDescription=Docker Socket\n[Socket]\nListenStream=/run/docker.sock\nSocketMode=0660\n' };
    expect(listenStreams([unit])).toEqual(['/run/docker.sock']);
    expect(listenStreams([unit, { path: '/etc/systemd/system/docker.socket.d/alt.conf', text: '[Socket]\nListenStream=\nListenStream=/run/alt.sock\nListenStream=127.0.0.1:2375\n' }])).toEqual(['/run/alt.sock', '127.0.0.1:2375']);
    expect(listenStreams([{ path: '/x.service', text: '[Service]\nListenStream=/nope\n' }])).toEqual([]);
  });
  it('applies ExecStart resets, continuation lines and EnvironmentFile lists in drop-in order', () => {
    const unit = { path: '/lib/systemd/system/docker.service', text: '[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/bin/dockerd \\\n  -H fd:// \\\n  $DOCKER_OPTS\n' };
    const dropIn = { path: '/etc/systemd/system/docker.service.d/override.conf', text: '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --debug ${EXTRA}\n' };
    expect(effectiveService([unit]).execStart).toBe('/usr/bin/dockerd  -H fd://  $DOCKER_OPTS');
    const both = effectiveService([unit, dropIn]);
    expect(both.execStart).toBe('/usr/bin/dockerd --debug ${EXTRA}');
    expect(both.execStartFrom).toBe(dropIn.path);
    expect(both.environmentFiles).toEqual([{ path: '/etc/default/docker', optional: true }]);
    expect(referencedVariables(both.execStart!)).toEqual(['EXTRA']);
    expect(execWords('-/usr/bin/dockerd "--label=a b" x')).toEqual(['/usr/bin/dockerd', '--label=a b', 'x']);
  });
});

describe('distros', () => {
  it('classifies families from os-release, and anything else as generic', () => {
    const c = (t: string) => classifyDistro(parseOsRelease(t));
    expect(c('ID=ubuntu\nVERSION_ID="22.04"\nID_LIKE=debian')).toMatchObject({ id: 'ubuntu', versionId: '22.04', family: 'debian', supported: true });
    expect(c('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"')).toMatchObject({ id: 'rocky', family: 'rhel' });
    expect(c('ID=amzn\nVERSION_ID="2023"')).toMatchObject({ family: 'rhel' });
    expect(c('ID=arch\nPRETTY_NAME="Arch Linux"')).toMatchObject({ id: 'arch', family: 'other', supported: false, name: 'Arch Linux' });
  });
});

describe('daemon.json edits keep the file as the operator wrote it', () => {
  it('changes only insecure-registries, in the file\'s own indentation', () => {
    const text = '{\n    "log-driver": "json-file",\n    "insecure-registries": ["a:1"]\n}\n';
    const after = editInsecureRegistries(text, parseDaemonJson(text, 'f').config, ['b:2']);
    expect(after).toBe('{\n    "log-driver": "json-file",\n    "insecure-registries": [\n        "a:1",\n        "b:2"\n    ]\n}\n');
  });
  it('keeps a one-line file on one line, spaced as it is (jq -c and JSON.stringify, or json.dumps)', () => {
    const edit = (text: string, add: string[], remove: string[] = []) => editInsecureRegistries(text, parseDaemonJson(text, 'f').config, add, remove);
    expect(edit('{"a":1,"b":[1,2]}\n', ['x:5', 'y:6'])).toBe('{"a":1,"b":[1,2],"insecure-registries":["x:5","y:6"]}\n');
    expect(edit('{"log-driver": "json-file", "features": {"buildkit": true}}', ['x:5'])).toBe('{"log-driver": "json-file", "features": {"buildkit": true}, "insecure-registries": ["x:5"]}');
    expect(edit('{"debug": true}\n', ['x:5'])).toBe('{"debug": true, "insecure-registries": ["x:5"]}\n');
    expect(edit('{"insecure-registries": ["a:1"], "debug": true}\n', ['x:5'], ['a:1'])).toBe('{"insecure-registries": ["x:5"], "debug": true}\n');
    expect(edit('{}\n', ['x:5'])).toBe('{\n  "insecure-registries": [\n    "x:5"\n  ]\n}\n');
  });
  it('creates 2-space JSON for a missing or empty file, drops a byte-order mark (dockerd before 23.0 cannot read it), empties the list on removal', () => {
    expect(editInsecureRegistries(null, {}, ['x:5'])).toBe('{\n  "insecure-registries": [\n    "x:5"\n  ]\n}\n');
    expect(editInsecureRegistries('\uFEFF{"debug": true}\n', { debug: true }, ['x:5'])).toBe('{"debug": true, "insecure-registries": ["x:5"]}\n');
    expect(readableByEveryDockerd('\uFEFF{"debug": true}\n')).toBe('{"debug": true}\n');
    expect(readableByEveryDockerd(' \n')).toBe('{}\n');
    expect(readableByEveryDockerd('\uFEFF')).toBe('{}\n');
    const text = '{\n  "debug": true,\n  "insecure-registries": ["x:5"]\n}\n';
    expect(editInsecureRegistries(text, parseDaemonJson(text, 'f').config, [], ['x:5'])).toBe('{\n  "debug": true,\n  "insecure-registries": []\n}\n');
  });
  it('names the line and column of errors JSON.parse does not place (Node 20)', () => {
    expect(() => parseDaemonJson('{"a": }', 'f')).toThrow(/^f:1:7: not valid JSON \(value expected\)/);
    expect(() => parseDaemonJson('{\n  // comment\n  "a": 1\n}', 'f')).toThrow(/^f:2:3: not valid JSON/);
  });
});

describe("dockerd's log (a refused reload leaves only a log line)", () => {
  const at = Date.parse('2026-11-29T03:03:44Z');
  const asked = 'time="2026-11-29T03:03:44.229790689Z" level=info msg="Got signal to reload configuration, reloading from: /etc/docker/daemon.json"';
  const refused =
    'time="2026-11-29T03:03:44.237239470Z" level=error msg="unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix:///var/run/docker.sock], from file: [unix:///var/run/docker.sock])"';
  const reloaded = 'time="2026-11-29T03:03:44.759245542Z" level=info msg="Reloaded configuration: {\\"mtu\\":1500}"';
  it("finds the error right after the reload it asked for, in the file's and the journal's lines", () => {
    expect(reloadRefusal([asked, refused].join('\n'), at)).toMatch(/^unable to configure the Docker daemon with file \/etc\/docker\/daemon\.json: the following directives are specified both as a flag and in the configuration file: hosts: \(from flag/);
    expect(reloadRefusal([`Nov 29 03:03:44 h dockerd[53]: ${asked}`, `Nov 29 03:03:44 h dockerd[53]: ${refused}`].join('\n'), at)).toMatch(/^unable to configure/);
  });
  it("takes the cause from the error field where newer dockerd logs it", () => {
    const newer = 'time="2026-11-29T03:03:44.237Z" level=error msg="Error reloading configuration" error="unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don\'t match any configuration option: max-concurrent-upload"';
    expect(reloadRefusal([asked, newer].join('\n'), at)).toBe(
      "Error reloading configuration: unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't match any configuration option: max-concurrent-upload",
    );
  });
  it('is null for a reload that worked, one not logged yet, and an older refusal', () => {
    expect(reloadRefusal([asked, reloaded].join('\n'), at)).toBeNull();
    expect(reloadRefusal('time="2026-11-29T03:03:40Z" level=info msg="API listen on /var/run/docker.sock"', at)).toBeNull();
    expect(reloadRefusal([asked, refused].join('\n'), at + 60_000)).toBeNull();
    // the earlier refusal, then this run's reload that worked
    expect(reloadRefusal([asked, refused, asked.replace('03:03:44.2', '03:04:44.2'), reloaded.replace('03:03:44.7', '03:04:44.7')].join('\n'), at + 60_000)).toBeNull();
  });
});

describe("NO_PROXY as dockerd's Go client reads it", () => {
  it('IP addresses, CIDR blocks, domains with their subdomains, ports, *, and never loopback', () => {
    const via = (noProxy: string, host = '198.18.0.1', port = '5000') => goesThroughProxy(noProxy, host, port);
    expect(via('')).toBe(true);
    expect(via('*')).toBe(false);
    expect(via('localhost,198.18.0.1')).toBe(false);
    expect(via('198.18.0.1:5000')).toBe(false);
    expect(via('198.18.0.1:80')).toBe(true);
    expect(via('198.18.0.0/16')).toBe(false);
    expect(via('10.0.0.0/8, 192.168.0.0/16')).toBe(true);
    expect(via(' Example.COM ,x', 'registry.example.com')).toBe(false);
    expect(via('example.com', 'example.com')).toBe(false);
    expect(via('.example.com', 'example.com')).toBe(true);
    expect(via('.example.com', 'r.example.com')).toBe(false);
    expect(via('*.example.com', 'example.com')).toBe(true);
    expect(via('example.com', 'notexample.com')).toBe(true);
    expect(via('', 'localhost')).toBe(false);
    expect(via('', '127.0.0.1')).toBe(false);
  });
});

describe('registry API', () => {
  it('follows Link: <...>; rel="next", relative to the page it came from', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', 'http://10.0.0.5:5000/v2/_catalog?n=2')).toBe('http://10.0.0.5:5000/v2/_catalog?last=b&n=2');
    expect(nextLink(null, 'http://x/')).toBeNull();
    expect(nextLink('<http://x/a>; rel="prev"', 'http://x/')).toBeNull();
  });
});

describe("dockerd's systemd unit, from /proc/PID/cgroup", () => {
  it('reads the innermost service of cgroup v2 or of v1 name=systemd, only when it is named for Docker', () => {
    expect(unitOfCgroup('0::/system.slice/snap.docker.dockerd.service\n')).toBe('snap.docker.dockerd.service');
    expect(unitOfCgroup('12:cpu,cpuacct:/system.slice/docker.service\n1:name=systemd:/system.slice/docker.service\n0::/system.slice/docker.service\n')).toBe('docker.service');
    expect(unitOfCgroup('1:name=systemd:/machine.slice/nspawn.service/payload/system.slice/docker.service\n')).toBe('docker.service');
    // dockerd started by hand: in a session, or inside another service's cgroup
    expect(unitOfCgroup('0::/user.slice/user-0.slice/session-3.scope\n')).toBeNull();
    expect(unitOfCgroup('0::/system.slice/ssh.service\n')).toBeNull();
    expect(unitOfCgroup('')).toBeNull();
  });
});

describe("a container's logs (GET /containers/NAME/logs)", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  it('joins the frames of stdout and stderr in order, headers dropped, long and non-ASCII lines whole', () => {
    const long = `${'x'.repeat(300)} é\n`;
    expect(demuxLogs(Buffer.concat([frame(1, 'starting\n'), frame(2, long), frame(2, 'open /certs/server.crt: no such file\n')]))).toBe(`starting\n${long}open /certs/server.crt: no such file\n`);
  });
  it('returns an unframed body (a container with a terminal) as it is, and a cut frame as far as it goes', () => {
    expect(demuxLogs(Buffer.from('plain text\n'))).toBe('plain text\n');
    expect(demuxLogs(frame(1, 'cut short').subarray(0, 12))).toBe('cut ');
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
  });
});

describe("the registry's own account of a failed request", () => {
  const text = (detail: string) => `time="2026-11-29T05:59:08Z" level=error msg="response completed with error" err.code=unknown err.detail="${detail}" err.message="unknown error" http.request.method=POST`;
  it("takes the last error line's err.detail (text or JSON), unescaped; none without an error line", () => {
    const full = 'filesystem: write /var/lib/registry/docker/registry/v2/repositories/x/_uploads/a/startedat: no space left on device';
    expect(registryLoggedError(`${text('filesystem: old')}\n${text(full)}\ntime="x" level=info msg="response completed" http.response.status=202\n`)).toBe(full);
    expect(registryLoggedError(text('mkdir \\"/var/lib/registry/docker\\": permission denied'))).toBe('mkdir "/var/lib/registry/docker": permission denied');
    expect(registryLoggedError(JSON.stringify({ level: 'error', msg: 'response completed with error', 'err.code': 'unknown', 'err.detail': 'read-only file system', 'err.message': 'unknown error' }))).toBe('read-only file system');
    expect(registryLoggedError('time="x" level=error msg="x" err.code=blob unknown err.message="blob unknown to registry"')).toBe('blob unknown to registry');
    expect(registryLoggedError('time="x" level=info msg="listening on [::]:5000"\n')).toBeNull();
  });
});

describe('why the registry exited at its start', () => {
  it('is its last panic line, or its fatal message (text or JSON), unescaped; none when it logged neither', () => {
    const start = 'time="x" level=info msg="redis not configured"';
    const panic = `${start}\npanic: unable to configure authorization (htpasswd): failed to open htpasswd path open /auth/htpasswd: read-only file system\n\ngoroutine 1 [running]:\nmain.main()\n\tgithub.com/docker/distribution/cmd/registry/main.go:22 +0x25\n`;
    expect(exitCause(panic)).toBe('unable to configure authorization (htpasswd): failed to open htpasswd path open /auth/htpasswd: read-only file system');
    expect(exitCause(`${start}\ntime="y" level=fatal msg="open /certs/server.key: no such file or directory"\n`)).toBe('open /certs/server.key: no such file or directory');
    expect(exitCause(JSON.stringify({ level: 'fatal', msg: 'open \"/certs/x\": denied' }))).toBe('open "/certs/x": denied');
    expect(exitCause(`${start}\ntime="x" level=info msg="listening on [::]:5000"\n`)).toBeNull();
  });
});
