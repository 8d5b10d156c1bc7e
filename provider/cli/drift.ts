import { DEFAULT_CONFIG_FILE } from '../config/load';
import type { Plan } from '../engine/plan';
import { openWorkspace, planWorkspace } from '../engine/session';
import { intOption, parseCommandArgs } from './args';
import { engineContext, readProgress, type Deps, NODE_ENVIRONMENT_HELP } from './context';
import { reportFindings } from './errors';
import { Io } from './io';
import { checkFormat, withRateLimit } from './plan';
import { formatValue, MARKDOWN_MARKER, md } from './render';
import { term } from './terminal';

const HELP = `Usage: exalate-iac drift [--file FILE] [--format text|markdown|json] [--parallelism N]
                         [--rate-limit N]

Read-only: report, per connection and per field, where the nodes differ from FILE — connections
deleted, deactivated, renamed or edited by hand, accepting sides deleted or no longer paired.
Waiting for a partner to accept is not drift. Fields a node does not report are listed once per
node: they cannot be compared, and are not drift.

  --file FILE       connections file (default: ${DEFAULT_CONFIG_FILE})
  --format FORMAT   text (default), markdown or json
  --parallelism N   nodes read at once (default 16)
  --rate-limit N    requests per second to each node without a \`rateLimit\` of its own in FILE
                    (default 20); a node's 429 answers slow it down further

Exit status: 0 in sync, 2 drift, 1 error.

${NODE_ENVIRONMENT_HELP}`;

export interface DriftEntry {
  node: string;
  connection: string;
  kind: 'missing' | 'changed' | 'undeclared' | 'conflict';
  reason: string;
  fields: { field: string; expected: unknown; actual: unknown }[];
}

export function driftEntries(plan: Plan): DriftEntry[] {
  return plan.actions
    .filter((a) => a.drift || a.kind === 'create')
    .map((a) => ({
      node: a.node,
      connection: a.name,
      kind:
        a.kind === 'create'
          ? 'missing'
          : a.kind === 'no-op'
            ? a.blocked
              ? 'conflict'
              : 'undeclared'
            : 'changed',
      reason:
        a.kind === 'create'
          ? 'declared but not on the node (deleted or renamed by hand, or never applied)'
          : a.reason,
      fields: a.changes.map((c) => ({ field: c.field, expected: c.after, actual: c.before })),
    }));
}

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      format: { type: 'string' },
      parallelism: { type: 'string' },
      'rate-limit': { type: 'string' },
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
  let plan: Plan;
  try {
    reportFindings(io, ws.warnings);
    const onNode = readProgress(io);
    plan = (
      await planWorkspace(ws, { prune: false, allowReplace: true }, io.env, {
        parallelism,
        ...(onNode ? { onNode } : {}),
      })
    ).plan;
  } finally {
    await ws.close();
  }
  const entries = driftEntries(plan);
  const pending = plan.actions.filter((a) => a.kind === 'pending' || (a.kind === 'accept' && !a.drift));
  const drifted = entries.length > 0;
  const unknown = Object.entries(plan.unknown);
  if (format === 'json') {
    io.out(
      JSON.stringify(
        {
          format_version: '1',
          drift: drifted,
          drifted: entries,
          pending: pending.map((a) => ({
            node: a.node,
            connection: a.name,
            invitation_created_at: a.live?.invitationCreatedAt ?? null,
          })),
          unknown_fields: plan.unknown,
        },
        null,
        2,
      ) + '\n',
    );
  } else if (format === 'markdown') {
    const out = [
      MARKDOWN_MARKER.replace(':plan', ':drift'),
      `### exalate-iac drift — ${drifted ? `${entries.length} drifted` : 'in sync'}`,
      '',
    ];
    for (const e of entries) {
      out.push(`- **${md(`${e.node}/${e.connection}`)}** (${e.kind}): ${md(e.reason)}`);
      for (const f of e.fields)
        out.push(
          `  - \`${f.field}\`: expected ${md(formatValue(f.field, f.expected))}, found ${md(formatValue(f.field, f.actual))}`,
        );
    }
    if (pending.length > 0) out.push('', `${pending.length} waiting for acceptance (not drift).`);
    for (const [node, fields] of unknown)
      out.push('', `Not reported by ${node}: ${fields.join(', ')} (cannot be compared; not drift).`);
    io.out(out.join('\n') + '\n');
  } else {
    if (!drifted) io.out('No drift: the nodes match the configuration.\n');
    else io.out(`Drift detected in ${entries.length} connection${entries.length === 1 ? '' : 's'}:\n`);
    for (const e of entries) {
      io.out(`  ${term(`${e.node}/${e.connection}`)} (${e.kind}): ${term(e.reason)}\n`);
      for (const f of e.fields)
        io.out(
          `      ${f.field}: expected ${term(formatValue(f.field, f.expected))}, found ${term(formatValue(f.field, f.actual))}\n`,
        );
    }
    for (const a of pending) io.out(`  ${term(`${a.node}/${a.name}`)}: waiting for acceptance (not drift)\n`);
    for (const [node, fields] of unknown)
      io.out(`  not reported by ${term(node)}: ${fields.join(', ')} (cannot be compared; not drift)\n`);
  }
  return drifted ? 2 : 0;
}
