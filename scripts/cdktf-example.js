#!/usr/bin/env node
// `npm run deploy:example`: the example CDKTF app (examples/cdktf/main.ts, both stacks) deployed
// with the real cdktf CLI against a fresh emulator, in a temporary project folder (state and
// cdktf.out stay out of the repository). Shows where the outputs file went, then runs `cdktf
// diff` (no changes) and stops the emulator. The functions are shared with the end-to-end test.
'use strict';
const { execFile, spawn } = require('node:child_process');
const { chmodSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const ROOT = path.join(__dirname, '..');
const CDKTF = path.join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** A temporary cdktf project running the repository's example app; state and output stay in it. */
function exampleProject(dir = mkdtempSync(path.join(os.tmpdir(), 'exalate-cdktf-'))) {
  const app = [process.execPath, TSX, path.join(ROOT, 'examples', 'cdktf', 'main.ts')].map((p) =>
    JSON.stringify(p),
  );
  writeFileSync(
    path.join(dir, 'cdktf.json'),
    JSON.stringify(
      { language: 'typescript', app: app.join(' '), output: 'cdktf.out', sendCrashReports: 'false' },
      null,
      2,
    ),
  );
  writeFileSync(path.join(dir, 'cli.tfrc'), '');
  return dir;
}

/** The environment cdktf and terraform run with: nothing under the real home folder, no telemetry. */
function cdktfEnv(dir, extra) {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    CI: '1',
    CHECKPOINT_DISABLE: '1',
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
    DISABLE_VERSION_CHECK: '1',
    TF_CLI_CONFIG_FILE: path.join(dir, 'cli.tfrc'),
    TF_IN_AUTOMATION: '1',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Run the cdktf CLI (asynchronously: an emulator in this process keeps answering meanwhile). */
function cdktf(args, { cwd, env }) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CDKTF, ...args],
      { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The plan line of `cdktf diff`: true when it shows changes (cdktf 0.21 exits 0 either way). */
function diffHasChanges(output) {
  if (
    /No changes\. Your infrastructure matches the configuration\./.test(output) &&
    !/Plan: \d+ to/.test(output)
  )
    return false;
  if (/Plan: \d+ to add, \d+ to change, \d+ to destroy/.test(output)) return true;
  throw new Error('cdktf diff printed neither a plan nor "No changes"');
}

async function main() {
  const dir = exampleProject();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path.join(dir, 'token'), token, { mode: 0o600 });
  const emulator = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'exalate-iac.js'),
      'emulator',
      '--port',
      '0',
      '--data',
      path.join(dir, 'data'),
      '--token-file',
      path.join(dir, 'token'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    emulator.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    emulator.on('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
  });
  const env = cdktfEnv(dir, {
    ACME_FRESHSERVICE_URL: `${url}/nodes/acme-freshservice`,
    ACME_JIRA_URL: `${url}/nodes/acme-jira`,
    ACME_FRESHSERVICE_TOKEN: token,
    ACME_JIRA_TOKEN: token,
  });
  const outputs = path.join(dir, 'outputs.json');
  try {
    console.log(
      `Emulator at ${url}; project in ${dir}\n\n$ cdktf deploy '*' --skip-provider-lock --auto-approve --outputs-file outputs.json --outputs-file-include-sensitive-outputs`,
    );
    const deploy = await cdktf(
      [
        'deploy',
        '*',
        '--skip-provider-lock',
        '--auto-approve',
        '--outputs-file',
        outputs,
        '--outputs-file-include-sensitive-outputs',
      ],
      { cwd: dir, env },
    );
    process.stdout.write(deploy.stdout.split(token).join('[REDACTED]'));
    if (deploy.code !== 0) throw new Error(`cdktf deploy exited ${deploy.code}:\n${deploy.stderr}`);
    chmodSync(outputs, 0o600);
    console.log(
      `\nOutputs (with the invitation codes, sensitive) written to ${outputs} (mode 0600).\n\n$ cdktf diff '*' --skip-provider-lock`,
    );
    for (const stack of ['connections-from-yaml', 'typescript-connections']) {
      const diff = await cdktf(['diff', stack, '--skip-provider-lock'], { cwd: dir, env });
      if (diff.code !== 0) throw new Error(`cdktf diff exited ${diff.code}:\n${diff.stderr}`);
      if (process.env.EXALATE_DEBUG_DIFF) console.log(diff.stdout);
      console.log(`${stack}: ${diffHasChanges(diff.stdout) ? 'changes (unexpected)' : 'no changes'}`);
    }
  } finally {
    emulator.kill('SIGTERM');
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`Kept ${dir}`);
  }
}

module.exports = { exampleProject, cdktfEnv, cdktf, diffHasChanges, ROOT };

if (require.main === module) {
  main().catch((error) => {
    console.error(`deploy:example: ${error.message}`);
    process.exitCode = 1;
  });
}
