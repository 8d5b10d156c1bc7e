import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator } from '../../emulator/server';
import { NodeClient, jwtExpiry, type NodeClientOptions } from './client';
import { ExalateError } from './errors';
import { TokenBucket } from '../util/token-bucket';
import type { Connection, CreateConnectionRequest } from './types';

const TOKEN = 'node-token-3f9a1c7e5b2d';
const FS = 'acme-freshservice';
const JIRA = 'acme-jira';

interface Harness {
  emulator: Emulator;
  dir: string;
  logs: string[];
  sleeps: number[];
  client(node?: string, options?: Partial<NodeClientOptions>): NodeClient;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'exalate-client-'));
  const emulator = await startEmulator({ dataDir: dir, token: TOKEN, port: 0 });
  const clients: NodeClient[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  return {
    emulator,
    dir,
    logs,
    sleeps,
    client(node = FS, options = {}) {
      const c = new NodeClient({
        url: emulator.nodeUrl(node),
        token: TOKEN,
        retries: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 4 },
        timeouts: { connectMs: 2000, requestMs: 2000 },
        rateLimit: false,
        logger: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
        // Sleeps are recorded, not waited: backoff and Retry-After are asserted by value.
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...options,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function request(name: string, overrides: Partial<CreateConnectionRequest> = {}): CreateConnectionRequest {
  return {
    name,
    description: `about ${name}`,
    localShortName: 'acme',
    remoteShortName: 'partner',
    configurationType: 'SCRIPT',
    communication: { type: 'PRIVATE' },
    ...overrides,
  };
}

async function caught(promise: Promise<unknown>): Promise<ExalateError> {
  try {
    await promise;
  } catch (error) {
    if (ExalateError.isExalateError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function all(client: NodeClient, options = {}): Promise<Connection[]> {
  const out: Connection[] = [];
  for await (const c of client.listConnections(options)) out.push(c);
  return out;
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('NodeClient operations against the emulator', () => {
  test('info answers each node with its platform and URL', async () => {
    const fs = await h.client(FS).info();
    const jira = await h.client(JIRA).info();
    expect(fs).toEqual({
      platform: 'freshservice',
      nodeUrl: h.emulator.nodeUrl(FS),
      version: expect.any(String),
    });
    expect(jira.platform).toBe('jira-cloud');
  });

  test('create: private and public start PENDING with a code, local is ACTIVE without one', async () => {
    const c = h.client(FS);
    const priv = await c.createConnection(request('private-one'));
    expect(priv.connection).toMatchObject({ status: 'PENDING', role: 'INITIATOR', version: 1 });
    expect(priv.connection.communication).toEqual({ type: 'PRIVATE' });
    expect(priv.invitationCode).toEqual(expect.any(String));
    expect(priv.connection.invitationCreatedAt).toEqual(expect.any(String));
    const pub = await c.createConnection(
      request('public-one', { communication: { type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(JIRA) } }),
    );
    expect(pub.connection.status).toBe('PENDING');
    expect(pub.invitationCode).not.toBe(priv.invitationCode);
    const local = await c.createConnection(
      request('local-one', { configurationType: 'AI_ASSIST', communication: { type: 'LOCAL' } }),
    );
    expect(local.connection.status).toBe('ACTIVE');
    expect(local.invitationCode).toBeUndefined();
  });

  test('create refuses a duplicate name (409) and a mode the platform lacks (400) with the node message', async () => {
    const c = h.client(FS);
    await c.createConnection(request('dup'));
    const dup = await caught(c.createConnection(request('dup')));
    expect(dup.code).toBe('EXALATE_CONFLICT');
    expect(dup.status).toBe(409);
    expect(dup.message).toContain("'dup' already exists");
    const visual = await caught(c.createConnection(request('vis', { configurationType: 'VISUAL' })));
    expect(visual.code).toBe('EXALATE_BAD_REQUEST');
    expect(visual.serverMessage).toContain("mode 'visual' is not offered on freshservice");
    expect(visual.message).toMatch(
      /POST http:\/\/127\.0\.0\.1:\d+\/nodes\/acme-freshservice\/rest\/issuehub\/4\.0\/connections returned 400/,
    );
  });

  test('list walks every page and embeds rules and triggers on request', async () => {
    const c = h.client(FS);
    for (let i = 0; i < 23; i++) await c.createConnection(request(`conn-${String(i).padStart(2, '0')}`));
    h.emulator.clearRequests();
    const listed = await all(c, { limit: 10, expand: ['rules', 'triggers'] });
    expect(listed.map((x) => x.name)).toEqual(
      Array.from({ length: 23 }, (_, i) => `conn-${String(i).padStart(2, '0')}`),
    );
    expect(listed[0]?.rules).toEqual({ outgoing: '', incoming: '' });
    expect(listed[0]?.triggers).toEqual([]);
    const pages = h.emulator.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/connections?'));
    expect(pages).toHaveLength(3);
    const plain = await all(c);
    expect(plain[0]?.rules).toBeUndefined();
  });

  test('findConnectionByName finds exactly the named connection, undefined otherwise', async () => {
    const c = h.client(FS);
    await c.createConnection(request('alpha'));
    await c.createConnection(request('beta'));
    expect((await c.findConnectionByName('beta'))?.name).toBe('beta');
    expect(await c.findConnectionByName('gamma')).toBeUndefined();
  });

  test('get returns a connection; a missing one is EXALATE_NOT_FOUND with the id in the message', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('g'));
    // The create's answer embeds rules and triggers; a single read does not.
    const { rules: _rules, triggers: _triggers, ...plain } = connection;
    expect(await c.getConnection(connection.id)).toEqual(plain);
    const missing = await caught(c.getConnection(999));
    expect(missing.code).toBe('EXALATE_NOT_FOUND');
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('/connections/999');
    expect(missing.serverMessage).toBe('connection 999 not found');
  });

  test('update changes description and status, bumps the version, and honours If-Match', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(
      request('u', { configurationType: 'AI_ASSIST', communication: { type: 'LOCAL' } }),
    );
    const described = await c.updateConnection(connection.id, { description: 'new' }, connection.version);
    expect(described).toMatchObject({ description: 'new', version: (connection.version as number) + 1 });
    const stale = await caught(
      c.updateConnection(connection.id, { status: 'DEACTIVATED' }, connection.version),
    );
    expect(stale.code).toBe('EXALATE_PRECONDITION_FAILED');
    const paused = await c.updateConnection(connection.id, { status: 'DEACTIVATED' }, described.version);
    expect(paused.status).toBe('DEACTIVATED');
    expect((await c.updateConnection(connection.id, { status: 'ACTIVE' })).status).toBe('ACTIVE');
  });

  test('update of the status while PENDING is a conflict', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('p'));
    const error = await caught(c.updateConnection(connection.id, { status: 'ACTIVE' }));
    expect(error.code).toBe('EXALATE_CONFLICT');
    expect(error.serverMessage).toContain('waiting for its invitation');
  });

  test('delete removes the connection and resolves again when it is already gone', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('d'));
    await c.deleteConnection(connection.id, connection.version);
    await expect(c.deleteConnection(connection.id)).resolves.toBeUndefined();
    expect((await caught(c.getConnection(connection.id))).code).toBe('EXALATE_NOT_FOUND');
  });

  test('invitation: read, regenerate (old code revoked), accept on the other node, single use', async () => {
    const fs = h.client(FS);
    const jira = h.client(JIRA);
    const created = await fs.createConnection(request('inv'));
    const read = await fs.getInvitation(created.connection.id);
    expect(read.invitationCode).toBe(created.invitationCode);
    const fresh = await fs.regenerateInvitation(created.connection.id);
    expect(fresh.invitationCode).not.toBe(created.invitationCode);
    const revoked = await caught(jira.acceptInvitation({ invitationCode: created.invitationCode as string }));
    expect(revoked.code).toBe('EXALATE_GONE');
    const accepted = await jira.acceptInvitation({
      invitationCode: fresh.invitationCode,
      incomingScope: 'ENG',
    });
    expect(accepted).toMatchObject({
      name: 'inv',
      role: 'ACCEPTOR',
      status: 'ACTIVE',
      localShortName: 'partner',
      remoteShortName: 'acme',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE', remoteUrl: h.emulator.nodeUrl(FS) },
    });
    const initiator = await fs.getConnection(created.connection.id);
    expect(initiator.status).toBe('ACTIVE');
    expect(initiator.invitationCreatedAt).toBeUndefined();
    const again = await caught(jira.acceptInvitation({ invitationCode: fresh.invitationCode }));
    expect(again.code).toBe('EXALATE_CONFLICT');
    expect((await caught(fs.getInvitation(created.connection.id))).code).toBe('EXALATE_CONFLICT');
  });

  test('Visual: created without a code, accepted on the other node by its URL and id, once', async () => {
    const jira = h.client(JIRA);
    const fs = h.client(FS);
    const visual = request('vis', {
      configurationType: 'VISUAL',
      communication: { type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(FS) },
    });
    const created = await jira.createConnection(visual);
    expect(created.connection.status).toBe('PENDING');
    expect(created.invitationCode).toBeUndefined();
    expect((await caught(jira.getInvitation(created.connection.id))).serverCode).toBe('NO_INVITATION_CODE');
    const ask = { initiatorUrl: h.emulator.nodeUrl(JIRA), connectionId: created.connection.id };
    expect((await caught(jira.acceptConnectionRequest(ask))).serverCode).toBe('WRONG_NODE');
    const accepted = await fs.acceptConnectionRequest({ ...ask, incomingScope: 'OPS' });
    expect(accepted).toMatchObject({
      name: 'vis',
      role: 'ACCEPTOR',
      status: 'ACTIVE',
      incomingScope: 'OPS',
      remoteConnectionId: created.connection.id,
    });
    expect(await jira.getConnection(created.connection.id)).toMatchObject({
      status: 'ACTIVE',
      remoteConnectionId: accepted.id,
    });
    const again = await caught(fs.acceptConnectionRequest(ask));
    expect(again).toMatchObject({
      code: 'EXALATE_CONFLICT',
      serverCode: 'CONNECTION_REQUEST_ACCEPTED',
      connectionId: accepted.id,
    });
  });

  test('a public invitation is accepted only on the node its remoteUrl names', async () => {
    const fs = h.client(FS);
    const jira = h.client(JIRA);
    const toJira = await fs.createConnection(
      request('pub', { communication: { type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(JIRA) } }),
    );
    const onIssuer = await caught(fs.acceptInvitation({ invitationCode: toJira.invitationCode as string }));
    expect(onIssuer.code).toBe('EXALATE_CONFLICT');
    const accepted = await jira.acceptInvitation({ invitationCode: toJira.invitationCode as string });
    expect(accepted.communication).toEqual({ type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(FS) });
    const elsewhere = await fs.createConnection(
      request('pub-2', { communication: { type: 'PUBLIC', remoteUrl: 'https://vendor.example.com' } }),
    );
    const wrong = await caught(jira.acceptInvitation({ invitationCode: elsewhere.invitationCode as string }));
    expect(wrong.code).toBe('EXALATE_CONFLICT');
    expect(wrong.serverCode).toBe('WRONG_NODE');
    const bogus = await caught(jira.acceptInvitation({ invitationCode: 'not-a-real-code-at-all' }));
    expect(bogus.code).toBe('EXALATE_BAD_REQUEST');
  });

  test('rules: read and replace in Script mode; refused in AI Assist', async () => {
    const c = h.client(FS);
    const script = await c.createConnection(request('r'));
    expect(await c.getRules(script.connection.id)).toEqual({ outgoing: '', incoming: '' });
    const rules = {
      outgoing: 'replica.summary = issue.summary',
      incoming: 'issue.summary = replica.summary',
    };
    const after = await c.putRules(script.connection.id, rules, script.connection.version);
    expect(after.version).toBe((script.connection.version as number) + 1);
    expect(await c.getRules(script.connection.id)).toEqual(rules);
    const ai = await c.createConnection(request('ai', { configurationType: 'AI_ASSIST' }));
    const refused = await caught(c.getRules(ai.connection.id));
    expect(refused.code).toBe('EXALATE_CONFLICT');
    expect(refused.serverMessage).toContain('sync rules cannot be edited');
    expect((await caught(c.putRules(ai.connection.id, rules))).code).toBe('EXALATE_CONFLICT');
  });

  test('triggers: read and replace; duplicates refused', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('t'));
    const triggers = [{ entityType: 'ticket', query: 'priority:4', active: true, notes: 'urgent' }];
    const after = await c.putTriggers(connection.id, triggers, connection.version);
    expect(after.version).toBe(2);
    expect(await c.getTriggers(connection.id)).toEqual(triggers);
    const dup = await caught(c.putTriggers(connection.id, [...triggers, ...triggers]));
    expect(dup.code).toBe('EXALATE_BAD_REQUEST');
  });

  test('a connection put in ERROR by the emulator reads as ERROR with its message and recovers', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('e', { communication: { type: 'LOCAL' } }));
    h.emulator.setConnectionError(FS, connection.id, 'script error on line 3');
    const broken = await c.getConnection(connection.id);
    expect(broken).toMatchObject({ status: 'ERROR', errorMessage: 'script error on line 3' });
    const fixed = await c.updateConnection(connection.id, { status: 'ACTIVE' });
    expect(fixed.status).toBe('ACTIVE');
    expect(fixed.errorMessage).toBeUndefined();
  });
});

