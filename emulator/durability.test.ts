/**
 * Durability: the real CLI (`node bin/exalate-iac.js emulator`) is killed with SIGKILL right after
 * acknowledged writes, and an emulator process kills itself with SIGKILL in the middle of a
 * compaction; a restart on the same data folder must hold every acknowledged write.
 * Needs the build (`npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeClient } from '../provider/api/client';
import { API_BASE } from '../provider/api/contract';
import type { CompactionStep } from './store';

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

/**
 * An emulator process (from the build) that compacts as often as it may (whenever the journal has
 * outgrown the snapshot) and, once armed through stdin, kills itself with SIGKILL when a
 * compaction reaches `crashAt`.
 */
function startCrashing(
  dataDir: string,
  crashAt?: CompactionStep,
): Promise<Running & { arm(): Promise<void> }> {
  const server = path.join(ROOT, 'dist', 'emulator', 'server.js');
  const script = `
    const { startEmulator } = require(${JSON.stringify(server)});
    let armed = false;
    process.stdin.on('data', (d) => {
      if (String(d).includes('arm')) { armed = true; process.stdout.write('armed\\n'); }
    });
    startEmulator({
      dataDir: process.env.DATA_DIR,
      token: process.env.EXALATE_EMULATOR_TOKEN,
      nodes: { alpha: 'servicenow', beta: 'zendesk' },
      storage: {
        compactAfterBytes: 1,
        onCompactionStep: (step) => {
          if (armed && step === process.env.CRASH_AT) process.kill(process.pid, 'SIGKILL');
        },
      },
    }).then((e) => process.stdout.write('exalate emulator listening on ' + e.url + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, EXALATE_EMULATOR_TOKEN: TOKEN, DATA_DIR: dataDir, CRASH_AT: crashAt ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const arm = (): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (out.includes('armed')) resolve();
      };
      child.stdout.on('data', check);
      child.stdin.write('arm\n');
    });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /exalate emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1], output: () => out, exited, arm });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`emulator exited (${code}) before listening:\n${out}`)));
  });
}

/** Creates connections `prefix-0…` on node alpha until `count` or until the process dies; the acknowledged names. */
async function createUntilGone(
  url: string,
  prefix: string,
  count: number,
): Promise<{ acked: string[]; lost?: string }> {
  const base = `${url}/nodes/alpha${API_BASE}`;
  const auth = await fetch(`${base}/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authProtocol: 'basic', user: '', password: TOKEN }),
  });
  const jwt = auth.headers.get('x-exalate-jwt') as string;
  const acked: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    try {
      const res = await fetch(`${base}/connections`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-exalate-jwt': jwt, connection: 'close' },
        body: JSON.stringify({
          name,
          description: `${name} `.repeat(20),
          localShortName: 'a',
          remoteShortName: 'b',
          configurationType: 'SCRIPT',
          communication: { type: 'PRIVATE' },
          triggers: [{ entityType: 'incident', query: `number=${i}`, active: true, notes: '' }],
        }),
      });
      if (res.status !== 201) throw new Error(`create ${name}: ${res.status}`);
      acked.push(name);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('create ')) throw e;
      return { acked, lost: name };
    }
  }
  return { acked };
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

test('--profile observed serves the observed shape from the same data; a bad profile is one line', async () => {
  const full = await startCli(dir);
  children.push(full.child);
  const fs = client(full.url, 'acme-freshservice');
  try {
    await fs.createConnection({
      name: 'seen',
      description: 'modeled',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
  } finally {
    await fs.close();
  }
  full.child.kill('SIGTERM');
  expect((await full.exited).code).toBe(0);

  const observed = await startCli(dir, ['--profile', 'observed']);
  children.push(observed.child);
  const base = `${observed.url}/nodes/acme-freshservice${API_BASE}`;
  const auth = await fetch(`${base}/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authProtocol: 'basic', user: '', password: TOKEN }),
  });
  const headers = { 'X-exalate-jwt': auth.headers.get('x-exalate-jwt') as string };
  const list = await fetch(`${base}/connections?limit=1&expand=rules`, { headers });
  expect(await list.json()).toEqual({
    total: 1,
    results: [{ id: 1, name: 'seen', status: 'PENDING', communication: {} }],
  });
  expect((await fetch(`${base}/info`, { headers })).status).toBe(404);
  observed.child.kill('SIGINT');
  expect((await observed.exited).code).toBe(0);

  const bad = spawn(process.execPath, [BIN, 'emulator', '--data', dir, '--profile', 'partial'], {
    env: { ...process.env, EXALATE_EMULATOR_TOKEN: TOKEN },
  });
  let err = '';
  bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
  expect(await new Promise<number | null>((resolve) => bad.on('exit', resolve))).toBe(1);
  expect(err.trim().split('\n')).toEqual([
    "exalate-iac emulator: --profile must be full or observed, got 'partial'",
  ]);
});

describe.each<CompactionStep>(['snapshot-written', 'snapshot-installed', 'journal-truncated'])(
  'kill -9 during compaction (%s)',
  (step) => {
    test('a restart holds every acknowledged write; later writes and a kill after compaction too', async () => {
      const crashing = await startCrashing(dir, step);
      children.push(crashing.child);
      const before = await createUntilGone(crashing.url, 'before', 5);
      expect(before.lost).toBeUndefined();
      await crashing.arm();
      // Each create grows the journal; one of them starts a compaction, which kills the process.
      const during = await createUntilGone(crashing.url, 'during', 200);
      expect(during.lost).toBeDefined();
      expect((await crashing.exited).signal).toBe('SIGKILL');

      // Restarted (compacting often, not armed): everything acknowledged is there.
      const again = await startCrashing(dir);
      children.push(again.child);
      const alpha = client(again.url, 'alpha');
      const names = async (): Promise<string[]> => {
        const listed: string[] = [];
        for await (const c of alpha.listConnections()) listed.push(c.name);
        return listed;
      };
      try {
        const afterCrash = await names();
        const acknowledged = [...before.acked, ...during.acked];
        // The create in flight was journalled before the compaction began: it may be there too.
        expect(afterCrash.slice(0, acknowledged.length)).toEqual(acknowledged);
        expect(afterCrash.slice(acknowledged.length)).toEqual(
          afterCrash.length > acknowledged.length ? [during.lost] : [],
        );
        expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

        // More writes, compactions on the way, then kill -9 from outside: nothing is lost either.
        const snapshotBefore = statSync(path.join(dir, 'state.json')).size;
        const after = await createUntilGone(again.url, 'after', 20);
        expect(after.lost).toBeUndefined();
        expect(statSync(path.join(dir, 'state.json')).size).toBeGreaterThan(snapshotBefore);
        again.child.kill('SIGKILL');
        expect((await again.exited).signal).toBe('SIGKILL');
        const third = await startCli(dir, ['--node', 'alpha=servicenow', '--node', 'beta=zendesk']);
        children.push(third.child);
        const alpha3 = client(third.url, 'alpha');
        try {
          const listed: string[] = [];
          for await (const c of alpha3.listConnections({ expand: ['triggers'] })) listed.push(c.name);
          expect(listed).toEqual([...afterCrash, ...after.acked]);
        } finally {
          await alpha3.close();
        }
      } finally {
        await alpha.close();
      }
    });
  },
);
