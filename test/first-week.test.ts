/**
 * A user's first week (issue 10): nothing in the CLI silently does the wrong thing. One test per
 * requirement, each failing without its fix; terminal behaviour through an Io with `isTty` and a
 * scripted `confirm`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { NodeClient } from '../provider/api/client';
import { main } from '../provider/cli/main';
import type { Io } from '../provider/cli/io';
import { BIN, captureIo, ROOT, tempDir } from './helpers';
import { FAST, outputs, workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];
const ESC = '\u001b[';

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.close();
});

async function applied(): Promise<void> {
  const r = await ws.cli(['apply', ...FILE, '--yes']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** An Io on a terminal whose prompts answer `answer`; records the questions. */
function terminal(answer: boolean, env: NodeJS.ProcessEnv = {}) {
  const io = captureIo(ws.dir, { ...ws.env, ...env });
  const questions: string[] = [];
  const tty: Io = { ...io, isTty: true, confirm: async (q) => (questions.push(q), answer) };
  return { io: tty, questions, stdout: io.stdout, stderr: io.stderr };
}

function code(connection: string): string | undefined {
  return outputs(ws)[connection]?.code as string | undefined;
}

function invitationPosts(): number {
  return ws.emulator.requests.filter((r) => r.method === 'POST' && /\/invitation$/.test(r.path)).length;
}