describe('NodeClient authentication', () => {
  test('a wrong token is EXALATE_UNAUTHORIZED and the token is not in the error', async () => {
    const c = h.client(FS, { token: 'wrong-token-abcdef' });
    const error = await caught(c.info());
    expect(error.code).toBe('EXALATE_UNAUTHORIZED');
    expect(error.status).toBe(401);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('wrong-token-abcdef');
  });

  test('the JWT is cached: one authentication for many calls', async () => {
    const c = h.client(FS);
    for (let i = 0; i < 5; i++) await c.info();
    expect(h.emulator.requests.filter((r) => r.path === '/authenticate')).toHaveLength(1);
  });

  test('a JWT refused by the node (401) is replaced once and the call succeeds', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.expireTokens();
    await expect(c.info()).resolves.toMatchObject({ platform: 'freshservice' });
    const auths = h.emulator.requests.filter((r) => r.path === '/authenticate');
    expect(auths).toHaveLength(2);
    expect(h.emulator.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  test('a JWT past its exp (milliseconds) is renewed before the call', async () => {
    let clock = Date.now();
    const c = h.client(FS, { now: () => clock, jwtRefreshMarginMs: 1000 });
    await c.info();
    clock += 2 * 3_600_000;
    await c.info();
    expect(h.emulator.requests.filter((r) => r.path === '/authenticate')).toHaveLength(2);
    expect(h.emulator.requests.some((r) => r.status === 401)).toBe(false);
  });

  test('jwtExpiry reads exp in milliseconds and converts seconds', () => {
    const jwt = (claims: object): string =>
      `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    expect(jwtExpiry(jwt({ exp: 1_900_000_000_000 }))).toBe(1_900_000_000_000);
    expect(jwtExpiry(jwt({ exp: 1_900_000_000 }))).toBe(1_900_000_000_000);
    expect(jwtExpiry('garbage')).toBeUndefined();
  });
});

describe('NodeClient resilience', () => {
  test.each([502, 503, 504])('an idempotent call is retried after %d', async (status) => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'status', status, path: '/info', times: 2 });
    await expect(c.info()).resolves.toMatchObject({ platform: 'freshservice' });
    expect(h.sleeps).toHaveLength(2);
    expect(h.logs.filter((l) => l.includes(`-> ${status}; retry`))).toHaveLength(2);
  });

  test('a connection reset on a read is retried', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'reset', path: '/info' });
    await expect(c.info()).resolves.toMatchObject({ platform: 'freshservice' });
    expect(h.sleeps).toHaveLength(1);
  });

  test('a request timeout on a read is retried', async () => {
    const c = h.client(FS, { timeouts: { connectMs: 2000, requestMs: 150 } });
    await c.info();
    h.emulator.injectFaults({ kind: 'slow', delayMs: 1000, path: '/info' });
    await expect(c.info()).resolves.toMatchObject({ platform: 'freshservice' });
    expect(h.logs.some((l) => l.includes('EXALATE_TIMEOUT'))).toBe(true);
  });

  test('429 honours Retry-After (seconds) over the backoff', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'rate-limit', retryAfter: 2, path: '/info' });
    await c.info();
    expect(h.sleeps).toEqual([2000]);
  });

  test('backoff grows exponentially with jitter, capped by maxDelayMs', async () => {
    const c = h.client(FS, {
      retries: { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 350 },
      random: () => 1,
    });
    await c.info();
    h.emulator.injectFaults({ kind: 'status', status: 503, path: '/info', times: 4 });
    await c.info();
    expect(h.sleeps).toEqual([100, 200, 350, 350]);
  });

  test('retries run out into a typed error with status and server message', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'status', status: 503, path: '/info', times: 10 });
    const error = await caught(c.info());
    expect(error).toMatchObject({ code: 'EXALATE_SERVER_ERROR', status: 503, attempts: 4 });
    expect(error.serverMessage).toContain('unavailable');
    h.emulator.clearFaults();
    h.emulator.injectFaults({ kind: 'rate-limit', retryAfter: 0, path: '/info', times: 10 });
    expect((await caught(c.info())).code).toBe('EXALATE_RATE_LIMITED');
  });

  test('the emulator rate limit answers 429 and the client waits Retry-After and succeeds', async () => {
    // Real sleeps here: the emulator's bucket refills with time.
    const waited: number[] = [];
    const c = h.client(FS, {
      sleep: (ms) => {
        waited.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    });
    await c.info();
    h.emulator.setRateLimit(2);
    for (let i = 0; i < 4; i++) await c.info();
    expect(h.emulator.requests.some((r) => r.status === 429)).toBe(true);
    // The emulator sends Retry-After in whole seconds: the client waited at least that long.
    expect(waited.some((ms) => ms >= 1000)).toBe(true);
  });

  test('the client-side token bucket spaces requests at the configured rate', async () => {
    let clock = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(
      10,
      2,
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    );
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(waits).toEqual([100, 100, 100]);
    expect(clock).toBe(300);
  });

  test('a client rate limit is applied to real calls', async () => {
    let clock = 0;
    const c = h.client(FS, {
      rateLimit: { requestsPerSecond: 5, burst: 1 },
      now: () => clock,
      sleep: async (ms) => {
        h.sleeps.push(ms);
        clock += ms;
      },
    });
    await c.info(); // authenticate + info
    await c.info();
    expect(h.sleeps).toEqual([200, 200]);
  });
});

describe('createConnection after an ambiguous failure never duplicates', () => {
  test('a lost response: the name is looked up and the connection returned with its code', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'lost-response', method: 'POST', path: '/connections' });
    const created = await c.createConnection(request('lost'));
    expect(created.connection.name).toBe('lost');
    const stored = h.emulator.connections(FS).filter((x) => x.name === 'lost');
    expect(stored).toHaveLength(1);
    expect(h.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/connections')).toHaveLength(
      1,
    );
    // The code was not in the lost answer: it is fetched from the invitation.
    expect(created.invitationCode).toEqual(expect.any(String));
    expect(created.invitationCode).toBe((await c.getInvitation(created.connection.id)).invitationCode);
  });

  test('a timeout after the node created it: looked up, not repeated', async () => {
    const c = h.client(FS, { timeouts: { connectMs: 2000, requestMs: 150 } });
    await c.info();
    h.emulator.injectFaults({ kind: 'slow', delayMs: 1000, method: 'POST', path: '/connections' });
    const created = await c.createConnection(request('slow', { communication: { type: 'LOCAL' } }));
    expect(created.connection.status).toBe('ACTIVE');
    expect(created.invitationCode).toBeUndefined();
    expect(h.emulator.connections(FS).filter((x) => x.name === 'slow')).toHaveLength(1);
  });

  test.each([500, 502, 503])('a %d: looked up first; not found, so created once', async (status) => {
    const c = h.client(FS);
    await c.info();
    h.emulator.injectFaults({ kind: 'status', status, method: 'POST', path: '/connections' });
    const created = await c.createConnection(request('five'));
    expect(created.invitationCode).toEqual(expect.any(String));
    expect(h.emulator.connections(FS).filter((x) => x.name === 'five')).toHaveLength(1);
    const order = h.emulator.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);
    expect(order.slice(-3)).toEqual([
      `POST /connections ${status}`,
      'GET /connections 200',
      'POST /connections 201',
    ]);
  });

  test('a reset before the node did anything: looked up, then created once', async () => {
    const c = h.client(FS);
    await c.info();
    h.emulator.clearRequests();
    h.emulator.injectFaults({ kind: 'reset', method: 'POST', path: '/connections' });
    await c.createConnection(request('reset'));
    expect(h.emulator.connections(FS).filter((x) => x.name === 'reset')).toHaveLength(1);
    // Reset, then the name looked up (not found), then created.
    expect(h.emulator.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`)).toEqual([
      'POST /connections 0',
      'GET /connections 200',
      'POST /connections 201',
    ]);
  });

  test('under a random fault rate every create lands exactly once', async () => {
    const c = h.client(FS, { retries: { maxRetries: 8, baseDelayMs: 1, maxDelayMs: 2 } });
    await c.info();
    h.emulator.setFaultRate(0.3, 42);
    for (let i = 0; i < 12; i++) await c.createConnection(request(`chaos-${i}`));
    h.emulator.setFaultRate(0);
    const names = h.emulator.connections(FS).map((x) => x.name);
    expect(names.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `chaos-${i}`).sort());
    expect(h.emulator.requests.some((r) => r.fault !== undefined)).toBe(true);
  });

  test('a lost acceptance answer: the retry finds the connection this node made', async () => {
    const fs = h.client(FS);
    const jira = h.client(JIRA);
    const created = await fs.createConnection(request('acc'));
    await jira.info();
    h.emulator.injectFaults({ kind: 'lost-response', node: JIRA, path: '/invitations/accept' });
    const accepted = await jira.acceptInvitation({ invitationCode: created.invitationCode as string });
    expect(accepted).toMatchObject({ name: 'acc', role: 'ACCEPTOR' });
    expect(h.emulator.connections(JIRA).filter((x) => x.name === 'acc')).toHaveLength(1);
  });

  test('a lost answer to a Visual create: looked up, adopted without a code (it has none)', async () => {
    const jira = h.client(JIRA);
    await jira.info();
    h.emulator.injectFaults({ kind: 'lost-response', method: 'POST', path: '/connections' });
    const created = await jira.createConnection(
      request('lost-vis', {
        configurationType: 'VISUAL',
        communication: { type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(FS) },
      }),
    );
    expect(created).toEqual({ connection: expect.objectContaining({ name: 'lost-vis', status: 'PENDING' }) });
    expect(h.emulator.requests.some((r) => r.path.endsWith('/invitation'))).toBe(false);
  });

  test('a lost acceptance answer of a Visual connection: the retry finds the connection this node made', async () => {
    const jira = h.client(JIRA);
    const fs = h.client(FS);
    const created = await jira.createConnection(
      request('acc-vis', {
        configurationType: 'VISUAL',
        communication: { type: 'PUBLIC', remoteUrl: h.emulator.nodeUrl(FS) },
      }),
    );
    await fs.info();
    h.emulator.injectFaults({ kind: 'lost-response', node: FS, path: '/connection-requests/accept' });
    const accepted = await fs.acceptConnectionRequest({
      initiatorUrl: h.emulator.nodeUrl(JIRA),
      connectionId: created.connection.id,
    });
    expect(accepted).toMatchObject({ name: 'acc-vis', role: 'ACCEPTOR', status: 'ACTIVE' });
    expect(h.emulator.connections(FS).filter((x) => x.name === 'acc-vis')).toHaveLength(1);
  });

  test('a lost update answer with If-Match: the retry meets 412 and returns the applied change', async () => {
    const c = h.client(FS);
    const { connection } = await c.createConnection(request('lu'));
    h.emulator.clearRequests();
    h.emulator.injectFaults({ kind: 'lost-response', method: 'PATCH' });
    const updated = await c.updateConnection(connection.id, { description: 'changed' }, connection.version);
    expect(updated).toMatchObject({ description: 'changed', version: (connection.version as number) + 1 });
    expect(h.emulator.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([0, 412]);
    h.emulator.injectFaults({ kind: 'lost-response', method: 'PUT' });
    const rules = { outgoing: 'a', incoming: 'b' };
    expect((await c.putRules(connection.id, rules, updated.version)).version).toBe(
      (updated.version as number) + 1,
    );
  });
});

