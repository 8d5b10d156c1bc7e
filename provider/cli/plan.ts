import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { computePlan, hasChanges, NodeError, Plan, PlanOptions, readLive } from '../reconciler/plan';
import { renderJson, renderMarkdown, renderText } from '../reconciler/render';
import { openSession, Session } from '../reconciler/session';
import type { ClientFactory } from '../reconciler/nodes';
import { intOption, parseCommandArgs } from './args';
import { ExitError, UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac plan [--file FILE] [--format text|markdown|json] [--out PLAN]
                        [--prune] [--allow-replace] [--detailed-exitcode] [--no-color]

Compare the connections declared in FILE with what the nodes hold and show what apply would do.
Read-only: nothing on the nodes changes.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --format FORMAT       text (default), markdown (a pull-request comment) or json
  --out PLAN            also save the plan; \`exalate-iac apply PLAN\` applies exactly it
  --prune               delete connections this owner created that the file no longer declares
  --allow-replace       allow delete-and-recreate when an immutable field changed
  --detailed-exitcode   exit 0 when there are no changes, 2 when there are
  --parallelism N       nodes read at once (default 4)
  --no-color            no colours (also NO_COLOR)

Exit status: 0 success, 1 error; with --detailed-exitcode 0 no changes, 2 changes, 1 error.`;

export const PLAN_ARGS = {
  file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
  prune: { type: 'boolean', default: false },
  'allow-replace': { type: 'boolean', default: false },
  'no-color': { type: 'boolean', default: false },
  parallelism: { type: 'string' },
} as const;

export function colourOn(io: Io, noColor: boolean): boolean {
  return io.isTty && !noColor && io.env.NO_COLOR === undefined;
}

/** Read every node and compute the plan; node failures become one clear line each. */
export async function planSession(
  session: Session,
  io: Io,
  options: PlanOptions,
  parallelism: number,
): Promise<Plan> {
  try {
    const live = await readLive(session.clients, parallelism);
    return computePlan(session.state, live, session.resolved, io.env, options);
  } catch (error) {
    if (error instanceof NodeError) {
      io.err(`exalate-iac: ${error.message}\n`);
      throw new ExitError(1);
    }
    throw error;
  }
}

/** Write the plan atomically; a folder that does not exist is a usage error, and no temp file stays. */
async function savePlan(plan: Plan, file: string, shown: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.writeFile(tmp, JSON.stringify(plan, null, 2) + '\n');
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot write the plan to ${shown} (${code === 'ENOENT' ? 'no such folder' : (code ?? 'error')})`,
    );
  }
}

export function checkFormat(format: string | undefined): 'text' | 'markdown' | 'json' {
  if (format === undefined || format === 'text' || format === 'markdown' || format === 'json')
    return format ?? 'text';
  throw new UsageError(`--format must be text, markdown or json, got '${format}'`);
}

export function render(plan: Plan, format: 'text' | 'markdown' | 'json', colour: boolean): string {
  if (format === 'json') return renderJson(plan);
  if (format === 'markdown') return renderMarkdown(plan);
  return renderText(plan, { colour });
}

export async function run(argv: string[], io: Io, factory?: ClientFactory): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...PLAN_ARGS,
      format: { type: 'string' },
      out: { type: 'string' },
      'detailed-exitcode': { type: 'boolean', default: false },
    },
    HELP,
    io.out,
    false,
  );
  if (!args) return 0;
  const format = checkFormat(args.values.format);
  const parallelism = intOption(args.values.parallelism, 'parallelism', 4, 1);
  const session = await openSession(args.values.file, io, factory);
  try {
    const plan = await planSession(
      session,
      io,
      { prune: args.values.prune, allowReplace: args.values['allow-replace'] },
      parallelism,
    );
    if (args.values.out !== undefined)
      await savePlan(plan, path.resolve(io.cwd, args.values.out), args.values.out);
    io.out(render(plan, format, colourOn(io, args.values['no-color'])));
    if (args.values.out !== undefined && format === 'text')
      io.out(
        `\nSaved the plan to ${args.values.out}: apply exactly it with \`exalate-iac apply ${args.values.out}\`.\n`,
      );
    return args.values['detailed-exitcode'] && hasChanges(plan) ? 2 : 0;
  } finally {
    await session.close();
  }
}
