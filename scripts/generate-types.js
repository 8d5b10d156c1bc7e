#!/usr/bin/env node
// Generates provider/config/types.generated.ts from schemas/exalate-connections.schema.json.
// The schema is the single source of truth; a test fails when the generated file is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const SCHEMA = path.join(root, 'schemas', 'exalate-connections.schema.json');
const TARGET = path.join(root, 'provider', 'config', 'types.generated.ts');

async function generate() {
  const { compile } = require('json-schema-to-typescript');
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  return compile(schema, 'ConnectionsFile', {
    bannerComment:
      '/* Generated from schemas/exalate-connections.schema.json by `npm run schema`. Do not edit. */',
    additionalProperties: false,
    style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
    unreachableDefinitions: false,
  });
}

module.exports = { generate, TARGET };

if (require.main === module) {
  generate().then(
    (text) => {
      if (process.argv.includes('--stdout')) {
        process.stdout.write(text);
        return;
      }
      fs.writeFileSync(TARGET, text);
      console.log(`wrote ${path.relative(root, TARGET)}`);
    },
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
