// `exalate-iac check-node` against the real emulator on loopback, and against a small front server
// that serves a `/swagger` of its own (or bends the listing like an observed node) and forwards
// everything else to the emulator. Decisions are asserted through the JSON output.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { apiDescriptionLinks, parseApiDescription } from '../provider/api/adapter';
import {
  APPLY_NEEDS,
  CODELESS_ACCEPT_NEEDS,
  contractOperations,
  fieldPresence,
  offers,
} from '../provider/cli/check-node';
import { ROOT } from './helpers';
import { workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];
const OPENAPI = readFileSync(path.join(ROOT, 'schemas', 'exalate-node-api.openapi.yaml'), 'utf8');

interface NodeJson {
  node: string;
  ok: boolean;
  reasons: string[];
  authenticated: boolean;
  listing: {
    connections: number;
    paging: string;
    expand: string;
    name_filter: string;
    fields: Record<string, { present: number; of: number; verdict: string }>;
  } | null;
  swagger: { found: boolean; url: string; reason?: string; format?: string } | null;
  operations: { operation_id: string; offered: boolean | null; needed_by_apply: boolean }[];
  missing: string[];
  error: { code: string; message: string } | null;
}

interface Front {
  /** The node URL of `node` through the front server. */
  nodeUrl(node: string): string;
  /** Requests the front server answered itself or forwarded, by path. */
  paths: string[];
  close(): Promise<void>;
}

type Route = (
  pathname: string,
) => { status: number; headers?: Record<string, string>; body?: string } | undefined;

/** A front server: answers what `route` answers, forwards the rest to the emulator (query rewritten by `rewrite`). */
async function front(
  ws: Workspace,
  route: Route,
  rewrite: (url: URL) => void = () => undefined,
): Promise<Front> {
  const target = new URL(ws.emulator.url);
  const paths: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://front.invalid');
    paths.push(url.pathname);
    const answer = route(url.pathname);
    if (answer) {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
      return;
    }
    rewrite(url);
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    nodeUrl: (node) => `http://127.0.0.1:${port}/nodes/${node}`,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.close();
});

async function checkJson(
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{
  code: number;
  json: { format_version: string; ok: boolean; nodes: NodeJson[] };
  stderr: string;
}> {
  const r = await ws.cli(['check-node', ...FILE, '--format', 'json', ...extra], env);
  return { code: r.code, json: JSON.parse(r.stdout), stderr: r.stderr };
}

function jira(json: { nodes: NodeJson[] }): NodeJson {
  return json.nodes.find((n) => n.node === 'acme-jira') as NodeJson;
}

/** Our own contract as a Swagger 2 document, parameters renamed, without `drop` (operationIds). */
function swagger2(drop: string[] = []): string {
  const doc = parse(OPENAPI) as { paths: Record<string, Record<string, { operationId?: string }>> };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [template, item] of Object.entries(doc.paths)) {
    const renamed = template.replace('{id}', '{connectionId}');
    for (const [method, op] of Object.entries(item)) {
      if (!op.operationId || drop.includes(op.operationId)) continue;
      (paths[renamed] ??= {})[method] = {
        operationId: `node_${op.operationId}`,
        responses: { '200': { description: 'ok' } },
      };
    }
  }
  return JSON.stringify({
    swagger: '2.0',
    info: { title: 'node', version: '1' },
    basePath: '/rest/issuehub/4.0',
    paths,
  });
}

