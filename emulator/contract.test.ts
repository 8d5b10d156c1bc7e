/**
 * Contract tests: every answer of the emulator is checked against the response schema that
 * `schemas/exalate-node-api.openapi.yaml` documents for its operation and status.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { API_BASE, startEmulator, type Emulator } from './server';

const TOKEN = 'contract-token-77aa99';
const SPEC_FILE = path.join(__dirname, '..', 'schemas', 'exalate-node-api.openapi.yaml');

interface Operation {
  operationId: string;
  'x-exalate-source'?: string;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}
type Spec = {
  paths: Record<string, Record<string, Operation | unknown>>;
  components: Record<string, Record<string, unknown>>;
};

const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as Spec;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec as object, 'node-api');

const pointer = (...parts: string[]): string =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The documented template for a concrete API path (`/connections/12/rules` → `/connections/{id}/rules`). */
function template(apiPath: string): string | undefined {
  return Object.keys(spec.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(apiPath.split('?')[0] ?? ''),
  );
}

const exercised = new Set<string>();

function check(method: string, apiPath: string, status: number, body: unknown): void {
  const t = template(apiPath);
  if (!t) throw new Error(`${method} ${apiPath} is not in the OpenAPI document`);
  const op = spec.paths[t]?.[method.toLowerCase()] as Operation | undefined;
  if (!op) throw new Error(`${method} ${t} is not in the OpenAPI document`);
  const response = op.responses[String(status)];
  if (!response) throw new Error(`${method} ${t} answered ${status}, which the document does not list`);
  exercised.add(`${op.operationId} ${status}`);
  let ref: string;
  if (response.$ref) {
    const name = response.$ref.split('/').pop() as string;
    const resolved = spec.components.responses?.[name] as Operation['responses'][string];
    if (!resolved.content) return;
    ref = `node-api#/${pointer('components', 'responses', name, 'content', 'application/json', 'schema')}`;
  } else {
    if (!response.content) {
      expect(body).toBeUndefined();
      return;
    }
    ref = `node-api#/${pointer('paths', t, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`;
  }
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(body)) {
    throw new Error(
      `${method} ${apiPath} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
}

let emulator: Emulator;
let dir: string;
const jwts = new Map<string, string>();

async function call(
  node: string,
  method: string,
  apiPath: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth !== false && apiPath !== '/authenticate') {
    let jwt = jwts.get(node);
    if (!jwt) {
      const res = await call(node, 'POST', '/authenticate', {
        body: { authProtocol: 'basic', user: '', password: TOKEN },
      });
      jwt = res.headers.get('x-exalate-jwt') as string;
      jwts.set(node, jwt);
    }
    headers['X-exalate-jwt'] = jwt;
  }
  let payload: string | undefined = options.raw;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emulator.nodeUrl(node)}${API_BASE}${apiPath}`, {
    method,
    headers,
    body: payload,
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  check(method, apiPath, res.status, body);
  return { status: res.status, headers: res.headers, body };
}

/** The operations of the document. */
function operations(): Operation[] {
  return Object.values(spec.paths).flatMap((item) =>
    Object.entries(item)
      .filter(([k]) => k !== 'parameters')
      .map(([, op]) => op as Operation),
  );
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.x and tags every operation observed or modeled', () => {
    expect(String((spec as unknown as { openapi: string }).openapi)).toMatch(/^3\./);
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(14);
    for (const op of ops) expect(['observed', 'modeled']).toContain(op['x-exalate-source']);
    const observed = ops.filter((o) => o['x-exalate-source'] === 'observed').map((o) => o.operationId);
    expect(observed.sort()).toEqual(['authenticate', 'listConnections']);
  });

  test('the checker rejects a body that breaks the schema (so the contract tests can fail)', () => {
    expect(() => check('GET', '/connections/1', 200, { id: 'one', name: 'x' })).toThrow(
      /must have required property/,
    );
    expect(() => check('GET', '/connections', 200, { total: 1, results: [{}] })).toThrow(/results/);
    expect(() => check('GET', '/connections/1', 404, {})).toThrow(/message/);
    expect(() => check('GET', '/connections/1', 418, {})).toThrow(/does not list/);
    exercised.clear();
  });
});

