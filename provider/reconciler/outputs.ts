import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

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

/**
 * Merge `updates` into the outputs file. Written atomically (temporary file created with mode
 * 0600, then renamed), so a crash never leaves a half-written file and the codes are never
 * readable by other users.
 */
export async function writeOutputs(
  file: string,
  updates: InvitationOutput[],
  removals: string[] = [],
): Promise<OutputsFile> {
  const current = await readOutputs(file);
  for (const key of removals) delete current.invitations[key];
  for (const u of updates) current.invitations[outputKey(u.node, u.connection)] = u;
  current.format_version = OUTPUTS_FORMAT_VERSION;
  current.invitations = Object.fromEntries(
    Object.entries(current.invitations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(current, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await fs.chmod(file, 0o600);
  return current;
}

/** The GitHub Actions output name for a connection's invitation code. */
export function githubOutputName(node: string, connection: string): string {
  return `invitation_code_${node}_${connection}`.replace(/[^A-Za-z0-9_]/g, '_');
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
  for (const inv of invitations) {
    if (!inv.code) continue;
    print(`::add-mask::${inv.code}\n`);
    const delimiter = `EXALATE_${randomBytes(8).toString('hex')}`;
    lines.push(`${githubOutputName(inv.node, inv.connection)}<<${delimiter}`, inv.code, delimiter);
  }
  if (lines.length > 0) await fs.appendFile(outputFile, lines.join('\n') + '\n');
}
