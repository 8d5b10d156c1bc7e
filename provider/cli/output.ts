import * as path from 'node:path';
import { DEFAULT_OUTPUTS_FILE, outputsJson, readOutputs } from '../engine/outputs';
import { parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';
import { term } from './terminal';

const HELP = `Usage: exalate-iac output [NAME] [--json] [--show-sensitive] [--outputs-file PATH]

Show the invitations written by apply. Codes are sensitive: they are hidden unless
--show-sensitive is given. With NAME (connection name, or node/name) and --show-sensitive,
prints just that code, for piping to a secret store; without --show-sensitive, asking for one
code (also with --json) prints nothing on stdout and exits 1.

  --json               machine-readable ({format_version, invitations}, snake_case; without
                       --show-sensitive an entry with a code has no "code" and "sensitive": true)
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
  const outputs = await readOutputs(
    path.resolve(io.cwd, args.values['outputs-file']),
    args.values['outputs-file'],
  );
  const name = args.positionals[0];
  if (name !== undefined) {
    const matches = [...outputs.invitations].filter(([key, v]) => key === name || v.connection === name);
    if (matches.length === 0)
      throw new UsageError(`no output for '${name}' in ${args.values['outputs-file']}`);
    if (matches.length > 1)
      throw new UsageError(`'${name}' is ambiguous: use node/name (${matches.map(([k]) => k).join(', ')})`);
    outputs.invitations = new Map(matches);
    const [, only] = matches[0] as (typeof matches)[number];
    // Asking for one code without --show-sensitive prints nothing a pipe could store as the code.
    if (only.code && !show) {
      io.err(
        `exalate-iac output: the invitation code of '${term(name)}' is sensitive: pass --show-sensitive to print it\n`,
      );
      return 1;
    }
    if (!args.values.json) {
      if (!only.code) {
        io.out(`${only.status}${only.acceptedOn ? ` (accepted on ${term(only.acceptedOn)})` : ''}\n`);
        return 0;
      }
      if (only.stale)
        io.err(
          `exalate-iac output: warning: a regeneration of '${name}' did not complete: this code may no longer work (run regenerate again)\n`,
        );
      io.out(`${only.code}\n`);
      return 0;
    }
  }
  if (args.values.json) {
    io.out(JSON.stringify(outputsJson(outputs, !show), null, 2) + '\n');
    return 0;
  }
  if (outputs.invitations.size === 0) {
    io.out(`No invitations in ${args.values['outputs-file']}.\n`);
    return 0;
  }
  for (const [key, v] of outputs.invitations) {
    const code = v.code
      ? show
        ? v.code
        : '(sensitive)'
      : v.acceptedOn
        ? `accepted on ${v.acceptedOn}`
        : '-';
    io.out(`${term(key)}  ${v.status}${v.stale ? ' (stale: regenerate again)' : ''}  ${term(code)}\n`);
  }
  return 0;
}