describe('emulator answers match the OpenAPI document', () => {
  const FS = 'acme-freshservice';
  const JIRA = 'acme-jira';
  // A fresh emulator for every test, so each passes alone and in any order.
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'exalate-contract-'));
    emulator = await startEmulator({ dataDir: dir, token: TOKEN, port: 0 });
    jwts.clear();
    exercised.clear();
  });
  afterEach(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('authentication: JWT in X-Exalate-Jwt with exp in ms; 401 without or with a wrong token', async () => {
    const ok = await call(FS, 'POST', '/authenticate', {
      body: { authProtocol: 'basic', user: '', password: TOKEN },
    });
    expect(ok.status).toBe(200);
    const jwt = ok.headers.get('x-exalate-jwt') as string;
    const [header, payload, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header as string, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as { exp: number };
    expect(claims.exp).toBeGreaterThan(1e12);
    expect(signature).toMatch(/^[\w-]{20,}$/);
    expect(
      (
        await call(FS, 'POST', '/authenticate', {
          body: { authProtocol: 'basic', user: '', password: 'nope-nope' },
        })
      ).status,
    ).toBe(401);
    expect((await call(FS, 'GET', '/connections', { auth: false })).status).toBe(401);
    expect(
      (await call(FS, 'GET', '/connections', { auth: false, headers: { 'X-exalate-jwt': `${jwt}x` } }))
        .status,
    ).toBe(401);
    // A JWT of one node is not valid on another.
    expect(
      (await call(JIRA, 'GET', '/info', { auth: false, headers: { 'X-exalate-jwt': jwt } })).status,
    ).toBe(401);
  });

  test('the whole lifecycle, every operation', async () => {
    expect((await call(FS, 'GET', '/info')).status).toBe(200);
    expect((await call(JIRA, 'GET', '/connections')).body).toMatchObject({ total: 0, results: [] });
    const create = await call(FS, 'POST', '/connections', {
      body: {
        name: 'c1',
        description: 'd',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(JIRA) },
      },
    });
    expect(create.status).toBe(201);
    const created = create.body as { connection: { id: number; version: number }; invitationCode: string };
    const id = created.connection.id;
    expect(create.headers.get('etag')).toBe('"1"');
    expect((await call(FS, 'GET', `/connections/${id}`)).status).toBe(200);
    expect(
      (await call(FS, 'GET', '/connections?offset=0&limit=1&expand=rules,triggers&name=c1')).status,
    ).toBe(200);
    expect((await call(FS, 'GET', `/connections/${id}/invitation`)).status).toBe(200);
    const regen = await call(FS, 'POST', `/connections/${id}/invitation`);
    const code = (regen.body as { invitationCode: string }).invitationCode;
    expect((await call(FS, 'PATCH', `/connections/${id}`, { body: { status: 'ACTIVE' } })).status).toBe(409);
    expect(
      (await call(FS, 'PUT', `/connections/${id}/rules`, { body: { outgoing: 'o', incoming: 'i' } })).status,
    ).toBe(200);
    expect((await call(FS, 'GET', `/connections/${id}/rules`)).body).toEqual({
      outgoing: 'o',
      incoming: 'i',
    });
    const triggers = [{ entityType: 'ticket', query: 'tag:x', active: true, notes: '' }];
    expect((await call(FS, 'PUT', `/connections/${id}/triggers`, { body: triggers })).status).toBe(200);
    expect((await call(FS, 'GET', `/connections/${id}/triggers`)).body).toEqual(triggers);
    expect(
      (await call(JIRA, 'POST', '/invitations/accept', { body: { invitationCode: created.invitationCode } }))
        .status,
    ).toBe(410);
    const accept = await call(JIRA, 'POST', '/invitations/accept', {
      body: { invitationCode: code, incomingScope: 'ENG' },
    });
    expect(accept.status).toBe(201);
    const replay = await call(JIRA, 'POST', '/invitations/accept', { body: { invitationCode: code } });
    expect(replay.body).toMatchObject({
      code: 'INVITATION_USED',
      connectionId: (accept.body as { id: number }).id,
    });
    expect(
      (await call(FS, 'POST', '/invitations/accept', { body: { invitationCode: code } })).body,
    ).not.toHaveProperty('connectionId');
    const current = (await call(FS, 'GET', `/connections/${id}`)).body as { version: number; status: string };
    expect(current.status).toBe('ACTIVE');
    expect((await call(FS, 'GET', `/connections/${id}/invitation`)).status).toBe(409);
    const stale = await call(FS, 'PATCH', `/connections/${id}`, {
      body: { status: 'DEACTIVATED' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const patched = await call(FS, 'PATCH', `/connections/${id}`, {
      body: { status: 'DEACTIVATED', description: 'paused' },
      headers: { 'If-Match': `"${current.version}"` },
    });
    expect(patched.body).toMatchObject({ status: 'DEACTIVATED', version: current.version + 1 });
    expect((await call(FS, 'DELETE', `/connections/${id}`, { headers: { 'If-Match': '1' } })).status).toBe(
      412,
    );
    expect((await call(FS, 'DELETE', `/connections/${id}`)).status).toBe(204);
    expect((await call(FS, 'DELETE', `/connections/${id}`)).status).toBe(404);
    expect((await call(FS, 'GET', `/connections/${id}`)).status).toBe(404);

    // Visual: created without a code, accepted on the other node by the initiator's URL and id.
    const visual = await call(JIRA, 'POST', '/connections', {
      body: {
        name: 'v1',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'VISUAL',
        communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(FS) },
      },
    });
    const visualId = (visual.body as { connection: { id: number } }).connection.id;
    expect(
      (
        await call(FS, 'POST', '/connection-requests/accept', {
          body: { initiatorUrl: emulator.nodeUrl(JIRA), connectionId: visualId },
        })
      ).status,
    ).toBe(201);

    // Every operation of the document answered with a success.
    for (const op of operations()) {
      const ok = [...exercised].some((e) => e.startsWith(`${op.operationId} 2`));
      expect(`${op.operationId}: ${ok ? 'exercised' : 'missing'}`).toBe(`${op.operationId}: exercised`);
    }
  });

  test('Visual mode: no invitation code; accepted on the other node without one, once', async () => {
    const request = {
      name: 'visual',
      description: 'd',
      localShortName: 'jira',
      remoteShortName: 'fs',
      configurationType: 'VISUAL',
      communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(FS) },
    };
    const create = await call(JIRA, 'POST', '/connections', { body: request });
    expect(create.status).toBe(201);
    expect(create.body).not.toHaveProperty('invitationCode');
    const initiator = (create.body as { connection: { id: number; status: string } }).connection;
    expect(initiator.status).toBe('PENDING');
    expect(create.body).not.toHaveProperty('connection.invitationCreatedAt');
    for (const method of ['GET', 'POST'])
      expect(await call(JIRA, method, `/connections/${initiator.id}/invitation`)).toMatchObject({
        status: 409,
        body: { code: 'NO_INVITATION_CODE' },
      });

    const accept = (node: string, body: Record<string, unknown>) =>
      call(node, 'POST', '/connection-requests/accept', { body });
    const ask = { initiatorUrl: emulator.nodeUrl(JIRA), connectionId: initiator.id };
    const refused: Array<[string, Record<string, unknown>, number, string]> = [
      [FS, { ...ask, connectionId: 999 }, 404, 'CONNECTION_REQUEST_NOT_FOUND'],
      [FS, { ...ask, initiatorUrl: 'https://elsewhere.example.com' }, 404, 'CONNECTION_REQUEST_NOT_FOUND'],
      [JIRA, ask, 409, 'WRONG_NODE'],
      [FS, { ...ask, connectionId: '1' }, 400, 'BAD_REQUEST'],
      [FS, { connectionId: initiator.id }, 400, 'BAD_REQUEST'],
    ];
    for (const [node, body, status, code] of refused) {
      const answer = await accept(node, body);
      expect({ node, body, status: answer.status, code: (answer.body as { code?: string }).code }).toEqual({
        node,
        body,
        status,
        code,
      });
    }

    const accepted = await accept(FS, { ...ask, incomingScope: 'OPS' });
    expect(accepted.status).toBe(201);
    const side = accepted.body as { id: number };
    expect(side).toMatchObject({
      name: 'visual',
      status: 'ACTIVE',
      role: 'ACCEPTOR',
      configurationType: 'VISUAL',
      localShortName: 'fs',
      remoteShortName: 'jira',
      incomingScope: 'OPS',
      remoteConnectionId: initiator.id,
      communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(JIRA) },
    });
    expect((await call(JIRA, 'GET', `/connections/${initiator.id}`)).body).toMatchObject({
      status: 'ACTIVE',
      remoteConnectionId: side.id,
    });
    // A replay on the node that accepted it names the connection made the first time.
    expect(await accept(FS, ask)).toMatchObject({
      status: 409,
      body: { code: 'CONNECTION_REQUEST_ACCEPTED', connectionId: side.id },
    });
    expect(emulator.connections(FS).filter((c) => c.name === 'visual')).toHaveLength(1);
    // The accepting side is not a request to accept.
    expect(await accept(JIRA, { initiatorUrl: emulator.nodeUrl(FS), connectionId: side.id })).toMatchObject({
      status: 409,
      body: { code: 'NOT_PENDING' },
    });

    // A connection with a code is accepted with its code, not this way.
    const script = await call(JIRA, 'POST', '/connections', {
      body: { ...request, name: 'script', configurationType: 'SCRIPT' },
    });
    expect(script.body).toHaveProperty('invitationCode');
    expect(
      await accept(FS, {
        ...ask,
        connectionId: (script.body as { connection: { id: number } }).connection.id,
      }),
    ).toMatchObject({ status: 409, body: { code: 'INVITATION_REQUIRED' } });

    // Durable: after a restart on the same folder the pair is there, and a replay still names it.
    await emulator.close();
    emulator = await startEmulator({ dataDir: dir, token: TOKEN, port: 0 });
    jwts.clear();
    expect(emulator.connections(FS).find((c) => c.name === 'visual')).toMatchObject({
      id: side.id,
      status: 'ACTIVE',
      remoteConnectionId: initiator.id,
    });
    expect(emulator.connections(JIRA).find((c) => c.name === 'visual')).toMatchObject({
      status: 'ACTIVE',
      remoteConnectionId: side.id,
    });
    expect(await accept(FS, { ...ask, initiatorUrl: emulator.nodeUrl(JIRA) })).toMatchObject({
      status: 409,
      body: { code: 'CONNECTION_REQUEST_ACCEPTED', connectionId: side.id },
    });
  });

  test('platform and mode rules answer 400 with a message', async () => {
    const base = { name: 'x', localShortName: 'a', remoteShortName: 'b' };
    const cases: Array<[string, unknown, RegExp]> = [
      [
        FS,
        { ...base, configurationType: 'VISUAL', communication: { type: 'PRIVATE' } },
        /not offered on freshservice/,
      ],
      [
        JIRA,
        { ...base, configurationType: 'VISUAL', communication: { type: 'PRIVATE' } },
        /not available for private/,
      ],
      [
        JIRA,
        { ...base, configurationType: 'BASIC', communication: { type: 'PUBLIC' } },
        /needs communication.remoteUrl/,
      ],
      [
        JIRA,
        {
          ...base,
          configurationType: 'BASIC',
          communication: { type: 'PRIVATE', remoteUrl: 'https://x.io' },
        },
        /takes no/,
      ],
    ];
    for (const [node, body, message] of cases) {
      const res = await call(node, 'POST', '/connections', { body });
      expect(res.status).toBe(400);
      expect((res.body as { message: string }).message).toMatch(message);
    }
    const ai = await call(FS, 'POST', '/connections', {
      body: { ...base, name: 'ai', configurationType: 'AI_ASSIST', communication: { type: 'LOCAL' } },
    });
    expect(ai.status).toBe(201);
    const aiId = (ai.body as { connection: { id: number } }).connection.id;
    expect((await call(FS, 'GET', `/connections/${aiId}/rules`)).body).toMatchObject({
      code: 'RULES_NOT_EDITABLE',
    });
    expect((await call(FS, 'GET', `/connections/${aiId}/invitation`)).status).toBe(409);
    const dup = await call(FS, 'POST', '/connections', {
      body: { ...base, name: 'ai', configurationType: 'SCRIPT', communication: { type: 'LOCAL' } },
    });
    expect(dup.status).toBe(409);
  });

  test('bad input is a 400 {message, code}, never a crash', async () => {
    const bad: Array<[string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }]> = [
      ['POST', '/connections', { raw: '{"name": ' }],
      ['POST', '/connections', { body: [] }],
      ['POST', '/connections', { body: {} }],
      ['POST', '/connections', { body: { name: 5 } }],
      [
        'POST',
        '/connections',
        {
          body: {
            name: 'n',
            localShortName: 'a',
            remoteShortName: 'b',
            configurationType: 'NOPE',
            communication: { type: 'LOCAL' },
          },
        },
      ],
      [
        'POST',
        '/connections',
        {
          body: {
            name: 'n',
            localShortName: 'a',
            remoteShortName: 'b',
            configurationType: 'BASIC',
            communication: 'x',
          },
        },
      ],
      [
        'POST',
        '/connections',
        {
          body: {
            name: 'n',
            localShortName: 'a',
            remoteShortName: 'b',
            configurationType: 'SCRIPT',
            communication: { type: 'PUBLIC', remoteUrl: 'not a url' },
          },
        },
      ],
      ['GET', '/connections?limit=abc', {}],
      ['GET', '/connections?expand=everything', {}],
      ['POST', '/invitations/accept', { body: {} }],
      ['POST', '/connection-requests/accept', { body: { initiatorUrl: 5, connectionId: 1 } }],
      ['POST', '/authenticate', { raw: 'null' }],
    ];
    for (const [method, p, options] of bad) {
      const res = await call(FS, method, p, options);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: expect.any(String), code: expect.any(String) });
    }
    const c = await call(FS, 'POST', '/connections', {
      body: {
        name: 'imm',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'LOCAL' },
      },
    });
    const id = (c.body as { connection: { id: number } }).connection.id;
    const immutable: Array<
      [string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }]
    > = [
      ['PATCH', `/connections/${id}`, { body: { name: 'renamed' } }],
      ['PATCH', `/connections/${id}`, { body: { configurationType: 'BASIC' } }],
      ['PATCH', `/connections/${id}`, { body: { status: 'PENDING' } }],
      ['PATCH', `/connections/${id}`, { body: { description: 1 } }],
      ['PATCH', `/connections/${id}`, { body: { description: 'x' }, headers: { 'If-Match': 'garbage' } }],
      ['PUT', `/connections/${id}/rules`, { body: { outgoing: 'only one' } }],
      ['PUT', `/connections/${id}/triggers`, { body: { entityType: 'not an array' } }],
      ['PUT', `/connections/${id}/triggers`, { body: [{ entityType: 'ticket', query: 'q', active: 'yes' }] }],
    ];
    for (const [method, p, options] of immutable) {
      const res = await call(FS, method, p, options);
      expect(res.status).toBe(400);
    }
    expect(
      (
        (await call(FS, 'PATCH', `/connections/${id}`, { body: { name: 'renamed' } })).body as {
          code: string;
        }
      ).code,
    ).toBe('IMMUTABLE_FIELD');
    // Still serving.
    expect((await call(FS, 'GET', '/info')).status).toBe(200);
    const unknownNode = await fetch(`${emulator.url}/nodes/nobody${API_BASE}/info`);
    expect(unknownNode.status).toBe(404);
    expect(await unknownNode.json()).toMatchObject({ message: expect.any(String), code: 'NOT_FOUND' });
  });

  test('pagination: stable order, limit capped at 100, total counts everything', async () => {
    for (let i = 0; i < 105; i++) {
      await call(JIRA, 'POST', '/connections', {
        body: {
          name: `p-${i}`,
          localShortName: 'a',
          remoteShortName: 'b',
          configurationType: 'BASIC',
          communication: { type: 'LOCAL' },
        },
      });
    }
    const page = (await call(JIRA, 'GET', '/connections?limit=500')).body as {
      total: number;
      results: Array<{ id: number }>;
    };
    expect(page.results).toHaveLength(100);
    const rest = (await call(JIRA, 'GET', '/connections?offset=100&limit=100')).body as {
      total: number;
      results: Array<{ id: number }>;
    };
    expect(page.total).toBe(rest.total);
    const ids = [...page.results, ...rest.results].map((c) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(page.total);
  });

  test('rate limit: 429 with Retry-After under the limit', async () => {
    await call(FS, 'GET', '/info');
    emulator.setRateLimit(1);
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await call(FS, 'GET', '/info');
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      emulator.setRateLimit(0);
    }
  });

  test('the control surface puts a connection in ERROR (emulator-only)', async () => {
    const c = await call(FS, 'POST', '/connections', {
      body: {
        name: 'err',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'LOCAL' },
      },
    });
    const id = (c.body as { connection: { id: number } }).connection.id;
    const res = await fetch(`${emulator.nodeUrl(FS)}/_emulator/connections/${id}/error`, {
      method: 'POST',
      headers: { 'X-exalate-jwt': jwts.get(FS) as string, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'boom' }),
    });
    expect(res.status).toBe(200);
    expect((await call(FS, 'GET', `/connections/${id}`)).body).toMatchObject({
      status: 'ERROR',
      errorMessage: 'boom',
    });
    const anonymous = await fetch(`${emulator.nodeUrl(FS)}/_emulator/connections/${id}/error`, {
      method: 'POST',
    });
    expect(anonymous.status).toBe(401);
  });

  test('several triggers may share an entity type; the same type and query twice is refused', async () => {
    const shared = [
      { entityType: 'ticket', query: 'priority:4', active: true, notes: 'urgent' },
      { entityType: 'ticket', query: 'tag:engineering', active: false, notes: '' },
    ];
    const create = await call(FS, 'POST', '/connections', {
      body: {
        name: 'shared-type',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'LOCAL' },
        triggers: shared,
      },
    });
    expect(create.status).toBe(201);
    const id = (create.body as { connection: { id: number; triggers: unknown } }).connection.id;
    expect((create.body as { connection: { triggers: unknown } }).connection.triggers).toEqual(shared);
    const three = [...shared, { entityType: 'incident', query: 'priority:4', active: true, notes: '' }];
    expect((await call(FS, 'PUT', `/connections/${id}/triggers`, { body: three })).status).toBe(200);
    expect((await call(FS, 'GET', `/connections/${id}/triggers`)).body).toEqual(three);
    const twice = [shared[0], { ...shared[0], notes: 'another note', active: false }];
    const refused = await call(FS, 'PUT', `/connections/${id}/triggers`, { body: twice });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'BAD_REQUEST' });
    const refusedCreate = await call(FS, 'POST', '/connections', {
      body: {
        name: 'shared-type-twice',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'LOCAL' },
        triggers: twice,
      },
    });
    expect(refusedCreate.status).toBe(400);
    expect((await call(FS, 'GET', `/connections/${id}/triggers`)).body).toEqual(three);
  });
});

