import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { buildImport, ImportConflictError, writeImport } from '../reconciler/import';
import type { ClientFactory } from '../reconciler/nodes';
import { NodeError, readLive } from '../reconciler/plan';
import { openSession } from '../reconciler/session';
import { parseCommandArgs } from './args';
import { ExitError, UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac import --node NAME [--file FILE] [--out OUT]

Write YAML for the connections initiated on node NAME (declared in FILE), with their rules as
files beside it, so that they can be managed from now on. Never overwrites a file: when OUT or a
rule file exists, nothing is written. \`exalate-iac plan --file OUT\` right after shows no changes.

  --node NAME   the declared node to read
  --file FILE   connections file declaring the node (default: ${DEFAULT_CONFIG_FILE})
  --out OUT     the file to write (default: NAME.exalate.yaml)`;

export async function run(argv: string[], io: Io, factory?: ClientFactory): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      node: { type: 'string' },
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      out: { type: 'string' },
    },
    HELP,
    io.out,
    false,
  );
  if (!args) return 0;
  const nodeName = args.values.node;
  if (nodeName === undefined) throw new UsageError('--node NAME is required');
  const out = path.resolve(io.cwd, args.values.out ?? `${nodeName}.exalate.yaml`);
  const session = await openSession(args.values.file, io, factory);
  try {
    if (!session.state.nodes.has(nodeName)) {
      throw new UsageError(
        `node '${nodeName}' is not declared in ${args.values.file} (declared: ${[...session.state.nodes.keys()].join(', ')})`,
      );
    }
    let live;
    try {
      live = await readLive(session.clients);
    } catch (error) {
      if (error instanceof NodeError) {
        io.err(`exalate-iac: ${error.message}\n`);
        throw new ExitError(1);
      }
      throw error;
    }
    const result = buildImport(session.state, nodeName, live, session.resolved, out);
    try {
      await writeImport(path.dirname(out), result.files);
    } catch (error) {
      if (error instanceof ImportConflictError) {
        io.err(`exalate-iac import: ${error.message} (nothing was written)\n`);
        throw new ExitError(1);
      }
      throw error;
    }
    const shown = path.relative(io.cwd, out) || out;
    io.out(
      `Imported ${result.imported.length} connection${result.imported.length === 1 ? '' : 's'} from '${nodeName}' into ${shown}.\n`,
    );
    for (const s of result.skipped) io.out(`  skipped ${s.name}: ${s.reason}\n`);
    io.out(`Next: \`exalate-iac plan --file ${shown}\` should show no changes.\n`);
    return 0;
  } finally {
    await session.close();
  }
}
