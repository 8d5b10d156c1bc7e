import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

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
}

export interface OutputsFile {
  format_version: string;
  invitations: Record<string, InvitationOutput>;
}

export function outputKey(node: string, connection: string): string {
  return `${node}/${connection}`;
}

export async function readOutputs(file: string): Promise<OutputsFile> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as OutputsFile;
    if (parsed && typeof parsed === 'object' && parsed.invitations && typeof parsed.invitations === 'object')
      return parsed;
    throw new Error('not an outputs file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { format_version: OUTPUTS_FORMAT_VERSION, invitations: {} };
    throw new Error(`${file}: cannot read the outputs file (${(error as Error).message.split('\n')[0]})`, {
      cause: error,
    });
  }
}

/** Throws (with a short reason) when the outputs file cannot be read back or written. */
export async function checkOutputsWritable(file: string): Promise<void> {
  await readOutputs(file);
  const dir = path.dirname(path.resolve(file));
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.access(dir, fsConstants.W_OK);
  } catch (error) {
    throw new Error(`cannot write in ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
}

/** Run `fn` holding `<file>.lock` (created exclusively), so concurrent writers never lose entries. */
async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(lock, 'wx', 0o600);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than 30 s belongs to a process that died: take it over.
      const stat = await fs.stat(lock).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > 30_000) await fs.rm(lock, { force: true });
      else if (attempt >= 300) throw new Error(`${lock} is held by another run`, { cause: error });
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * Merge `updates` into the outputs file. Written atomically (temporary file created with mode
 * 0600, then renamed) under a lock, so a crash never leaves a half-written file, concurrent runs
 * never drop each other's codes, and the codes are never readable by other users.
 */
export async function writeOutputs(
  file: string,
  updates: InvitationOutput[],
  removals: string[] = [],
): Promise<OutputsFile> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  return withLock(file, async () => {
    const current = await readOutputs(file);
    for (const key of removals) delete current.invitations[key];
    for (const u of updates) current.invitations[outputKey(u.node, u.connection)] = u;
    current.format_version = OUTPUTS_FORMAT_VERSION;
    current.invitations = Object.fromEntries(
      Object.entries(current.invitations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(current, null, 2) + '\n');
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
  });
}

/**
 * The GitHub Actions output name for a connection's invitation code:
 * `invitation_code_<node>_<connection>` with every character but letters, digits and `_` turned
 * into `_`. When that maps two connections to one name, each gets a short digest suffix.
 */
export function githubOutputName(node: string, connection: string, taken?: ReadonlySet<string>): string {
  const name = `invitation_code_${node}_${connection}`.replace(/[^A-Za-z0-9_]/g, '_');
  if (!taken?.has(name)) return name;
  return `${name}_${createHash('sha256').update(`${node}/${connection}`).digest('hex').slice(0, 6)}`;
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
