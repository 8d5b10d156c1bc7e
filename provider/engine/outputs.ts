/**
 * The outputs file: invitation codes (secrets) and acceptances, written with mode 0600,
 * atomically, under a lock. On disk: `{format_version, invitations: {"node/name": {…}}}` in
 * snake_case (`schemas/outputs.schema.json`). Nothing of its content is ever echoed in an error.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errors } from '../model/errors';
import { githubOutputName } from '../model/output-names';

export { githubOutputName };

export const OUTPUTS_FORMAT_VERSION = '1';
export const DEFAULT_OUTPUTS_FILE = '.exalate/outputs.json';

/** An invitation a partner must accept, or one the tool accepted itself. */
export interface InvitationOutput {
  node: string;
  connection: string;
  status: 'pending' | 'accepted';
  /** The code (a secret); absent once accepted. */
  code?: string;
  createdAt?: string;
  /** Declared node that accepted it, when the tool did. */
  acceptedOn?: string;
  updatedAt: string;
  /** A regeneration was asked and its answer never came: the code here may have been revoked. */
  stale?: boolean;
}

export interface OutputsFile {
  invitations: Map<string, InvitationOutput>;
}

interface OnDisk {
  node: string;
  connection: string;
  status: 'pending' | 'accepted';
  code?: string;
  created_at?: string;
  accepted_on?: string;
  updated_at: string;
  stale?: boolean;
}

export function outputKey(node: string, connection: string): string {
  return `${node}/${connection}`;
}

function toDisk(o: InvitationOutput): OnDisk {
  return {
    node: o.node,
    connection: o.connection,
    status: o.status,
    ...(o.code !== undefined ? { code: o.code } : {}),
    ...(o.createdAt !== undefined ? { created_at: o.createdAt } : {}),
    ...(o.acceptedOn !== undefined ? { accepted_on: o.acceptedOn } : {}),
    updated_at: o.updatedAt,
    ...(o.stale ? { stale: true } : {}),
  };
}

function fromDisk(d: unknown): InvitationOutput | undefined {
  if (typeof d !== 'object' || d === null) return undefined;
  const o = d as Partial<OnDisk>;
  if (typeof o.node !== 'string' || typeof o.connection !== 'string') return undefined;
  if (o.status !== 'pending' && o.status !== 'accepted') return undefined;
  return {
    node: o.node,
    connection: o.connection,
    status: o.status,
    ...(typeof o.code === 'string' ? { code: o.code } : {}),
    ...(typeof o.created_at === 'string' ? { createdAt: o.created_at } : {}),
    ...(typeof o.accepted_on === 'string' ? { acceptedOn: o.accepted_on } : {}),
    updatedAt: typeof o.updated_at === 'string' ? o.updated_at : '',
    ...(o.stale === true ? { stale: true } : {}),
  };
}

