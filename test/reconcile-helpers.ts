import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../emulator/server';
import { NodeClient } from '../provider/api/client';
import type { Connection } from '../provider/api/types';
import { main } from '../provider/cli/main';
import type { Deps } from '../provider/cli/context';
import type { PlanJson } from '../provider/engine/saved-plan';
import { captureIo, ROOT, tempDir } from './helpers';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** Commands run in tests never wait for real back-off, and a generous client rate limit (tests of the rate limit set their own). */
export const FAST: Deps = { clientSettings: { sleep: async () => undefined, rateLimit: 1000 } };

/** A workspace: a running emulator, a copy of the examples, the env pointing at the emulator. */
export interface Workspace {
  dir: string;
  emulator: Emulator;
  token: string;
  env: NodeJS.ProcessEnv;
  /** Run a command in-process; returns exit code and what it printed. */
  cli(
    argv: string[],
    extraEnv?: NodeJS.ProcessEnv,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  client(node: string): NodeClient;
  list(node: string): Promise<Connection[]>;
  /** Edit the example file in the workspace. */
  edit(fn: (text: string) => string, file?: string): void;
  close(): Promise<void>;
}

export async function workspace(
  options: Partial<Parameters<typeof startEmulator>[0]> = {},
): Promise<Workspace> {
  const { dir, cleanup } = tempDir('exalate-ws-');
  cpSync(path.join(ROOT, 'examples'), dir, { recursive: true });
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator({ dataDir: path.join(dir, '.data'), token, port: 0, ...options });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ACME_FRESHSERVICE_URL: emulator.nodeUrl('acme-freshservice'),
    ACME_FRESHSERVICE_TOKEN: token,
    ACME_JIRA_URL: emulator.nodeUrl('acme-jira'),
    ACME_JIRA_TOKEN: token,
  };
  const clients: NodeClient[] = [];
  const ws: Workspace = {
    dir,
    emulator,
    token,
    env,
    async cli(argv, extraEnv = {}) {
      const io = captureIo(dir, { ...env, ...extraEnv });
      const code = await main(argv, io, FAST);
      return { code, stdout: io.stdout(), stderr: io.stderr() };
    },
    client(node) {
      const c = new NodeClient({
        url: emulator.nodeUrl(node),
        token,
        sleep: async () => undefined,
      });
      clients.push(c);
      return c;
    },
    async list(node) {
      const out: Connection[] = [];
      for await (const c of ws.client(node).listConnections({ expand: ['rules', 'triggers'] })) out.push(c);
      return out;
    },
    edit(fn, file = 'connections.exalate.yaml') {
      const full = path.join(dir, file);
      writeFileSync(full, fn(readFileSync(full, 'utf8')));
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await emulator.close();
      cleanup();
    },
  };
  return ws;
}

/** What `plan --format json` says (one JSON shape with `plan --out`). */
export async function planJson(
  ws: Workspace,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; json: PlanJson; stderr: string }> {
  const r = await ws.cli(['plan', '--file', 'connections.exalate.yaml', '--format', 'json', ...extra], env);
  if (r.code !== 0 && r.code !== 2) throw new Error(`plan failed (${r.code}): ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as PlanJson, stderr: r.stderr };
}

/** `node/connection action` for every action that does something or is drift (not pending), sorted. */
export function actions(json: PlanJson): string[] {
  return json.actions
    .filter((a) => (a.action !== 'no-op' && a.action !== 'pending') || a.blocked || a.drift)
    .map((a) => `${a.node}/${a.connection} ${a.action}${a.blocked ? ' (blocked)' : ''}`)
    .sort();
}

export function changedFields(json: PlanJson, connection: string): string[] {
  return json.actions.find((a) => a.connection === connection)?.changes.map((c) => c.field) ?? [];
}

/** The outputs file as written (snake_case). */
export function outputs(
  ws: Workspace,
  file = '.exalate/outputs.json',
): Record<string, Record<string, unknown>> {
  return (
    JSON.parse(readFileSync(path.join(ws.dir, file), 'utf8')) as {
      invitations: Record<string, Record<string, unknown>>;
    }
  ).invitations;
}
