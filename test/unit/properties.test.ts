import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editInsecureRegistries, INSECURE_KEY, parseDaemonJson } from '../../src/formats/daemon-json.js';
import { appendToVariable, parseEnvFile, readVariable, removeEmptyCommentedAssignments, removeFromVariable, sourcedVariable } from '../../src/formats/env-file.js';
import { flagWords, insecureFlagSpans, insecureRegistryFlags, withInsecureRegistryFlag, withoutInsecureRegistryFlags } from '../../src/formats/dockerd-flags.js';
import { effectiveService, parseUnit } from '../../src/formats/systemd-unit.js';
import { HostRefusal, UsageError } from '../../src/errors.js';
import { parseTrusted, recordTrust } from '../../src/plan/trusted-record.js';

const RUNS = { numRuns: 300 };
const entry = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`);
const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== INSECURE_KEY && k !== '__proto__');
const daemonConfig = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });
const withList = fc.tuple(daemonConfig, fc.option(fc.uniqueArray(entry, { maxLength: 3 }), { nil: undefined })).map(([c, list]) => (list === undefined ? c : { ...c, [INSECURE_KEY]: list }));
const layout = fc.constantFrom<number | string>(0, 2, 4, '\t');

describe('daemon.json editor (property-based)', () => {
  it('changes only insecure-registries, keeps key order, is idempotent and round-trips', () => {
    fc.assert(
      fc.property(withList, layout, fc.uniqueArray(entry, { minLength: 1, maxLength: 3 }), fc.boolean(), (config, indent, add, bom) => {
        // A byte-order mark (which dockerd before 23.0 cannot read) is the one other thing an edit changes: it goes.
        const text = (bom ? '\uFEFF' : '') + JSON.stringify(config, null, indent) + '\n';
        const parsed = parseDaemonJson(text, 'f').config;
        const had = (parsed[INSECURE_KEY] as string[] | undefined) ?? [];
        const after = editInsecureRegistries(text, parsed, add);
        const next = parseDaemonJson(after, 'f').config;
        // (an edit with nothing to change leaves the text alone: the planner drops such a mark on its own)
        if (after !== text) expect(after.startsWith('\uFEFF')).toBe(false);
        // every other key and value as it was, in the same order
        const others = (o: Record<string, unknown>) => Object.keys(o).filter((k) => k !== INSECURE_KEY);
        expect(others(next)).toEqual(others(parsed));
        for (const k of others(parsed)) expect(next[k]).toEqual(parsed[k]);
        expect(next[INSECURE_KEY]).toEqual([...had, ...add.filter((e) => !had.includes(e))]);
        // a file on one line stays one line (`{}` excepted: it has no style to keep)
        if (indent === 0 && Object.keys(parsed).length > 0) expect(after.trimEnd()).not.toContain('\n');
        // idempotent
        expect(editInsecureRegistries(after, next, add)).toBe(after);
        // round trip: removing what was added gives the original settings back
        const added = add.filter((e) => !had.includes(e));
        const back = parseDaemonJson(editInsecureRegistries(after, next, [], added), 'f').config;
        expect(back).toEqual({ ...parsed, [INSECURE_KEY]: had });
      }),
      RUNS,
    );
  });

  it('random text gives a parsed object or a clear HostRefusal naming the file, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1'))), (text) => {
        try {
          const { config } = parseDaemonJson(text, '/etc/docker/daemon.json');
          expect(typeof config).toBe('object');
          // whatever parses, an edit of it parses again, with the entry and nothing else changed
          const edited = parseDaemonJson(editInsecureRegistries(text, config, ['10.0.0.5:5000']), 'f').config;
          expect(edited[INSECURE_KEY]).toEqual([...((config[INSECURE_KEY] as string[] | null | undefined) ?? []).filter((e) => e !== '10.0.0.5:5000'), '10.0.0.5:5000']);
          expect({ ...edited, [INSECURE_KEY]: null }).toEqual({ ...config, [INSECURE_KEY]: null });
        } catch (err) {
          expect(err).toBeInstanceOf(HostRefusal);
          expect((err as Error).message.startsWith('/etc/docker/daemon.json')).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((n) => n !== 'DOCKER_OPTS');
const safeValue = fc.stringMatching(/^[a-zA-Z0-9 ._:=\/-]{0,20}$/);
const envLine = fc.oneof(
  fc.stringMatching(/^# [a-zA-Z0-9 ."'$=-]{0,30}$/),
  fc.constant(''),
  fc.tuple(name, safeValue).map(([n, v]) => `${n}="${v}"`),
  fc.tuple(name, safeValue).map(([n, v]) => `export ${n}='${v}'`),
  fc.tuple(name, fc.stringMatching(/^[a-zA-Z0-9._:\/-]{0,12}$/)).map(([n, v]) => `${n}=${v}`),
);
const flagList = fc.array(fc.oneof(entry.map((e) => `--insecure-registry ${e}`), entry.map((e) => `--insecure-registry=${e}`), fc.constantFrom('--debug', '--log-level=warn', '-H fd://', '--dns 8.8.8.8')), { maxLength: 5 });
const flags = flagList.map((f) => f.join(' '));

describe('env file editor (property-based)', () => {
  it('flag edits change only the lines that set DOCKER_OPTS, keep every other flag as written, read back as meant, and are idempotent', () => {
    // Optionally the blog posts' second line, DOCKER_OPTS="$DOCKER_OPTS ...", which adds to the first as the init script sources it.
    // Or over continuation lines, a flag a line, as long option lists are written.
    const quoted = fc.constantFrom((f: string[]) => `"${f.join(' ')}"`, (f: string[]) => `'${f.join(' ')}'`, (f: string[]) => `"$DOCKER_OPTS ${f.join(' ')}"`, (f: string[]) => `"${f.join(' \\\n  ')}"`);
    fc.assert(
      fc.property(fc.array(envLine, { maxLength: 8 }), fc.array(fc.tuple(quoted, flagList), { maxLength: 2 }), fc.nat(8), entry, (lines, assignments, at, added) => {
        const withOpts = [...lines];
        withOpts.splice(Math.min(at, withOpts.length), 0, ...assignments.map(([q, v]) => `DOCKER_OPTS=${q(v)}`));
        const text = `${withOpts.join('\n')}\n`;
        const read = (t: string) => sourcedVariable(t, 'DOCKER_OPTS', 'f') ?? '';
        const removed = removeFromVariable(text, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v));
        expect(insecureRegistryFlags(read(removed))).toEqual([]);
        expect(flagWords(read(removed))).toEqual(flagWords(withoutInsecureRegistryFlags(read(text))));
        expect(removeFromVariable(removed, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v))).toBe(removed);
        const appended = appendToVariable(removed, 'DOCKER_OPTS', `--insecure-registry ${added}`, 'f');
        expect(insecureRegistryFlags(read(appended))).toEqual([added]);
        expect(flagWords(read(appended))).toEqual([...flagWords(read(removed)), '--insecure-registry', added]);
        const comments = (t: string) => t.split('\n').filter((l) => l.startsWith('#'));
        expect(comments(appended)).toEqual(comments(text));
        expect(appended.split('\n').length - text.split('\n').length).toBe(assignments.length ? 0 : 1);
        for (const other of parseEnvFile(text, 'f').filter((a) => a.name !== 'DOCKER_OPTS')) expect(readVariable(appended, other.name, 'f')).toBe(readVariable(text, other.name, 'f'));
      }),
      RUNS,
    );
  });

  it('a line added whole (with its comment) goes whole when its flags go: the file is byte for byte what it was', () => {
    const comment = '# Added by a tool';
    fc.assert(
      fc.property(fc.array(envLine, { maxLength: 8 }), fc.array(entry, { minLength: 1, maxLength: 3 }), (lines, added) => {
        const text = lines.length ? `${lines.join('\n')}\n` : '';
        fc.pre(!parseEnvFile(text, 'f').some((a) => a.name === 'DOCKER_OPTS'));
        let edited = text;
        for (const e of added) edited = appendToVariable(edited, 'DOCKER_OPTS', `--insecure-registry ${e}`, 'f', comment);
        expect(edited.split('\n').filter((l) => l === comment)).toHaveLength(1);
        const removed = removeFromVariable(edited, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v, added));
        expect(removeEmptyCommentedAssignments(removed, 'DOCKER_OPTS', 'f', comment)).toBe(text);
        // Not yet empty: the line and its comment stay.
        const partly = removeFromVariable(edited, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v, added.slice(1)));
        expect(removeEmptyCommentedAssignments(partly, 'DOCKER_OPTS', 'f', comment)).toBe(partly);
      }),
      RUNS,
    );
  });

  it('random text is read, edited or refused with a HostRefusal, never a crash, and an edit reads back as meant', () => {
    // Shell-ish text: quotes, escapes, $ and the flag itself come up often enough to meet every path.
    const shellish = fc.array(fc.oneof(fc.constantFrom('DOCKER_OPTS=', '"', "'", '\\', '$', '${', '}', '$(', ' ', '\n', '--insecure-registry', '=a:1', ' b:2', '#', 'X=', '$DOCKER_OPTS'), fc.string({ maxLength: 4 })), { maxLength: 24 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), shellish), (text) => {
        try {
          parseEnvFile(text, 'f');
          const removed = removeFromVariable(text, 'DOCKER_OPTS', 'f', (v) => insecureFlagSpans(v));
          expect(insecureRegistryFlags(readVariable(removed, 'DOCKER_OPTS', 'f') ?? '')).toEqual([]);
          const appended = appendToVariable(removed, 'DOCKER_OPTS', '--insecure-registry c:3', 'f');
          expect(insecureRegistryFlags(readVariable(appended, 'DOCKER_OPTS', 'f') ?? '')).toEqual(['c:3']);
          sourcedVariable(text, 'DOCKER_OPTS', 'f');
        } catch (err) {
          expect(err).toBeInstanceOf(HostRefusal);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never writes a value that could inject shell', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (value) => {
        try {
          const out = appendToVariable('A=1\n', 'DOCKER_OPTS', value, 'f');
          expect(readVariable(out, 'DOCKER_OPTS', 'f')).toBe(value);
          expect(value).not.toMatch(/["'`$\\;&|<>(){}\n]/);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      RUNS,
    );
  });
});

