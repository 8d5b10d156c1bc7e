// Secret fragments never reach what the tool prints: codes a node echoes that the client has not
// seen, encoded forms of the token, tokens too short to redact; and names read from a node are
// printed with their control characters escaped.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeClient } from '../provider/api/client';
import { ExalateError, Redactor, secretForms } from '../provider/api/errors';
import type { Connection, NodeApi } from '../provider/api/types';
import { main } from '../provider/cli/main';
import { term } from '../provider/cli/terminal';
import { clientFactory } from '../provider/engine/clients';
import { captureIo } from './helpers';
import { FAST, workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

async function caught(p: Promise<unknown>): Promise<ExalateError> {
  try {
    await p;
  } catch (error) {
    if (ExalateError.isExalateError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A node on loopback that authenticates anyone and answers the rest with `answer`. */
async function fakeNode(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: Date.now() + 600_000 })).toString('base64url')}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.endsWith('/authenticate')) {
        res.writeHead(200, { 'X-Exalate-Jwt': jwt, 'content-type': 'application/json' }).end('{}');
        return;
      }
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/node`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TOKEN = 'node-token-7d1e9b2c4a';
/** An invitation code the client has never seen (48 base64url characters, as the emulator makes). */
const UNSEEN_CODE = 'Q2xpZW50TmV2ZXJTYXdUaGlzQ29kZS0xMjM0NTY3ODkwYWJj';

function client(url: string): NodeClient {
  return new NodeClient({
    url,
    token: TOKEN,
    retries: { maxRetries: 0 },
    rateLimit: false,
    sleep: async () => undefined,
  });
}

describe('secret fragments never reach what is printed', () => {
  test('a server error that echoes a code the client has not seen: redacted, in JSON and in plain text', async () => {
    for (const [type, body] of [
      [
        'application/json',
        JSON.stringify({ message: `internal error while exporting invitation ${UNSEEN_CODE}` }),
      ],
      ['text/plain', `java.lang.IllegalStateException: invitation=${UNSEEN_CODE}`],
    ] as const) {
      const node = await fakeNode((_req, res) => res.writeHead(500, { 'content-type': type }).end(body));
      const c = client(node.url);
      try {
        const error = await caught(c.getInvitation(1));
        expect(error.code).toBe('EXALATE_SERVER_ERROR');
        const text = [error.message, error.serverMessage, JSON.stringify(error)].join('\n');
        expect(text).not.toContain(UNSEEN_CODE);
        expect(error.serverMessage).toContain('[REDACTED]');
      } finally {
        await c.close();
        await node.close();
      }
    }
  });

  test('the same through the CLI: plan against a failing node prints no code', async () => {
    const node = await fakeNode((_req, res) =>
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: `dump ${UNSEEN_CODE}` })),
    );
    const ws = await workspace();
    try {
      const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_URL: node.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("node 'acme-jira'");
      expect(r.stdout + r.stderr).not.toContain(UNSEEN_CODE);
    } finally {
      await ws.close();
      await node.close();
    }
  });

  test('the token echoed base64- or URL-encoded, alone or inside a longer value, is redacted', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const echoes = [
      b64(TOKEN),
      Buffer.from(TOKEN).toString('base64url'),
      b64(`user:${TOKEN}`),
      b64(`ab:${TOKEN}:x`),
      encodeURIComponent(`${TOKEN}/+`),
    ];
    const node = await fakeNode((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: `bad credentials ${echoes.join(' ')}` })),
    );
    const c = client(node.url);
    try {
      const error = await caught(c.getConnection(1));
      expect(error.code).toBe('EXALATE_BAD_REQUEST');
      const text = [error.message, error.serverMessage].join('\n');
      // What identifies the token in each echo is gone (a few characters at the edges of an
      // encoded value also depend on its neighbours and may stay).
      for (const form of secretForms(TOKEN)) expect(text).not.toContain(form);
      expect(text).not.toContain(b64(TOKEN).slice(0, 12));
      expect(text).not.toContain(b64(`user:${TOKEN}`).slice(8, 20));
    } finally {
      await c.close();
      await node.close();
    }
  });

  test('ordinary words, paths, ids and hex digests in a server message are kept', () => {
    const r = new Redactor();
    r.add(TOKEN);
    const message =
      'no emulated node at /nodes/acme-freshservice/rest/issuehub/4.0/connections (id 123e4567-e89b-12d3-a456-426614174000, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)';
    expect(r.redactServerText(message)).toBe(message);
    expect(r.redactServerText('x'.repeat(1000)).length).toBeLessThanOrEqual(301);
  });

  test('a token shorter than 6 characters is refused before any request, where the node is declared', async () => {
    const ws = await workspace();
    try {
      ws.emulator.clearRequests();
      const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_TOKEN: 'q9Z' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^connections\.exalate\.yaml:11:3: error: environment variable ACME_JIRA_TOKEN /,
      );
      expect(r.stderr).not.toContain('q9Z');
      expect(ws.emulator.requests).toEqual([]);
      // Six characters are enough to be told from ordinary words.
      expect((await ws.cli(['plan', ...FILE], { ACME_JIRA_TOKEN: 'q9Zx7w' })).stderr).not.toMatch(/:11:3:/);
    } finally {
      await ws.close();
    }
  });

  test('names read from a node with terminal controls or line breaks are printed escaped in every format', async () => {
    const ws = await workspace();
    try {
      expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
      // A connection of this owner, no longer declared, whose name (as a node may hold it) carries
      // an OSC hyperlink, a bell, a fake plan line and a right-to-left override.
      const evil = 'old\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\n  + fake/line\u202Etxt';
      await ws.client('acme-jira').createConnection({
        name: 'placeholder-name',
        description: '[exalate-iac owner=platform-team]',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'BASIC',
        communication: { type: 'PUBLIC', remoteUrl: 'https://partner.example.com' },
      });
      // The node reports the name as a real node may: the client is wrapped to rename it.
      const factory = clientFactory({ sleep: async () => undefined });
      const rename = (c: Connection): Connection =>
        c.name === 'placeholder-name' ? { ...c, name: evil } : c;
      const deps = {
        ...FAST,
        clientFactory: (node: Parameters<typeof factory>[0]): NodeApi => {
          const api = factory(node);
          return Object.assign(Object.create(api) as NodeApi, {
            async *listConnections(options?: Parameters<NodeApi['listConnections']>[0]) {
              for await (const c of api.listConnections(options)) yield rename(c);
            },
          });
        },
      };
      const outputs: string[] = [];
      for (const argv of [
        ['plan', ...FILE, '--prune'],
        ['plan', ...FILE, '--prune', '--format', 'markdown'],
        ['drift', ...FILE],
        ['drift', ...FILE, '--format', 'markdown'],
      ]) {
        const io = captureIo(ws.dir, ws.env);
        const code = await main(argv, io, deps);
        expect(code).toBe(argv[0] === 'drift' ? 2 : 0);
        outputs.push(io.stdout() + io.stderr());
      }
      for (const out of outputs) {
        // eslint-disable-next-line no-control-regex
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
        expect(out).not.toMatch(/^\s*\+ fake\/line/m);
        expect(out).toMatch(/\\+u001b\\?\]8;;https:\/\/evil\.example\\+u0007link/);
      }
      expect(term('a\nb\u202Ec')).toBe('a\\u000ab\\u202ec');
    } finally {
      await ws.close();
    }
  });
});
