import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator } from '../emulator/server';
import { githubOutputName, writeGithubOutputs } from '../provider/engine/outputs';
import { tempDir } from './helpers';
import { workspace, Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

describe('bad input and environment never crash a command', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
    ws.emulator.clearRequests();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('an unset variable in remote.url is reported with the node variables, before any request', async () => {
    ws.edit((t) => t.replace('url: https://vendor-jira.example.com', 'url: ${VENDOR_URL}'));
    const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'connections.exalate.yaml:11:3: error: environment variable ACME_JIRA_TOKEN (nodes.acme-jira.token) is not set',
      'connections.exalate.yaml:59:12: error: environment variable VENDOR_URL (connection jira-to-vendor: remote.url) is not set',
    ]);
    expect(ws.emulator.requests).toEqual([]);
  });

  test('a node URL that is not a URL is not echoed (it may be a token put in the wrong variable)', async () => {
    const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_URL: 'SECRET-TOKEN-123' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exalate-iac plan: node 'acme-jira': node URL: not a URL .*\n$/);
    expect(r.stderr).not.toContain('SECRET-TOKEN-123');
  });

  test('plain http to a remote host is refused unless EXALATE_ALLOW_INSECURE_HTTP=1', async () => {
    const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_URL: 'http://jira.example.com' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("node 'acme-jira': node URL: refusing plain http:// to jira.example.com");
    expect(r.stderr).toContain('EXALATE_ALLOW_INSECURE_HTTP=1');
  });

  test('a corrupt outputs file stops apply before any change', async () => {
    writeFileSync(path.join(ws.dir, 'bad.json'), '{bad');
    const r = await ws.cli(['apply', ...FILE, '--yes', '--outputs-file', 'bad.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('exalate-iac apply: bad.json: not an exalate-iac outputs file (not JSON)\n');
    expect(ws.emulator.requests).toEqual([]);
  });

  test('plan --out into a missing folder is a usage error and leaves no temporary file', async () => {
    const r = await ws.cli(['plan', ...FILE, '--out', 'nowhere/plan.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('exalate-iac plan: cannot write the plan to nowhere/plan.json (no such folder)\n');
    expect(readdirSync(ws.dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  test('a plan file with a broken shape is refused, not half-applied', async () => {
    writeFileSync(
      path.join(ws.dir, 'p.json'),
      JSON.stringify({ format_version: '1', owner: 'x', actions: [], nodes: [] }),
    );
    const r = await ws.cli(['apply', 'p.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'exalate-iac apply: cannot use the plan p.json: not an exalate-iac plan (format_version 1)\n',
    );
  });

  test('validate --format json stays pure JSON in GitHub Actions', async () => {
    ws.edit((t) => t.replace('mode: basic', 'mode: visual\n    private: true'));
    const r = await ws.cli(['validate', '--format', 'json', 'connections.exalate.yaml'], {
      GITHUB_ACTIONS: 'true',
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors).toBe(2);
  });
});

describe('drift that involves both sides', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('the accepting side deleted by hand is drift, and a replace repairs it', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const jira = ws.client('acme-jira');
    const side = await jira.findConnectionByName('service-desk-to-engineering');
    await jira.deleteConnection(side!.id);
    const drift = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(drift.code).toBe(2);
    expect(JSON.parse(drift.stdout).drifted[0].fields).toEqual([
      { field: 'remote.node', expected: 'acme-jira', actual: 'acme-jira (accepting side missing)' },
    ]);
    const plan = JSON.parse((await ws.cli(['plan', ...FILE, '--format', 'json'])).stdout);
    expect(
      plan.actions.find((a: { connection: string }) => a.connection === 'service-desk-to-engineering').action,
    ).toBe('replace');
    expect((await ws.cli(['apply', ...FILE, '--yes', '--allow-replace'])).code).toBe(0);
    expect((await jira.findConnectionByName('service-desk-to-engineering'))?.status).toBe('ACTIVE');
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });

  test('a pending connection edited by hand is drift even while its acceptance is due', async () => {
    ws.emulator.injectFaults({
      kind: 'status',
      status: 400,
      method: 'POST',
      path: '/invitations/accept',
      times: 1,
    });
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(1);
    const fs = ws.client('acme-freshservice');
    const c = await fs.findConnectionByName('service-desk-to-engineering');
    await fs.updateConnection(c!.id, { description: 'edited by hand' });
    const drift = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(drift.code).toBe(2);
    expect(JSON.parse(drift.stdout).drifted[0].fields).toEqual([
      {
        field: 'description',
        expected: 'Incidents that need engineering, both ways',
        actual: 'edited by hand',
      },
    ]);
    const json = JSON.parse((await ws.cli(['plan', ...FILE, '--format', 'json'])).stdout);
    expect(
      json.actions.find((a: { connection: string }) => a.connection === 'service-desk-to-engineering'),
    ).toMatchObject({
      action: 'accept',
      drift: true,
    });
  });

  test('the JSON plan says changes exactly when --detailed-exitcode exits 2', async () => {
    const json = JSON.parse((await ws.cli(['plan', ...FILE, '--format', 'json'])).stdout);
    const exit = (await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code;
    expect(json.changes).toBe(true);
    expect(exit).toBe(2);
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const after = JSON.parse((await ws.cli(['plan', ...FILE, '--format', 'json'])).stdout);
    expect(after.changes).toBe(false);
    expect((await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code).toBe(0);
  });
});

describe('import of names that share a folder', () => {
  test('"Foo Bar" and "Foo-Bar" get a rules folder each', async () => {
    const ws = await workspace();
    try {
      const jira = ws.client('acme-jira');
      for (const name of ['Foo Bar', 'Foo-Bar']) {
        const { connection } = await jira.createConnection({
          name,
          description: '',
          localShortName: 'a',
          remoteShortName: 'b',
          configurationType: 'SCRIPT',
          communication: { type: 'PRIVATE' },
        });
        await jira.putRules(connection.id, { outgoing: `// ${name}\n`, incoming: '' }, connection.version);
      }
      const r = await ws.cli(['import', '--node', 'acme-jira', ...FILE, '--out', 'imp.exalate.yaml']);
      expect(r.code).toBe(0);
      expect(readdirSync(path.join(ws.dir, 'imp-rules')).sort()).toEqual(['Foo-Bar', 'Foo-Bar-2']);
      expect(readFileSync(path.join(ws.dir, 'imp-rules', 'Foo-Bar-2', 'outgoing.groovy'), 'utf8')).toBe(
        '// Foo-Bar\n',
      );
      const plan = await ws.cli(['plan', '--file', 'imp.exalate.yaml', '--detailed-exitcode']);
      expect(plan.code).toBe(0);
    } finally {
      await ws.close();
    }
  });
});

describe('the emulator restarted on another port', () => {
  test('keeps links between its nodes, so the plan stays empty', async () => {
    const ws = await workspace();
    const dataDir = path.join(ws.dir, '.data');
    try {
      expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
      await ws.emulator.close();
      const again = await startEmulator({ dataDir, token: ws.token, port: 0 });
      try {
        const env = {
          ACME_FRESHSERVICE_URL: again.nodeUrl('acme-freshservice'),
          ACME_JIRA_URL: again.nodeUrl('acme-jira'),
        };
        const plan = await ws.cli(['plan', ...FILE, '--detailed-exitcode', '--format', 'json'], env);
        expect(JSON.parse(plan.stdout).summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
        expect(plan.code).toBe(0);
      } finally {
        await again.close();
      }
    } finally {
      await ws.close().catch(() => undefined);
    }
  });
});

describe('GitHub output names', () => {
  test('names that collide once sanitised get a digest suffix each, and every code is masked', async () => {
    expect(githubOutputName('acme-fs', 'to-partner')).toBe('invitation_code_acme_fs_to_partner');
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'out');
      writeFileSync(file, '');
      const printed: string[] = [];
      const now = new Date().toISOString();
      await writeGithubOutputs(
        file,
        [
          { node: 'n', connection: 'a-b', status: 'pending', code: 'CODE1', updatedAt: now },
          { node: 'n', connection: 'a_b', status: 'pending', code: 'CODE2', updatedAt: now },
          { node: 'n', connection: 'c', status: 'accepted', updatedAt: now },
        ],
        (line) => printed.push(line),
      );
      expect(printed).toEqual(['::add-mask::CODE1\n', '::add-mask::CODE2\n']);
      const names = [...readFileSync(file, 'utf8').matchAll(/^(invitation_code_\w+)<</gm)].map((m) => m[1]);
      expect(names).toHaveLength(2);
      expect(new Set(names).size).toBe(2);
      expect(names.every((n) => /^invitation_code_n_a_b_[0-9a-f]{6}$/.test(n as string))).toBe(true);
    } finally {
      cleanup();
    }
  });
});
