/**
 * Durability: the real CLI (`node bin/exalate-iac.js emulator`) is killed with SIGKILL right after
 * acknowledged writes; a restart on the same data folder must hold every one of them.
 * Needs the build (`npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeClient } from '../provider/api/client';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'exalate-iac.js');
const TOKEN = 'durable-token-5e6f7a8b';

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(dataDir: string, extra: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--data', dataDir, ...extra], {
    env: { ...process.env, EXALATE_EMULATOR_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /exalate emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1], output: () => out, exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`emulator exited (${code}) before listening:\n${out}`)));
  });
}

function client(url: string, node: string): NodeClient {
  return new NodeClient({
    url: `${url}/nodes/${node}`,
    token: TOKEN,
    rateLimit: false,
    retries: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
}

let dir: string;
const children: ChildProcess[] = [];
beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'provider', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  }
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'exalate-durable-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('acknowledged writes survive kill -9 and a restart', async () => {
  const first = await startCli(dir, ['--node', 'alpha=servicenow', '--node', 'beta=zendesk']);
  children.push(first.child);
  const alpha = client(first.url, 'alpha');
  const beta = client(first.url, 'beta');
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push(
      await alpha.createConnection({
        name: `durable-${i}`,
        description: `number ${i}`,
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'PRIVATE' },
      }),
    );
  }
  const first0 = created[0]?.connection.id as number;
  await alpha.putRules(first0, { outgoing: 'out', incoming: 'in' });
  await alpha.putTriggers(first0, [{ entityType: 'incident', query: 'urgency=1', active: true, notes: '' }]);
  await beta.acceptInvitation({ invitationCode: created[1]?.invitationCode as string });
  await alpha.deleteConnection(created[4]?.connection.id as number);
  const pendingCode = created[2]?.invitationCode as string;
  await Promise.all([alpha.close(), beta.close()]);

  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

  const second = await startCli(dir, ['--node', 'alpha=servicenow', '--node', 'beta=zendesk']);
  children.push(second.child);
  const alpha2 = client(second.url, 'alpha');
  const beta2 = client(second.url, 'beta');
  try {
    const names: string[] = [];
    for await (const c of alpha2.listConnections({ expand: ['rules', 'triggers'] })) names.push(c.name);
    expect(names).toEqual(['durable-0', 'durable-1', 'durable-2', 'durable-3']);
    const c0 = await alpha2.getConnection(first0);
    expect(c0.description).toBe('number 0');
    expect(await alpha2.getRules(first0)).toEqual({ outgoing: 'out', incoming: 'in' });
    expect(await alpha2.getTriggers(first0)).toEqual([
      { entityType: 'incident', query: 'urgency=1', active: true, notes: '' },
    ]);
    expect((await alpha2.findConnectionByName('durable-1'))?.status).toBe('ACTIVE');
    expect((await beta2.findConnectionByName('durable-1'))?.role).toBe('ACCEPTOR');
    // Invitation codes survive too (the pending one is still acceptable, the used one is not).
    expect((await alpha2.getInvitation(created[2]?.connection.id as number)).invitationCode).toBe(
      pendingCode,
    );
    await expect(
      beta2.acceptInvitation({ invitationCode: created[1]?.invitationCode as string }),
    ).rejects.toMatchObject({
      code: 'EXALATE_CONFLICT',
    });
    await expect(beta2.acceptInvitation({ invitationCode: pendingCode })).resolves.toMatchObject({
      name: 'durable-2',
    });
  } finally {
    await Promise.all([alpha2.close(), beta2.close()]);
  }

  second.child.kill('SIGTERM');
  const stopped = await second.exited;
  expect(stopped.code).toBe(0);
  expect(second.output()).toContain('exalate emulator stopped');
  expect(first.output() + second.output()).not.toContain(TOKEN);
});

test('the CLI serves both default nodes and refuses bad flags with one line', async () => {
  const running = await startCli(dir);
  children.push(running.child);
  for (const node of ['acme-freshservice', 'acme-jira']) {
    const c = client(running.url, node);
    try {
      const listed: string[] = [];
      for await (const x of c.listConnections()) listed.push(x.name);
      expect(listed).toEqual([]);
    } finally {
      await c.close();
    }
  }
  running.child.kill('SIGINT');
  expect((await running.exited).code).toBe(0);

  const bad = spawn(process.execPath, [BIN, 'emulator', '--port', 'x', '--data', dir], {
    env: { ...process.env, EXALATE_EMULATOR_TOKEN: TOKEN },
  });
  let err = '';
  bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
  expect(code).toBe(1);
  expect(err.trim().split('\n')).toEqual([
    "exalate-iac emulator: --port must be a whole number >= 0, got 'x'",
  ]);
});
