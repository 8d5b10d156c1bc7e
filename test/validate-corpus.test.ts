import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../provider/config/load';
import { MAX_FILE_BYTES } from '../provider/config/source';
import { partnerReason } from '../provider/model/platforms';
import { tempDir } from './helpers';

// A corpus of bad files: each must produce the listed findings, at exactly these positions.
const GOOD_NODES = `nodes:
  fs:
    url: https://fs.example.com
    platform: freshservice
    token: \${FS_TOKEN}
  jira:
    url: https://jira.example.com
    platform: jira-cloud
    token: \${JIRA_TOKEN}
`;

interface Case {
  name: string;
  text: string | Buffer;
  expect: Array<[line: number, col: number, message: string | RegExp]>;
  files?: Record<string, string>;
}

const conn = (extra: string) => `version: 1
${GOOD_NODES}connections:
  - name: c1
    node: fs
    localShortName: a
    remoteShortName: b
${extra}`;
// In conn(): line 11 is "connections:", the item starts at 12:5; fields from line 16 on.

const CASES: Case[] = [
  { name: 'empty file', text: '', expect: [[1, 1, /the file is empty/]] },
  { name: 'only comments', text: '# nothing here\n', expect: [[1, 1, /the file is empty/]] },
  {
    name: 'a list at the top',
    text: '- a\n- b\n',
    expect: [[1, 1, /top level must be a mapping .* found a list/]],
  },
  {
    name: 'a scalar at the top',
    text: 'hello\n',
    expect: [[1, 1, /top level must be a mapping .* found a string/]],
  },
  { name: 'syntax error', text: 'version: 1\nnodes: {a: 1\n', expect: [[3, 1, /invalid YAML/]] },
  {
    name: 'duplicate mapping key',
    text: 'version: 1\nversion: 1\nnodes: {}\nconnections: []\n',
    expect: [[2, 1, /duplicate key/]],
  },
  {
    name: 'tab indentation',
    text: 'version: 1\nnodes:\n\tfs: {}\n',
    expect: [[3, 1, /tab character used for indentation/]],
  },
  {
    name: 'two documents',
    text: 'version: 1\n---\nversion: 1\n',
    expect: [[2, 1, /more than one YAML document/]],
  },
  {
    name: 'invalid UTF-8',
    text: Buffer.concat([
      Buffer.from('version: 1\nnodes:\n  f'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(': {}\n'),
    ]),
    expect: [[3, 4, /invalid UTF-8 \(byte 0xc3\)/]],
  },
  {
    name: 'alias bomb',
    text:
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' +
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' +
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n' +
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
    expect: [[2, 8, /alias bomb/]],
  },
  {
    name: 'unsupported version',
    text: `version: 2\n${GOOD_NODES}connections: []\n`,
    expect: [[1, 10, /unsupported version 2/]],
  },
  {
    name: 'missing version',
    text: `${GOOD_NODES}connections: []\n`,
    expect: [[1, 1, /missing required property 'version' in the file/]],
  },
  {
    name: 'unknown top-level key with a hint',
    text: `version: 1\n${GOOD_NODES}connection: []\n`,
    expect: [
      [1, 1, /missing required property 'connections'/],
      [11, 1, /unknown property 'connection' \(did you mean 'connections'\?\)/],
    ],
  },
  {
    name: 'wrong type',
    text: conn('    private: "yes"\n    remote: {node: jira}\n    mode: script\n'),
    expect: [[16, 14, /'private' must be true or false, found a string/]],
  },
  {
    name: 'unknown mode with a hint',
    text: conn('    mode: scrpit\n    private: true\n'),
    expect: [
      [
        16,
        11,
        /'mode' must be one of basic, visual, script, ai-assist; found "scrpit" \(did you mean 'script'\?\)/,
      ],
    ],
  },
  {
    name: 'literal token (value never echoed)',
    text: 'version: 1\nnodes:\n  fs:\n    url: https://fs.example.com\n    platform: freshservice\n    token: s3cr3t-t0ken-value\nconnections: []\n',
    expect: [[6, 12, /a literal token is not allowed/]],
  },
  {
    name: 'credentials in a URL',
    text: 'version: 1\nnodes:\n  fs:\n    url: https://me:pw@fs.example.com\n    platform: freshservice\n    token: ${T}\nconnections: []\n',
    expect: [[4, 10, /credentials in a URL are a literal secret/]],
  },
  {
    name: 'bad node name',
    text: 'version: 1\nnodes:\n  Acme FS:\n    url: https://fs.example.com\n    platform: freshservice\n    token: ${T}\nconnections: []\n',
    expect: [[3, 3, /node name 'Acme FS' must start with/]],
  },
  {
    name: 'duplicate connection name on one node',
    text: conn(
      '    mode: script\n    private: true\n  - name: c1\n    node: fs\n    localShortName: x\n    remoteShortName: y\n    mode: ai-assist\n    private: true\n',
    ),
    expect: [[18, 11, /duplicate connection name 'c1' on node 'fs' \(first declared at connections\[0\]\)/]],
  },
  {
    name: 'undeclared node and remote node',
    text: `version: 1\n${GOOD_NODES}connections:\n  - name: c1\n    node: zd\n    localShortName: a\n    remoteShortName: b\n    mode: script\n    remote:\n      node: gh\n`,
    expect: [
      [13, 11, /node 'zd' is not declared under 'nodes' \(declared: fs, jira\)/],
      [18, 13, /node 'gh' is not declared/],
    ],
  },
  {
    name: 'mode not offered on the platform',
    text: conn('    mode: visual\n    remote: {node: jira}\n'),
    expect: [
      [16, 11, /mode 'visual' is not offered on freshservice \(available: basic, ai-assist, script\)/],
    ],
  },
  {
    name: 'visual never private',
    text: `version: 1\n${GOOD_NODES}connections:\n  - name: c1\n    node: jira\n    localShortName: a\n    remoteShortName: b\n    mode: visual\n    private: true\n`,
    expect: [
      [
        16,
        11,
        /mode 'visual' is not available for private connections \("I don't have a URL" offers basic or script\)/,
      ],
    ],
  },
  {
    name: 'local connection on GitHub',
    text: 'version: 1\nnodes:\n  gh:\n    url: https://gh.example.com\n    platform: github\n    token: ${T}\nconnections:\n  - name: c1\n    node: gh\n    localShortName: a\n    remoteShortName: b\n    mode: script\n    remote: {node: gh}\n',
    expect: [[12, 11, /local connections are not supported on github/]],
  },
  {
    name: 'mode the remote node does not offer',
    text: conn('    mode: ai-assist\n    remote: {node: jira}\n'),
    expect: [[16, 11, /the remote node 'jira': mode 'ai-assist' is not offered on jira-cloud/]],
  },
  {
    name: 'public without remote',
    text: conn('    mode: script\n'),
    expect: [[12, 5, /a public connection needs 'remote'/]],
  },
  {
    name: 'private with a remote URL',
    text: conn('    mode: script\n    private: true\n    remote: {url: "https://x.example.com"}\n'),
    expect: [[18, 19, /a private connection has no destination URL/]],
  },
  {
    name: 'remote with both url and node',
    text: conn('    mode: script\n    remote: {url: "https://x.example.com", node: jira}\n'),
    expect: [[17, 13, /'remote' takes either 'url' or 'node', not both/]],
  },
  {
    name: 'rules on a mode whose rules cannot be edited',
    text: conn('    mode: ai-assist\n    private: true\n    rules:\n      outgoing: out.groovy\n'),
    files: { 'out.groovy': 'x' },
    expect: [[18, 5, /sync rules cannot be edited in mode 'ai-assist'/]],
  },
  {
    name: 'rule file missing',
    text: conn('    mode: script\n    private: true\n    rules:\n      outgoing: rules/missing.groovy\n'),
    expect: [[19, 17, /rule file 'rules\/missing.groovy' not found/]],
  },
  {
    name: 'rule file outside the folder',
    text: conn('    mode: script\n    private: true\n    rules:\n      incoming: ../../etc/passwd\n'),
    expect: [[19, 17, /must stay inside the config's folder \('\.\.' is not allowed\)/]],
  },
  {
    name: 'absolute rule path',
    text: conn('    mode: script\n    private: true\n    rules:\n      incoming: /etc/passwd\n'),
    expect: [[19, 17, /must be a path relative to the config's folder/]],
  },
  {
    name: 'the same trigger twice, and an unknown trigger key',
    text: conn(
      '    mode: script\n    private: true\n    triggers:\n      - {entityType: ticket, query: "a"}\n      - entityType: ticket\n        query: "a"\n        colour: red\n',
    ),
    expect: [
      [20, 9, /the same trigger \(entity type 'ticket', same query\) is already at triggers\[0\]/],
      [22, 9, /unknown property 'colour'; allowed: entityType, query, active, notes/],
    ],
  },
  {
    name: 'missing required connection fields',
    text: `version: 1\n${GOOD_NODES}connections:\n  - name: c1\n    node: fs\n    private: true\n`,
    expect: [
      [12, 5, /missing required property 'localShortName' in connections\[0\]/],
      [12, 5, /missing required property 'remoteShortName' in connections\[0\]/],
      [12, 5, /missing required property 'mode' in connections\[0\]/],
    ],
  },
];

describe('validate reports every bad-input class with its position', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const folder = path.join(dir, c.name.replace(/\W+/g, '-'));
    mkdirSync(folder, { recursive: true });
    for (const [file, content] of Object.entries(c.files ?? {}))
      writeFileSync(path.join(folder, file), content);
    writeFileSync(path.join(folder, 'c.exalate.yaml'), c.text);
    const result = await loadConfig('c.exalate.yaml', { cwd: folder });
    const got = result.findings.map((f) => [f.line, f.col, f.message] as const);
    expect(result.state).toBeUndefined();
    expect(got).toHaveLength(c.expect.length);
    c.expect.forEach(([line, col, message], i) => {
      const f = got[i] as readonly [number, number, string];
      expect([f[0], f[1]]).toEqual([line, col]);
      if (typeof message === 'string') expect(f[2]).toBe(message);
      else expect(f[2]).toMatch(message);
    });
    expect(JSON.stringify(result.findings)).not.toContain('s3cr3t');
  });

  test('a file over the size cap is refused before it is parsed', async () => {
    const file = path.join(dir, 'huge.exalate.yaml');
    writeFileSync(file, '#'.repeat(MAX_FILE_BYTES + 1));
    const result = await loadConfig(file, { cwd: process.cwd() });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.message).toMatch(/the file is \d+ bytes; the limit is 8388608 bytes/);
  });

  test('a missing file is reported, not thrown', async () => {
    const result = await loadConfig(path.join(dir, 'nope.yaml'), { cwd: process.cwd() });
    expect(result.findings.map((f) => f.message)).toEqual(['file not found']);
  });

  test('a rule file that links outside the folder is refused', async () => {
    const folder = path.join(dir, 'symlink');
    mkdirSync(path.join(folder, 'rules'), { recursive: true });
    writeFileSync(path.join(dir, 'outside.groovy'), 'secret');
    symlinkSync(path.join(dir, 'outside.groovy'), path.join(folder, 'rules', 'out.groovy'));
    writeFileSync(
      path.join(folder, 'c.exalate.yaml'),
      conn('    mode: script\n    private: true\n    rules:\n      outgoing: rules/out.groovy\n'),
    );
    const result = await loadConfig('c.exalate.yaml', { cwd: folder });
    expect(result.findings.map((f) => [f.line, f.col, f.message])).toEqual([
      [19, 17, "rule file 'rules/out.groovy' resolves (through a link) outside the config's folder"],
    ]);
  });
});

// The platform table row by row, as docs.exalate.com has it (provider/model/platforms.ts cites
// each page): one case per corrected row. The mode is at 12:11.
const row = (platform: string, connection: string) => `version: 1
nodes:
  n:
    url: https://n.example.com
    platform: ${platform}
    token: \${N_TOKEN}
connections:
  - name: c1
    node: n
    localShortName: a
    remoteShortName: b
${connection}`;

const PLATFORM_ROWS: Array<[name: string, text: string, expect: Case['expect']]> = [
  [
    'Freshservice offers Basic without a URL',
    row('freshservice', '    mode: basic\n    private: true\n'),
    [],
  ],
  ['Freshdesk offers Basic without a URL', row('freshdesk', '    mode: basic\n    private: true\n'), []],
  ['Asana offers Basic without a URL', row('asana', '    mode: basic\n    private: true\n'), []],
  [
    'the new console offers AI Assist without a URL',
    row('freshservice', '    mode: ai-assist\n    private: true\n'),
    [],
  ],
  ['Salesforce offers local connections', row('salesforce', '    mode: script\n    remote: {node: n}\n'), []],
  [
    'Salesforce offers no Visual',
    row('salesforce', '    mode: visual\n    remote: {url: "https://x.example.com"}\n'),
    [[12, 11, "mode 'visual' is not offered on salesforce (available: basic, script)"]],
  ],
  [
    'Visual needs the destination URL, even where Visual is offered',
    row('zendesk', '    mode: visual\n    private: true\n'),
    [
      [
        12,
        11,
        "mode 'visual' is not available for private connections (\"I don't have a URL\" offers basic or script)",
      ],
    ],
  ],
];

describe('the platform table as the docs have it', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  test.each(PLATFORM_ROWS)('%s', async (name, text, expected) => {
    const folder = path.join(dir, name.replace(/\W+/g, '-'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'c.exalate.yaml'), text);
    const result = await loadConfig('c.exalate.yaml', { cwd: folder });
    expect(result.findings.map((f) => [f.line, f.col, f.message])).toEqual(expected);
    expect(result.state !== undefined).toBe(expected.length === 0);
  });
});

