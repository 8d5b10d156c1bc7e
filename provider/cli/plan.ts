import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { planToJson } from '../engine/saved-plan';
import { openWorkspace, planWorkspace } from '../engine/session';
import { hasChanges } from '../engine/summary';
import type { Plan } from '../engine/plan';
import { intOption, parseCommandArgs } from './args';
import { engineContext, readProgress, type Deps, NODE_ENVIRONMENT_HELP } from './context';
import { reportFindings, UsageError } from './errors';
import { colourOn, Io } from './io';
import { fileOption, renderMarkdown, renderText, shellWord } from './render';

const HELP = `Usage: exalate-iac plan [--file FILE] [--format text|markdown|json] [--out PLAN]
                        [--prune] [--allow-replace] [--detailed-exitcode] [--parallelism N]
                        [--rate-limit N]

Compare the connections declared in FILE with what the nodes hold and show what apply would do.
Read-only: nothing on the nodes changes.

  --file FILE           connections file (default: ${DEFAULT_CONFIG_FILE})
  --format FORMAT       text (default), markdown (a pull-request comment) or json
  --out PLAN            also save the plan (JSON, no secrets); \`exalate-iac apply PLAN\` applies
                        exactly it, and refuses when the file or the nodes changed since
  --prune               delete connections this owner created that the file no longer declares
  --allow-replace       allow delete-and-recreate when a field that cannot change in place changed
  --detailed-exitcode   exit 0 when there are no changes, 2 when there are
  --parallelism N       nodes read at once (default 16)
  --rate-limit N        requests per second to each node without a \`rateLimit\` of its own in
                        FILE (default 20); a node's 429 answers slow it down further

Exit status: 0 success, 1 error; with --detailed-exitcode 0 no changes, 2 changes, 1 error.

${NODE_ENVIRONMENT_HELP}`;

export const PLAN_ARGS = {
  file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
  prune: { type: 'boolean', default: false },
  'allow-replace': { type: 'boolean', default: false },
  parallelism: { type: 'string' },
  'rate-limit': { type: 'string' },
} as const;

/** `--rate-limit N`: the client's requests per second to every node that sets no `rateLimit`. */
export function withRateLimit(value: string | undefined, deps: Deps): Deps {
  if (value === undefined) return deps;
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > 10_000)
    throw new UsageError(
      `--rate-limit must be a number of requests per second above 0 and at most 10000, got '${value}'`,
    );
  return { ...deps, clientSettings: { ...deps.clientSettings, rateLimit: rate } };
}

/** Write the plan atomically; a folder that does not exist is a usage error, and no temp file stays. */
async function savePlan(json: string, file: string, shown: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.writeFile(tmp, json);
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

export function render(
  plan: Plan,
  digest: string,
  format: 'text' | 'markdown' | 'json',
  colour: boolean,
): string {
  if (format === 'json') return JSON.stringify(planToJson(plan, digest), null, 2) + '\n';
  if (format === 'markdown') return renderMarkdown(plan);
  return renderText(plan, { colour });
}

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
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
  const parallelism = intOption(args.values.parallelism, 'parallelism', 16, 1);
  const ws = await openWorkspace(
    args.values.file,
    engineContext(io, withRateLimit(args.values['rate-limit'], deps), args.values.verbose),
  );
  try {
    reportFindings(io, ws.warnings);
    const onNode = readProgress(io);
    const { plan } = await planWorkspace(
      ws,
      { prune: args.values.prune, allowReplace: args.values['allow-replace'] },
      io.env,
      { parallelism, ...(onNode ? { onNode } : {}) },
    );
    if (args.values.out !== undefined)
      await savePlan(
        render(plan, ws.state.digest, 'json', false),
        path.resolve(io.cwd, args.values.out),
        args.values.out,
      );
    io.out(render(plan, ws.state.digest, format, colourOn(io, args.values['no-color'])));
    if (args.values.out !== undefined && format === 'text')
      io.out(
        `\nSaved the plan to ${args.values.out}: apply exactly it with \`exalate-iac apply ${shellWord(args.values.out)}${fileOption(args.values.file)}\`.\n`,
      );
    return args.values['detailed-exitcode'] && hasChanges(plan) ? 2 : 0;
  } finally {
    await ws.close();
  }
}
