import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync, readdirSync, cpSync } from 'node:fs';
import * as path from 'node:path';
import { BIN, ROOT, tempDir } from './helpers';

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BAD = `version: 1
nodes:
  fs:
    url: https://fs.example.com
    platform: freshservice
    token: very-secret-literal
connections:
  - name: c1
    node: fs
    localShortName: a
    remoteShortName: b
    mode: visual
    private: true
`;

describe('exalate-iac validate (the real CLI)', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  beforeAll(() => {
    writeFileSync(path.join(dir, 'bad.exalate.yaml'), BAD);
    cpSync(path.join(ROOT, 'examples'), path.join(dir, 'good'), { recursive: true });
  });

  test('every file under examples/ validates cleanly', () => {
    const files = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.exalate.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const r = cli(['validate', path.join('examples', file)], ROOT);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/: valid \(\d+ nodes?, \d+ connections?\)\n$/);
    }
  });

  test('a bad file: every problem as FILE:LINE:COL, exit 1, no stack trace, no secret', () => {
    const r = cli(['validate', 'bad.exalate.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'bad.exalate.yaml:6:12: error: a literal token is not allowed: reference an environment variable, e.g. token: ${ACME_TOKEN} (/nodes/fs/token)',
      "bad.exalate.yaml:12:11: error: mode 'visual' is not offered on freshservice (available: basic, ai-assist, script) (/connections/0/mode)",
      '2 errors in 1 of 1 file',
      '',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout + r.stderr).not.toContain('very-secret-literal');
    expect(r.stdout + r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  test('the default file is connections.exalate.yaml', () => {
    const folder = path.join(dir, 'default');
    mkdirSync(folder);
    const r1 = cli(['validate'], folder);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toContain('connections.exalate.yaml: error: file not found');
    copyFileSync(path.join(dir, 'bad.exalate.yaml'), path.join(folder, 'connections.exalate.yaml'));
    const r2 = cli(['validate'], folder);
    expect(r2.stdout).toContain('connections.exalate.yaml:6:12: error:');
  });

  test('several files: problems of each, one summary', () => {
    const r = cli(['validate', 'good/connections.exalate.yaml', 'bad.exalate.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('2 errors in 1 of 2 files');
    const ok = cli(['validate', 'good/connections.exalate.yaml', 'good/connections.exalate.yaml'], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('2 files: valid (4 nodes, 6 connections)\n');
  });

  test('--format json gives the same findings', () => {
    const r = cli(['validate', '--format', 'json', 'bad.exalate.yaml'], dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ format_version: '1', valid: false, errors: 2 });
    expect(
      report.findings.map((f: { line: number; col: number; pointer: string }) => [f.line, f.col, f.pointer]),
    ).toEqual([
      [6, 12, '/nodes/fs/token'],
      [12, 11, '/connections/0/mode'],
    ]);
    const good = JSON.parse(cli(['validate', '--format=json', 'good/connections.exalate.yaml'], dir).stdout);
    expect(good).toMatchObject({
      valid: true,
      errors: 0,
      findings: [],
      files: [{ nodes: 2, connections: 3, valid: true }],
    });
  });

  test('GITHUB_ACTIONS=true adds ::error annotations', () => {
    const r = cli(['validate', 'bad.exalate.yaml'], dir, { GITHUB_ACTIONS: 'true' });
    expect(r.stdout).toContain(
      "::error file=bad.exalate.yaml,line=12,col=11::mode 'visual' is not offered on freshservice (available: basic, ai-assist, script) (/connections/0/mode)",
    );
    expect(r.stdout.match(/^::error /gm)).toHaveLength(2);
    const plain = cli(['validate', 'bad.exalate.yaml'], dir);
    expect(plain.stdout).not.toContain('::error');
  });

  test('bad usage is one line on stderr and exit 1', () => {
    const r = cli(['validate', '--format', 'xml'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("exalate-iac validate: --format must be text or json, got 'xml'\n");
    const u = cli(['validate', '--bogus'], dir);
    expect(u.code).toBe(1);
    expect(u.stderr).toBe("exalate-iac validate: unknown option '--bogus'. See --help.\n");
    const h = cli(['validate', '--help'], dir);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: exalate-iac validate');
  });

  test('the CLI answers --version and rejects unknown commands', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toMatch(
      /^\d+\.\d+\.\d+\n$/,
    );
    const r = cli(['frobnicate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exalate-iac: unknown command 'frobnicate'/);
  });
});
