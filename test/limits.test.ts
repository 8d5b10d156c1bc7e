// Limits that agree: one rule-size limit for validate, the client and the emulator; findings
// capped per file; an oversize file located at 1:1; a closed stdout ends quietly; an outputs
// path whose folder cannot exist fails at once.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { API_BASE, MAX_RULE_BYTES } from '../provider/api/contract';
import { ExalateError } from '../provider/api/errors';
import { loadConfig, MAX_FINDINGS } from '../provider/config/load';
import { MAX_FILE_BYTES } from '../provider/config/source';
import { BIN, tempDir } from './helpers';
import { workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

describe('one rule-size limit', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('a rule file of MAX_RULE_BYTES + 1 bytes fails validate at its path; MAX_RULE_BYTES passes', async () => {
    writeFileSync(path.join(ws.dir, 'rules', 'outgoing.groovy'), 'x'.repeat(MAX_RULE_BYTES + 1));
    const over = await loadConfig('connections.exalate.yaml', { cwd: ws.dir });
    expect(over.state).toBeUndefined();
    expect(over.findings.map((f) => [f.line, f.col, f.pointer])).toEqual([
      [26, 17, '/connections/0/rules/outgoing'],
      [45, 17, '/connections/1/rules/outgoing'],
    ]);
    expect(over.findings[0]?.message).toContain(String(MAX_RULE_BYTES));
    writeFileSync(path.join(ws.dir, 'rules', 'outgoing.groovy'), 'x'.repeat(MAX_RULE_BYTES));
    expect((await loadConfig('connections.exalate.yaml', { cwd: ws.dir })).findings).toEqual([]);
  });

  test('a file of exactly the limit applies, its rules are on the node, and the next plan is empty', async () => {
    writeFileSync(
      path.join(ws.dir, 'rules', 'outgoing.groovy'),
      `// ${'é'.repeat((MAX_RULE_BYTES - 4) / 2)}\n`,
    );
    const r = await ws.cli(['apply', ...FILE, '--yes']);
    expect(r.code).toBe(0);
    const rules = ws.emulator.connections('acme-freshservice').map((c) => c.rules?.outgoing ?? '');
    expect(rules.map((t) => Buffer.byteLength(t))).toEqual([MAX_RULE_BYTES, MAX_RULE_BYTES]);
    expect((await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code).toBe(0);
  });

  test('the client refuses rules over the limit before sending anything; the emulator refuses them too', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const c = ws.client('acme-freshservice');
    const live = await c.findConnectionByName('acme-to-partner-jira');
    const id = live?.id as number;
    ws.emulator.clearRequests();
    const over = { outgoing: 'x'.repeat(MAX_RULE_BYTES + 1), incoming: '' };
    const refused = await c.putRules(id, over).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(ExalateError.isExalateError(refused) && refused.code).toBe('EXALATE_BAD_REQUEST');
    const created = await c
      .createConnection({
        name: 'too-large',
        description: '',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'PRIVATE' },
        rules: over,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(ExalateError.isExalateError(created) && created.code).toBe('EXALATE_BAD_REQUEST');
    expect(ws.emulator.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    // The emulator, asked directly, draws the line at the same place.
    const base = `${ws.emulator.nodeUrl('acme-freshservice')}${API_BASE}`;
    const auth = await fetch(`${base}/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ authProtocol: 'token', user: '', password: ws.token }),
    });
    const jwt = auth.headers.get('x-exalate-jwt') as string;
    const put = (outgoing: string) =>
      fetch(`${base}/connections/${id}/rules`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-exalate-jwt': jwt },
        body: JSON.stringify({ outgoing, incoming: '' }),
      });
    expect((await put('x'.repeat(MAX_RULE_BYTES + 1))).status).toBe(400);
    expect((await put('x'.repeat(MAX_RULE_BYTES))).status).toBe(200);
  });
});

describe('findings and output', () => {
  const { dir, cleanup } = tempDir('exalate-limits-');
  afterAll(cleanup);

  test(`findings are capped at ${MAX_FINDINGS} per file, then one saying how many more; validate counts them all`, async () => {
    const connections = Array.from(
      { length: 300 },
      (_, i) =>
        `  - {name: c${i}, node: fs, localShortName: a, remoteShortName: b, mode: bogus, private: true}\n`,
    ).join('');
    writeFileSync(
      path.join(dir, 'many.exalate.yaml'),
      `version: 1\nnodes:\n  fs: {url: "https://fs.example.com", platform: freshservice, token: "\${T}"}\nconnections:\n${connections}`,
    );
    const result = await loadConfig('many.exalate.yaml', { cwd: dir });
    expect(result.findings).toHaveLength(MAX_FINDINGS + 1);
    expect(result.omitted).toBe(200);
    expect(result.findings[MAX_FINDINGS - 1]).toMatchObject({ line: 104, pointer: '/connections/99/mode' });
    expect(result.findings[MAX_FINDINGS]?.message).toContain('200 more');
    const r = await runBin(['validate', 'many.exalate.yaml', '--format', 'json'], dir);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, errors: 300 });
  });

  test('a config file over the size limit is one finding at 1:1, and is not read', async () => {
    const file = path.join(dir, 'huge.exalate.yaml');
    writeFileSync(file, '#'.repeat(MAX_FILE_BYTES + 1));
    const result = await loadConfig(file, { cwd: dir });
    expect(result.findings.map((f) => [f.line, f.col, f.severity])).toEqual([[1, 1, 'error']]);
  });

  test('`validate … | head -1`: a closed stdout ends the run quietly, with no stack trace', async () => {
    const files: string[] = [];
    for (let i = 0; i < 40; i++) {
      const f = `bad-${i}.exalate.yaml`;
      writeFileSync(path.join(dir, f), 'version: 2\nnodes: {}\nconnections: []\nextra: 1\n');
      files.push(f);
    }
    const child = spawn(process.execPath, [BIN, 'validate', ...files], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).not.toBeNull();
  });
});

describe('an outputs path whose folder cannot be made', () => {
  test('fails at once, before any request, naming the folder', async () => {
    const ws = await workspace();
    try {
      ws.emulator.clearRequests();
      const r = await ws.cli(['apply', ...FILE, '--yes', '--outputs-file', '/proc/x/y']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^exalate-iac apply: \/proc\/x\/y: cannot (create|use|write in) /);
      expect(ws.emulator.requests).toEqual([]);
    } finally {
      await ws.close();
    }
  }, 120_000);

  test('a folder under a file is refused the same way', async () => {
    const ws = await workspace();
    try {
      mkdirSync(path.join(ws.dir, 'd'));
      writeFileSync(path.join(ws.dir, 'd', 'file'), '');
      const r = await ws.cli(['apply', ...FILE, '--yes', '--outputs-file', 'd/file/outputs.json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ENOTDIR|is not a folder/);
      expect(ws.emulator.connections('acme-jira')).toEqual([]);
    } finally {
      await ws.close();
    }
  });
});

function runBin(
  argv: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
