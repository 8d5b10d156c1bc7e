#!/usr/bin/env node
// Generates provider/terraform/plugin/gen/*_pb.ts from provider/terraform/plugin/proto/*.proto
// with buf + protoc-gen-es (see buf.gen.yaml), formatted with the repository's prettier config.
//   npm run proto          regenerate
//   node <this> --check    exit 1 when a committed file is stale or missing, or an extra one exists
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..', '..');
const GEN = path.join(HERE, 'gen');
const rel = (p) => path.relative(ROOT, p);

/** Runs the generator into a temporary directory; returns [file name, formatted text] pairs. */
async function generate() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tfplugin-gen-'));
  try {
    const buf = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
    // Paths are relative to the repository root (the template's local plugin path is too).
    execFileSync(
      buf,
      [
        'generate',
        rel(path.join(HERE, 'proto')),
        '--template',
        rel(path.join(HERE, 'buf.gen.yaml')),
        '-o',
        out,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
        // buf keeps a cache under the home folder by default; nothing needs caching here.
        env: { ...process.env, BUF_CACHE_DIR: path.join(out, 'buf-cache') },
      },
    );
    const prettier = require('prettier');
    const files = [];
    for (const name of fs.readdirSync(path.join(out, 'gen')).sort()) {
      const target = path.join(GEN, name);
      const config = (await prettier.resolveConfig(target)) || {};
      const text = fs.readFileSync(path.join(out, 'gen', name), 'utf8');
      files.push([name, await prettier.format(text, { ...config, filepath: target })]);
    }
    return files;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function main() {
  const check = process.argv.includes('--check');
  const files = await generate();
  const expected = new Set(files.map(([name]) => name));
  const present = fs.existsSync(GEN) ? fs.readdirSync(GEN) : [];
  let stale = 0;
  for (const [name, text] of files) {
    const file = path.join(GEN, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    if (check) {
      console.error(`${rel(file)} is ${current === undefined ? 'missing' : 'stale'}: run \`npm run proto\``);
      stale++;
    } else {
      fs.mkdirSync(GEN, { recursive: true });
      fs.writeFileSync(file, text);
      console.log(`wrote ${rel(file)}`);
    }
  }
  for (const name of present.filter((n) => !expected.has(n))) {
    const file = path.join(GEN, name);
    if (check) {
      console.error(`${rel(file)} is not generated from the protocol definitions: run \`npm run proto\``);
      stale++;
    } else {
      fs.rmSync(file);
      console.log(`removed ${rel(file)}`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