/** The outputs file, or an empty one when it does not exist. Its content is never echoed. */
export async function readOutputs(file: string, shown = file): Promise<OutputsFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { invitations: new Map() };
    throw errors.outputsInvalid(shown, `cannot read the outputs file (${code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw errors.outputsInvalid(shown, 'not an exalate-iac outputs file (not JSON)');
  }
  const invitations = (parsed as { invitations?: unknown } | null)?.invitations;
  if (typeof invitations !== 'object' || invitations === null || Array.isArray(invitations))
    throw errors.outputsInvalid(shown, 'not an exalate-iac outputs file (no invitations)');
  const map = new Map<string, InvitationOutput>();
  for (const [key, value] of Object.entries(invitations)) {
    const o = fromDisk(value);
    if (!o)
      throw errors.outputsInvalid(
        shown,
        `not an exalate-iac outputs file (entry ${JSON.stringify(key.slice(0, 200))} is malformed)`,
      );
    map.set(key, o);
  }
  return { invitations: map };
}

/** The outputs as JSON (`schemas/outputs.schema.json`). */
export interface OutputsJson {
  format_version: string;
  invitations: Record<string, OnDisk & { sensitive?: true }>;
}

/**
 * The JSON written to disk (and printed by `output --json --show-sensitive`). Redacted, an entry
 * with a code has no `code` at all and `sensitive: true`: no placeholder a script could take for
 * the code.
 */
export function outputsJson(outputs: OutputsFile, redact: boolean): OutputsJson {
  const invitations: OutputsJson['invitations'] = {};
  for (const [key, o] of [...outputs.invitations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const disk = toDisk(o);
    if (!redact || disk.code === undefined) invitations[key] = disk;
    else {
      const { code: _code, ...rest } = disk;
      invitations[key] = { ...rest, sensitive: true };
    }
  }
  return { format_version: OUTPUTS_FORMAT_VERSION, invitations };
}

/**
 * Make the folder for `file` and check it is writable, without a recursive mkdir (which spins on
 * pseudo file systems): walk up to the nearest existing folder, then create each level.
 */
async function ensureFolder(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const missing: string[] = [];
  let existing = dir;
  for (let i = 0; i < 64; i++) {
    const stat = await fs.stat(existing).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw errors.outputsInvalid(file, `cannot use the folder ${existing} (${error.code ?? 'error'})`);
    });
    if (stat) {
      if (!stat.isDirectory()) throw errors.outputsInvalid(file, `${existing} is not a folder`);
      break;
    }
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d, { mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw errors.outputsInvalid(file, `cannot create the folder ${d} (${code ?? 'error'})`);
    }
  }
  try {
    await fs.access(dir, fsConstants.W_OK);
  } catch (error) {
    throw errors.outputsInvalid(
      file,
      `cannot write in ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Throws OUTPUTS_INVALID when the outputs file cannot be read back or written. */
export async function checkOutputsWritable(file: string, shown = file): Promise<void> {
  await readOutputs(file, shown);
  await ensureFolder(file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Hold `<file>.lock` (created exclusively, holding the pid and host) while `fn` runs. A lock
 * whose holder on this host is dead is taken over at once; one held by a live run is waited
 * for. Apply takes it before its first change, so two runs never interleave their outputs.
 */
export async function withOutputsLock<T>(
  file: string,
  fn: () => Promise<T>,
  wait = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  await ensureFolder(file);
  const lock = `${file}.lock`;
  const me = JSON.stringify({ pid: process.pid, host: hostname() });
  for (let attempt = 0; ; attempt++) {
    try {
      // Written whole, then linked into place (which fails when the lock exists): a crash can
      // never leave a lock without its holder in it.
      const tmp = `${lock}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.writeFile(tmp, me, { mode: 0o600, flag: 'wx' });
      try {
        await fs.link(tmp, lock).catch(async (error: NodeJS.ErrnoException) => {
          // A file system without hard links: create it exclusively, then fill it.
          if (error.code !== 'EPERM' && error.code !== 'ENOTSUP' && error.code !== 'ENOSYS') throw error;
          const handle = await fs.open(lock, 'wx', 0o600);
          await handle.writeFile(me);
          await handle.close();
        });
      } finally {
        await fs.rm(tmp, { force: true });
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const text = await fs.readFile(lock, 'utf8').catch(() => '');
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null) holder = parsed;
      } catch {
        // Not ours to judge: waited for like a live holder.
      }
      const dead = typeof holder.pid === 'number' && holder.host === hostname() && !alive(holder.pid);
      if (dead) {
        // Only the lock read here: another run may have taken it over in between.
        if ((await fs.readFile(lock, 'utf8').catch(() => '')) === text) await fs.rm(lock, { force: true });
      } else if (attempt >= 1500)
        throw errors.outputsInvalid(
          file,
          `${lock} is held by another run (${JSON.stringify(holder)}); if no run is active, delete it`,
        );
      else await wait(20);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * Merge `updates` into the outputs file (the caller holds the lock). Written atomically: a
 * temporary file created with mode 0600, synced, then renamed.
 */
export async function writeOutputs(
  file: string,
  updates: InvitationOutput[],
  removals: string[] = [],
): Promise<OutputsFile> {
  const current = await readOutputs(file);
  for (const key of removals) current.invitations.delete(key);
  for (const u of updates) current.invitations.set(outputKey(u.node, u.connection), u);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(outputsJson(current, false), null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await fs.chmod(file, 0o600);
  return current;
}

/**
 * In GitHub Actions: mask every code in the log (`::add-mask::`, which the runner swallows) and
 * append it to `$GITHUB_OUTPUT` for later steps.
 */
export async function writeGithubOutputs(
  outputFile: string,
  invitations: InvitationOutput[],
  print: (line: string) => void,
): Promise<void> {
  const lines: string[] = [];
  const withCode = invitations.filter((inv) => inv.code);
  const counts = new Map<string, number>();
  for (const inv of withCode) {
    const plain = githubOutputName(inv.node, inv.connection);
    counts.set(plain, (counts.get(plain) ?? 0) + 1);
  }
  const clashing = new Set([...counts].filter(([, n]) => n > 1).map(([name]) => name));
  for (const inv of withCode) {
    const code = inv.code as string;
    print(`::add-mask::${code}\n`);
    const delimiter = `EXALATE_${randomBytes(8).toString('hex')}`;
    lines.push(`${githubOutputName(inv.node, inv.connection, clashing)}<<${delimiter}`, code, delimiter);
  }
  if (lines.length > 0) await fs.appendFile(outputFile, lines.join('\n') + '\n');
}
