/**
 * Text that shows a reviewer something else (Trojan Source, CVE-2021-42574): bidirectional
 * controls, lone surrogates, NUL and other control characters, and names whose letters mix
 * scripts (a Cyrillic "а" in a Latin name). Pull-request review is a core use: such text is
 * refused in every name, description, query and note.
 */

const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls and DEL; tab and line breaks are allowed where `multiline`. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// eslint-disable-next-line no-control-regex
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F]/;
/** Invisible formatting characters (zero-width space and joiners, soft hyphen, BOM…): refused in names. */
const INVISIBLE = /\p{Cf}/u;
/** Printable ASCII (with tab and line breaks where `multiline`): none of the above, one script. */
const PLAIN = /^[\x20-\x7E]*$/;
const PLAIN_MULTILINE = /^[\t\n\r\x20-\x7E]*$/;
const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Cherokee'] as const;
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why this text is unsafe to show a reviewer, or undefined. */
export function unsafeText(
  text: string,
  options: { multiline: boolean; name?: boolean },
): string | undefined {
  if ((options.multiline ? PLAIN_MULTILINE : PLAIN).test(text)) return undefined;
  const bidi = BIDI.exec(text);
  if (bidi)
    return `contains an invisible bidirectional control (${codePoint(bidi[0])}) that can make the text display as something else: remove it`;
  if (LONE_SURROGATE.test(text)) return 'contains a lone surrogate (not a valid character): remove it';
  const control = (options.multiline ? CONTROL : CONTROL_SINGLE_LINE).exec(text);
  if (control) return `contains a control character (${codePoint(control[0])}): remove it`;
  if (options.name) {
    const invisible = INVISIBLE.exec(text);
    if (invisible)
      return `contains an invisible formatting character (${codePoint(invisible[0])}), so it can look like another name: remove it`;
    const scripts = SCRIPT_RE.filter(([, re]) => re.test(text)).map(([s]) => s);
    if (scripts.length > 1)
      return `mixes ${scripts.join(' and ')} letters, so it can look like another name: write it in one script`;
  }
  return undefined;
}

/** Every bidirectional control in a text, with its line and column (1-based). */
export function bidiPositions(text: string): { line: number; col: number; codePoint: string }[] {
  const out: { line: number; col: number; codePoint: string }[] = [];
  let line = 1;
  let lineStart = 0;
  const re = new RegExp(`${BIDI.source}|\n`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '\n') {
      line++;
      lineStart = m.index + 1;
    } else {
      out.push({ line, col: m.index - lineStart + 1, codePoint: codePoint(m[0]) });
    }
  }
  return out;
}

/** The first bidirectional control in a rule file (a warning, as code hosts show them). */
export function bidiInScript(text: string): { line: number; col: number; codePoint: string } | undefined {
  return bidiPositions(text)[0];
}

/**
 * Cyrillic and Greek letters drawn like Latin ones (after Unicode's confusables, TR39), each
 * mapped to the Latin letter at the same place in LATIN.
 */
const LOOKALIKE = 'аеһіјорсухѕԁԛԝӏАВЕКМНОРСТХУЅІЈԀԚԜαονρυιχγΑΒΕΖΗΙΚΜΝΟΡΤΥΧ';
const LATIN = 'aehijopcyxsdqwlABEKMHOPCTXYSIJDQWaovpuixyABEZHIKMNOPTYX';
const LOOKALIKES = new Map([...LOOKALIKE].map((ch, i) => [ch, LATIN[i] as string]));
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * What a name looks like: compatibility forms folded (NFKC: a full-width "ａ" is an "a"), and
 * Cyrillic and Greek look-alikes read as the Latin letters they pass for. Two names with the same
 * skeleton look the same to a reviewer.
 */
export function skeleton(name: string): string {
  // Printable ASCII is its own skeleton (NFKC leaves it as it is; no look-alike is ASCII).
  if (PRINTABLE_ASCII.test(name)) return name;
  let out = '';
  for (const ch of name.normalize('NFKC')) out += LOOKALIKES.get(ch) ?? ch;
  return out;
}
