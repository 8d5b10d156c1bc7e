import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { applyPlan, ApplyEvent } from '../reconciler/apply';
import type { ClientFactory } from '../reconciler/nodes';
import { resolveNode, ResolvedNode } from '../reconciler/nodes';
import {
  fingerprint,
  hasChanges,
  NodeError,
  Plan,
  PLAN_FORMAT_VERSION,
  readLive,
  summarize,
} from '../reconciler/plan';
import {
  checkOutputsWritable,
  DEFAULT_OUTPUTS_FILE,
  writeGithubOutputs,
  writeOutputs,
} from '../reconciler/outputs';
import { renderText } from '../reconciler/render';
import { clientsFor, openSession, reportEnvironment } from '../reconciler/session';
import { defaultClientFactory } from '../reconciler/clients';
import type { NodeApi } from '../client/types';
import { intOption, parseCommandArgs } from './args';
import { ExitError, UsageError } from './errors';
import { Io } from './io';
import { colourOn, PLAN_ARGS, planSession } from './plan';

const HELP = `Usage: exalate-iac apply [PLAN] [--file FILE] [--yes] [--parallelism N] [--outputs-file PATH]
                         [--prune] [--allow-replace] [--no-color]

Make the nodes match FILE: initiate missing connections, update drifted ones, accept invitations
on declared nodes, and write invitation codes to the outputs file (never to the terminal).
With PLAN (from \`plan --out\`), apply exactly that plan, and refuse if the nodes changed since.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --yes, --auto-approve do not ask for confirmation (required when not on a terminal)
  --parallelism N       connections worked on at once (default 4)
  --outputs-file PATH   where invitation codes go (default: ${DEFAULT_OUTPUTS_FILE}, mode 0600)
  --prune               delete connections this owner created that the file no longer declares
  --allow-replace       allow delete-and-recreate when an immutable field changed
  --no-color            no colours (also NO_COLOR)

In GitHub Actions (GITHUB_ACTIONS=true) codes are also masked and written to $GITHUB_OUTPUT.
Exit status: 0 everything applied, 1 anything failed (the rest is still applied).`;

