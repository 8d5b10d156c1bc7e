#!/usr/bin/env node
// Generates, from schemas/exalate-connections.schema.json (the single source of truth):
//   provider/model/file-format.generated.ts           TypeScript types (json-schema-to-typescript)
//   provider/config/schema-validator.generated.ts   the ajv validator compiled ahead of time
// `--check` exits 1 when a file on disk is stale (a test runs it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const SCHEMA = path.join(root, 'schemas', 'exalate-connections.schema.json');
const TYPES = path.join(root, 'provider', 'model', 'file-format.generated.ts');
const VALIDATOR = path.join(root, 'provider', 'config', 'schema-validator.generated.ts');
const BANNER =
  '/* Generated from schemas/exalate-connections.schema.json by `npm run schema`. Do not edit. */';

/** The options the validator is compiled with; schema-check.ts relies on allErrors and verbose. */
const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  verbose: true,
  code: { source: true },
};

async function generateTypes(schema) {
  const { compile } = require('json-schema-to-typescript');
  return compile(schema, 'ConnectionsFile', {
    bannerComment: BANNER,
    additionalProperties: false,
    style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
    unreachableDefinitions: false,
  });
}

function generateValidator(schema) {
  const Ajv = require('ajv').default;
  const standalone = require('ajv/dist/standalone').default;
  const ajv = new Ajv(AJV_OPTIONS);
  const code = standalone(ajv, ajv.compile(schema));
  // One CommonJS export, written as TypeScript's `export =` so that bundlers see a CommonJS module.
  const match = /module\.exports = (\w+);module\.exports\.default = \1;/.exec(code);
  if (!match) throw new Error('unexpected ajv standalone output');
  return `${BANNER}\n// @ts-nocheck\n${code.replace(match[0], '')}\nexport = ${match[1]};\n`;
}

async function generate() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  return [
    [TYPES, await generateTypes(schema)],
    [VALIDATOR, generateValidator(schema)],
  ];
}

if (require.main === module) {
  generate().then(
    (files) => {
      const check = process.argv.includes('--check');
      let stale = 0;
      for (const [file, text] of files) {
        const rel = path.relative(root, file);
        if (check) {
          const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
          if (current !== text) {
            console.error(`${rel} is stale: run \`npm run schema\``);
            stale++;
          }
        } else {
          fs.writeFileSync(file, text);
          console.log(`wrote ${rel}`);
        }
      }
      if (stale > 0) process.exitCode = 1;
    },
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