describe('import and --prune: an owner identifies one file', () => {
  test('import writes an owner of its own and leaves out connections of other owners; --prune there deletes nothing', async () => {
    await applied();
    await ws.client('acme-freshservice').createConnection({
      name: 'made-by-hand',
      description: 'not managed yet',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
    const r = await ws.cli([
      'import',
      '--node',
      'acme-freshservice',
      ...FILE,
      '--out',
      'acme-fs.exalate.yaml',
    ]);
    expect(r.code).toBe(0);
    const imported = parseYaml(readFileSync(path.join(ws.dir, 'acme-fs.exalate.yaml'), 'utf8')) as {
      owner: string;
      connections: { name: string }[];
    };
    expect(imported.owner).toBe('platform-team-acme-freshservice');
    expect(imported.connections.map((c) => c.name)).toEqual(['made-by-hand']);

    const plan = await ws.cli(['plan', '--file', 'acme-fs.exalate.yaml', '--prune', '--format', 'json']);
    expect(plan.code).toBe(0);
    const json = JSON.parse(plan.stdout);
    expect(json.owner).toBe('platform-team-acme-freshservice');
    expect(json.changes).toBe(false);
    expect(json.summary.destroy).toBe(0);
    expect(json.unmanaged['acme-freshservice'].sort()).toEqual([
      'acme-to-partner-jira',
      'service-desk-to-engineering',
    ]);
  });

  test('--owner equal to the source file’s takes its connections over, with a warning', async () => {
    await applied();
    const r = await ws.cli([
      'import',
      '--node',
      'acme-freshservice',
      ...FILE,
      '--out',
      'same.exalate.yaml',
      '--owner',
      'platform-team',
    ]);
    expect(r.code).toBe(0);
    const imported = parseYaml(readFileSync(path.join(ws.dir, 'same.exalate.yaml'), 'utf8')) as {
      owner: string;
      connections: { name: string }[];
    };
    expect(imported.owner).toBe('platform-team');
    expect(imported.connections.map((c) => c.name).sort()).toEqual([
      'acme-to-partner-jira',
      'service-desk-to-engineering',
    ]);
    expect(r.stderr).toMatch(/^exalate-iac import: warning: .*'platform-team'/);
  });

  test('validate refuses two files with one owner (the same file named twice is one file)', async () => {
    writeFileSync(
      path.join(ws.dir, 'other.exalate.yaml'),
      readFileSync(path.join(ws.dir, 'connections.exalate.yaml'), 'utf8'),
    );
    const r = await ws.cli([
      'validate',
      '--format',
      'json',
      'connections.exalate.yaml',
      'other.exalate.yaml',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.files.map((f: { valid: boolean }) => f.valid)).toEqual([true, false]);
    expect(report.findings).toMatchObject([
      { file: 'other.exalate.yaml', line: 5, col: 8, severity: 'error', pointer: '/owner' },
    ]);
    ws.edit((t) => t.replace('owner: platform-team', 'owner: another-team'), 'other.exalate.yaml');
    expect((await ws.cli(['validate', 'connections.exalate.yaml', 'other.exalate.yaml'])).code).toBe(0);
    const twice = await ws.cli(['validate', 'connections.exalate.yaml', './connections.exalate.yaml']);
    expect(twice.code).toBe(0);
  });
});

describe('output never prints a placeholder for a code', () => {
  test('asking for one code without --show-sensitive prints nothing on stdout and exits 1, also with --json', async () => {
    await applied();
    for (const extra of [[], ['--json']]) {
      const r = await ws.cli(['output', 'acme-to-partner-jira', ...extra]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--show-sensitive');
    }
    const shown = await ws.cli(['output', 'acme-to-partner-jira', '--show-sensitive']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${code('acme-freshservice/acme-to-partner-jira')}\n`);
    // No code to hide: an accepted connection answers without --show-sensitive.
    expect((await ws.cli(['output', 'service-desk-to-engineering'])).code).toBe(0);
  });

  test('output --json without --show-sensitive has no code at all, only "sensitive": true', async () => {
    await applied();
    const r = await ws.cli(['output', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.format_version).toBe('1');
    const entries = Object.values(json.invitations) as Record<string, unknown>[];
    expect(entries.filter((e) => 'code' in e)).toEqual([]);
    expect(entries.filter((e) => e.sensitive === true).map((e) => e.connection)).toEqual([
      'acme-to-partner-jira',
      'jira-to-vendor',
    ]);
    const full = JSON.parse((await ws.cli(['output', '--json', '--show-sensitive'])).stdout);
    expect(full.invitations['acme-jira/jira-to-vendor'].code).toBe(code('acme-jira/jira-to-vendor'));
  });
});

describe('regenerate asks before it invalidates a live code', () => {
  test('on a terminal it asks; "no" sends nothing to the node and keeps the code', async () => {
    await applied();
    const before = code('acme-freshservice/acme-to-partner-jira');
    ws.emulator.clearRequests();
    const t = terminal(false);
    expect(await main(['regenerate', 'acme-to-partner-jira', ...FILE], t.io, FAST)).toBe(1);
    expect(t.questions).toHaveLength(1);
    expect(invitationPosts()).toBe(0);
    expect(code('acme-freshservice/acme-to-partner-jira')).toBe(before);
  });

  test('not on a terminal it needs --yes, and refuses before any change', async () => {
    await applied();
    const before = code('acme-freshservice/acme-to-partner-jira');
    ws.emulator.clearRequests();
    const r = await ws.cli(['regenerate', 'acme-to-partner-jira', ...FILE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--yes');
    expect(invitationPosts()).toBe(0);
    expect(code('acme-freshservice/acme-to-partner-jira')).toBe(before);
  });

  test('on a terminal, "yes" replaces the code', async () => {
    await applied();
    const before = code('acme-freshservice/acme-to-partner-jira');
    const t = terminal(true);
    expect(await main(['regenerate', 'acme-to-partner-jira', ...FILE], t.io, FAST)).toBe(0);
    expect(t.questions).toHaveLength(1);
    expect(invitationPosts()).toBe(1);
    expect(code('acme-freshservice/acme-to-partner-jira')).not.toBe(before);
  });
});

describe('retries and waits are visible', () => {
  test('a wait of a second or more (Retry-After) is a progress line on stderr; a short back-off is not', async () => {
    ws.emulator.injectFaults({ kind: 'rate-limit', retryAfter: 3, method: 'GET', path: '/connections' });
    const limited = await ws.cli(['plan', ...FILE, '--format', 'json']);
    expect(limited.code).toBe(0);
    expect(JSON.parse(limited.stdout).summary.add).toBe(3);
    expect(limited.stderr.split('\n').filter((l) => /waiting 3\.0 s/.test(l))).toHaveLength(1);

    ws.emulator.injectFaults({ kind: 'status', status: 503, method: 'GET', path: '/connections' });
    const retried = await ws.cli(['plan', ...FILE, '--format', 'json']);
    expect(retried.code).toBe(0);
    expect(ws.emulator.requests.filter((r) => r.status === 503)).toHaveLength(1);
    expect(retried.stderr).toBe('');
  });

  test('--verbose and EXALATE_LOG=debug print redacted debug lines to stderr; otherwise none', async () => {
    const quiet = await ws.cli(['plan', ...FILE, '--format', 'json']);
    expect(quiet.stderr).toBe('');
    for (const [argv, env] of [
      [['--verbose'], {}],
      [['-v'], {}],
      [[], { EXALATE_LOG: 'debug' }],
    ] as const) {
      const r = await ws.cli(['plan', ...FILE, '--format', 'json', ...argv], env);
      expect(r.code).toBe(0);
      JSON.parse(r.stdout);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.startsWith('exalate-iac: debug: '))).toBe(true);
      expect(r.stderr).not.toContain(ws.token);
      expect(r.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    }
  });
});

describe('long reads show per-node progress on a terminal', () => {
  test.each(['plan', 'drift'])(
    '%s: one line per node on stderr, stdout untouched; none off a terminal',
    async (command) => {
      const t = terminal(false);
      const status = await main([command, ...FILE, '--format', 'json'], t.io, FAST);
      expect([0, 2]).toContain(status);
      JSON.parse(t.stdout());
      const lines = t.stderr().split('\n').filter(Boolean);
      expect(lines.map((l) => /read (\S+):/.exec(l)?.[1]).sort()).toEqual(['acme-freshservice', 'acme-jira']);
      const piped = await ws.cli([command, ...FILE, '--format', 'json']);
      expect(piped.stderr).toBe('');
    },
  );
});

describe('one JSON convention', () => {
  test('plan --format json and plan --out are one snake_case shape; new creates are not drift', async () => {
    const r = await ws.cli(['plan', ...FILE, '--format', 'json', '--out', 'saved.json']);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    const saved = JSON.parse(readFileSync(path.join(ws.dir, 'saved.json'), 'utf8'));
    expect(Object.keys(saved)).toEqual(Object.keys(printed));
    expect({ ...saved, created_at: 'x' }).toEqual({ ...printed, created_at: 'x' });
    expect(typeof saved.created_at).toBe('string');
    expect(printed).toMatchObject({ format_version: '1', changes: true, drift: false });
    expect(printed.actions.map((a: { action: string; drift: boolean }) => [a.action, a.drift])).toEqual([
      ['create', false],
      ['create', false],
      ['create', false],
    ]);
  });

  test('drift, validate and output --json carry format_version', async () => {
    await applied();
    for (const argv of [
      ['drift', ...FILE, '--format', 'json'],
      ['validate', '--format', 'json', 'connections.exalate.yaml'],
      ['output', '--json'],
    ]) {
      const json = JSON.parse((await ws.cli(argv)).stdout);
      expect(Object.keys(json)[0]).toBe('format_version');
      expect(json.format_version).toBe('1');
    }
  });
});

describe('flags', () => {
  test('--no-color and --verbose are accepted by every command', async () => {
    const help = captureIo(ws.dir);
    expect(await main(['--help'], help)).toBe(0);
    const commands = help
      .stdout()
      .split('Commands:\n')[1]!
      .split('\n')
      .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const command of commands) {
      // The unknown option is reported, not the global ones before it.
      const r = await ws.cli([command, '--no-color', '--verbose', '--no-such-option']);
      expect([command, r.code]).toEqual([command, 1]);
      expect([command, r.stderr]).toEqual([
        command,
        expect.stringContaining(`exalate-iac ${command}: unknown option '--no-such-option'`),
      ]);
    }
  });

  test('NO_COLOR set to anything but empty turns colour off, like --no-color; empty keeps it', async () => {
    const coloured = async (argv: string[], env: NodeJS.ProcessEnv) => {
      const t = terminal(false, env);
      expect(await main(['plan', ...FILE, ...argv], t.io, FAST)).toBe(0);
      return t.stdout().includes(ESC);
    };
    expect(await coloured([], {})).toBe(true);
    expect(await coloured([], { NO_COLOR: '' })).toBe(true);
    expect(await coloured([], { NO_COLOR: '1' })).toBe(false);
    expect(await coloured(['--no-color'], {})).toBe(false);
    expect(await coloured([], { CI: 'true' })).toBe(false);
  });

  test('a mistyped command or option gets a "did you mean", not the parser’s text', async () => {
    const command = await ws.cli(['plna']);
    expect(command.code).toBe(1);
    expect(command.stdout).toBe('');
    expect(command.stderr).toContain("did you mean 'plan'?");
    const option = await ws.cli(['plan', '--fiel', 'connections.exalate.yaml']);
    expect(option.code).toBe(1);
    expect(option.stderr).toBe(
      "exalate-iac plan: unknown option '--fiel': did you mean --file? See --help.\n",
    );
  });

  test('exalate-iac version prints the package version, as --version does', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const argv of [['version'], ['--version']]) {
      const r = await ws.cli(argv);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    expect((await ws.cli(['version', 'extra'])).code).toBe(1);
  });

  test('EXALATE_ALLOW_INSECURE_HTTP is in the --help of every command that talks to nodes', async () => {
    for (const command of ['plan', 'apply', 'drift', 'import', 'regenerate']) {
      const r = await ws.cli([command, '--help']);
      expect([command, r.code]).toEqual([command, 0]);
      expect([command, r.stdout]).toEqual([
        command,
        expect.stringContaining('EXALATE_ALLOW_INSECURE_HTTP=1'),
      ]);
    }
  });
});

describe('the commands the CLI suggests work as written', () => {
  /** The `exalate-iac …` commands shown in backquotes. */
  const suggested = (text: string) =>
    [...text.matchAll(/`exalate-iac ([^`]+)`/g)].map((m) => (m[1] as string).split(' '));

  test('with a file that is not the default, the suggestions name it', async () => {
    writeFileSync(
      path.join(ws.dir, 'team.exalate.yaml'),
      readFileSync(path.join(ws.dir, 'connections.exalate.yaml'), 'utf8'),
    );
    const team = ['--file', 'team.exalate.yaml'];
    const plan = await ws.cli(['plan', ...team, '--out', 'team.plan.json']);
    expect(plan.code).toBe(0);
    const [apply] = suggested(plan.stdout);
    expect(apply).toEqual(['apply', 'team.plan.json', ...team]);
    expect((await ws.cli(apply as string[])).code).toBe(0);

    const pending = await ws.cli(['plan', ...team]);
    const regenerate = suggested(pending.stdout).filter((c) => c[0] === 'regenerate');
    expect(regenerate).toEqual([
      ['regenerate', 'acme-to-partner-jira', ...team],
      ['regenerate', 'jira-to-vendor', ...team],
    ]);
    for (const command of regenerate) expect((await ws.cli([...command, '--yes'])).code).toBe(0);
  });
});

describe('the emulator', () => {
  test('takes its token from a file (never on the command line, never printed) and prints the address it bound', async () => {
    const { dir, cleanup } = tempDir('exalate-emu-');
    const token = `tok-${Date.now().toString(36)}-file`;
    writeFileSync(path.join(dir, 'token'), `${token}\n`, { mode: 0o600 });
    const child = spawn(
      process.execPath,
      [BIN, 'emulator', '--host', '0.0.0.0', '--port', '0', '--data', 'data', '--token-file', 'token'],
      { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('node acme-jira:')) resolve(out);
        });
        child.on('exit', () => reject(new Error(`emulator exited: ${err}`)));
      });
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+) \(bound to 0\.0\.0\.0:(\d+)\)/.exec(banner);
      expect(m?.[1]).toBeDefined();
      expect(m?.[2]).toBe(m?.[1]);
      expect(banner).not.toContain(token);
      if (existsSync(`/proc/${child.pid}/cmdline`))
        expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')).not.toContain(token);
      const client = new NodeClient({
        url: `http://127.0.0.1:${m?.[1]}/nodes/acme-jira`,
        token,
        sleep: async () => undefined,
      });
      try {
        expect((await client.info()).platform).toBe('jira-cloud');
      } finally {
        await client.close();
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toBe('');
    } finally {
      child.kill('SIGKILL');
      cleanup();
    }
  });

  test('--help says to prefer --token-file or EXALATE_EMULATOR_TOKEN over --token', async () => {
    const r = await ws.cli(['emulator', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--token-file F');
    expect(r.stdout).toContain('EXALATE_EMULATOR_TOKEN');
  });
});
