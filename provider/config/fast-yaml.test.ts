import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fastParse } from './fast-yaml';
import { loadConfigSync } from './load';
import { ruleFiles } from './rules';
import { checkSchema } from './schema-check';
import { checkSemantics } from './semantics';
import { YamlSource } from './source';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const EXAMPLE = readFileSync(path.join(EXAMPLES, 'connections.exalate.yaml'), 'utf8');

/** Flow style, quotes, escapes, block scalars, comments: what a hand-written file may hold. */
const STYLES = `version: 1
nodes: {fs: {url: "https://fs.example.com", platform: freshservice, token: "\${FS_TOKEN}", rateLimit: 5}, jira: {url: 'https://j.example.com', platform: jira-cloud, token: '\${J}'}}
connections:
- {name: "a b", node: fs, localShortName: x, remoteShortName: y, mode: script, private: true, description: "line\\none \\u00e9 \\x41", triggers: [{entityType: ticket, query: "a:1", active: false, notes: 'it''s'}]}
- name: c2
  node: jira
  localShortName: l
  remoteShortName: r
  mode: basic
  remote: {url: https://x.example.com/a?b=c#d}
  description: |
    multi line
      indented
    text
  enabled: false
- name: c3
  node: jira
  localShortName: l
  remoteShortName: r
  mode: script
  remote:
    node: fs
  description: >-
    folded
    text

    para
  triggers:
    - entityType: issue
      query: plain text with - dash and # not comment
      notes: "quoted # hash"
`;

/** The positional parse's verdict: its value when it reports nothing. */
function positional(text: string): { value?: unknown; problems: number } {
  const parsed = YamlSource.parse(text);
  return { value: parsed.value, problems: parsed.problems.length };
}

/** What the fast path would accept as a valid file (no schema or semantic problem either). */
function acceptedFast(text: string): unknown {
  const value = fastParse(text);
  if (value === undefined) return undefined;
  if (checkSchema(value).length > 0 || checkSemantics(value, ruleFiles(EXAMPLES)).length > 0)
    return undefined;
  return value;
}