describe('check-node against the emulator', () => {
  test('no /swagger: cannot verify the modeled operations, exit 1; the listing is read and judged', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const { code, json, stderr } = await checkJson();
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(json.format_version).toBe('1');
    expect(json.ok).toBe(false);
    expect(json.nodes.map((n) => n.node).sort()).toEqual(['acme-freshservice', 'acme-jira']);
    const node = jira(json);
    expect(node.authenticated).toBe(true);
    expect(node.swagger).toMatchObject({ found: false, url: `${ws.emulator.nodeUrl('acme-jira')}/swagger` });
    expect(node.reasons).toHaveLength(1);
    expect(node.reasons[0]).toMatch(/^no swagger: cannot verify the modeled operations \(.*answered 404/);
    // Authentication and listing answered; everything else is unverified, not missing.
    const offered = Object.fromEntries(node.operations.map((o) => [o.operation_id, o.offered]));
    expect(offered).toMatchObject({ authenticate: true, listConnections: true, createConnection: null });
    expect(node.missing).toEqual([]);
    expect(node.listing).toMatchObject({
      connections: 2,
      paging: 'honoured',
      expand: 'honoured',
      name_filter: 'honoured',
    });
    for (const field of [
      'configurationType',
      'localShortName',
      'remoteShortName',
      'communication.type',
      'version',
      'role',
      'triggers',
    ])
      expect(node.listing?.fields[field]?.verdict).toBe('all');
  });

  test('--node checks one node; an empty node cannot tell; text output says why it is not ready', async () => {
    const { json } = await checkJson(['--node', 'acme-freshservice']);
    expect(json.nodes.map((n) => n.node)).toEqual(['acme-freshservice']);
    expect(json.nodes[0]?.listing).toMatchObject({
      connections: 0,
      paging: 'cannot tell',
      name_filter: 'cannot tell',
    });
    expect(json.nodes[0]?.listing?.fields.configurationType?.verdict).toBe('cannot tell');
    const text = await ws.cli(['check-node', ...FILE, '--node', 'acme-freshservice']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('no swagger: cannot verify the modeled operations');
  });

  test('a wrong token: authentication failed, exit 1, the token never shown', async () => {
    const wrong = 'tok-wrong-0123456789abcdef';
    const { code, json } = await checkJson(['--node', 'acme-jira'], { ACME_JIRA_TOKEN: wrong });
    expect(code).toBe(1);
    const node = jira(json);
    expect(node.authenticated).toBe(false);
    expect(node.error?.code).toBe('EXALATE_UNAUTHORIZED');
    expect(node.reasons[0]).toMatch(/^authentication failed/);
    const text = await ws.cli(['check-node', ...FILE], { ACME_JIRA_TOKEN: wrong });
    expect(text.stdout + text.stderr).not.toContain(wrong);
    expect(text.stdout + text.stderr).not.toContain(ws.token);
  });

  test('--format json stays pure JSON in GitHub Actions, warnings on stderr', async () => {
    writeFileSync(
      path.join(ws.dir, 'rules', 'outgoing.groovy'),
      'replica.summary = issue.summary // \u202e\n',
    );
    const r = await ws.cli(['check-node', ...FILE, '--format', 'json'], { GITHUB_ACTIONS: 'true' });
    expect(r.stderr).toMatch(/::warning .*bidirectional control/);
    expect((JSON.parse(r.stdout) as { format_version: string }).format_version).toBe('1');
  });

  test('bad usage: an undeclared node or format is one line on stderr, exit 1', async () => {
    const r = await ws.cli(['check-node', ...FILE, '--node', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^exalate-iac check-node: .*'nope'.*\n$/);
    const f = await ws.cli(['check-node', ...FILE, '--format', 'yaml']);
    expect(f.code).toBe(1);
    expect(f.stderr).toBe("exalate-iac check-node: --format must be text or json, got 'yaml'\n");
  });
});

describe('check-node with a node that has a /swagger', () => {
  test('operations missing from the swagger: exit 1, each named (parameter names and base prefix do not matter)', async () => {
    const f = await front(ws, (p) =>
      p === '/nodes/acme-jira/swagger'
        ? {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: swagger2(['acceptInvitation', 'putRules', 'getInfo']),
          }
        : undefined,
    );
    try {
      const { code, json } = await checkJson(['--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(code).toBe(1);
      const node = jira(json);
      expect(node.swagger).toMatchObject({ found: true, format: 'Swagger 2.0' });
      expect(node.missing.sort()).toEqual(['acceptInvitation', 'getInfo', 'putRules']);
      expect(node.reasons).toEqual([
        'missing operations apply needs: POST /invitations/accept (acceptInvitation), PUT /connections/{id}/rules (putRules)',
      ]);
      const text = await ws.cli(['check-node', ...FILE, '--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('PUT /connections/{id}/rules (putRules)');
    } finally {
      await f.close();
    }
  });

  test('accepting a Visual connection is needed by apply only on a node where the file accepts one', async () => {
    const f = await front(ws, (p) =>
      p === '/nodes/acme-jira/swagger'
        ? {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: swagger2(['acceptConnectionRequest']),
          }
        : undefined,
    );
    const env = {
      ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      ACME_ZENDESK_URL: ws.emulator.nodeUrl('acme-zendesk'),
      ACME_ZENDESK_TOKEN: ws.token,
    };
    const visualOp = (node: NodeJson) =>
      node.operations.find((o) => o.operation_id === 'acceptConnectionRequest');
    try {
      // No Visual connection in the file: missing, but not a reason to refuse the node.
      const before = await checkJson(['--node', 'acme-jira'], env);
      expect(before.code).toBe(0);
      expect(jira(before.json).missing).toEqual(['acceptConnectionRequest']);
      expect(visualOp(jira(before.json))).toMatchObject({ offered: false, needed_by_apply: false });
      const text = await ws.cli(['check-node', ...FILE, '--node', 'acme-jira'], env);
      expect(text.stdout).toMatch(
        /MISSING +POST +\/connection-requests\/accept +acceptConnectionRequest \(used by apply only/,
      );

      // A Visual connection accepted on acme-jira: apply needs it there.
      ws.edit((t) =>
        t
          .replace(
            'connections:\n',
            'connections:\n  - {name: visual, node: acme-zendesk, localShortName: z, remoteShortName: j, mode: visual, remote: {node: acme-jira}}\n',
          )
          .replace(
            'nodes:\n',
            'nodes:\n  acme-zendesk: {url: "${ACME_ZENDESK_URL}", platform: zendesk, token: "${ACME_ZENDESK_TOKEN}"}\n',
          ),
      );
      const after = await checkJson(['--node', 'acme-jira'], env);
      expect(after.code).toBe(1);
      expect(visualOp(jira(after.json))).toMatchObject({ offered: false, needed_by_apply: true });
      expect(jira(after.json).reasons).toEqual([
        'missing operations apply needs: POST /connection-requests/accept (acceptConnectionRequest)',
      ]);
    } finally {
      await f.close();
    }
  });

  test('a complete swagger: exit 0, every operation offered', async () => {
    const f = await front(ws, (p) =>
      p === '/nodes/acme-jira/swagger'
        ? { status: 200, headers: { 'content-type': 'application/yaml' }, body: OPENAPI }
        : undefined,
    );
    try {
      const { code, json } = await checkJson(['--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(jira(json).reasons).toEqual([]);
      expect(code).toBe(0);
      expect(json.ok).toBe(true);
      expect(jira(json).operations.every((o) => o.offered === true)).toBe(true);
      const text = await ws.cli(['check-node', ...FILE, '--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('ready: everything apply needs is offered');
    } finally {
      await f.close();
    }
  });

  test('a Swagger UI page is followed (redirect, initializer script) to the document it loads', async () => {
    const f = await front(ws, (p) => {
      if (p === '/nodes/acme-jira/swagger')
        return { status: 302, headers: { location: '/nodes/acme-jira/swagger-ui/index.html' } };
      if (p === '/nodes/acme-jira/swagger-ui/index.html')
        return {
          status: 200,
          body: '<html><script src="./swagger-ui-bundle.js"></script><script src="./swagger-initializer.js"></script></html>',
        };
      if (p === '/nodes/acme-jira/swagger-ui/swagger-initializer.js')
        return {
          status: 200,
          body: 'window.ui = SwaggerUIBundle({ url: "/nodes/acme-jira/v3/api-docs", dom_id: "#swagger-ui" });',
        };
      if (p === '/nodes/acme-jira/v3/api-docs') return { status: 200, body: stringify(parse(OPENAPI)) };
      return undefined;
    });
    try {
      const { code, json } = await checkJson(['--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(code).toBe(0);
      expect(jira(json).swagger).toMatchObject({ found: true, url: `${f.nodeUrl('acme-jira')}/v3/api-docs` });
    } finally {
      await f.close();
    }
  });

  test('a page naming a document on another host: not followed, so the JWT never leaves the node', async () => {
    const elsewhere = await front(ws, () => ({ status: 200, body: OPENAPI }));
    const f = await front(ws, (p) =>
      p === '/nodes/acme-jira/swagger'
        ? {
            status: 200,
            body: `<script>SwaggerUIBundle({url: "${elsewhere.nodeUrl('x')}/openapi.yaml"})</script>`,
          }
        : undefined,
    );
    try {
      const { code, json } = await checkJson(['--node', 'acme-jira'], {
        ACME_JIRA_URL: f.nodeUrl('acme-jira'),
      });
      expect(code).toBe(1);
      expect(jira(json).swagger?.reason).toMatch(/names an API description on another host .*: not followed/);
      expect(elsewhere.paths).toEqual([]);
    } finally {
      await Promise.all([f.close(), elsewhere.close()]);
    }
  });
});

describe('check-node with a node that ignores the modeled refinements of the listing', () => {
  test('paging, expand and name= ignored are detected from the answers', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const f = await front(
      ws,
      () => undefined,
      (url) => {
        for (const q of ['offset', 'limit', 'name', 'expand']) url.searchParams.delete(q);
      },
    );
    try {
      const { json } = await checkJson(['--node', 'acme-jira'], { ACME_JIRA_URL: f.nodeUrl('acme-jira') });
      expect(jira(json).listing).toMatchObject({
        connections: 2,
        paging: 'ignored',
        expand: 'ignored',
        name_filter: 'ignored',
      });
      expect(jira(json).listing?.fields.triggers).toEqual({ present: 0, of: 2, verdict: 'none' });
    } finally {
      await f.close();
    }
  });
});

describe('the pieces', () => {
  test('every operation apply needs is in the contract document', () => {
    const ids = contractOperations().map((o) => o.operationId);
    for (const id of [...APPLY_NEEDS, ...CODELESS_ACCEPT_NEEDS]) expect(ids).toContain(id);
  });

  test('API descriptions: OpenAPI 3 server paths, Swagger 2 base paths, and no description in HTML', () => {
    const v3 = parseApiDescription(
      JSON.stringify({
        openapi: '3.0.1',
        servers: [{ url: 'https://n.example/rest/issuehub/4.0/' }],
        paths: { '/connections/{cid}': { get: {}, parameters: [] } },
      }),
    );
    expect(v3).toEqual({
      format: 'OpenAPI 3.0.1',
      basePath: '/rest/issuehub/4.0',
      operations: [{ method: 'GET', path: '/rest/issuehub/4.0/connections/{cid}' }],
    });
    expect(offers(v3!, { method: 'GET', path: '/connections/{id}' })).toBe(true);
    expect(offers(v3!, { method: 'DELETE', path: '/connections/{id}' })).toBe(false);
    const unrelated = parseApiDescription(
      'swagger: "2.0"\nbasePath: /api\npaths:\n  /connections: {post: {}}\n',
    );
    expect(offers(unrelated!, { method: 'POST', path: '/connections' })).toBe(true);
    expect(offers(unrelated!, { method: 'POST', path: '/invitations/accept' })).toBe(false);
    expect(parseApiDescription('<!DOCTYPE html><html></html>')).toBeUndefined();
    expect(parseApiDescription('{"paths": {}}')).toBeUndefined();
    expect(parseApiDescription('a: [')).toBeUndefined();
    expect(apiDescriptionLinks('<link href="x.css"><script src="swagger-initializer.js"></script>')).toEqual([
      'swagger-initializer.js',
    ]);
    expect(
      apiDescriptionLinks(
        'SwaggerUIBundle({ url: "/v3/api-docs", configUrl: \'/v3/api-docs/swagger-config\' })',
      ),
    ).toEqual(['/v3/api-docs', '/v3/api-docs/swagger-config']);
  });

  test('field presence: rules are counted on Script connections (or of unknown mode) only', () => {
    const base = { status: 'ACTIVE', communication: {} };
    const p = fieldPresence([
      { ...base, id: 1, name: 'a', configurationType: 'BASIC' },
      { ...base, id: 2, name: 'b', configurationType: 'SCRIPT', rules: { outgoing: '', incoming: '' } },
      { ...base, id: 3, name: 'c' },
    ]);
    expect(p.rules).toEqual({ present: 1, of: 2, verdict: 'some' });
    expect(p.configurationType).toEqual({ present: 2, of: 3, verdict: 'some' });
    expect(p.version).toEqual({ present: 0, of: 3, verdict: 'none' });
    expect(fieldPresence([]).role.verdict).toBe('cannot tell');
  });
});
