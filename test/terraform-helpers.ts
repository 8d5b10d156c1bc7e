// The real Terraform CLI against the exalate provider (bundled in dist/) and the emulator.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../emulator/server';
import { NodeClient } from '../provider/api/client';
import type { Connection } from '../provider/api/types';
import { BIN, ROOT, tempDir } from './helpers';

/** Terraform must be on PATH (1.11): the suite fails loudly, never skips, when it is not. */
export function requireTerraform(): string {
  const r = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      'terraform (1.11) is not on PATH: these tests run the real Terraform CLI; install it first',
    );
  return (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version;
}

export interface TfRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TfWorkspace {
  dir: string;
  token: string;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  env: NodeJS.ProcessEnv;
  /** Terraform runs as a child process; the emulator answers from this process meanwhile (never spawnSync). */
  tf(args: string[], extraEnv?: NodeJS.ProcessEnv, subdir?: string): Promise<TfRun>;
  write(file: string, content: string): void;
  client(node: string): NodeClient;
  list(node: string): Promise<Connection[]>;
  close(): Promise<void>;
}

/**
 * The terraform and provider blocks; node URLs are `${VAR}` references the provider expands (`$$`
 * escapes them for HCL). `extraNodes` are declared after the two default ones: `[name, platform, URL variable]`.
 */
export function providerBlock(
  owner = 'tf-team',
  extraNodes: ReadonlyArray<readonly [name: string, platform: string, urlVar: string]> = [],
): string {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const node = (name: string, platform: string, urlVar: string) =>
    [
      '  node {',
      `    name      = "${name}"`,
      `    url       = "$\${${urlVar}}"`,
      `    platform  = "${platform}"`,
      '    token_env = "EXA_TOKEN"',
      '  }',
    ].join('\n');
  return [
    'terraform {',
    '  required_providers {',
    '    exalate = {',
    '      source  = "exalate-iac.local/exalate/exalate"',
    `      version = "${version}"`,
    '    }',
    '  }',
    '}',
    '',
    'provider "exalate" {',
    `  owner = "${owner}"`,
    node('acme-freshservice', 'freshservice', 'FS_URL'),
    node('acme-jira', 'jira-cloud', 'JIRA_URL'),
    ...extraNodes.map(([name, platform, urlVar]) => node(name, platform, urlVar)),
    '}',
    '',
  ].join('\n');
}

/**
 * A folder with the provider installed as an implied local mirror, and an emulator (of `nodes`,
 * the emulator's default nodes unless given; `ZD_URL` is the URL of a node named `acme-zendesk`).
 */
export async function tfWorkspace(
  options: { nodes?: Parameters<typeof startEmulator>[0]['nodes'] } = {},
): Promise<TfWorkspace> {
  const { dir, cleanup } = tempDir('exalate-tf-');
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator({
    dataDir: path.join(dir, '.data'),
    token,
    port: 0,
    ...(options.nodes ? { nodes: options.nodes } : {}),
  });
  const cliConfig = path.join(dir, 'cli.tfrc');
  writeFileSync(cliConfig, '');
  mkdirSync(path.join(dir, 'home'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(dir, 'home'),
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    EXA_TOKEN: token,
    FS_URL: emulator.nodeUrl('acme-freshservice'),
    JIRA_URL: emulator.nodeUrl('acme-jira'),
    ZD_URL: emulator.nodeUrl('acme-zendesk'),
  };
  const install = spawnSync(process.execPath, [BIN, 'provider', 'install', '--format', 'json'], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (install.status !== 0) throw new Error(`provider install failed: ${install.stderr}`);
  const clients: NodeClient[] = [];
  const ws: TfWorkspace = {
    dir,
    token,
    emulator,
    env,
    tf(args, extraEnv = {}, subdir = '.') {
      return new Promise<TfRun>((resolve) => {
        execFile(
          'terraform',
          [...args, '-no-color'],
          {
            cwd: path.join(dir, subdir),
            env: { ...env, ...extraEnv },
            encoding: 'utf8',
            timeout: 120_000,
            maxBuffer: 64 << 20,
          },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    write(file, content) {
      writeFileSync(path.join(dir, file), content);
    },
    client(node) {
      const c = new NodeClient({ url: emulator.nodeUrl(node), token, sleep: async () => undefined });
      clients.push(c);
      return c;
    },
    async list(node) {
      const out: Connection[] = [];
      for await (const c of ws.client(node).listConnections({ expand: ['rules', 'triggers'] })) out.push(c);
      return out;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await emulator.close();
      cleanup();
    },
  };
  return ws;
}