describe('Visual mode has no invitation code: the tool accepts it on a declared node', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  const two = (remote: string) => `version: 1
nodes:
  jira:
    url: https://jira.example.com
    platform: jira-cloud
    token: \${JIRA_TOKEN}
  ado:
    url: https://ado.example.com
    platform: azure-devops
    token: \${ADO_TOKEN}
connections:
  - name: c1
    node: jira
    localShortName: a
    remoteShortName: b
    mode: visual
    remote: ${remote}
`;
  const findings = async (name: string, text: string) => {
    const folder = path.join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'c.exalate.yaml'), text);
    const result = await loadConfig('c.exalate.yaml', { cwd: folder });
    return result.findings.map((f) => [f.line, f.col, f.pointer, f.severity, f.message]);
  };

  test('to a partner reached by remote.url: an error at its mode', async () => {
    expect(await findings('url', two('{url: "https://partner.example.com"}'))).toEqual([
      [16, 11, '/connections/0/mode', 'error', partnerReason('visual', 'public', false)],
    ]);
    // The same on every platform offering Visual, and only for Visual.
    expect(
      await findings(
        'zendesk',
        row('zendesk', '    mode: visual\n    remote: {url: "https://x.example.com"}\n'),
      ),
    ).toEqual([[12, 11, '/connections/0/mode', 'error', partnerReason('visual', 'public', false)]]);
    expect(
      await findings(
        'basic',
        row('zendesk', '    mode: basic\n    remote: {url: "https://x.example.com"}\n'),
      ),
    ).toEqual([]);
  });

  test('between two declared nodes that both offer it, and local, it is valid', async () => {
    expect(await findings('declared', two('{node: ado}'))).toEqual([]);
    expect(await findings('local', row('zendesk', '    mode: visual\n    remote: {node: n}\n'))).toEqual([]);
  });
});

