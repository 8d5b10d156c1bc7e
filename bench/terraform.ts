/**
 * The Terraform provider's rows: spawn → handshake line of the bundled provider (what Terraform
 * pays 3–4 times per command), and `terraform plan` of 1 and 100 connections next to a
 * configuration with no provider at all (Terraform's own floor), interleaved in one run.
 */
import { execFile, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator } from '../emulator/server';
import { mirrorPath } from '../provider/model/distribution';
import { generateCertificate } from '../provider/terraform/plugin/cert';
import { MAGIC_COOKIE_VALUE } from '../provider/terraform/plugin/serve';
import { installExecutable } from '../provider/util/mirror';
import { packageRoot, packageVersion } from '../provider/util/paths';
import { interleave, stats } from './measure';
import type { Row } from './report';

const TOKEN = 'bench-token';

function tf(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('terraform', [...args, '-no-color'], { cwd, env, maxBuffer: 64 << 20 }, (error, _o, stderr) =>
      error ? reject(new Error(`terraform ${args[0]} failed: ${stderr}`)) : resolve(),
    );
  });
}

function config(connections: number): string {
  const version = packageVersion();
  const head = [
    'terraform {',
    '  required_providers {',
    `    exalate = { source = "exalate-iac.local/exalate/exalate", version = "${version}" }`,
    '  }',
    '}',
    'provider "exalate" {',
    '  node {',
    '    name      = "fs"',
    '    url       = "$${FS_URL}"',
    '    platform  = "freshservice"',
    '    token_env = "EXA_TOKEN"',
    '  }',
    '}',
  ];
  const resources = Array.from({ length: connections }, (_, i) =>
    [
      `resource "exalate_connection" "c${i}" {`,
      `  name              = "bench-${i}"`,
      '  node              = "fs"',
      '  local_short_name  = "a"',
      '  remote_short_name = "b"',
      '  mode              = "script"',
      '  private           = true',
      `  description       = "connection ${i}"`,
      '  rules             = { outgoing = "// out", incoming = "// in" }',
      '  triggers          = [{ entity_type = "ticket", query = "priority:4" }]',
      '}',
    ].join('\n'),
  );
  return [...head, ...resources].join('\n') + '\n';
}

/** Milliseconds from spawning the provider to its handshake line on stdout; then it is killed. */
function handshakeMs(bundle: string, clientCert: string, socketDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bundle], {
      env: {
        PATH: process.env.PATH,
        TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE,
        PLUGIN_PROTOCOL_VERSIONS: '5,6',
        PLUGIN_CLIENT_CERT: clientCert,
        PLUGIN_UNIX_SOCKET_DIR: socketDir,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => {
      resolve(performance.now() - started);
      child.kill('SIGKILL');
    });
    child.once('error', reject);
  });
}

export async function benchTerraform(options: { runs: number; nodeStartMs: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const bundle = path.join(packageRoot(), 'dist', 'terraform-provider-exalate.js');

  const work = mkdtempSync(path.join(tmpdir(), 'exalate-bench-tf-'));
  // Spawn → handshake line, with AutoMTLS as Terraform runs it.
  const clientCert = generateCertificate().certPem;
  const handshakes: number[] = [];
  for (let i = 0; i < options.runs + 1; i++) {
    const ms = await handshakeMs(bundle, clientCert, work);
    if (i > 0) handshakes.push(ms);
  }
  const handshake = stats(handshakes);
  rows.push({
    group: 'terraform',
    name: 'provider spawn → handshake line (bundled, AutoMTLS)',
    figure: handshake,
    bound: { ms: options.nodeStartMs, label: 'node -e "" start' },
    target: { label: '≤ 150 ms', ok: handshake.medianMs <= 150 },
  });

  const emulator = await startEmulator({
    dataDir: path.join(work, 'data'),
    token: TOKEN,
    port: 0,
    nodes: { fs: 'freshservice' },
  });
  try {
    writeFileSync(path.join(work, 'cli.tfrc'), '');
    mkdirSync(path.join(work, 'home'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: path.join(work, 'home'),
      TF_CLI_CONFIG_FILE: path.join(work, 'cli.tfrc'),
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      EXA_TOKEN: TOKEN,
      FS_URL: emulator.nodeUrl('fs'),
    };
    const dirs: Record<string, string> = {};
    for (const [name, body] of [
      ['none', 'terraform {}\n'],
      ['one', config(1)],
      ['hundred', config(100)],
    ] as const) {
      const dir = path.join(work, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'main.tf'), body);
      if (name !== 'none')
        installExecutable(
          path.join(dir, 'terraform.d', 'plugins'),
          mirrorPath(packageVersion(), process.platform, process.arch),
          bundle,
        );
      await tf(dir, ['init'], env);
      if (name !== 'none') await tf(dir, ['apply', '-auto-approve', '-parallelism=10'], env);
      dirs[name] = dir;
    }
    const plan = (name: string) => () => tf(dirs[name] as string, ['plan', '-detailed-exitcode'], env);
    const [none, one, hundred] = await interleave(options.runs, [plan('none'), plan('one'), plan('hundred')]);
    rows.push(
      {
        group: 'terraform',
        name: 'terraform plan, no provider (Terraform alone)',
        figure: none as Row['figure'] & object,
      },
      {
        group: 'terraform',
        name: 'terraform plan of 1 connection (in sync)',
        size: 1,
        figure: one as Row['figure'] & object,
        bound: { ms: (none as { medianMs: number }).medianMs, label: 'terraform plan, no provider' },
        target: { label: '≤ 0.6 s', ok: (one as { medianMs: number }).medianMs <= 600 },
      },
      {
        group: 'terraform',
        name: 'terraform plan of 100 connections (in sync)',
        size: 100,
        figure: hundred as Row['figure'] & object,
        bound: { ms: (none as { medianMs: number }).medianMs, label: 'terraform plan, no provider' },
        target: { label: '≤ 1.5 s', ok: (hundred as { medianMs: number }).medianMs <= 1500 },
      },
    );
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}
