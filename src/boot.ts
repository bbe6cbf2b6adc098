import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { trace } from './trace.js';

/**
 * Loads the bundles of dist/ with V8's code cache, kept next to them in dist/.code-cache (the way
 * Python keeps __pycache__ next to its sources): a run then skips most of the parsing and compiling
 * of the tool's own code, which is most of its start-up cost beyond Node.js itself.
 * Node.js 22 and newer do this themselves (module.enableCompileCache); on Node.js 20 the bundles
 * are compiled here through vm.Script with the cached data. The cache is written at exit, by the
 * first successful run of each kind of command line (cacheVariant), only where the bundle itself
 * could be written: whoever can change the cache could already change the code. V8 rejects a cache
 * that does not match its version, flags or source, and then the bundle is compiled as usual and
 * the cache rewritten.
 */
const DIST = __dirname;
const CACHE_DIR = path.join(DIST, '.code-cache');
/** The commands (first word of the command line; none: install), each with a cache of its own. */
export const COMMANDS = ['install', 'check', 'repair', 'uninstall', 'trust', 'untrust', 'user', 'catalog', 'tags'];

/**
 * Which code cache a command line uses. A cache holds the functions its first run compiled, so
 * a run that does less must not make the cache of one that does more: help, --version and
 * --list-checks (which run no command) and --dry-run (which applies nothing) keep their own.
 */
export function cacheVariant(args: readonly string[]): string {
  if (args[0] === 'help' || args.some((a) => /^(-h|--help|-V|--version|--list-checks)$/.test(a))) return 'about';
  const command = COMMANDS.includes(args[0] ?? '') ? args[0]! : 'install';
  return args.includes('--dry-run') ? `${command}.dry-run` : command;
}

const builtIn = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
if (builtIn) builtIn(CACHE_DIR);
const unwritten: { script: vm.Script; cacheFile: string }[] = [];

/** A bundle of dist/ (a CommonJS file), compiled with its code cache. */
export function load(relative: string, variant = ''): unknown {
  const file = path.join(DIST, relative);
  if (builtIn) return createRequire(__filename)(file);
  const cacheFile = path.join(CACHE_DIR, `${relative.replace(/\//g, '-')}${variant ? `.${variant}` : ''}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    if (unwritten.length === 0) process.once('exit', writeCaches);
    unwritten.push({ script, cacheFile });
  }
  const module = new Module(file);
  module.filename = file;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/**
 * After the run, so the cache holds every function the command compiled; any failure just leaves
 * no cache. A run that failed (a mistyped option, a host refused) stopped early: it writes none.
 */
function writeCaches(code: number): void {
  if (code !== 0) return;
  for (const { script, cacheFile } of unwritten) {
    const temporary = `${cacheFile}.${process.pid}`;
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o755 });
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o644 });
      fs.renameSync(temporary, cacheFile);
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  }
}

/** The bin shim's entry: runs the command line, and sets the exit code. */
export function run(argv: string[]): void {
  process.once('exit', () => trace('exit'));
  const cli = load('cli.cjs', cacheVariant(argv.slice(2))) as { main(argv: string[]): Promise<number> };
  cli.main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      console.error(err?.stack ?? String(err));
      process.exitCode = 1;
    },
  );
}
