/**
 * The README's "Commands" section is true as written: every command in its ```sh and ```console
 * blocks runs, in order, at a copy of the repository root against the emulator the README starts,
 * and prints what the README shows. A ```yaml block whose first line is `# NAME.yaml` is the
 * file of that name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../provider/cli/main';
import type { Io } from '../provider/cli/io';
import { BIN, ROOT, tempDir } from './helpers';
import { FAST } from './reconcile-helpers';

/** Commands the README shows failing, with their exit status; every other one exits 0. */
const EXPECTED_STATUS: Readonly<Record<string, number>> = { 'validate bad.exalate.yaml': 1 };

interface Block {
  lang: string;
  body: string;
}

function commandsSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Commands\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, end < 0 ? undefined : end);
}

function blocks(section: string): Block[] {
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? '',
    body: m[2] ?? '',
  }));
}

/** `NAME=VALUE … npx exalate-iac ARGS`: the variables and the arguments (no quoting needed here). */
function parseCommand(line: string): { env: Record<string, string>; argv: string[] } | undefined {
  const words = line.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name as string] = value.join('=');
  }
  if (words[0] !== 'npx' || words[1] !== 'exalate-iac') return undefined;
  return { env, argv: words.slice(2) };
}

/** What a terminal shows, compared line by line; apply's progress lines in any order. */
function normalise(text: string): string[] {
  const lines = text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''));
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const line of lines) {
    const progress = /^\[\d+\/(\d+)\] (.*)$/.exec(line);
    if (progress) run.push(`[n/${progress[1]}] ${progress[2]}`);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

describe("the README's Commands section", () => {
  test('exports every variable examples/connections.exalate.yaml references, and nothing else', () => {
    const example = readFileSync(path.join(ROOT, 'examples', 'connections.exalate.yaml'), 'utf8');
    const needed = [...new Set([...example.matchAll(/\$\{([A-Za-z_]\w*)\}/g)].map((m) => m[1]))].sort();
    const exported = blocks(commandsSection())
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => [...b.body.matchAll(/^export ([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]))
      .sort();
    expect(exported).toEqual(needed);
    const bin = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: object }).bin;
    expect(Object.keys(bin)).toContain('exalate-iac');
  });

  test('every command runs as written, in order, and prints what the README shows', async () => {
    const { dir, cleanup } = tempDir('exalate-readme-');
    cpSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'), { recursive: true });
    const exported: Record<string, string> = {};
    let emulator: ChildProcess | undefined;
    let port: string | undefined;
    // The README's port is whatever was free here.
    const env = () => {
      const values = Object.entries(exported).map(([k, v]) => [
        k,
        port ? v.replace(/127\.0\.0\.1:8080\b/, `127.0.0.1:${port}`) : v,
      ]);
      return { PATH: process.env.PATH, ...Object.fromEntries(values) } as NodeJS.ProcessEnv;
    };
    const run = async (argv: string[]) => {
      let shown = '';
      const io: Io = {
        out: (t) => (shown += t),
        err: (t) => (shown += t),
        env: env(),
        cwd: dir,
        isTty: false,
      };
      return { code: await main(argv, io, FAST), shown };
    };
    const ran: string[] = [];
    try {
      for (const block of blocks(commandsSection())) {
        if (block.lang === 'yaml') {
          const name = /^# (\S+\.ya?ml)\n/.exec(block.body)?.[1];
          if (name) writeFileSync(path.join(dir, name), block.body);
        } else if (block.lang === 'sh') {
          for (const line of block.body.split('\n')) {
            if (line.trim() === '' || line.trim().startsWith('#')) continue;
            const assignment = /^export ([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(line.trim());
            if (assignment) {
              exported[assignment[1] as string] = assignment[2] as string;
              continue;
            }
            const command = parseCommand(line);
            if (!command) throw new Error(`README: a line this test cannot run: ${line}`);
            ran.push(command.argv.join(' '));
            if (command.argv[0] === 'emulator') {
              expect(emulator).toBeUndefined();
              const argv = command.argv.map((a, i) => (command.argv[i - 1] === '--port' ? '0' : a));
              emulator = spawn(process.execPath, [BIN, ...argv], {
                cwd: dir,
                env: { PATH: process.env.PATH, ...command.env },
                stdio: ['ignore', 'pipe', 'inherit'],
              });
              port = await new Promise<string>((resolve, reject) => {
                let out = '';
                emulator?.stdout?.on('data', (d: Buffer) => {
                  out += d.toString();
                  const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
                  if (m) resolve(m[1] as string);
                });
                emulator?.on('exit', (c) => reject(new Error(`the README's emulator exited with ${c}`)));
              });
            } else {
              const r = await run(command.argv);
              expect([line, r.code]).toEqual([line, 0]);
            }
          }
        } else if (block.lang === 'console') {
          const lines = block.body.replace(/\n$/, '').split('\n');
          for (let i = 0; i < lines.length;) {
            const line = lines[i] as string;
            expect(line.startsWith('$ ')).toBe(true);
            const command = parseCommand(line.slice(2));
            if (!command) throw new Error(`README: a line this test cannot run: ${line}`);
            const expected: string[] = [];
            for (i++; i < lines.length && !(lines[i] as string).startsWith('$ '); i++)
              expected.push(lines[i] as string);
            const args = command.argv.join(' ');
            ran.push(args);
            const r = await run(command.argv);
            expect([line, r.code]).toEqual([line, EXPECTED_STATUS[args] ?? 0]);
            expect([line, normalise(r.shown)]).toEqual([line, normalise(expected.join('\n'))]);
          }
        }
      }
    } finally {
      emulator?.kill('SIGTERM');
      cleanup();
    }
    // The walk-through covers every command a user meets first.
    expect(new Set(ran.map((a) => a.split(' ')[0]))).toEqual(
      new Set(['emulator', 'validate', 'plan', 'apply', 'output', 'regenerate', 'drift', 'import']),
    );
  });
});