describe('a valid file becomes the desired state', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  test('defaults are applied, rule files read and connection types derived', async () => {
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'rules', 'out.groovy'), 'replica.summary = issue.summary\n');
    writeFileSync(
      path.join(dir, 'c.exalate.yaml'),
      conn(
        '    mode: script\n    private: true\n    rules: {outgoing: rules/out.groovy}\n    triggers:\n      - {entityType: ticket, query: "priority:4"}\n' +
          '  - {name: c2, node: jira, localShortName: j, remoteShortName: j2, mode: script, remote: {node: jira}}\n' +
          '  - {name: c3, node: jira, localShortName: j, remoteShortName: f, mode: basic, remote: {url: "https://x.example.com"}, enabled: false, protect: true}\n',
      ),
    );
    const result = await loadConfig('c.exalate.yaml', { cwd: dir });
    expect(result.findings).toEqual([]);
    const state = result.state!;
    expect(state.owner).toBe('exalate-iac');
    expect(state.nodes.get('fs')).toMatchObject({
      platform: 'freshservice',
      tokenEnv: 'FS_TOKEN',
      url: 'https://fs.example.com',
    });
    const [c1, c2, c3] = state.connections;
    expect(c1).toMatchObject({
      name: 'c1',
      type: 'private',
      enabled: true,
      protect: false,
      description: '',
      rules: { outgoing: 'replica.summary = issue.summary\n' },
      rulesFiles: { outgoing: 'rules/out.groovy' },
      triggers: [{ entityType: 'ticket', query: 'priority:4', active: true, notes: '' }],
      location: { file: 'c.exalate.yaml', line: 12, col: 5 },
    });
    expect(c2).toMatchObject({ type: 'local', private: false });
    expect(c3).toMatchObject({
      type: 'public',
      enabled: false,
      protect: true,
      remote: { url: 'https://x.example.com' },
    });
  });
});