describe('dockerd flag editor (property-based)', () => {
  it('adding then removing a registry flag gives the original options back', () => {
    fc.assert(
      fc.property(flags, entry, (value, e) => {
        fc.pre(!insecureRegistryFlags(value).includes(e));
        const added = withInsecureRegistryFlag(value, e);
        expect(insecureRegistryFlags(added)).toEqual([...insecureRegistryFlags(value), e]);
        expect(withInsecureRegistryFlag(added, e)).toBe(added);
        expect(withoutInsecureRegistryFlags(added, [e])).toBe(value);
        expect(insecureRegistryFlags(withoutInsecureRegistryFlags(added))).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('systemd unit reader (property-based)', () => {
  it('the ExecStart in force is the last one after the last reset, whatever the comments and continuations', () => {
    const exec = fc.stringMatching(/^\/usr\/bin\/dockerd( -[a-z]{1,5}){0,3}$/);
    fc.assert(
      fc.property(fc.array(fc.oneof(exec, fc.constant('')), { minLength: 1, maxLength: 5 }), fc.boolean(), (execs, continued) => {
        const lines = ['[Unit]', 'Description=x', '', '[Service]', '# a comment'];
        for (const e of execs) lines.push(continued && e.includes(' ') ? `ExecStart=${e.replace(' ', ' \\\n  ')}` : `ExecStart=${e}`);
        const lastReset = execs.lastIndexOf('');
        const inForce = execs.slice(lastReset + 1).at(-1) ?? null;
        const got = effectiveService([{ path: 'u', text: lines.join('\n') }]).execStart;
        expect(got?.replace(/\s+/g, ' ') ?? null).toBe(inForce);
      }),
      RUNS,
    );
  });

  it('random text never makes the reader throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (text) => void parseUnit(text)), RUNS);
  });
});

describe("trust's record of the registries a client host trusts (property-based)", () => {
  const op = fc.tuple(fc.boolean(), fc.uniqueArray(entry, { minLength: 1, maxLength: 3 }), fc.boolean());
  it('after any run of trust and untrust it holds exactly the registries trusted and not untrusted since; the same run again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 8 }), (ops) => {
        let text: string | null = null;
        const model = new Map<string, boolean>();
        for (const [add, entries, tls] of ops) {
          const change = add ? { add: entries.map((e) => ({ entry: e, tls })) } : { remove: entries };
          const action = recordTrust(text, change);
          if (action?.kind === 'write-file') text = action.after;
          else if (action?.kind === 'remove-path') text = null;
          for (const e of entries) add ? model.set(e, tls) : model.delete(e);
          expect(recordTrust(text, change)).toBeNull();
          expect(text === null).toBe(model.size === 0);
        }
        expect(parseTrusted(text).registries).toEqual([...model].map(([e, tls]) => ({ entry: e, tls })).sort((a, b) => a.entry.localeCompare(b.entry)));
      }),
      RUNS,
    );
  });
  it('random text counts as no record, never a crash; a trust then writes a record of its own', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), entry, (text, e) => {
        const parsed = parseTrusted(text);
        expect(Array.isArray(parsed.registries)).toBe(true);
        const action = recordTrust(text, { add: [{ entry: e, tls: false }] });
        // a newer version's record is left alone; otherwise the registry is recorded afterwards
        if (parsed.newer) expect(action).toBeNull();
        else expect(parseTrusted(action?.kind === 'write-file' ? action.after : text).registries).toContainEqual({ entry: e, tls: false });
      }),
      RUNS,
    );
  });
});
