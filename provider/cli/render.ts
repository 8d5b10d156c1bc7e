import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { acceptsWithCode, type FieldChange, type Plan, type PlannedAction } from '../engine/plan';
import { summarize } from '../engine/summary';
import { term } from './terminal';

export const GITHUB_COMMENT_LIMIT = 65_535;
export const MARKDOWN_MARKER = '<!-- exalate-iac:plan -->';

const SYMBOL: Record<PlannedAction['kind'], string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  accept: '~',
  delete: '-',
  pending: '…',
  'no-op': ' ',
};

const COLOUR: Record<PlannedAction['kind'], string> = {
  create: '\u001b[32m',
  update: '\u001b[33m',
  replace: '\u001b[35m',
  accept: '\u001b[36m',
  delete: '\u001b[31m',
  pending: '\u001b[34m',
  'no-op': '',
};

function lines(text: string): number {
  return text === '' ? 0 : text.split('\n').length;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** One side of a field change, short enough for a terminal line. */
export function formatValue(field: string, value: unknown): string {
  if (field.startsWith('rules.') && typeof value === 'string') {
    return value === '' ? '(empty)' : `${lines(value)} lines (sha256 ${digest(value)})`;
  }
  if (field === 'triggers' && Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    return value
      .map(
        (t: { entityType: string; query: string; active: boolean }) =>
          `${t.entityType}: ${JSON.stringify(t.query)}${t.active ? '' : ' (inactive)'}`,
      )
      .join('; ');
  }
  const s = JSON.stringify(value) ?? 'null';
  return s.length > 80 ? `${s.slice(0, 77)}…"` : s;
}

function age(iso: string | undefined, now: Date): string | undefined {
  if (!iso) return undefined;
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** A word as a shell would need it written (quoted when it has anything but safe characters). */
export function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** ` --file FILE` for a command line shown to the user, unless FILE is the default. */
export function fileOption(file: string): string {
  return file === DEFAULT_CONFIG_FILE ? '' : ` --file ${term(shellWord(file))}`;
}

export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`;
}

function extraSummary(plan: Plan): string[] {
  const s = summarize(plan);
  const out: string[] = [];
  if (s.pending > 0) out.push(`${s.pending} waiting for the partner to accept (not drift)`);
  if (s.blocked > 0) out.push(`${s.blocked} blocked (apply will fail on ${s.blocked === 1 ? 'it' : 'them'})`);
  return out;
}

function changeLine(c: FieldChange): string {
  return `${c.field}: ${formatValue(c.field, c.before)} → ${formatValue(c.field, c.after)}${c.forcesReplacement ? '  # forces replacement' : ''}`;
}

function actionTitle(a: PlannedAction): string {
  return term(`${a.node}/${a.name}`);
}

/** The plan for a terminal: `+ ~ - -/+`, a reason per connection and per field, Terraform's last line. */
export function renderText(plan: Plan, options: { colour?: boolean; now?: Date } = {}): string {
  const now = options.now ?? new Date();
  const paint = (kind: PlannedAction['kind'], text: string) =>
    options.colour && COLOUR[kind] ? `${COLOUR[kind]}${text}\u001b[0m` : text;
  const out: string[] = [];
  const changing = plan.actions.filter((a) => a.kind !== 'no-op' && a.kind !== 'pending');
  const pending = plan.actions.filter((a) => a.kind === 'pending');
  const notes = plan.actions.filter(
    (a) => a.kind === 'no-op' && (a.drift || a.blocked || a.live?.status === 'ERROR'),
  );
  if (changing.length === 0 && notes.length === 0) {
    out.push('No changes. The nodes match the configuration.');
  } else if (changing.length > 0) {
    out.push('exalate-iac will perform the following actions:', '');
  }
  for (const a of changing) {
    out.push(`  ${paint(a.kind, `${SYMBOL[a.kind]} ${actionTitle(a)}`)}  (${a.kind}: ${term(a.reason)})`);
    for (const c of a.changes) out.push(`      ${term(changeLine(c))}`);
    if (a.blocked) out.push(`      ${paint('delete', 'blocked')}: ${term(a.blocked)}`);
    out.push('');
  }
  for (const a of notes) {
    out.push(`  ! ${actionTitle(a)}: ${term(a.reason)}${a.blocked ? ` (blocked: ${term(a.blocked)})` : ''}`);
  }
  if (notes.length > 0) out.push('');
  const sameName = (a: PlannedAction) => plan.actions.some((b) => b !== a && b.name === a.name && b.desired);
  for (const a of pending) {
    const old = age(a.live?.invitationCreatedAt, now);
    const title = `  ${paint('pending', `${SYMBOL.pending} ${actionTitle(a)}`)}: ${term(a.reason)}`;
    // A Visual connection has no code to show or replace.
    if (!acceptsWithCode(a.snapshot, a.desired?.mode)) out.push(title);
    else
      out.push(
        `${title}${old ? ` (invitation ${old} old)` : ''}; \`exalate-iac output\` shows the code, \`exalate-iac regenerate ${term(shellWord(a.name))}${sameName(a) ? ` --node ${term(a.node)}` : ''}${fileOption(plan.configFile)}\` replaces it`,
      );
  }
  if (pending.length > 0) out.push('');
  for (const [node, fields] of Object.entries(plan.unknown))
    out.push(
      `Not reported by ${term(node)}: ${fields.join(', ')} — cannot be compared, so nothing is changed because of them.`,
    );
  const unmanaged = Object.values(plan.unmanaged).reduce((n, l) => n + l.length, 0);
  if (unmanaged > 0)
    out.push(
      `${unmanaged} connection${unmanaged === 1 ? '' : 's'} on the nodes not managed by this file (left alone).`,
    );
  for (const extra of extraSummary(plan)) out.push(`Note: ${extra}.`);
  out.push(summaryLine(plan));
  return out.join('\n') + '\n';
}

