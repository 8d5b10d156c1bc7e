import * as path from 'node:path';
import { DEFAULT_OUTPUTS_FILE, readOutputs } from '../reconciler/outputs';
import { parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac output [NAME] [--json] [--show-sensitive] [--outputs-file PATH]

Show the invitations written by apply. Codes are sensitive: they are hidden unless
--show-sensitive is given. With NAME (connection name, or node/name) and --show-sensitive,
prints just that code, for piping to a secret store.

  --json               machine-readable
  --show-sensitive     show the invitation codes
  --outputs-file PATH  default: ${DEFAULT_OUTPUTS_FILE}`;

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      json: { type: 'boolean', default: false },
      'show-sensitive': { type: 'boolean', default: false },
      'outputs-file': { type: 'string', default: DEFAULT_OUTPUTS_FILE },
    },
    HELP,
    io.out,
  );
  if (!args) return 0;
  if (args.positionals.length > 1) throw new UsageError('output takes at most one NAME');
  const show = args.values['show-sensitive'];
  let outputs;
  try {
    outputs = await readOutputs(path.resolve(io.cwd, args.values['outputs-file']));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let entries = Object.entries(outputs.invitations);
  const name = args.positionals[0];
  if (name !== undefined) {
    entries = entries.filter(([key, v]) => key === name || v.connection === name);
    if (entries.length === 0)
      throw new UsageError(`no output for '${name}' in ${args.values['outputs-file']}`);
    if (entries.length > 1)
      throw new UsageError(`'${name}' is ambiguous: use node/name (${entries.map(([k]) => k).join(', ')})`);
    const [, only] = entries[0] as [string, (typeof entries)[number][1]];
    if (!args.values.json) {
      if (!only.code) io.out(`${only.status}${only.acceptedOn ? ` (accepted on ${only.acceptedOn})` : ''}\n`);
      else io.out(show ? `${only.code}\n` : '(sensitive: pass --show-sensitive to print it)\n');
      return 0;
    }
  }
  if (args.values.json) {
    const body = Object.fromEntries(
      entries.map(([key, v]) => [
        key,
        { ...v, ...(v.code ? { code: show ? v.code : '(sensitive)' } : {}), sensitive: v.code !== undefined },
      ]),
    );
    io.out(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  if (entries.length === 0) {
    io.out(`No invitations in ${args.values['outputs-file']}.\n`);
    return 0;
  }
  for (const [key, v] of entries) {
    const code = v.code
      ? show
        ? v.code
        : '(sensitive)'
      : v.acceptedOn
        ? `accepted on ${v.acceptedOn}`
        : '-';
    io.out(`${key}  ${v.status}  ${code}\n`);
  }
  return 0;
}
