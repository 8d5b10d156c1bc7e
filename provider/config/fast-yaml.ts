/**
 * The fast reading of a connections file: js-yaml, several times faster than composing the
 * positional document, with scalars resolved as YAML 1.2's core schema says (as the `yaml`
 * library resolves them), so both give the same value. It is only ever used to say "this file is
 * valid": anything it cannot read exactly like the positional parse (anchors, aliases, tags,
 * directives, a null key, quotes or brackets across lines) is left to that parse, which also reports every problem at its line and
 * column.
 */
import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml';

// YAML 1.2.2, 10.3.2 "Tag Resolution" of the core schema, for plain scalars.
const NULL = /^(?:~|null|Null|NULL)?$/;
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

function parseFloatSpecial(text: string): number {
  if (/nan$/i.test(text)) return NaN;
  return text.startsWith('-') ? -Infinity : Infinity;
}

const CORE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:yaml.org,2002:null', {
      kind: 'scalar',
      resolve: (data: string | null) => data === null || NULL.test(data),
      construct: () => null,
    }),
    new Type('tag:yaml.org,2002:bool', {
      kind: 'scalar',
      resolve: (data: string | null) => data !== null && BOOL.test(data),
      construct: (data: string) => data.charCodeAt(0) === 0x74 || data.charCodeAt(0) === 0x54, // t, T
    }),
    new Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (data: string | null) =>
        data !== null && (INT.test(data) || INT_OCT.test(data) || INT_HEX.test(data)),
      construct: (data: string) =>
        data.startsWith('0o')
          ? parseInt(data.slice(2), 8)
          : data.startsWith('0x')
            ? parseInt(data.slice(2), 16)
            : Number(data),
    }),
    new Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (data: string | null) => data !== null && (FLOAT.test(data) || FLOAT_SPECIAL.test(data)),
      construct: (data: string) => (FLOAT_SPECIAL.test(data) ? parseFloatSpecial(data) : Number(data)),
    }),
  ],
});

/**
 * Where a node may begin (a line's start after its indentation and block indicators, after `: `,
 * `? `, `- `, a flow indicator, or `:` right after a JSON-like key) followed by an anchor `&`,
 * an alias `*` or a tag `!`; any directive (`%YAML 1.1` changes how scalars resolve); a carriage
 * return alone (a line break to js-yaml, not to the positional parse). A text in quotes can match
 * too: that only costs the slow path.
 */
const NOT_FOR_THE_FAST_PATH =
  /(?:^[ \t]*(?:[-?:][ \t]+)*|^---[ \t]+|[-?:][ \t]+|[[{,][ \t]*|[\]}"']:[ \t]*)[&*!]|^%|\r(?!\n)/m;

/** Every match of the pattern above has one of these (most files have none: one cheap scan). */
const MAYBE_NOT = /[&*!%\r]/;

// Character codes the line lexer looks at.
const DOUBLE = 0x22; // "
const SINGLE = 0x27; // '
const HASH = 0x23; // #
const COMMA = 0x2c; // ,
const DASH = 0x2d; // -
const QUESTION = 0x3f; // ?
const COLON = 0x3a; // :
const BACKSLASH = 0x5c; // \
const SQUARE_OPEN = 0x5b; // [
const SQUARE_CLOSE = 0x5d; // ]
const CURLY_OPEN = 0x7b; // {
const CURLY_CLOSE = 0x7d; // }

/**
 * Whether a quoted scalar or a flow collection (`[…]`, `{…}`) goes on past the end of its line
 * (the positional parse wants such continuation lines indented more than the block around them,
 * js-yaml does not), or a `#` follows one without white space (a comment to js-yaml, an error to
 * the positional parse): the positional parse decides. A line is lexed only as far as needed, and only
 * when it holds a quote or a bracket at all.
 */
export function spansLines(text: string): boolean {
  const opening = /["'[{]/g;
  for (let m = opening.exec(text); m !== null; m = opening.exec(text)) {
    const from = text.lastIndexOf('\n', m.index) + 1;
    let to = text.indexOf('\n', m.index);
    if (to < 0) to = text.length;
    if (!closesOnItsLine(text, from, to)) return true;
    opening.lastIndex = to;
  }
  return false;
}

/**
 * Lex one line (block context): false when a quote or a flow collection is still open at its end,
 * or a `#` touches the token before it.
 */
function closesOnItsLine(text: string, from: number, to: number): boolean {
  let depth = 0; // flow collections open
  let nodeStart = true; // where a scalar or a collection may begin
  let space = true; // after white space (a `#` then starts a comment)
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (isSpace(ch)) {
      space = true;
      continue;
    }
    if (ch === HASH) {
      if (space) return depth === 0;
      // Right after a quote, a bracket, a comma or a colon: js-yaml takes a comment where the
      // positional parse sees an error.
      if ('"\'[]{},:'.includes(text[i - 1] as string)) return false;
    }
    space = false;
    if (nodeStart && (ch === DOUBLE || ch === SINGLE)) {
      i = closingQuote(text, i, to);
      if (i < 0) return false;
      nodeStart = false;
    } else if (ch === SQUARE_OPEN || ch === CURLY_OPEN) {
      if (nodeStart || depth > 0) depth++;
      nodeStart = depth > 0;
    } else if ((ch === SQUARE_CLOSE || ch === CURLY_CLOSE) && depth > 0) {
      depth--;
      nodeStart = false;
    } else if (ch === COMMA && depth > 0) {
      nodeStart = true;
    } else {
      nodeStart =
        (ch === DASH || ch === QUESTION || ch === COLON) && (i + 1 >= to || isSpace(text.charCodeAt(i + 1)));
    }
  }
  return depth === 0;
}

function isSpace(ch: number): boolean {
  return ch === 0x20 || ch === 0x09 || ch === 0x0d;
}

/** Index of the quote closing the scalar opened at `open`, or -1 when it is not on this line. */
function closingQuote(text: string, open: number, to: number): number {
  const quote = text.charCodeAt(open);
  for (let i = open + 1; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (quote === DOUBLE && ch === BACKSLASH) i++;
    else if (ch === quote) {
      if (quote === SINGLE && text.charCodeAt(i + 1) === SINGLE) i++;
      else return i;
    }
  }
  return -1;
}

/**
 * The value of `text` when the fast reading can stand for the positional one; undefined when the
 * positional parse must decide (the text uses something the fast path leaves to it, or js-yaml
 * refuses it: every YAML error is then reported by the positional parse).
 */
export function fastParse(text: string): unknown {
  if ((MAYBE_NOT.test(text) && NOT_FOR_THE_FAST_PATH.test(text)) || spansLines(text)) return undefined;
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // js-yaml names a null key "null" where the positional parse names it "": only `nodes` takes
  // names of the file's choosing, so a node called "null" goes the slow way.
  const nodes = (value as { nodes?: unknown }).nodes;
  if (nodes !== null && typeof nodes === 'object' && Object.hasOwn(nodes, 'null')) return undefined;
  return value;
}