describe('secrets never leave the client', () => {
  test('no token, JWT or invitation code in any error or log line', async () => {
    const c = h.client(FS);
    const jira = h.client(JIRA);
    const errors: ExalateError[] = [];
    const keep = async (p: Promise<unknown>): Promise<void> => {
      try {
        await p;
      } catch (e) {
        if (ExalateError.isExalateError(e)) errors.push(e);
        else throw e;
      }
    };
    const created = await c.createConnection(request('secret'));
    const code = created.invitationCode as string;
    const regenerated = (await c.regenerateInvitation(created.connection.id)).invitationCode;
    h.emulator.injectFaults({ kind: 'status', status: 503, times: 2 }, { kind: 'reset' });
    await keep(c.getInvitation(created.connection.id));
    await keep(jira.acceptInvitation({ invitationCode: code })); // revoked: 410
    await jira.acceptInvitation({ invitationCode: regenerated });
    await keep(jira.acceptInvitation({ invitationCode: regenerated })); // used: 409
    await keep(h.client(FS, { token: `${TOKEN}-wrong` }).info());
    h.emulator.expireTokens();
    await c.info();
    await keep(c.getConnection(404));
    expect(errors.length).toBeGreaterThanOrEqual(4);
    const jwts = h.logs.join('\n').match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? [];
    expect(jwts).toEqual([]);
    const text = [
      ...h.logs,
      ...errors.flatMap((e) => [e.message, e.serverMessage ?? '', JSON.stringify(e), String(e.stack)]),
    ].join('\n');
    expect(h.logs.length).toBeGreaterThan(5);
    for (const secret of [TOKEN, code, regenerated]) expect(text).not.toContain(secret);
  });
});

