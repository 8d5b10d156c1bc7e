/**
 * Hardening of the emulator (from the security review): JWTs accepted only exactly as issued,
 * malformed percent-encoding answered 400/404 (never 500), the rate limit spent only by
 * authenticated callers, node names that are `Object.prototype` properties never resolving, and a
 * bounded request log.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Platform } from '../provider/model/platforms';
import { API_BASE, startEmulator, type Emulator, type EmulatorOptions } from './server';
import { actions, planJson, workspace } from '../test/reconcile-helpers';

const TOKEN = 'hardening-token-9f8e7d';
const FS = 'acme-freshservice';
const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
];

let dir: string;
let emulator: Emulator;
async function start(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  dir = mkdtempSync(path.join(tmpdir(), 'exalate-hardening-'));
  emulator = await startEmulator({ dataDir: dir, token: TOKEN, ...options });
  return emulator;
}
afterEach(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A request with the path sent exactly as written (no URL normalisation on the way). */
function raw(
  method: string,
  rawPath: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }> {
  const url = new URL(emulator.url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: rawPath,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(options.headers ?? {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const api = (node: string, p: string): string => `/nodes/${node}${API_BASE}${p}`;

async function jwtFor(node: string): Promise<string> {
  const res = await raw('POST', api(node, '/authenticate'), {
    body: { authProtocol: 'basic', user: '', password: TOKEN },
  });
  expect(res.status).toBe(200);
  return res.headers['x-exalate-jwt'] as string;
}

describe('JWTs', () => {
  test('only the exact base64url text issued is accepted', async () => {
    await start();
    const jwt = await jwtFor(FS);
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const info = (token: string): Promise<number> =>
      raw('GET', api(FS, '/info'), { headers: { 'X-exalate-jwt': token } }).then((r) => r.status);
    expect(await info(jwt)).toBe(200);
    const standard = Buffer.from(signature, 'base64url').toString('base64');
    expect(standard).not.toBe(signature);
    expect(await info(`${header}.${payload}.${standard}`)).toBe(401);
    expect(await info(`${header}.${payload}.${signature}=`)).toBe(401);
    expect(await info(`${header}.${payload}.${signature}==`)).toBe(401);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await info(`${none}.${payload}.`)).toBe(401);
    expect(await info(`${none}.${payload}.${signature}`)).toBe(401);
  });
});

describe('malformed paths', () => {
  test.each([
    ['/nodes/%E0%A4%A/rest/issuehub/4.0/info', 400],
    ['/nodes/%/rest/issuehub/4.0/authenticate', 400],
    ['/nodes/%E0%A4%A', 400],
    ['http://[', 400],
    [`/nodes/${FS}/rest/issuehub/4.0/connections/%E0%A4%A`, 404],
    [`/nodes/${FS}/rest/issuehub/4.0/connections/%E0%A4%A/rules`, 404],
  ])('%s answers %d with {message, code}, and the emulator goes on', async (p, status) => {
    await start();
    const jwt = await jwtFor(FS);
    const res = await raw('GET', p, { headers: { 'X-exalate-jwt': jwt } });
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ message: expect.any(String), code: expect.any(String) });
    expect((await raw('GET', api(FS, '/info'), { headers: { 'X-exalate-jwt': jwt } })).status).toBe(200);
  });
});

describe('names that are Object.prototype properties', () => {
  test.each(PROTOTYPE_NAMES)('/nodes/%s/… is no node: 404 before and after authentication', async (name) => {
    await start();
    const jwt = await jwtFor(FS);
    const auth = await raw('POST', api(name, '/authenticate'), {
      body: { authProtocol: 'basic', user: '', password: TOKEN },
    });
    expect(auth.status).toBe(404);
    expect(auth.headers['x-exalate-jwt']).toBeUndefined();
    for (const p of ['/info', '/connections', '/connections/1']) {
      expect((await raw('GET', api(name, p), { headers: { 'X-exalate-jwt': jwt } })).status).toBe(404);
    }
    expect(() => emulator.connections(name)).toThrow(/not emulated/);
    expect(emulator.nodes).not.toContain(name);
  });

  test('a node may be called constructor, and toString is still no node', async () => {
    const nodes = new Map<string, Platform>([
      ['constructor', 'jira-cloud'],
      ['acme-jira', 'jira-cloud'],
    ]);
    await start({ nodes: Object.fromEntries(nodes) });
    expect([...emulator.nodes].sort()).toEqual(['acme-jira', 'constructor']);
    const jwt = await jwtFor('constructor');
    const created = await raw('POST', api('constructor', '/connections'), {
      headers: { 'X-exalate-jwt': jwt },
      body: {
        name: 'ok',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'BASIC',
        communication: { type: 'LOCAL' },
      },
    });
    expect(created.status).toBe(201);
    expect(emulator.connections('constructor').map((c) => c.name)).toEqual(['ok']);
    expect((await raw('GET', api('toString', '/info'), { headers: { 'X-exalate-jwt': jwt } })).status).toBe(
      404,
    );
  });
});

describe('the rate limit', () => {
  test('is spent only by authenticated requests; a 429 is recorded as the rate-limit fault', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    await start({ rateLimit: 1, now: () => clock });
    const jwt = await jwtFor(FS); // spends the one token there is
    // A flood without valid credentials: no JWT, a forged one, a wrong token. None is a 429.
    const forged = `${jwt.slice(0, -2)}${jwt.endsWith('xx') ? 'yy' : 'xx'}`;
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      statuses.add((await raw('GET', api(FS, '/connections'))).status);
      statuses.add((await raw('GET', api(FS, '/info'), { headers: { 'X-exalate-jwt': forged } })).status);
      statuses.add(
        (
          await raw('POST', api(FS, '/authenticate'), {
            body: { authProtocol: 'basic', user: '', password: 'wrong' },
          })
        ).status,
      );
    }
    expect([...statuses]).toEqual([401]);
    // One second later the token holder has its one request back: the flood took none of it.
    clock += 1000;
    expect((await raw('GET', api(FS, '/info'), { headers: { 'X-exalate-jwt': jwt } })).status).toBe(200);
    const limited = await raw('GET', api(FS, '/info'), { headers: { 'X-exalate-jwt': jwt } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(emulator.requests.filter((r) => r.status === 429)).toEqual([
      { node: FS, method: 'GET', path: '/info', status: 429, fault: 'rate-limit' },
    ]);
    // Authenticating again does not refill it: the budget belongs to the credential, not the JWT.
    expect(
      (
        await raw('POST', api(FS, '/authenticate'), {
          body: { authProtocol: 'basic', user: '', password: TOKEN },
        })
      ).status,
    ).toBe(429);
  });

  test('a flood of unauthenticated requests does not make a real plan fail', async () => {
    const ws = await workspace({ rateLimit: 20 });
    try {
      for (let i = 0; i < 200; i++) {
        await fetch(`${ws.emulator.nodeUrl(FS)}${API_BASE}/connections`);
      }
      const plan = await planJson(ws, ['--detailed-exitcode']);
      expect(plan.code).toBe(2);
      expect(actions(plan.json).length).toBeGreaterThan(0);
      expect(ws.emulator.requests.filter((r) => r.status === 429)).toEqual([]);
    } finally {
      await ws.close();
    }
  });
});

describe('the request log', () => {
  test('keeps only the most recent requests', async () => {
    await start({ requestLogLimit: 5 });
    const jwt = await jwtFor(FS);
    for (let i = 1; i <= 8; i++) {
      await raw('GET', api(FS, `/connections?offset=${i}`), { headers: { 'X-exalate-jwt': jwt } });
    }
    expect(emulator.requests.map((r) => r.path)).toEqual(
      [4, 5, 6, 7, 8].map((i) => `/connections?offset=${i}`),
    );
  });
});
