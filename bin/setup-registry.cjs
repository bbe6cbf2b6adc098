#!/usr/bin/env node
// Thin shim: the code is in dist/, loaded with V8's code cache (src/boot.ts).
require('../dist/boot.cjs').run(process.argv);
