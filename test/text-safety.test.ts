// Text in a configuration: names that are properties of Object.prototype are just names, and
// text that shows a reviewer something else (Trojan Source, CVE-2021-42574; look-alike letters)
// is reported where it is written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../provider/config/load';
import { skeleton } from '../provider/config/text-safety';
import { tempDir } from './helpers';
import { workspace, type Workspace } from './reconcile-helpers';

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

describe('names that are properties of Object.prototype', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  /** The only prototype name the node-name pattern allows is "constructor"; it is a node here. */
  const config = `version: 1
owner: constructor
nodes:
  constructor:
    url: \${CONSTRUCTOR_URL}
    platform: freshservice
    token: \${ACME_FRESHSERVICE_TOKEN}
  jira:
    url: \${ACME_JIRA_URL}
    platform: jira-cloud
    token: \${ACME_JIRA_TOKEN}
connections:
${PROTOTYPE_NAMES.map(
  (
    n,
  ) => `  - {name: ${JSON.stringify(n)}, node: constructor, localShortName: a, remoteShortName: b, mode: script, remote: {node: jira}}
  - {name: ${JSON.stringify(`j ${n}`)}, node: jira, localShortName: a, remoteShortName: b, mode: script, remote: {node: constructor}}
  - {name: ${JSON.stringify(`p ${n}`)}, node: constructor, localShortName: a, remoteShortName: b, mode: script, private: true}
`,
).join('')}`;

  test('every one as a connection name, and "constructor" as a node, remote node and owner: validate, plan, apply, drift, output, regenerate', async () => {
    writeFileSync(path.join(ws.dir, 'proto.exalate.yaml'), config);
    const env = { CONSTRUCTOR_URL: ws.emulator.nodeUrl('acme-freshservice') };
    const run = (argv: string[]) => ws.cli(argv, env);
    const file = ['--file', 'proto.exalate.yaml'];

    const validate = await run(['validate', 'proto.exalate.yaml', '--format', 'json']);
    expect(JSON.parse(validate.stdout)).toMatchObject({
      valid: true,
      files: [{ connections: 36, nodes: 2 }],
    });
    const plan = await run(['plan', ...file, '--format', 'json']);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { summary: { add: number } }).summary.add).toBe(36);
    const apply = await run(['apply', ...file, '--yes']);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect((await run(['plan', ...file, '--detailed-exitcode'])).code).toBe(0);
    expect((await run(['drift', ...file])).code).toBe(0);

    const outputs = JSON.parse(readFileSync(path.join(ws.dir, '.exalate/outputs.json'), 'utf8')) as {
      invitations: Record<string, { status: string; accepted_on?: string }>;
    };
    for (const n of PROTOTYPE_NAMES) {
      expect(Object.hasOwn(outputs.invitations, `constructor/${n}`)).toBe(true);
      expect(outputs.invitations[`constructor/${n}`]).toMatchObject({
        status: 'accepted',
        accepted_on: 'jira',
      });
      expect(outputs.invitations[`jira/j ${n}`]).toMatchObject({
        status: 'accepted',
        accepted_on: 'constructor',
      });
      expect(outputs.invitations[`constructor/p ${n}`]).toMatchObject({ status: 'pending' });
    }
    for (const n of ['p __proto__', 'p constructor', 'p hasOwnProperty']) {
      const r = await run(['regenerate', n, ...file, '--node', 'constructor', '--yes']);
      expect(r.code).toBe(0);
      expect((await run(['output', `constructor/${n}`, '--show-sensitive'])).code).toBe(0);
    }
    // Removed from the file, they are pruned by name, and nothing else is touched.
    writeFileSync(
      path.join(ws.dir, 'proto.exalate.yaml'),
      config.slice(0, config.indexOf('connections:')) + 'connections: []\n',
    );
    const prune = await run(['apply', ...file, '--yes', '--prune']);
    expect(prune.code).toBe(0);
    expect(ws.emulator.connections('acme-freshservice')).toEqual([]);
    expect(ws.emulator.connections('acme-jira')).toEqual([]);
  });

  test.each(PROTOTYPE_NAMES.filter((n) => n !== 'constructor'))(
    '%s as a node name and as an undeclared remote node: findings with their positions, never a crash',
    async (name) => {
      const text = `version: 1
nodes:
  ${JSON.stringify(name)}:
    url: https://a.example.com
    platform: jira-cloud
    token: \${ACME_JIRA_TOKEN}
  jira:
    url: \${ACME_JIRA_URL}
    platform: jira-cloud
    token: \${ACME_JIRA_TOKEN}
connections:
  - name: c1
    node: jira
    localShortName: a
    remoteShortName: b
    mode: script
    remote:
      node: ${JSON.stringify(name)}
  - name: c2
    node: ${JSON.stringify(name)}
    localShortName: a
    remoteShortName: b
    mode: script
    private: true
`;
      writeFileSync(path.join(ws.dir, 'bad.exalate.yaml'), text);
      const validate = await ws.cli(['validate', 'bad.exalate.yaml', '--format', 'json']);
      expect(validate.code).toBe(1);
      const findings = (
        JSON.parse(validate.stdout) as { findings: { line: number; col: number; pointer: string }[] }
      ).findings.map((f) => [f.line, f.col, f.pointer]);
      expect(findings).toContainEqual([3, 3, `/nodes/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
      ws.emulator.clearRequests();
      for (const command of ['plan', 'apply', 'drift']) {
        const r = await ws.cli(
          [command, '--file', 'bad.exalate.yaml', '--yes'].slice(0, command === 'apply' ? 4 : 3),
        );
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^bad\.exalate\.yaml:3:3: error: /);
        expect(r.stderr).not.toContain('internal error');
      }
      expect(ws.emulator.requests).toEqual([]);
    },
  );
});

// ------------------------------------------------------------------------------------------------

const NODES = `version: 1
nodes:
  fs:
    url: https://fs.example.com
    platform: freshservice
    token: \${FS_TOKEN}
connections:
  - name: c1
    node: fs
    localShortName: a
    remoteShortName: b
    mode: script
    private: true
`;
// Line 8 is "  - name: c1" (the name at 8:11); fields added after it start on line 14.

interface Case {
  name: string;
  text: string;
  files?: Record<string, string>;
  expect: Array<[line: number, col: number, severity: 'error' | 'warning', message: RegExp]>;
}

const TEXT_CASES: Case[] = [
  {
    name: 'a right-to-left override in a connection name ("a\\u202Egnp.exe" shows as aexe.png)',
    text: NODES.replace('name: c1', 'name: "a\\u202Egnp.exe"'),
    expect: [[8, 11, 'error', /bidirectional control \(U\+202E\)/]],
  },
  {
    name: 'a lone surrogate in a name',
    text: NODES.replace('name: c1', 'name: "c\\ud800"'),
    expect: [[8, 11, 'error', /lone surrogate/]],
  },
  {
    name: 'a NUL in a description',
    text: `${NODES}    description: "a\\0b"\n`,
    expect: [[14, 18, 'error', /control character \(U\+0000\)/]],
  },
  {
    name: 'ESC in a short name',
    text: NODES.replace('localShortName: a', 'localShortName: "a\\eb"'),
    expect: [[10, 21, 'error', /control character \(U\+001B\)/]],
  },
  {
    name: 'an isolate in a trigger query and BEL in its notes',
    text: `${NODES}    triggers:\n      - {entityType: ticket, query: "a\\u2066b", notes: "x\\a"}\n`,
    expect: [
      [15, 37, 'error', /bidirectional control \(U\+2066\)/],
      [15, 56, 'error', /control character \(U\+0007\)/],
    ],
  },
  {
    name: 'a name mixing Latin and Cyrillic letters',
    text: NODES.replace('name: c1', 'name: pаyments'),
    expect: [[8, 11, 'error', /mixes Latin and Cyrillic letters/]],
  },
  {
    name: 'two names that look the same: Latin "a" and Cyrillic "а" side by side',
    text: `${NODES}  - {name: "а", node: fs, localShortName: x, remoteShortName: y, mode: script, private: true}\n`.replace(
      'name: c1',
      'name: a',
    ),
    expect: [[14, 12, 'error', /looks the same as connection 'a' on node 'fs' \(connections\[0\]\)/]],
  },
  {
    name: 'a zero-width space in a name',
    text: NODES.replace('name: c1', 'name: "c\\u200B1"'),
    expect: [[8, 11, 'error', /invisible formatting character \(U\+200B\)/]],
  },
  {
    name: 'a bidirectional control in a comment',
    text: NODES.replace('    private: true\n', '    private: true # \u202Eeurt :tcetorp\n'),
    expect: [[13, 21, 'error', /bidirectional control \(U\+202E\) can make this line display/]],
  },
  {
    name: 'a bidirectional control in a node URL',
    text: NODES.replace('url: https://fs.example.com', 'url: "https://fs.example.com/\\u202Emoc.live"'),
    expect: [[4, 10, 'error', /bidirectional control \(U\+202E\)/]],
  },
  {
    name: 'an unknown YAML tag',
    text: `${NODES}    description: !!python/object:os.system "rm"\n`,
    expect: [[14, 18, 'error', /unknown YAML tag "tag:yaml.org,2002:python\/object:os.system"/]],
  },
  {
    name: 'a local YAML tag',
    text: `${NODES}    description: !secret "x"\n`,
    expect: [[14, 18, 'error', /unknown YAML tag "!secret"/]],
  },
  {
    name: 'a bidirectional control inside a rule file (a warning, with its line and column there)',
    text: `${NODES}    rules:\n      outgoing: out.groovy\n`,
    files: {
      'out.groovy': 'def a = 1\nif (admin) { /* \u202E } \u2066 if (isAdmin) \u2069 \u2066 begin */ }\n',
    },
    expect: [
      [
        15,
        17,
        'warning',
        /rule file 'out\.groovy' contains an invisible bidirectional control \(U\+202E\) at line 2, column 17/,
      ],
    ],
  },
];

describe('text that shows a reviewer something else is reported where it is written', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  test.each(TEXT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const folder = path.join(dir, c.name.replace(/\W+/g, '-').slice(0, 60));
    mkdirSync(folder, { recursive: true });
    for (const [file, content] of Object.entries(c.files ?? {}))
      writeFileSync(path.join(folder, file), content);
    writeFileSync(path.join(folder, 'c.exalate.yaml'), c.text);
    const result = await loadConfig('c.exalate.yaml', { cwd: folder });
    const got = result.findings.map((f) => [f.line, f.col, f.severity, f.message] as const);
    expect(got.map(([line, col, severity]) => [line, col, severity])).toEqual(
      c.expect.map(([line, col, severity]) => [line, col, severity]),
    );
    c.expect.forEach(([, , , message], i) => expect(got[i]?.[3]).toMatch(message));
    // Warnings alone leave the file usable; an error never does.
    expect(result.state === undefined).toBe(c.expect.some(([, , severity]) => severity === 'error'));
  });
});

describe('skeleton: what a name looks like', () => {
  test('printable ASCII is its own skeleton; look-alikes and compatibility forms fold to Latin', () => {
    expect(skeleton('acme-to-partner 01')).toBe('acme-to-partner 01');
    expect(skeleton('асme')).toBe('acme'); // Cyrillic а and с
    expect(skeleton('ａｃｍｅ')).toBe('acme'); // full width
    expect(skeleton('ΑΒΕ-tab\tx')).toBe('ABE-tab\tx'); // Greek capitals; a tab is not printable ASCII
  });
});