describe('NodeClient URL safety', () => {
  test('refuses plain http to a non-loopback host unless allowed', () => {
    expect(() => new NodeClient({ url: 'http://exalate.example.com', token: 't' })).toThrow(
      expect.objectContaining({ code: 'EXALATE_INSECURE_URL' }),
    );
    const allowed = new NodeClient({
      url: 'http://exalate.example.com',
      token: 't',
      allowInsecureHttp: true,
    });
    expect(allowed.url).toBe('http://exalate.example.com');
    void allowed.close();
    const loopback = new NodeClient({ url: 'http://localhost:9/nodes/x/', token: 't' });
    expect(loopback.url).toBe('http://localhost:9/nodes/x');
    void loopback.close();
    expect(() => new NodeClient({ url: 'ftp://x', token: 't' })).toThrow(
      expect.objectContaining({ code: 'EXALATE_INSECURE_URL' }),
    );
  });

  test('a refused connection is EXALATE_NETWORK after retries, not ambiguous', async () => {
    const port = h.emulator.port;
    await h.emulator.close();
    const c = h.client(FS, { url: `http://127.0.0.1:${port}/nodes/${FS}` });
    const before = h.sleeps.length;
    const error = await caught(c.createConnection(request('nobody')));
    expect(error.code).toBe('EXALATE_NETWORK');
    expect(error.ambiguous).toBe(false);
    // maxRetries is 3 in this harness: three backoff waits before giving up.
    expect(h.sleeps.length - before).toBe(3);
  });
});

describe('redaction of what a node echoes back', () => {
  test('a node that echoes the token, the JWT and a code in its errors cannot leak them', async () => {
    const { createServer } = await import('node:http');
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: Date.now() + 60_000 })).toString('base64url')}.c2lnbmF0dXJl`;
    const code = 'INVITATION-CODE-0123456789';
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url?.endsWith('/authenticate')) {
          res.writeHead(200, { 'X-Exalate-Jwt': jwt, 'content-type': 'application/json' });
          res.end('{}');
          return;
        }
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            message: `refused ${body} with ${String(req.headers['x-exalate-jwt'])} and ${TOKEN}`,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const c = h.client(FS, { url: `http://127.0.0.1:${port}/node` });
      const error = await caught(c.acceptInvitation({ invitationCode: code }));
      expect(error.code).toBe('EXALATE_CONFLICT');
      const text = [error.message, error.serverMessage, JSON.stringify(error), ...h.logs].join('\n');
      expect(text).toContain('[REDACTED]');
      for (const secret of [TOKEN, jwt, code]) expect(text).not.toContain(secret);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