/** Text for one Markdown line: control characters escaped first (see `term`), then Markdown. */
export function md(text: string): string {
  return term(text).replace(/[|\\`*_<>[\]]/g, (ch) => `\\${ch}`);
}

const MERMAID_COLOUR: Record<PlannedAction['kind'], string> = {
  create: '#2da44e',
  update: '#d29922',
  accept: '#0969da',
  replace: '#cf222e',
  delete: '#cf222e',
  pending: '#8250df',
  'no-op': '#8c959f',
};

function mermaidLabel(text: string): string {
  return term(text).replace(/["`]/g, "'").replace(/[<>]/g, '').slice(0, 60);
}

/** A Mermaid flowchart of the nodes and their connections, edges coloured by action. */
export function renderMermaid(plan: Plan): string {
  const out = ['```mermaid', 'flowchart LR'];
  const ids = new Map<string, string>();
  const id = (key: string, label: string, shape: 'node' | 'partner') => {
    let v = ids.get(key);
    if (!v) {
      v = `n${ids.size}`;
      ids.set(key, v);
      out.push(shape === 'node' ? `  ${v}["${mermaidLabel(label)}"]` : `  ${v}(["${mermaidLabel(label)}"])`);
    }
    return v;
  };
  for (const n of plan.nodes) id(`node:${n.name}`, `${n.name} (${n.platform})`, 'node');
  const styles: string[] = [];
  let edge = 0;
  for (const a of plan.actions) {
    const from = id(`node:${a.node}`, a.node, 'node');
    const d = a.desired;
    let to: string;
    if (d?.type === 'local') to = from;
    else if (d?.remote?.node) to = id(`node:${d.remote.node}`, d.remote.node, 'node');
    else if (d?.remote?.url) to = id(`url:${d.remote.url}`, d.remote.url, 'partner');
    else if (d?.private)
      to = id(`private:${a.node}/${a.name}`, `${d.remoteShortName} (private, unknown URL)`, 'partner');
    else to = id(`gone:${a.node}/${a.name}`, 'partner', 'partner');
    out.push(`  ${from} -->|"${mermaidLabel(`${SYMBOL[a.kind].trim() || '='} ${a.name}`)}"| ${to}`);
    styles.push(`  linkStyle ${edge} stroke:${MERMAID_COLOUR[a.kind]},stroke-width:2px`);
    edge++;
  }
  out.push(...styles, '```');
  return out.join('\n');
}

