import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { buildImport, writeImport } from '../engine/import';
import { readLive } from '../engine/live';
import { openWorkspace } from '../engine/session';
import { errors } from '../model/errors';
import { parseCommandArgs } from './args';
import { engineContext, type Deps, NODE_ENVIRONMENT_HELP } from './context';
import { UsageError } from './errors';
import { Io } from './io';
import { term } from './terminal';

const HELP = `Usage: exalate-iac import --node NAME [--file FILE] [--out OUT] [--owner OWNER]

Write YAML for the connections initiated on node NAME (declared in FILE), with their rules as
files beside it, so that they can be managed from now on. Never overwrites a file: when OUT or a
rule file exists, nothing is written. \`exalate-iac plan --file OUT\` right after shows no changes.

The new file gets an owner of its own (OWNER, default '<FILE's owner>-<NAME>'): an owner
identifies one file, so \`--prune\` in the new file never deletes what FILE manages.
Connections managed by another owner are skipped (pass --owner to take them over).

  --node NAME     the declared node to read
  --file FILE     connections file declaring the node (default: ${DEFAULT_CONFIG_FILE})
  --out OUT       the file to write (default: NAME.exalate.yaml)
  --owner OWNER   the owner written in OUT

${NODE_ENVIRONMENT_HELP}`;

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      node: { type: 'string' },
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      out: { type: 'string' },
      owner: { type: 'string' },
    },
    HELP,
    io.out,
    false,
  );
  if (!args) return 0;
  const nodeName = args.values.node;
  if (nodeName === undefined) throw new UsageError('--node NAME is required');
  if (args.values.owner !== undefined && !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(args.values.owner))
    throw new UsageError(
      `--owner must be lower case letters, digits, '.', '_' and '-' (at most 63), got '${args.values.owner.slice(0, 80)}'`,
    );
  const out = path.resolve(io.cwd, args.values.out ?? `${nodeName}.exalate.yaml`);
  const ws = await openWorkspace(args.values.file, engineContext(io, deps, args.values.verbose));
  try {
    if (!ws.state.nodes.has(nodeName))
      throw errors.notDeclared(`node '${nodeName}'`, args.values.file, [...ws.state.nodes.keys()]);
    const owner =
      args.values.owner ?? `${ws.state.owner}-${nodeName}`.slice(0, 63).replace(/[^a-z0-9._-]/g, '-');
    const live = await readLive(ws.clients);
    const result = buildImport(ws.state, nodeName, live, ws.resolved, out, owner);
    await writeImport(path.dirname(out), result.files);
    const shown = path.relative(io.cwd, out) || out;
    io.out(
      `Imported ${result.imported.length} connection${result.imported.length === 1 ? '' : 's'} from '${nodeName}' into ${shown}, with owner '${owner}'.\n`,
    );
    for (const s of result.skipped) io.out(`  skipped ${term(s.name)}: ${term(s.reason)}\n`);
    if (owner === ws.state.owner)
      io.err(
        `exalate-iac import: warning: ${shown} has the same owner as ${args.values.file} ('${owner}'): \`--prune\` in either file deletes what only the other declares; give each file its own owner\n`,
      );
    io.out(`Next: \`exalate-iac plan --file ${shown}\` should show no changes.\n`);
    return 0;
  } finally {
    await ws.close();
  }
}
