/**
 * Copying an executable into a filesystem mirror folder (the Terraform provider; the layout is
 * `model/distribution.ts`'s `mirrorPath`). Idempotent: an identical file is left as it is; a
 * different one is replaced atomically. Synchronous, so CDKTF's synthesis can call it too.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface MirrorResult {
  /** The executable written (or found identical). */
  file: string;
  changed: boolean;
}

export function installExecutable(
  dir: string,
  relative: readonly string[],
  executable: string,
): MirrorResult {
  const file = path.join(dir, ...relative);
  const content = readFileSync(executable);
  let existing: Buffer | undefined;
  try {
    existing = readFileSync(file);
  } catch {
    existing = undefined;
  }
  if (existing && existing.equals(content)) return { file, changed: false };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content, { mode: 0o755 });
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  return { file, changed: true };
}
