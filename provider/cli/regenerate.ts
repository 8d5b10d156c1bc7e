import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import {
  checkOutputsWritable,
  DEFAULT_OUTPUTS_FILE,
  outputKey,
  readOutputs,
  withOutputsLock,
  writeGithubOutputs,
  writeOutputs,
} from '../engine/outputs';
import { acceptsWithCode } from '../engine/plan';
import { openWorkspace } from '../engine/session';
import { modeOf } from '../api/contract';
import { errors } from '../model/errors';
import { parseCommandArgs } from './args';
import { engineContext, type Deps, NODE_ENVIRONMENT_HELP } from './context';
import { UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac regenerate CONNECTION [--file FILE] [--node NODE] [--outputs-file PATH] [--yes]

Issue a new invitation code for a declared connection that is still waiting for its partner
(the old code stops working). The new code goes to the outputs file (and, in GitHub Actions,
masked to $GITHUB_OUTPUT) — never to the terminal. Asks for confirmation on a terminal.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --node NODE           the initiating node, when the name is declared on several
  --outputs-file PATH   default: ${DEFAULT_OUTPUTS_FILE}
  --yes                 do not ask (required when not on a terminal)

${NODE_ENVIRONMENT_HELP}`;

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      node: { type: 'string' },
      'outputs-file': { type: 'string', default: DEFAULT_OUTPUTS_FILE },
      yes: { type: 'boolean', short: 'y', default: false },
    },
    HELP,
    io.out,
  );
  if (!args) return 0;
  const name = args.positionals[0];
  if (name === undefined || args.positionals.length > 1) throw new UsageError('name exactly one CONNECTION');
  const outputsFile = path.resolve(io.cwd, args.values['outputs-file']);
  await checkOutputsWritable(outputsFile, args.values['outputs-file']);
  const ws = await openWorkspace(args.values.file, engineContext(io, deps, args.values.verbose));
  try {
    const matches = ws.state.connections.filter(
      (c) => c.name === name && (args.values.node === undefined || c.node === args.values.node),
    );
    if (matches.length === 0) throw errors.notDeclared(`'${name}'`, args.values.file, []);
    if (matches.length > 1) throw new UsageError(`'${name}' is declared on several nodes: pass --node`);
    const declared = matches[0] as (typeof matches)[number];
    const client = ws.clients.get(declared.node);
    const live = await client?.findConnectionByName(name);
    if (!client || !live) throw errors.notOnNode(declared.node, name);
    if (!acceptsWithCode(live, declared.mode))
      throw errors.noInvitationCode(declared.node, name, modeOf(live.configurationType) ?? declared.mode);
    if (live.status !== 'PENDING') throw errors.notPending(declared.node, name, live.status);
    if (!args.values.yes) {
      if (!io.isTty || !io.confirm) {
        io.err(
          'exalate-iac regenerate: not on a terminal: pass --yes to replace the code (the current one stops working)\n',
        );
        return 1;
      }
      if (
        !(await io.confirm(
          `The current invitation code of ${declared.node}/${name} will stop working. Only "yes" will be accepted:`,
        ))
      ) {
        io.out('Regenerate cancelled.\n');
        return 1;
      }
    }
    const now = deps.now ?? (() => new Date());
    const key = outputKey(declared.node, name);
    return await withOutputsLock(outputsFile, async () => {
      // Marked stale first: if the answer is lost, the file says its code may have been revoked.
      const previous = (await readOutputs(outputsFile)).invitations.get(key);
      if (previous)
        await writeOutputs(outputsFile, [{ ...previous, stale: true, updatedAt: now().toISOString() }]);
      const invitation = await client.regenerateInvitation(live.id);
      const output = {
        node: declared.node,
        connection: name,
        status: 'pending' as const,
        code: invitation.invitationCode,
        createdAt: invitation.createdAt,
        updatedAt: now().toISOString(),
      };
      await writeOutputs(outputsFile, [output]);
      if (io.env.GITHUB_ACTIONS === 'true' && io.env.GITHUB_OUTPUT)
        await writeGithubOutputs(io.env.GITHUB_OUTPUT, [output], io.out);
      io.out(
        `New invitation code for ${declared.node}/${name} written to ${args.values['outputs-file']} (mode 0600); the old code no longer works.\n`,
      );
      return 0;
    });
  } finally {
    await ws.close();
  }
}
