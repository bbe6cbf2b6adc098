// Bundles src/ into dist/ so the published package runs without installing dependencies.
// Code splitting keeps prompts, the task list and systeminformation out of the start-up path:
// they are loaded with import() only by the commands that need them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  // CommonJS dependencies (ini, systeminformation) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
