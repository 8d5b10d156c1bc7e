// Convergence under faults: what a run could not re-read is not a failure when the outputs file
// already holds it; records lost with an answer are rebuilt; a regeneration whose answer was lost
// is marked stale; a lock left by a dead run does not stand in the way.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { outputs, workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];
const PENDING = ['acme-freshservice/acme-to-partner-jira', 'acme-jira/jira-to-vendor'];

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.close();
});

async function apply(extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return ws.cli(['apply', ...FILE, '--yes', ...extra]);
}

function codes(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs(ws)).map(([k, v]) => [k, v.code]));
}

describe('re-reading pending codes', () => {
  test('every re-read failing is a warning, exit 0, when the outputs file holds the codes', async () => {
    expect((await apply()).code).toBe(0);
    const before = codes();
    ws.emulator.injectFaults({
      kind: 'status',
      status: 503,
      method: 'GET',
      path: /\/invitation$/,
      times: 1000,
    });
    const r = await apply();
    expect(r.code).toBe(0);
    const warned = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('exalate-iac apply: warning: '))
      .map((l) => l.split(': ')[2]);
    expect(warned.sort()).toEqual(PENDING);
    expect(codes()).toEqual(before);
    expect(ws.emulator.requests.some((q) => q.status === 503 && /\/invitation$/.test(q.path))).toBe(true);
  });

  test('without the codes in the outputs file, a failed re-read is a failure (exit 1)', async () => {
    expect((await apply()).code).toBe(0);
    rmSync(path.join(ws.dir, '.exalate', 'outputs.json'));
    ws.emulator.injectFaults({
      kind: 'status',
      status: 503,
      method: 'GET',
      path: /\/invitation$/,
      times: 1000,
    });
    const r = await apply();
    expect(r.code).toBe(1);
    ws.emulator.clearFaults();
    expect((await apply()).code).toBe(0);
    expect(Object.keys(codes()).sort()).toEqual(
      [...PENDING, 'acme-freshservice/service-desk-to-engineering'].sort(),
    );
  });
});

describe('records lost with an answer are rebuilt', () => {
  test('an acceptance whose answers were lost: the next run records it as accepted', async () => {
    ws.emulator.injectFaults({
      kind: 'lost-response',
      method: 'POST',
      path: '/invitations/accept',
      times: 2,
    });
    expect((await apply()).code).toBe(1);
    expect(outputs(ws)['acme-freshservice/service-desk-to-engineering']).toBeUndefined();
    const r = await apply();
    expect(r.code).toBe(0);
    expect(outputs(ws)['acme-freshservice/service-desk-to-engineering']).toMatchObject({
      status: 'accepted',
      accepted_on: 'acme-jira',
    });
  });
});

describe('a regeneration whose answer was lost', () => {
  test('leaves the entry marked stale, said by `output`, until the next apply re-reads the code', async () => {
    expect((await apply()).code).toBe(0);
    const old = outputs(ws)['acme-freshservice/acme-to-partner-jira']?.code as string;
    // Regenerating is retried (repeating it only revokes one more code): every answer is lost.
    ws.emulator.injectFaults({ kind: 'lost-response', method: 'POST', path: /\/invitation$/, times: 10 });
    const r = await ws.cli(['regenerate', 'acme-to-partner-jira', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(outputs(ws)['acme-freshservice/acme-to-partner-jira']).toMatchObject({ code: old, stale: true });

    const shown = await ws.cli(['output', 'acme-to-partner-jira', '--show-sensitive']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${old}\n`);
    expect(shown.stderr).toContain("warning: a regeneration of 'acme-to-partner-jira' did not complete");
    const json = await ws.cli(['output', '--json']);
    expect(
      (JSON.parse(json.stdout) as { invitations: Record<string, { stale?: boolean }> }).invitations[
        'acme-freshservice/acme-to-partner-jira'
      ]?.stale,
    ).toBe(true);

    expect((await apply()).code).toBe(0);
    const now = outputs(ws)['acme-freshservice/acme-to-partner-jira'];
    expect(now?.stale).toBeUndefined();
    expect(now?.code).not.toBe(old);
  });
});

describe('the outputs lock', () => {
  test('a lock left by a run that died on this host is taken over at once', async () => {
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('exit', () => resolve(child.pid as number));
    });
    mkdirSync(path.join(ws.dir, '.exalate'));
    const lock = path.join(ws.dir, '.exalate', 'outputs.json.lock');
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname() }));
    const r = await apply();
    expect(r.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(Object.keys(outputs(ws))).toHaveLength(3);
  });

  test('two runs on one outputs file: the second plans after the first finished, so nothing is done twice', async () => {
    const [a, b] = await Promise.all([apply(), apply()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const creates = ws.emulator.requests.filter((q) => q.method === 'POST' && q.path === '/connections');
    expect(creates).toHaveLength(3);
    expect(ws.emulator.requests.filter((q) => q.status === 409)).toEqual([]);
  });
});
