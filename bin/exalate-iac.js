#!/usr/bin/env node
'use strict';
// The HTTP client (undici) parses HTTP with WebAssembly; V8 would also compile that parser with its
// optimizing tier in the background, about 250 ms of CPU that a command of a second or two never
// earns back, and the process waits for it before it exits. The baseline compiler is enough here.
require('node:v8').setFlagsFromString('--liftoff-only');
require('../dist/provider/cli/main.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      // main() reports every expected failure itself; reaching here is a bug.
      process.stderr.write(
        `exalate-iac: internal error: ${err && err.message ? err.message : String(err)}\n`,
      );
      process.stderr.write('This is a bug in exalate-iac; please report it with the command you ran.\n');
      process.exitCode = 1;
    },
  );
