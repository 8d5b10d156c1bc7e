import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import type { ClientFactory } from '../reconciler/nodes';
import {
  checkOutputsWritable,
  DEFAULT_OUTPUTS_FILE,
  writeGithubOutputs,
  writeOutputs,
} from '../reconciler/outputs';
import { openSession } from '../reconciler/session';
import { parseCommandArgs } from './args';
import { ExitError, UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac regenerate CONNECTION [--file FILE] [--node NODE] [--outputs-file PATH]

Issue a new invitation code for a declared connection that is still waiting for its partner
(the old code stops working). The new code goes to the outputs file (and, in GitHub Actions,
masked to $GITHUB_OUTPUT) — never to the terminal.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --node NODE           the initiating node, when the name is declared on several
  --outputs-file PATH   default: ${DEFAULT_OUTPUTS_FILE}`;

export async function run(argv: string[], io: Io, factory?: ClientFactory): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      node: { type: 'string' },
      'outputs-file': { type: 'string', default: DEFAULT_OUTPUTS_FILE },
    },
    HELP,
    io.out,
  );
  if (!args) return 0;
  const name = args.positionals[0];
  if (name === undefined || args.positionals.length > 1) throw new UsageError('name exactly one CONNECTION');
  const session = await openSession(args.values.file, io, factory);
  try {
    const matches = session.state.connections.filter(
      (c) => c.name === name && (args.values.node === undefined || c.node === args.values.node),
    );
    if (matches.length === 0) throw new UsageError(`'${name}' is not declared in ${args.values.file}`);
    if (matches.length > 1) throw new UsageError(`'${name}' is declared on several nodes: pass --node`);
    const declared = matches[0] as (typeof matches)[number];
    const client = session.clients.get(declared.node);
    const live = await client?.findConnectionByName(name);
    if (!client || !live) {
      io.err(`exalate-iac regenerate: '${name}' is not on node '${declared.node}': run apply first\n`);
      throw new ExitError(1);
    }
    if (live.status !== 'PENDING') {
      io.err(
        `exalate-iac regenerate: '${name}' is ${live.status}, not waiting for acceptance: there is no code to replace\n`,
      );
      throw new ExitError(1);
    }
    const outputsFile = path.resolve(io.cwd, args.values['outputs-file']);
    try {
      await checkOutputsWritable(outputsFile);
    } catch (error) {
      throw new UsageError(`--outputs-file ${args.values['outputs-file']}: ${(error as Error).message}`);
    }
    const invitation = await client.regenerateInvitation(live.id);
    const output = {
      node: declared.node,
      connection: name,
      status: 'pending' as const,
      code: invitation.invitationCode,
      createdAt: invitation.createdAt,
      updatedAt: new Date().toISOString(),
    };
    await writeOutputs(outputsFile, [output]);
    if (io.env.GITHUB_ACTIONS === 'true' && io.env.GITHUB_OUTPUT)
      await writeGithubOutputs(io.env.GITHUB_OUTPUT, [output], io.out);
    io.out(
      `New invitation code for ${declared.node}/${name} written to ${args.values['outputs-file']} (mode 0600); the old code no longer works.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ExitError) throw error;
    io.err(`exalate-iac regenerate: ${error instanceof Error ? error.message : String(error)}\n`);
    throw new ExitError(1);
  } finally {
    await session.close();
  }
}
