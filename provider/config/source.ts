import type { Document, LineCounter, Node } from 'yaml';

import { yaml } from '../util/yaml';

export const MAX_FILE_BYTES = 8 * 1024 * 1024;
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  line: number;
  col: number;
}

export interface ParseProblem extends Position {
  message: string;
}

/** A parsed YAML file that can tell where any value of it was written. */
export class YamlSource {
  private constructor(
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  static parse(text: string): { source?: YamlSource; value?: unknown; problems: ParseProblem[] } {
    const { LineCounter, isScalar, parseDocument } = yaml();
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    });
    const source = new YamlSource(doc, lines);
    const problems: ParseProblem[] = [
      ...doc.errors.map((e) => ({ ...source.at(e.pos[0]), message: yamlMessage(e.code, e.message) })),
      // An unknown tag (`!!python/object:…`) would otherwise be read silently as text.
      ...doc.warnings
        .filter((w) => w.code === 'TAG_RESOLVE_FAILED')
        .map((w) => ({
          ...source.at(w.pos[0]),
          message: `unknown YAML tag ${JSON.stringify(
            w.message
              .split('\n')[0]
              ?.replace(/^Unresolved tag: /, '')
              .replace(/ at line.*$/, '') ?? '',
          )}: tags are not allowed`,
        })),
    ].sort((a, b) => a.line - b.line || a.col - b.col);
    if (problems.length > 0) return { problems };
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
      return {
        problems: [
          { line: 1, col: 1, message: 'the file is empty: expected `version`, `nodes` and `connections`' },
        ],
      };
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const alias = source.firstAlias();
      if (/alias/i.test(message)) {
        return {
          problems: [
            {
              ...alias,
              message: `too many alias expansions (more than ${MAX_ALIAS_COUNT} per alias): refusing a possible alias bomb`,
            },
          ],
        };
      }
      return { problems: [{ ...alias, message: `cannot read YAML: ${message}` }] };
    }
    return { source, value, problems: [] };
  }

  /** Line and column (1-based) of a character offset. */
  at(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /**
   * Position of the value at `path`; with `key`, of the mapping key naming it. Falls back to the
   * nearest existing ancestor, so every finding gets a position.
   */
  locate(path: ReadonlyArray<string | number>, key = false): Position {
    const { isMap, isPair, isScalar, isSeq } = yaml();
    let node: unknown = this.doc.contents;
    let best: Position = { line: 1, col: 1 };
    if (isNode(node) && node.range) best = this.at(node.range[0]);
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) return best;
        const keyNode = pair.key as Node;
        if (last && key && keyNode.range) return this.at(keyNode.range[0]);
        const value = pair.value;
        if (
          isNode(value) &&
          value.range &&
          !(isScalar(value) && value.value === null && value.range[0] === value.range[1])
        ) {
          best = this.at(value.range[0]);
        } else if (keyNode.range) {
          best = this.at(keyNode.range[0]);
        }
        node = value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (!isNode(item)) return best;
        if (item.range) best = this.at(item.range[0]);
        node = item;
      } else {
        return best;
      }
    }
    return best;
  }

  private firstAlias(): Position {
    const { isAlias, visit } = yaml();
    let found: Position = { line: 1, col: 1 };
    let done = false;
    visit(this.doc, {
      Alias: (_key, node) => {
        if (!done && isAlias(node) && node.range) {
          found = this.at(node.range[0]);
          done = true;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    return found;
  }
}

function isNode(value: unknown): value is Node {
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  return isMap(value) || isSeq(value) || isScalar(value) || isAlias(value);
}

function yamlMessage(code: string, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: each key may appear only once in a mapping';
    case 'TAB_AS_INDENT':
      return 'tab character used for indentation: YAML indents with spaces only';
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document: put everything in one';
    default:
      return `invalid YAML: ${message.replace(/\s+/g, ' ').trim()}`;
  }
}

/** Index of the first byte that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
