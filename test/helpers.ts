import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Io } from '../provider/cli/io';

export const ROOT = path.resolve(__dirname, '..');
export const BIN = path.join(ROOT, 'bin', 'exalate-iac.js');

/** A temporary folder removed after the test file finishes. */
export function tempDir(prefix = 'exalate-iac-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An Io that records what a command prints. */
export function captureIo(
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
    cwd,
    isTty: false,
    stdout: () => out,
    stderr: () => err,
  };
}
