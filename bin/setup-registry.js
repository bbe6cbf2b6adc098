#!/usr/bin/env node
// Thin shim: all code lives in the bundle so start-up loads one file.
import('../dist/cli.js').then((cli) => cli.main(process.argv)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 1; },
);