function markdownDetails(a: PlannedAction): string {
  const parts = [`#### \`${SYMBOL[a.kind]}\` ${md(actionTitle(a))}`, '', `${a.kind}: ${md(a.reason)}`];
  if (a.blocked) parts.push('', `**Blocked:** ${md(a.blocked)}`);
  if (a.changes.length > 0) {
    const lines = a.changes.flatMap((c) => [
      `- ${c.field}: ${term(formatValue(c.field, c.before))}`,
      `+ ${c.field}: ${term(formatValue(c.field, c.after))}${c.forcesReplacement ? '  # forces replacement' : ''}`,
    ]);
    // A fence longer than any run of backticks in the values, so no value can close it.
    const longest = Math.max(
      0,
      ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))),
    );
    const fence = '`'.repeat(Math.max(3, longest + 1));
    parts.push('', `${fence}diff`, ...lines, fence);
  }
  return parts.join('\n') + '\n';
}

/**
 * The plan as one pull-request comment: a hidden marker (so a bot updates one comment in place),
 * the summary first, a Mermaid diagram, details collapsed, never more than GitHub's 65,535
 * characters. Plans never hold secrets, so nothing needs masking here.
 */
export function renderMarkdown(plan: Plan, limit = GITHUB_COMMENT_LIMIT): string {
  const s = summarize(plan);
  const head: string[] = [
    MARKDOWN_MARKER,
    `### exalate-iac plan — ${md(plan.owner)}`,
    '',
    `**${summaryLine(plan)}**`,
  ];
  const extras = extraSummary(plan);
  if (extras.length > 0) head.push('', extras.map((e) => `- ${e}`).join('\n'));
  const shown = plan.actions.filter((a) => a.kind !== 'no-op' || a.drift || a.blocked);
  if (shown.length === 0) head.push('', 'No changes. The nodes match the configuration.');
  else {
    head.push('', '| | connection | node | action | reason |', '| --- | --- | --- | --- | --- |');
    const rows = shown.map(
      (a) =>
        `| \`${SYMBOL[a.kind].trim() || '!'}\` | ${md(a.name)} | ${md(a.node)} | ${a.kind}${a.blocked ? ' (blocked)' : ''} | ${md(a.reason)} |`,
    );
    head.push(...rows);
  }
  let out = head.join('\n') + '\n';
  const tail = `\n<sub>${s.unchanged} unchanged · generated by exalate-iac</sub>\n`;
  const truncated = (n: number) =>
    `\n> **Truncated:** ${n} more ${n === 1 ? 'entry' : 'entries'} not shown to stay within GitHub's ${limit.toLocaleString('en-US')}-character limit. Run \`exalate-iac plan\` for the full plan.\n`;
  const reserve = tail.length + truncated(shown.length).length + 64;
  if (out.length + reserve > limit) {
    // Even the summary table is too long: cut rows.
    const keep: string[] = [];
    let size = 0;
    const all = out.split('\n');
    for (const line of all) {
      if (size + line.length + 1 + reserve > limit) break;
      keep.push(line);
      size += line.length + 1;
    }
    return keep.join('\n') + '\n' + truncated(all.length - keep.length) + tail;
  }
  const diagram = renderMermaid(plan);
  if (out.length + diagram.length + 60 + reserve <= limit) {
    out += `\n<details><summary>Diagram</summary>\n\n${diagram}\n\n</details>\n`;
  }
  const details = shown.filter((a) => a.changes.length > 0 || a.blocked).map(markdownDetails);
  if (details.length > 0) {
    const open = '\n<details><summary>Details</summary>\n\n';
    const close = '\n</details>\n';
    let body = '';
    let included = 0;
    for (const d of details) {
      if (out.length + open.length + body.length + d.length + close.length + reserve > limit) break;
      body += d + '\n';
      included++;
    }
    out += open + body + close;
    if (included < details.length) out += truncated(details.length - included);
  }
  return out + tail;
}