async function readPlanFile(file: string, shown: string): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(await fs.readFile(file, 'utf8')) as Plan;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read the plan ${file}: ${code === 'ENOENT' ? 'file not found' : 'not a plan file (invalid JSON)'}`,
    );
  }
  const kinds = ['create', 'update', 'replace', 'accept', 'delete', 'pending', 'no-op'];
  const wellFormed =
    plan !== null &&
    typeof plan === 'object' &&
    plan.format_version === PLAN_FORMAT_VERSION &&
    typeof plan.owner === 'string' &&
    plan.fingerprints !== null &&
    typeof plan.fingerprints === 'object' &&
    Array.isArray(plan.nodes) &&
    plan.nodes.every(
      (n) => n && typeof n.name === 'string' && typeof n.url === 'string' && typeof n.tokenEnv === 'string',
    ) &&
    Array.isArray(plan.actions) &&
    plan.actions.every(
      (a) => a && kinds.includes(a.kind) && typeof a.node === 'string' && typeof a.name === 'string',
    );
  if (!wellFormed) {
    throw new UsageError(`${shown} is not an exalate-iac plan (format_version ${PLAN_FORMAT_VERSION})`);
  }
  return plan;
}

export async function run(
  argv: string[],
  io: Io,
  factory: ClientFactory = defaultClientFactory,
): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...PLAN_ARGS,
      yes: { type: 'boolean', short: 'y', default: false },
      'auto-approve': { type: 'boolean', default: false },
      'outputs-file': { type: 'string', default: DEFAULT_OUTPUTS_FILE },
    },
    HELP,
    io.out,
  );
  if (!args) return 0;
  if (args.positionals.length > 1) throw new UsageError('apply takes at most one PLAN file');
  const parallelism = intOption(args.values.parallelism, 'parallelism', 4, 1);
  const approved = args.values.yes || args.values['auto-approve'];
  const colour = colourOn(io, args.values['no-color']);
  const planFile = args.positionals[0];
  const outputsFile = path.resolve(io.cwd, args.values['outputs-file']);
  // Before any change: the outputs file must be usable, or new codes would have nowhere to go.
  try {
    await checkOutputsWritable(outputsFile);
  } catch (error) {
    throw new UsageError(`--outputs-file ${args.values['outputs-file']}: ${(error as Error).message}`);
  }

  let plan: Plan;
  let clients: Map<string, NodeApi>;
  let resolved: Map<string, ResolvedNode>;
  if (planFile !== undefined) {
    plan = await readPlanFile(path.resolve(io.cwd, planFile), planFile);
    resolved = new Map();
    try {
      for (const n of plan.nodes) {
        resolved.set(
          n.name,
          resolveNode(
            {
              name: n.name,
              url: n.url,
              platform: n.platform as ResolvedNode['platform'],
              tokenEnv: n.tokenEnv,
              location: { file: planFile, line: 0, col: 0 },
            },
            io.env,
          ),
        );
      }
    } catch (error) {
      reportEnvironment(io, error);
    }
    clients = clientsFor(resolved, factory, io);
    try {
      const live = await readLive(clients, parallelism);
      const changed = [...live]
        .filter(([name, l]) => plan.fingerprints[name] !== fingerprint(l))
        .map(([name]) => name);
      if (changed.length > 0) {
        io.err(
          `exalate-iac apply: the nodes changed since the plan was made (${changed.join(', ')}): run \`exalate-iac plan --out ${planFile}\` again and review it\n`,
        );
        throw new ExitError(1);
      }
    } catch (error) {
      await Promise.all([...clients.values()].map((c) => c.close()));
      if (error instanceof NodeError) {
        io.err(`exalate-iac: ${error.message}\n`);
        throw new ExitError(1);
      }
      throw error;
    }
  } else {
    const session = await openSession(args.values.file, io, factory);
    clients = session.clients;
    resolved = session.resolved;
    try {
      plan = await planSession(
        session,
        io,
        { prune: args.values.prune, allowReplace: args.values['allow-replace'] },
        parallelism,
      );
    } catch (error) {
      await session.close();
      throw error;
    }
    io.out(renderText(plan, { colour }));
    if (hasChanges(plan) && !approved) {
      if (!io.isTty || !io.confirm) {
        await Promise.all([...clients.values()].map((c) => c.close()));
        io.err(
          'exalate-iac apply: not on a terminal: pass --yes (or --auto-approve) to apply without confirmation\n',
        );
        return 1;
      }
      const ok = await io.confirm('\nDo you want to perform these actions? Only "yes" will be accepted:');
      if (!ok) {
        await Promise.all([...clients.values()].map((c) => c.close()));
        io.out('Apply cancelled.\n');
        return 1;
      }
    }
  }

  const work = plan.actions.filter((a) => a.kind !== 'no-op' || a.blocked).length;
  let done = 0;
  const onEvent = (e: ApplyEvent) => {
    if (e.phase === 'start') {
      if (io.isTty) io.out(`  … ${e.action.node}/${e.action.name}: ${e.message}\n`);
      return;
    }
    done++;
    const mark =
      e.phase === 'failed'
        ? colour
          ? '\u001b[31m✗\u001b[0m'
          : 'FAILED'
        : colour
          ? '\u001b[32m✓\u001b[0m'
          : 'ok';
    io.out(`[${done}/${work}] ${mark} ${e.action.node}/${e.action.name}: ${e.message}\n`);
  };
  let result;
  try {
    result = await applyPlan(plan, clients, resolved, { parallelism, env: io.env, onEvent });
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }

  let outputsFailed = false;
  if (result.invitations.length > 0 || result.removedOutputs.length > 0) {
    try {
      await writeOutputs(outputsFile, result.invitations, result.removedOutputs);
      const codes = result.invitations.filter((i) => i.code).length;
      if (codes > 0) {
        const flag =
          args.values['outputs-file'] === DEFAULT_OUTPUTS_FILE
            ? ''
            : ` --outputs-file ${args.values['outputs-file']}`;
        io.out(
          `\n${codes} invitation code${codes === 1 ? '' : 's'} written to ${args.values['outputs-file']} (mode 0600). Show them with \`exalate-iac output --show-sensitive${flag}\`.\n`,
        );
      }
      if (io.env.GITHUB_ACTIONS === 'true' && io.env.GITHUB_OUTPUT) {
        await writeGithubOutputs(io.env.GITHUB_OUTPUT, result.invitations, io.out);
      }
    } catch (error) {
      outputsFailed = true;
      io.err(
        `\nexalate-iac apply: could not write the outputs (${(error as Error).message}); the codes stay on the nodes: the next apply writes them again\n`,
      );
    }
  }
  const s = summarize(plan);
  if (result.failed.length > 0) {
    io.err(`\nApply failed for ${result.failed.length} of ${work} connection${work === 1 ? '' : 's'}:\n`);
    for (const f of result.failed) io.err(`  ${f.node}/${f.connection} (${f.kind}): ${f.message}\n`);
    io.err('Fix the cause and run apply again: it continues where this run stopped.\n');
    return 1;
  }
  if (outputsFailed) return 1;
  io.out(`\nApply complete! Connections: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed.\n`);
  return 0;
}