describe('the observed profile: answers match the OpenAPI document and the observed shape', () => {
  const FS = 'acme-freshservice';
  const JIRA = 'acme-jira';
  const OBSERVED_FIELDS = ['communication', 'id', 'name', 'status'];
  const SHARED = [
    { entityType: 'ticket', query: 'a', active: true, notes: '' },
    { entityType: 'ticket', query: 'b', active: true, notes: '' },
  ];
  let observedDir: string;
  const ids: Record<string, number> = {};
  // What the observed profile answered (every answer is checked against the document by `call`).
  const lists: Array<{ query: string; body: { total: number; results: Array<Record<string, unknown>> } }> =
    [];
  let acceptedList: unknown;
  const modeledReads: string[] = [];
  const writes: Record<string, { status: number; body: unknown }> = {};
  let listAfterWrites: unknown;
  const visualLists: unknown[] = [];

  const create = async (node: string, body: Record<string, unknown>): Promise<number> => {
    const res = await call(node, 'POST', '/connections', {
      body: { localShortName: 'a', remoteShortName: 'b', description: 'modeled text', ...body },
    });
    expect(res.status).toBe(201);
    return (res.body as { connection: { id: number } }).connection.id;
  };

  beforeAll(async () => {
    observedDir = mkdtempSync(path.join(tmpdir(), 'exalate-observed-'));
    // Applied on the full profile…
    emulator = await startEmulator({ dataDir: observedDir, token: TOKEN, port: 0 });
    jwts.clear();
    ids.public = await create(FS, {
      name: 'public',
      configurationType: 'SCRIPT',
      communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(JIRA) },
      rules: { outgoing: 'o', incoming: 'i' },
      triggers: SHARED,
    });
    const invitation = await call(FS, 'GET', `/connections/${ids.public}/invitation`);
    const code = (invitation.body as { invitationCode: string }).invitationCode;
    await call(JIRA, 'POST', '/invitations/accept', { body: { invitationCode: code } });
    ids.private = await create(FS, {
      name: 'private',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
    ids.local = await create(FS, {
      name: 'local',
      configurationType: 'AI_ASSIST',
      communication: { type: 'LOCAL' },
    });
    await emulator.close();

    // …then served on the observed profile, from the same data folder.
    emulator = await startEmulator({ dataDir: observedDir, token: TOKEN, port: 0, profile: 'observed' });
    jwts.clear();
    exercised.clear();
    for (const query of ['', '?offset=1&limit=1&expand=rules,triggers&name=nobody', '?limit=x&expand=all']) {
      lists.push({
        query,
        body: (await call(FS, 'GET', `/connections${query}`)).body as (typeof lists)[0]['body'],
      });
    }
    acceptedList = (await call(JIRA, 'GET', '/connections')).body;
    for (const p of [
      '/info',
      `/connections/${ids.public}`,
      `/connections/${ids.private}/invitation`,
      `/connections/${ids.public}/rules`,
      `/connections/${ids.public}/triggers`,
    ]) {
      modeledReads.push(`${p} ${(await call(FS, 'GET', p)).status}`);
    }
    const id = await create(FS, {
      name: 'written',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
    ids.written = id;
    writes.patch = await call(FS, 'PATCH', `/connections/${ids.local}`, { body: { status: 'DEACTIVATED' } });
    writes.rules = await call(FS, 'PUT', `/connections/${id}/rules`, {
      body: { outgoing: 'x', incoming: 'y' },
    });
    writes.triggers = await call(FS, 'PUT', `/connections/${id}/triggers`, { body: SHARED });
    writes.regenerate = await call(FS, 'POST', `/connections/${ids.private}/invitation`);
    writes.accept = await call(JIRA, 'POST', '/invitations/accept', {
      body: { invitationCode: (writes.regenerate.body as { invitationCode: string }).invitationCode },
    });
    const visual = await create(JIRA, {
      name: 'visual',
      configurationType: 'VISUAL',
      communication: { type: 'PUBLIC', remoteUrl: emulator.nodeUrl(FS) },
    });
    writes.acceptRequest = await call(FS, 'POST', '/connection-requests/accept', {
      body: { initiatorUrl: emulator.nodeUrl(JIRA), connectionId: visual },
    });
    visualLists.push(
      (await call(JIRA, 'GET', '/connections')).body,
      (await call(FS, 'GET', '/connections')).body,
    );
    writes.delete = await call(FS, 'DELETE', `/connections/${ids.public}`);
    listAfterWrites = (await call(FS, 'GET', '/connections')).body;
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(observedDir, { recursive: true, force: true });
  });

  test('GET /connections: every connection at once, only id, name, status and communication.remoteUrl', () => {
    expect(emulator.profile).toBe('observed');
    for (const { body } of lists) {
      expect(Object.keys(body).sort()).toEqual(['results', 'total']);
      expect(body.total).toBe(3);
      for (const c of body.results) expect(Object.keys(c).sort()).toEqual(OBSERVED_FIELDS);
      expect(body.results).toEqual([
        {
          id: ids.public,
          name: 'public',
          status: 'ACTIVE',
          communication: { remoteUrl: emulator.nodeUrl(JIRA) },
        },
        { id: ids.private, name: 'private', status: 'PENDING', communication: {} },
        { id: ids.local, name: 'local', status: 'ACTIVE', communication: {} },
      ]);
    }
    expect(acceptedList).toEqual({
      total: 1,
      results: [
        {
          id: expect.any(Number),
          name: 'public',
          status: 'ACTIVE',
          communication: { remoteUrl: emulator.nodeUrl(FS) },
        },
      ],
    });
  });

  test('the modeled reads answer 404', () => {
    expect(modeledReads).toEqual([
      '/info 404',
      `/connections/${ids.public} 404`,
      `/connections/${ids.private}/invitation 404`,
      `/connections/${ids.public}/rules 404`,
      `/connections/${ids.public}/triggers 404`,
    ]);
  });

  test('writes work as on the full profile, and the list shows them', () => {
    expect(Object.fromEntries(Object.entries(writes).map(([k, v]) => [k, v.status]))).toEqual({
      patch: 200,
      rules: 200,
      triggers: 200,
      regenerate: 200,
      accept: 201,
      acceptRequest: 201,
      delete: 204,
    });
    // The Visual connection, accepted on the other node without a code: both sides ACTIVE.
    expect(visualLists).toEqual([
      expect.objectContaining({
        results: expect.arrayContaining([
          {
            id: expect.any(Number),
            name: 'visual',
            status: 'ACTIVE',
            communication: { remoteUrl: emulator.nodeUrl(FS) },
          },
        ]),
      }),
      expect.objectContaining({
        results: expect.arrayContaining([
          {
            id: expect.any(Number),
            name: 'visual',
            status: 'ACTIVE',
            communication: { remoteUrl: emulator.nodeUrl(JIRA) },
          },
        ]),
      }),
    ]);
    expect(writes.patch?.body).toMatchObject({ status: 'DEACTIVATED', configurationType: 'AI_ASSIST' });
    expect(listAfterWrites).toEqual({
      total: 4,
      results: [
        { id: ids.private, name: 'private', status: 'ACTIVE', communication: {} },
        { id: ids.local, name: 'local', status: 'DEACTIVATED', communication: {} },
        { id: ids.written, name: 'written', status: 'PENDING', communication: {} },
        {
          id: (writes.acceptRequest?.body as { id: number }).id,
          name: 'visual',
          status: 'ACTIVE',
          communication: { remoteUrl: emulator.nodeUrl(JIRA) },
        },
      ],
    });
    // Stored in full, whatever the profile shows.
    expect(emulator.connections(FS).find((c) => c.id === ids.written)).toMatchObject({
      rules: { outgoing: 'x', incoming: 'y' },
      triggers: SHARED,
    });
  });

  test('every operation of the document was answered as it documents', () => {
    for (const op of operations()) {
      const answered = [...exercised].some((e) => e.startsWith(`${op.operationId} `));
      expect(`${op.operationId}: ${answered ? 'answered' : 'missing'}`).toBe(`${op.operationId}: answered`);
    }
  });
});
