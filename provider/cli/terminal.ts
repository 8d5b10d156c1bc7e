/**
 * Text bound for a terminal: control characters (ESC, BEL, OSC sequences, line breaks…) and
 * invisible bidirectional controls in names read from a node or a file are shown escaped, so they
 * can neither hide text, fake a line of the plan, nor drive the terminal. Every caller passes one
 * line.
 */
export function term(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
