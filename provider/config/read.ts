import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import type { Finding } from '../model/errors';
import { firstInvalidUtf8, MAX_FILE_BYTES } from './source';

/** The text of a config file, or the one finding saying why it cannot be read. */
export function readConfigText(
  absolute: string,
  shown: string,
): { text: string; bytes: Buffer } | { finding: Finding } {
  const fail = (message: string, line = 0, col = 0) => ({
    finding: { file: shown, line, col, severity: 'error' as const, message },
  });
  let bytes: Buffer;
  try {
    const stat = fs.statSync(absolute);
    if (!stat.isFile()) return fail('not a regular file');
    if (stat.size > MAX_FILE_BYTES) {
      return fail(
        `the file is ${stat.size} bytes; the limit is ${MAX_FILE_BYTES} bytes (split it into several files)`,
        1,
        1,
      );
    }
    bytes = fs.readFileSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('file not found');
    if (code === 'EACCES') return fail('permission denied');
    return fail(`cannot read the file (${code ?? 'unknown error'})`);
  }
  // The native check first: only a file that is not UTF-8 is walked byte by byte, for the position.
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const lines = bytes.subarray(0, bad).toString('utf8').split('\n');
    return fail(
      `invalid UTF-8 (byte 0x${(bytes[bad] as number).toString(16).padStart(2, '0')}): save the file as UTF-8`,
      lines.length,
      (lines[lines.length - 1] ?? '').length + 1,
    );
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, bytes };
}