describe('the fast reading of a connections file', () => {
  test('reads the example and a file of every style exactly as the positional parse', () => {
    for (const text of [EXAMPLE, STYLES, EXAMPLE.replace(/\n/g, '\r\n'), STYLES.replace(/\n/g, '\r\n')]) {
      const fast = acceptedFast(text);
      expect(fast).toBeDefined();
      expect(positional(text)).toEqual({ value: fast, problems: 0 });
    }
  });

  test('resolves plain scalars as YAML 1.2 core does (as the positional parse does)', () => {
    const scalars = [
      '~',
      'null',
      'Null',
      'NULL',
      'nULL',
      '',
      'true',
      'True',
      'TRUE',
      'tRue',
      'yes',
      'no',
      'on',
      '1',
      '+12',
      '-0',
      '007',
      '0o17',
      '+0o7',
      '0x1F',
      '-0x1',
      '0xG',
      '0b101',
      '1_000',
      '1.',
      '.5',
      '1e3',
      '+.5e+3',
      '1.5e-3',
      '1e',
      '.inf',
      '-.Inf',
      '+.INF',
      '.nan',
      '.NaN',
      '12:30',
      '2001-12-14',
      '9007199254740993',
      '0.',
      '.',
      '...',
      '0o',
      '00',
      '685.230_15e+03',
    ];
    for (const scalar of scalars) {
      const text = `a: ${scalar}\n`;
      const fast = fastParse(text);
      expect({ scalar, value: fast }).toEqual({ scalar, value: positional(text).value });
    }
  });

  test.each([
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['an alias in a flow sequence', 'a: [1]\nb: [*a]\n'],
    ['a tag', 'version: !!str 1\n'],
    ['a custom tag', 'a: !vault secret\n'],
    ['a tag on a sequence item', 'a:\n  - !x 1\n'],
    ['a JSON-like key followed by an alias', '{"a":*x}\n'],
    ['a directive', '%YAML 1.1\n---\na: yes\n'],
    ['a carriage return alone', 'a: 1\rb: 2\n'],
    ['a null node name', 'version: 1\nnodes:\n  ~: {}\nconnections: []\n'],
    ['a node named "null"', 'version: 1\nnodes:\n  "null": {}\nconnections: []\n'],
    ['a quoted scalar across lines', 'a: "one\n  two"\n'],
    ['a single-quoted scalar across lines', "a: 'one\n  two'\n"],
    ['a flow collection across lines', 'a: [1,\n  2]\n'],
    ['a flow mapping in a sequence across lines', '- {a: 1,\n  b: 2}\n'],
    ['a comment touching a quote', "a: 'b'#c\n"],
    ['a list at the top', '- a\n'],
    ['an empty file', ''],
    ['invalid YAML', 'a: [1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
  ])('leaves %s to the positional parse', (_name, text) => {
    expect(fastParse(text)).toBeUndefined();
  });

  test('text that only looks like an anchor, an alias, a tag or an open quote stays on the fast path', () => {
    expect(
      fastParse(
        "description: R&D, 2*3 and status!=done\nquery: 'a != b'\nnote: partner's [x\n" +
          'q: "say \\"hi\\" [" # it\'s\nr: \'it\'\'s {\'\ns: [a, "b]", {c: d}]\n',
      ),
    ).toEqual({
      description: 'R&D, 2*3 and status!=done',
      query: 'a != b',
      note: "partner's [x",
      q: 'say "hi" [',
      r: "it's {",
      s: ['a', 'b]', { c: 'd' }],
    });
  });

  // Whatever the fast path accepts as valid, the positional parse reads without a problem and to
  // the same value: thousands of mutants (seeded) of files in every style.
  test('never accepts a file the positional parse reads otherwise (mutants)', () => {
    let seed = 20261124;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const CHARS = [
      ' ',
      '\t',
      ':',
      '-',
      '#',
      "'",
      '"',
      '\n',
      '\r',
      '[',
      ']',
      '{',
      '}',
      ',',
      '?',
      '|',
      '>',
      '&',
      '*',
      '!',
      '%',
      '@',
      '`',
      '~',
      '\\',
      '0',
      '1',
      'x',
      'e',
      '.',
      '+',
      '_',
      '\u00a0',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\u0007',
    ];
    const seeds = [EXAMPLE, STYLES, EXAMPLE.replace(/\n/g, '\r\n'), STYLES.replace(/\n/g, '\r\n')];
    const mutate = (text: string): string => {
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const i = Math.floor(random() * text.length);
        const r = random();
        if (r < 0.35) text = text.slice(0, i) + pick(CHARS) + text.slice(i);
        else if (r < 0.6) text = text.slice(0, i) + text.slice(i + 1);
        else if (r < 0.8) text = text.slice(0, i) + pick(CHARS) + text.slice(i + 1);
        else {
          const lines = text.split('\n');
          const j = Math.floor(random() * lines.length);
          lines[j] = random() < 0.5 ? ` ${lines[j]}` : (lines[j] ?? '').slice(1);
          text = lines.join('\n');
        }
      }
      return text;
    };
    let accepted = 0;
    const diverging: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const text = mutate(pick(seeds));
      const fast = acceptedFast(text);
      if (fast === undefined) continue;
      accepted++;
      const slow = positional(text);
      if (slow.problems > 0 || !isDeepStrictEqual(slow.value, fast)) diverging.push(text);
    }
    expect(diverging).toEqual([]);
    expect(accepted).toBeGreaterThan(300); // the property was really exercised
  });
});

describe('loading a valid file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'exalate-fast-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  test('needs no positional parse until a location is read, and then finds it exactly', () => {
    writeFileSync(path.join(dir, 'c.exalate.yaml'), STYLES);
    const parse = jest.spyOn(YamlSource, 'parse');
    const { state, findings } = loadConfigSync('c.exalate.yaml', { cwd: dir });
    expect(findings).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
    const [c1, c2, c3] = state!.connections;
    expect(c1!.location).toEqual({ file: 'c.exalate.yaml', line: 4, col: 3 });
    expect(parse).toHaveBeenCalledTimes(1);
    expect({ ...c2!.location }).toEqual({ file: 'c.exalate.yaml', line: 5, col: 3 });
    expect(c2!.remoteUrlLocation).toEqual({ file: 'c.exalate.yaml', line: 10, col: 17 });
    expect(JSON.parse(JSON.stringify(c3!.location))).toEqual({ file: 'c.exalate.yaml', line: 16, col: 3 });
    expect(state!.nodes.get('jira')!.location).toEqual({ file: 'c.exalate.yaml', line: 2, col: 106 });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  test('an invalid file is reported by the positional parse', () => {
    writeFileSync(path.join(dir, 'c.exalate.yaml'), STYLES.replace('mode: basic', 'mode: basik'));
    const parse = jest.spyOn(YamlSource, 'parse');
    const { state, findings } = loadConfigSync('c.exalate.yaml', { cwd: dir });
    expect(state).toBeUndefined();
    expect(parse).toHaveBeenCalledTimes(1);
    expect(findings.map((f) => [f.line, f.col, f.pointer])).toEqual([[9, 9, '/connections/1/mode']]);
  });
});
