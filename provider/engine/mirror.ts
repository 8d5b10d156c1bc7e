/**
 * Laying out the Terraform provider as a filesystem mirror (what `terraform init` finds in
 * `./terraform.d/plugins` or a `filesystem_mirror` block). Idempotent: an identical file is left
 * as it is; a different one is replaced atomically.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mirrorPath } from '../model/distribution';

export interface MirrorResult {
  /** The executable written (or found identical). */
  file: string;
  changed: boolean;
}

export async function installMirror(
  dir: string,
  executable: string,
  version: string,
  platform: string = process.platform,
  arch: string = process.arch,
): Promise<MirrorResult> {
  const file = path.join(dir, ...mirrorPath(version, platform, arch));
  const content = await fs.readFile(executable);
  const existing = await fs.readFile(file).catch(() => undefined);
  if (existing && existing.equals(content)) return { file, changed: false };
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, content, { mode: 0o755 });
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  return { file, changed: true };
}
