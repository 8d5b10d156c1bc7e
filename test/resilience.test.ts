import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from '../provider/api/types';
import { BIN } from './helpers';
import { workspace, Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];
const EXPECTED = {
  'acme-freshservice': ['acme-to-partner-jira', 'service-desk-to-engineering'],
  'acme-jira': ['jira-to-vendor', 'service-desk-to-engineering'],
};

/** Every node holds exactly the expected connections: none missing, none twice. */
async function expectConverged(ws: Workspace): Promise<void> {
  for (const [node, names] of Object.entries(EXPECTED)) {
    const live: Connection[] = await ws.list(node);
    expect(live.map((c) => c.name).sort()).toEqual(names);
  }
  const plan = await ws.cli(['plan', ...FILE, '--detailed-exitcode', '--format', 'json']);
  expect(JSON.parse(plan.stdout).summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
  expect(plan.code).toBe(0);
}

const printed = new WeakMap<Workspace, string>();

/** Apply until it succeeds (bounded): a rerun must converge. Everything printed is kept. */
async function applyUntilGreen(ws: Workspace, tries: number): Promise<number> {
  for (let i = 1; i <= tries; i++) {
    const r = await ws.cli(['apply', ...FILE, '--yes']);
    printed.set(ws, (printed.get(ws) ?? '') + r.stdout + r.stderr);
    if (r.code === 0) return i;
  }
  return tries + 1;
}

/** Both pending codes are in the outputs file, and neither they nor the token were ever printed. */
function expectCodesKeptAndHidden(ws: Workspace): void {
  const outputs = JSON.parse(readFileSync(path.join(ws.dir, '.exalate', 'outputs.json'), 'utf8'));
  const codes = Object.values(outputs.invitations as Record<string, { code?: string }>).flatMap((i) =>
    i.code ? [i.code] : [],
  );
  expect(codes).toHaveLength(2);
  const text = printed.get(ws) ?? '';
  for (const secret of [ws.token, ...codes]) expect(text).not.toContain(secret);
}

describe('faults at a high injected rate', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace({ faultRate: 0.3, seed: 7 });
  });
  afterAll(async () => {
    await ws.close();
  });

  test('5xx, resets, lost create answers and 429s: reruns converge with no duplicate and nothing lost', async () => {
    // Deterministic extras on top of the random 30%: a create whose answer is lost, and 429s.
    ws.emulator.injectFaults(
      { kind: 'lost-response', method: 'POST', path: '/connections', times: 2 },
      { kind: 'rate-limit', retryAfter: 1, times: 2 },
    );
    const runs = await applyUntilGreen(ws, 6);
    expect(runs).toBeLessThanOrEqual(6);
    // Every fault class really happened during the applies.
    const faults = new Set(ws.emulator.requests.map((r) => r.fault).filter(Boolean));
    const lostCreates = ws.emulator.requests.filter(
      (r) => r.fault === 'lost-response' && r.method === 'POST' && r.path.startsWith('/connections'),
    );
    ws.emulator.setFaultRate(0);
    ws.emulator.clearFaults();
    expect(lostCreates.length).toBeGreaterThanOrEqual(1);
    expect([...faults].sort()).toEqual(expect.arrayContaining(['lost-response', 'rate-limit', 'reset']));
    expect(ws.emulator.requests.some((r) => r.status === 502 || r.status === 503)).toBe(true);
    await expectConverged(ws);
    expectCodesKeptAndHidden(ws);
  });
});

describe('a crash mid-apply', () => {
  test('kill -9 during apply, then a rerun finishes the job with no duplicate', async () => {
    const ws = await workspace({ latencyMs: 120 });
    try {
      // One connection at a time, so the kill lands between the first and the last.
      const child = spawn(process.execPath, [BIN, 'apply', ...FILE, '--yes', '--parallelism', '1'], {
        cwd: ws.dir,
        env: ws.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          // The first connection is done; the others are mid-flight.
          if (/\[1\/3\]/.test(out)) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        void exited.then(() => resolve());
      });
      expect(await exited).toBe('SIGKILL');
      const half = [...(await ws.list('acme-freshservice')), ...(await ws.list('acme-jira'))];
      expect(half.length).toBeLessThan(4);
      ws.emulator.setLatency(0);
      expect(await applyUntilGreen(ws, 1)).toBe(1);
      await expectConverged(ws);
      expectCodesKeptAndHidden(ws);
    } finally {
      await ws.close();
    }
  });
});

describe('two applies at once', () => {
  test('produce no duplicate, and a rerun is clean', async () => {
    const ws = await workspace({ latencyMs: 10 });
    try {
      const [a, b] = await Promise.all([
        ws.cli(['apply', ...FILE, '--yes']),
        ws.cli(['apply', ...FILE, '--yes']),
      ]);
      // At least one finishes; the other may report a conflict it could not resolve, never a duplicate.
      expect([a.code, b.code]).toContain(0);
      expect(await applyUntilGreen(ws, 1)).toBe(1);
      await expectConverged(ws);
      const outputs = JSON.parse(readFileSync(path.join(ws.dir, '.exalate', 'outputs.json'), 'utf8'));
      expect(Object.keys(outputs.invitations).sort()).toEqual([
        'acme-freshservice/acme-to-partner-jira',
        'acme-freshservice/service-desk-to-engineering',
        'acme-jira/jira-to-vendor',
      ]);
    } finally {
      await ws.close();
    }
  });
});
