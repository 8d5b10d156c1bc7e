import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { applyPlan, type ApplyEvent, type ApplyResult } from '../engine/apply';
import {
  checkOutputsWritable,
  DEFAULT_OUTPUTS_FILE,
  readOutputs,
  withOutputsLock,
  writeGithubOutputs,
  writeOutputs,
} from '../engine/outputs';
import type { Plan } from '../engine/plan';
import { checkSavedPlan, parseSavedPlan, planToJson, type PlanJson } from '../engine/saved-plan';
import { openWorkspace, planWorkspace, type Workspace } from '../engine/session';
import { hasChanges, summarize } from '../engine/summary';
import { errors } from '../model/errors';
import { intOption, parseCommandArgs } from './args';
import { engineContext, readProgress, type Deps, NODE_ENVIRONMENT_HELP } from './context';
import { reportFindings, UsageError } from './errors';
import { colourOn, Io } from './io';
import { PLAN_ARGS, withRateLimit } from './plan';
import { renderText } from './render';
import { term } from './terminal';

const HELP = `Usage: exalate-iac apply [PLAN] [--file FILE] [--yes] [--parallelism N] [--outputs-file PATH]
                         [--prune] [--allow-replace] [--rate-limit N]

Make the nodes match FILE: initiate missing connections, update drifted ones, accept invitations
on declared nodes, and write invitation codes to the outputs file (never to the terminal).

With PLAN (from \`plan --out\`), apply exactly that plan: the plan is computed again from FILE and
the live nodes, and applied only when FILE (and its rule files) is the one the plan was made
from, the nodes did not change since, --prune and --allow-replace are given as they were to
\`plan\`, and the actions are the same. Nothing in a plan file is trusted: node URLs, credentials,
ownership and options come from FILE, the nodes and this command line.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --yes, --auto-approve do not ask for confirmation (required when not on a terminal)
  --parallelism N       connections worked on at once (default 4)
  --outputs-file PATH   where invitation codes go (default: ${DEFAULT_OUTPUTS_FILE}, mode 0600)
  --prune               delete connections this owner created that the file no longer declares
  --allow-replace       allow delete-and-recreate when a field that cannot change in place changed
  --rate-limit N        requests per second to each node without a \`rateLimit\` of its own in
                        FILE (default 20); a node's 429 answers slow it down further

In GitHub Actions (GITHUB_ACTIONS=true) codes are also masked and written to $GITHUB_OUTPUT.
Exit status: 0 everything applied, 1 anything failed (the rest is still applied).

${NODE_ENVIRONMENT_HELP}`;

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
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
  const outputsShown = args.values['outputs-file'];
  const outputsFile = path.resolve(io.cwd, outputsShown);
  // Before anything else: the outputs file must be usable, or new codes would have nowhere to go.
  await checkOutputsWritable(outputsFile, args.values['outputs-file']);

  let saved: PlanJson | undefined;
  if (planFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(path.resolve(io.cwd, planFile), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw errors.planFileInvalid(
        planFile,
        code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? 'error'})`,
      );
    }
    saved = parseSavedPlan(text, planFile);
  }

  const ws = await openWorkspace(
    args.values.file,
    engineContext(io, withRateLimit(args.values['rate-limit'], deps), args.values.verbose),
  );
  try {
    reportFindings(io, ws.warnings);
    // From the command line, even with a plan: consent to delete is never read from a file.
    const options = { prune: args.values.prune, allowReplace: args.values['allow-replace'] };
    const onNode = readProgress(io);
    // The lock is taken before the nodes are read: a run that waited for another plans from what
    // that run left, never from what was there before it.
    return await withOutputsLock(outputsFile, async () => {
      const plan = (await planWorkspace(ws, options, io.env, { ...(onNode ? { onNode } : {}) })).plan;
      if (saved) {
        checkSavedPlan(saved, planToJson(plan, ws.state.digest), planFile as string);
      } else {
        io.out(renderText(plan, { colour }));
        if (hasChanges(plan) && !approved) {
          if (!io.isTty || !io.confirm) {
            io.err(
              'exalate-iac apply: not on a terminal: pass --yes (or --auto-approve) to apply without confirmation\n',
            );
            return 1;
          }
          if (!(await io.confirm('\nDo you want to perform these actions? Only "yes" will be accepted:'))) {
            io.out('Apply cancelled.\n');
            return 1;
          }
        }
      }
      return applyAndWrite(plan, ws, io, deps, { parallelism, colour, outputsFile, outputsShown });
    });
  } finally {
    await ws.close();
  }
}

async function applyAndWrite(
  plan: Plan,
  ws: Workspace,
  io: Io,
  deps: Deps,
  o: { parallelism: number; colour: boolean; outputsFile: string; outputsShown: string },
): Promise<number> {
  const before = await readOutputs(o.outputsFile);
  const knownCodes = new Set(
    [...before.invitations].filter(([, v]) => v.code !== undefined && !v.stale).map(([k]) => k),
  );
  const work = plan.actions.filter((a) => (a.kind !== 'no-op' && a.kind !== 'pending') || a.blocked).length;
  let done = 0;
  const onEvent = (e: ApplyEvent) => {
    const title = term(`${e.action.node}/${e.action.name}`);
    if (e.phase === 'start') {
      if (io.isTty) io.out(`  … ${title}: ${e.message}\n`);
      return;
    }
    done++;
    const ok = e.phase !== 'failed';
    const mark = o.colour ? (ok ? '\u001b[32m✓\u001b[0m' : '\u001b[31m✗\u001b[0m') : ok ? 'ok' : 'FAILED';
    io.out(`[${done}/${work}] ${mark} ${title}: ${term(e.message)}\n`);
  };
  const result: ApplyResult = await applyPlan(plan, ws.clients, ws.resolved, {
    parallelism: o.parallelism,
    env: io.env,
    onEvent,
    knownCodes,
    ...(deps.now ? { now: deps.now } : {}),
  });

  let outputsFailed = false;
  if (result.invitations.length > 0 || result.removedOutputs.length > 0) {
    try {
      await writeOutputs(o.outputsFile, result.invitations, result.removedOutputs);
      const codes = result.invitations.filter((i) => i.code).length;
      if (codes > 0) {
        const flag = o.outputsShown === DEFAULT_OUTPUTS_FILE ? '' : ` --outputs-file ${o.outputsShown}`;
        io.out(
          `\n${codes} invitation code${codes === 1 ? '' : 's'} written to ${o.outputsShown} (mode 0600). Show them with \`exalate-iac output --show-sensitive${flag}\`.\n`,
        );
      }
      if (io.env.GITHUB_ACTIONS === 'true' && io.env.GITHUB_OUTPUT)
        await writeGithubOutputs(io.env.GITHUB_OUTPUT, result.invitations, io.out);
    } catch (error) {
      outputsFailed = true;
      io.err(
        `\nexalate-iac apply: could not write the outputs (${error instanceof Error ? error.message : String(error)}); the codes stay on the nodes: the next apply writes them again\n`,
      );
    }
  }
  for (const w of result.warnings)
    io.err(`exalate-iac apply: warning: ${term(`${w.node}/${w.connection}`)}: ${term(w.message)}\n`);
  const s = summarize(plan);
  if (result.failed.length > 0) {
    io.err(`\nApply failed for ${result.failed.length} of ${work} connection${work === 1 ? '' : 's'}:\n`);
    for (const f of result.failed)
      io.err(`  ${term(`${f.node}/${f.connection}`)} (${f.kind}): ${term(f.message)}\n`);
    io.err('Fix the cause and run apply again: it continues where this run stopped.\n');
    return 1;
  }
  if (outputsFailed) return 1;
  io.out(`\nApply complete! Connections: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed.\n`);
  return 0;
}
