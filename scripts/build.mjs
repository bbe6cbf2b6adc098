// Bundles src/ into dist/ so the published package runs without installing dependencies.
// CommonJS bundles, so that dist/boot.cjs can load them with V8's code cache on Node.js 20 (see src/boot.ts):
// - dist/cli.cjs: the command line, every command, and the small libraries they all use;
// - dist/vendor/*.cjs: the large libraries only some runs need (prompts, the task list, execa,
//   systeminformation, bcrypt), each loaded on first use.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const VENDOR = { listr2: 'listr2', '@inquirer/prompts': 'inquirer-prompts', execa: 'execa', systeminformation: 'systeminformation', bcryptjs: 'bcryptjs' };
const vendorFilter = new RegExp(`^(${Object.keys(VENDOR).map((n) => n.replace(/[/@]/g, '\\$&')).join('|')})$`);

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  // import() becomes require(): every module is in a bundle, and CommonJS is what the code cache can load.
  supported: { 'dynamic-import': false },
  // ESM sources ask import.meta.url where they are (templates/ is found from it).
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: "const __import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

/** In cli.cjs, a vendor library is a stub that loads its own bundle through boot.cjs (with the code cache). */
const vendorStubs = {
  name: 'vendor-stubs',
  setup(b) {
    b.onResolve({ filter: vendorFilter }, (args) => ({ path: args.path, namespace: 'vendor' }));
    b.onResolve({ filter: /^\.\/boot\.cjs$/ }, () => ({ path: './boot.cjs', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({ contents: `module.exports = require('./boot.cjs').load('vendor/${VENDOR[args.path]}.cjs');`, loader: 'js' }));
  },
};

/**
 * commander requires child_process at start-up only to run executable subcommands, which this tool
 * has none of; loading it (with net and stream) would cost every run several milliseconds.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: { boot: 'src/boot.ts' } }),
  build({ ...common, entryPoints: { cli: 'src/cli.ts' }, plugins: [vendorStubs, lazyChildProcessForCommander] }),
  build({ ...common, entryPoints: Object.fromEntries(Object.entries(VENDOR).map(([pkg, file]) => [`vendor/${file}`, pkg])) }),
]);
