import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../e2e/harness/host.js';

/**
 * The package as npm publishes it (npm pack), installed the way npx installs it, run from its own
 * bundle: nothing of the checkout's node_modules is reachable from there.
 */
describe('the published package', () => {
  let work: string;
  let pkgDir: string;
  let packed: { size: number; files: { path: string }[] };
  const run = (...args: string[]) => execFileSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), ...args], { encoding: 'utf8' });
  const cacheDir = () => path.join(pkgDir, 'dist/.code-cache');

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'sr-package-'));
    // --ignore-scripts: the bundle is already built (npm test builds first); rebuilding would replace it under other tests.
    const json = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' });
    packed = (JSON.parse(json) as (typeof packed & { filename: string })[])[0]!;
    const tgz = path.join(work, (JSON.parse(json) as { filename: string }[])[0]!.filename);
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', path.join(work, 'prefix'), tgz], { encoding: 'utf8' });
    pkgDir = path.join(work, 'prefix/node_modules/setup-registry');
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is one small package with no runtime dependencies: the bundles, the shim and the templates', () => {
    expect(packed.size).toBeLessThan(3 * 1024 * 1024);
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/setup-registry.cjs', 'dist/boot.cjs', 'dist/cli.cjs', 'dist/vendor/listr2.cjs', 'templates/daemon.json']));
    expect(files.filter((f) => f.endsWith('.map') || f.includes('.code-cache'))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).dependencies ?? {}).toEqual({});
    // npm installed this package and nothing else.
    expect(readdirSync(path.join(work, 'prefix/node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['setup-registry']);
  });

  it('runs from its bundle; the loader knows every command the command line has', () => {
    expect(run('--version').trim()).toBe(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    const help = run('--help');
    const commands = help.slice(help.indexOf('Commands:')).split('\n').slice(1).map((l) => /^ {2}(\w+)/.exec(l)?.[1]).filter((c): c is string => Boolean(c) && c !== 'help');
    const { COMMANDS } = createRequire(import.meta.url)(path.join(pkgDir, 'dist/boot.cjs')) as { COMMANDS: string[] };
    expect([...COMMANDS].sort()).toEqual([...commands].sort());
    // SETUP_REGISTRY_TRACE=1: the phases, in ms since the process started, on stderr only.
    const traced = spawnSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), '--version'], { encoding: 'utf8', env: { ...process.env, SETUP_REGISTRY_TRACE: '1' } });
    expect(traced.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(traced.stderr).toMatch(/^trace +[\d.]+ ms {2}bundle loaded\ntrace +[\d.]+ ms {2}exit\n$/);
  });

  it('names a mistyped command with a suggestion; a command given too many words says so', () => {
    const typo = spawnSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), 'instal', '--yes'], { encoding: 'utf8' });
    expect([typo.status, typo.stdout, typo.stderr]).toEqual([2, '', "error: unknown command 'instal'\n(Did you mean install?)\n(run setup-registry --help for usage)\n"]);
    const extra = spawnSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), 'check', 'extra'], { encoding: 'utf8' });
    expect([extra.status, extra.stderr.split('\n')[0]]).toEqual([2, "error: too many arguments for 'check'. Expected 0 arguments but got 1."]);
  });

  it('keeps a V8 code cache per command next to the bundle; a damaged cache is compiled past and replaced', () => {
    rmSync(cacheDir(), { recursive: true, force: true });
    // A run that failed (a mistyped option) stopped early: its cache would hold too little, so it writes none.
    expect(spawnSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), '--no-such-option']).status).toBe(2);
    expect(existsSync(cacheDir()) ? readdirSync(cacheDir()) : []).toEqual([]);
    run('--version');
    // A plan on an empty tree (nothing applied; exit 0), asking no dockerd of this machine.
    const dry = ['--dry-run', '--address', '198.18.0.1', '--root', mkdtempSync(path.join(work, 'root-'))];
    execFileSync('node', [path.join(pkgDir, 'bin/setup-registry.cjs'), ...dry], { env: { ...process.env, DOCKER_HOST: `unix://${work}/no-dockerd.sock` } });
    // Node.js 22 and newer keep the cache themselves (module.enableCompileCache), in their own layout.
    if ('enableCompileCache' in createRequire(import.meta.url)('node:module')) {
      expect(readdirSync(cacheDir()).length).toBeGreaterThan(0);
      return;
    }
    // --version ran no command, --dry-run applied nothing: the install command's cache is left to a run that installs.
    const cliCaches = () => readdirSync(cacheDir()).filter((f) => f.startsWith('cli.')).sort();
    expect(cliCaches()).toEqual(['cli.cjs.about.bin', 'cli.cjs.install.dry-run.bin']);
    const damaged = Buffer.from('not a code cache');
    writeFileSync(path.join(cacheDir(), 'cli.cjs.about.bin'), damaged);
    expect(run('--version').trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const replaced = readFileSync(path.join(cacheDir(), 'cli.cjs.about.bin'));
    expect(replaced.length).toBeGreaterThan(10_000);
    expect(replaced.equals(damaged)).toBe(false);
    // No temporary files are left behind.
    expect(cliCaches()).toEqual(['cli.cjs.about.bin', 'cli.cjs.install.dry-run.bin']);
    expect(readdirSync(cacheDir()).filter((f) => !f.endsWith('.bin'))).toEqual([]);
  });

  it('chooses the cache by what a command line runs', () => {
    const { cacheVariant } = createRequire(import.meta.url)(path.join(pkgDir, 'dist/boot.cjs')) as { cacheVariant(args: string[]): string };
    expect(cacheVariant([])).toBe('install');
    expect(cacheVariant(['--yes', '--address', '198.18.0.1'])).toBe('install');
    expect(cacheVariant(['install', '--yes'])).toBe('install');
    expect(cacheVariant(['--dry-run', '--address', '198.18.0.1'])).toBe('install.dry-run');
    expect(cacheVariant(['check', '--json'])).toBe('check');
    expect(cacheVariant(['--version'])).toBe('about');
    expect(cacheVariant(['trust', '--help'])).toBe('about');
    expect(cacheVariant(['help', 'check'])).toBe('about');
    expect(cacheVariant(['check', '--list-checks'])).toBe('about');
  });
});
