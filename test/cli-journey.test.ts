import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../provider/cli/main';
import { BIN, captureIo, ROOT } from './helpers';
import { workspace, Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

describe('exalate-iac demo (the README quick start)', () => {
  test('runs the whole journey on the embedded emulator and exits 0 without printing a code', () => {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--keep'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    const kept = /^Kept (.+)$/m.exec(r.stdout)?.[1];
    expect(kept).toBeDefined();
    const outputs = JSON.parse(readFileSync(path.join(kept as string, 'outputs.json'), 'utf8'));
    rmSync(kept as string, { recursive: true, force: true });
    const codes = Object.values(outputs.invitations as Record<string, { code?: string }>).flatMap((i) =>
      i.code ? [i.code] : [],
    );
    expect(codes).toHaveLength(2);
    for (const code of codes) expect(r.stdout + r.stderr).not.toContain(code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('examples/connections.exalate.yaml: valid (2 nodes, 3 connections)');
    expect(r.stdout).toContain('Plan: 3 to add, 0 to change, 0 to destroy.');
    expect(r.stdout).toContain("created and accepted on 'acme-jira'");
    expect(r.stdout).toContain('Apply complete! Connections: 3 added, 0 changed, 0 destroyed.');
    expect(r.stdout).toMatch(/Invitation codes were written to .*outputs\.json \(mode 0600\)/);
    expect(r.stdout).toContain('No drift: the nodes match the configuration.');
    expect(r.stdout).toContain('acme-freshservice/acme-to-partner-jira  pending  (sensitive)');
  });
});

describe('apply on a terminal', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  function ttyIo(answer: boolean) {
    const io = captureIo(ws.dir, { ...ws.env });
    const questions: string[] = [];
    return {
      io: { ...io, isTty: true, confirm: async (q: string) => (questions.push(q), answer) },
      questions,
      stdout: io.stdout,
    };
  }

  test('asks first; "no" changes nothing', async () => {
    const t = ttyIo(false);
    expect(await main(['apply', ...FILE, '--no-color'], t.io)).toBe(1);
    expect(t.questions).toEqual(['\nDo you want to perform these actions? Only "yes" will be accepted:']);
    expect(t.stdout()).toContain('Apply cancelled.');
    expect(await ws.list('acme-freshservice')).toEqual([]);
  });

  test('"yes" applies, with progress lines per connection', async () => {
    const t = ttyIo(true);
    expect(await main(['apply', ...FILE], t.io)).toBe(0);
    const out = t.stdout();
    expect(out).toContain('  … acme-jira/jira-to-vendor: create…');
    expect(out).toContain('[3/3] \u001b[32m✓\u001b[0m ');
    expect((await ws.list('acme-freshservice')).length).toBe(2);
  });

  test('--yes never asks', async () => {
    const t = ttyIo(false);
    expect(await main(['apply', ...FILE, '--yes'], t.io)).toBe(0);
    expect(t.questions).toEqual([]);
  });
});

describe('plan formats from the CLI', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws.close();
  });

  test('markdown: marker, summary, diagram; json: format_version', async () => {
    const md = await ws.cli(['plan', ...FILE, '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout.startsWith('<!-- exalate-iac:plan -->\n')).toBe(true);
    expect(md.stdout).toContain('**Plan: 3 to add, 0 to change, 0 to destroy.**');
    expect(md.stdout).toContain('```mermaid');
    expect(md.stdout).toContain('"acme-jira (jira-cloud)"');
    const json = JSON.parse((await ws.cli(['plan', ...FILE, '--format', 'json'])).stdout);
    expect(json).toMatchObject({ format_version: '1', changes: true, summary: { add: 3 } });
    const bad = await ws.cli(['plan', ...FILE, '--format', 'yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("exalate-iac plan: --format must be text, markdown or json, got 'yaml'\n");
  });
});
