#!/usr/bin/env node
'use strict';
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
