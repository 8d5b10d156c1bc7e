// `apply PLAN` takes nothing from the plan file on trust: node URLs, credentials, ownership and
// protection come from the configuration and the nodes; the plan is computed again and applied
// only when the configuration, the nodes and the actions are the ones saved. Every tampering of
// a plan file leaves the nodes as they were.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { IacError } from '../provider/model/errors';
import { checkSavedPlan, parseSavedPlan, type PlanJson } from '../provider/engine/saved-plan';
import { workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.close();
});

/** Both nodes as stored, for "nothing changed" assertions. */
function nodes(): string {
  return JSON.stringify(ws.emulator.nodes.map((n) => [n, ws.emulator.connections(n)]));
}

async function savePlan(file: string, extra: string[] = []): Promise<PlanJson> {
  const r = await ws.cli(['plan', ...FILE, '--out', file, ...extra]);
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(path.join(ws.dir, file), 'utf8')) as PlanJson;
}

function writePlan(file: string, plan: unknown): void {
  writeFileSync(path.join(ws.dir, file), JSON.stringify(plan, null, 2));
}

/** The code the engine gives a saved plan against the plan computed now (`plan --format json`). */
async function verdict(saved: unknown, extra: string[] = [], file = FILE): Promise<string> {
  const r = await ws.cli(['plan', ...file, '--format', 'json', ...extra]);
  expect(r.code).toBe(0);
  try {
    checkSavedPlan(
      parseSavedPlan(JSON.stringify(saved), 'p.json'),
      JSON.parse(r.stdout) as PlanJson,
      'p.json',
    );
    return 'ACCEPTED';
  } catch (error) {
    if (IacError.is(error)) return error.code;
    throw error;
  }
}

async function applied(): Promise<void> {
  const r = await ws.cli(['apply', ...FILE, '--yes']);
  expect(r.code).toBe(0);
}

