import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../emulator/server';
import { NodeClient } from '../provider/client/client';
import type { Connection } from '../provider/client/types';
import { main } from '../provider/cli/main';
import { captureIo, ROOT, tempDir } from './helpers';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

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
      const code = await main(argv, io);
      return { code, stdout: io.stdout(), stderr: io.stderr() };
    },
    client(node) {
      const c = new NodeClient({
        url: emulator.nodeUrl(node),
        token,
        retries: { baseDelayMs: 1, maxDelayMs: 5 },
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