describe('apply PLAN', () => {
  test('an untouched plan is applied exactly, and the plan after it is empty', async () => {
    const saved = await savePlan('p.json');
    expect(await verdict(saved)).toBe('ACCEPTED');
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(0);
    expect((await ws.list('acme-freshservice')).map((c) => c.name).sort()).toEqual([
      'acme-to-partner-jira',
      'service-desk-to-engineering',
    ]);
    const again = await ws.cli(['plan', ...FILE, '--detailed-exitcode']);
    expect(again.code).toBe(0);
  });

  test('node URLs and token variables written into a plan file are not used: nothing reaches another host', async () => {
    const saved = await savePlan('p.json');
    // The plan holds no URL and no credential to begin with.
    expect(JSON.stringify(saved)).not.toContain(ws.emulator.url);
    expect(JSON.stringify(saved)).not.toContain(ws.token);
    const seen: string[] = [];
    const attacker: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { 'x-exalate-jwt': 'x.y.z' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const elsewhere = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/nodes/x`;
      const tampered = {
        ...saved,
        config_file: 'elsewhere.exalate.yaml',
        nodes: ws.emulator.nodes.map((name) => ({ name, url: elsewhere, tokenEnv: 'VICTIM_SECRET' })),
        actions: saved.actions.map((a) => ({ ...a, url: elsewhere, token_env: 'VICTIM_SECRET' })),
      };
      writePlan('p.json', tampered);
      const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes'], { VICTIM_SECRET: 'victim-secret-value' });
      expect(r.code).toBe(0);
      expect(seen).toEqual([]);
      expect(r.stdout + r.stderr).not.toContain('victim-secret-value');
      // Applied to the nodes the configuration names, with their own tokens.
      expect((await ws.list('acme-jira')).map((c) => c.name).sort()).toEqual([
        'jira-to-vendor',
        'service-desk-to-engineering',
      ]);
    } finally {
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
  });

  test("an appended delete of another owner's connection is refused; nothing changes on the nodes", async () => {
    await applied();
    await ws.client('acme-jira').createConnection({
      name: 'their-connection',
      description: 'Theirs\n\n[exalate-iac owner=other-team]',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'BASIC',
      communication: { type: 'PUBLIC', remoteUrl: 'https://partner.example.com' },
    });
    const saved = await savePlan('p.json');
    const theirs = ws.emulator.connections('acme-jira').find((c) => c.name === 'their-connection');
    const tampered = {
      ...saved,
      actions: [
        ...saved.actions,
        {
          node: 'acme-jira',
          connection: 'their-connection',
          action: 'delete',
          reason: 'created by this owner and no longer declared',
          drift: true,
          live: { id: theirs?.id, status: 'PENDING', invitation_created_at: null },
          changes: [],
        },
      ],
    };
    expect(await verdict(tampered)).toBe('PLAN_STALE');
    writePlan('p.json', tampered);
    const before = nodes();
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('acme-jira/their-connection (delete)');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(nodes()).toBe(before);
  });

  test('a plan whose blocked flag was removed is refused; the protected connection stays', async () => {
    await applied();
    // jira-to-vendor is protected; remove it from the file and plan a prune.
    ws.edit((t) => t.slice(0, t.indexOf('  # A public connection to a partner node')));
    const saved = await savePlan('p.json', ['--prune']);
    const vendor = saved.actions.find((a) => a.connection === 'jira-to-vendor');
    expect(vendor).toMatchObject({ action: 'delete', blocked: expect.any(String) });
    const tampered = {
      ...saved,
      actions: saved.actions.map((a) => {
        if (a.connection !== 'jira-to-vendor') return a;
        const { blocked: _blocked, ...rest } = a;
        return rest;
      }),
    };
    expect(await verdict(tampered, ['--prune'])).toBe('PLAN_STALE');
    writePlan('p.json', tampered);
    const before = nodes();
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes', '--prune']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('acme-jira/jira-to-vendor (delete)');
    expect(nodes()).toBe(before);
    expect(ws.emulator.connections('acme-jira').map((c) => c.name)).toContain('jira-to-vendor');
  });

  test('--prune and --allow-replace are read from the command line, never from the plan file', async () => {
    await applied();
    ws.edit((t) => t.replace('incomingScope: ENG', 'incomingScope: OPS'));
    const saved = await savePlan('p.json');
    expect(saved.actions.find((a) => a.action === 'replace')?.blocked).toEqual(expect.any(String));
    // The file is edited to grant itself --allow-replace, and the block is removed to match.
    const tampered = {
      ...saved,
      options: { prune: false, allow_replace: true },
      actions: saved.actions.map((a) => {
        const { blocked: _blocked, ...rest } = a;
        return rest;
      }),
    };
    expect(await verdict(tampered)).toBe('PLAN_STALE');
    writePlan('p.json', tampered);
    const before = nodes();
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--allow-replace');
    expect(nodes()).toBe(before);
    // A plan made with an option is applied with it only when apply is given it too.
    const consented = await savePlan('q.json', ['--allow-replace']);
    expect(await verdict(consented)).toBe('PLAN_STALE');
    expect(await verdict(consented, ['--allow-replace'])).toBe('ACCEPTED');
  });

  test('a plan made from one configuration is refused with --file naming another', async () => {
    copyFileSync(path.join(ws.dir, 'connections.exalate.yaml'), path.join(ws.dir, 'other.exalate.yaml'));
    ws.edit(
      (t) => t.replace('Bugs reported to the vendor', 'Bugs reported to another vendor'),
      'other.exalate.yaml',
    );
    const saved = await savePlan('p.json');
    expect(await verdict(saved, [], ['--file', 'other.exalate.yaml'])).toBe('PLAN_STALE');
    const r = await ws.cli(['apply', 'p.json', '--file', 'other.exalate.yaml', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('another configuration');
    expect(ws.emulator.connections('acme-jira')).toEqual([]);
    expect(ws.emulator.connections('acme-freshservice')).toEqual([]);
    // An identical copy of the file is the same configuration: accepted.
    copyFileSync(path.join(ws.dir, 'connections.exalate.yaml'), path.join(ws.dir, 'same.exalate.yaml'));
    expect(await verdict(saved, [], ['--file', 'same.exalate.yaml'])).toBe('ACCEPTED');
  });

  test('a rule file edited after the plan was made is another configuration: refused', async () => {
    const saved = await savePlan('p.json');
    writeFileSync(path.join(ws.dir, 'rules', 'outgoing.groovy'), 'replica.summary = "changed"\n');
    expect(await verdict(saved)).toBe('PLAN_STALE');
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(ws.emulator.connections('acme-freshservice')).toEqual([]);
  });

  test('a node changed since the plan was made: refused, naming the node', async () => {
    const saved = await savePlan('p.json');
    await ws.client('acme-jira').createConnection({
      name: 'by-hand',
      description: '',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'BASIC',
      communication: { type: 'PUBLIC', remoteUrl: 'https://partner.example.com' },
    });
    expect(await verdict(saved)).toBe('PLAN_STALE');
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(acme-jira)');
    expect(ws.emulator.connections('acme-freshservice')).toEqual([]);
  });

  test('a file that is not a plan is PLAN_FILE_INVALID, and nothing is read from the nodes', async () => {
    writeFileSync(path.join(ws.dir, 'p.json'), '{"format_version": "1", "actions": "all"}');
    ws.emulator.clearRequests();
    const r = await ws.cli(['apply', 'p.json', ...FILE, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot use the plan p.json');
    expect(ws.emulator.requests).toEqual([]);
    expect(() => parseSavedPlan('{"format_version": "1", "actions": "all"}', 'p.json')).toThrow(
      expect.objectContaining({ code: 'PLAN_FILE_INVALID' }),
    );
  });
});
