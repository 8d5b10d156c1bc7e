import type { Plan, PlannedAction } from '../engine/plan';
import { planToJson } from '../engine/saved-plan';
import { GITHUB_COMMENT_LIMIT, MARKDOWN_MARKER, renderMarkdown, renderMermaid, renderText } from './render';

const LOC = { file: 'c.yaml', line: 1, col: 1 };

function action(
  kind: PlannedAction['kind'],
  name: string,
  extra: Partial<PlannedAction> = {},
): PlannedAction {
  return {
    kind,
    node: 'fs',
    name,
    reason: `${kind} reason`,
    changes: [],
    drift: kind !== 'create' && kind !== 'pending' && kind !== 'no-op',
    desired: {
      name,
      node: 'fs',
      localShortName: 'a',
      remoteShortName: 'partner',
      mode: 'script',
      private: true,
      type: 'private',
      description: '',
      enabled: true,
      protect: false,
      triggers: [],
      location: LOC,
    },
    ...extra,
  };
}

function planOf(actions: PlannedAction[]): Plan {
  return {
    createdAt: '2026-11-23T00:00:00Z',
    owner: 'platform-team',
    configFile: 'c.yaml',
    options: { prune: false, allowReplace: false },
    nodes: [{ name: 'fs', platform: 'freshservice' }],
    actions,
    fingerprints: {},
    unmanaged: { fs: [] },
    unknown: {},
  };
}

const MIXED = planOf([
  action('create', 'new-one'),
  action('update', 'edited', {
    changes: [{ field: 'description', before: 'old', after: 'new', forcesReplacement: false }],
  }),
  action('replace', 'moved', {
    changes: [{ field: 'mode', before: 'basic', after: 'script', forcesReplacement: true }],
    blocked: 'needs --allow-replace',
  }),
  action('delete', 'removed'),
  action('pending', 'waiting', {
    live: { id: 1, version: 1, status: 'PENDING', invitationCreatedAt: '2026-11-22T22:00:00Z' },
  }),
  action('no-op', 'same'),
]);

describe('human plan', () => {
  test('symbols, a reason per connection and per field, and Terraform’s last line', () => {
    const text = renderText(MIXED, { now: new Date('2026-11-23T00:00:00Z') });
    expect(text).toContain('  + fs/new-one  (create: create reason)');
    expect(text).toContain('  ~ fs/edited  (update: update reason)\n      description: "old" → "new"');
    expect(text).toContain(
      '  -/+ fs/moved  (replace: replace reason)\n      mode: "basic" → "script"  # forces replacement\n      blocked: needs --allow-replace',
    );
    expect(text).toContain('  - fs/removed  (delete: delete reason)');
    expect(text).toContain('fs/waiting: pending reason (invitation 2 h old)');
    expect(text).not.toContain('fs/same');
    expect(text.trimEnd().split('\n').pop()).toBe('Plan: 2 to add, 1 to change, 2 to destroy.');
  });

  test('no changes says so', () => {
    expect(renderText(planOf([action('no-op', 'same')]))).toBe(
      'No changes. The nodes match the configuration.\nPlan: 0 to add, 0 to change, 0 to destroy.\n',
    );
  });

  test('colour only when asked', () => {
    expect(renderText(MIXED)).not.toContain('\u001b[');
    expect(renderText(MIXED, { colour: true })).toContain('\u001b[32m+ fs/new-one\u001b[0m');
  });
});

describe('JSON plan', () => {
  test('format_version and per-field before/after', () => {
    const json = JSON.parse(JSON.stringify(planToJson(MIXED, 'digest')));
    expect(json.format_version).toBe('1');
    expect(json.summary).toMatchObject({ add: 2, change: 1, destroy: 2, pending: 1, blocked: 1 });
    expect(json.actions[1]).toMatchObject({
      connection: 'edited',
      action: 'update',
      changes: [{ field: 'description', before: 'old', after: 'new', forces_replacement: false }],
    });
  });
});

describe('Markdown plan for pull requests', () => {
  test('marker first, summary before the collapsed details, a Mermaid diagram coloured by action', () => {
    const text = renderMarkdown(MIXED);
    expect(text.startsWith(`${MARKDOWN_MARKER}\n`)).toBe(true);
    const summary = text.indexOf('**Plan: 2 to add, 1 to change, 2 to destroy.**');
    const details = text.indexOf('<details><summary>Details</summary>');
    expect(summary).toBeGreaterThan(0);
    expect(details).toBeGreaterThan(summary);
    expect(text).toContain('```mermaid\nflowchart LR');
    expect(text).toContain('linkStyle 0 stroke:#2da44e');
    expect(text).toContain('linkStyle 3 stroke:#cf222e');
    expect(text).toContain('- description: "old"\n+ description: "new"');
  });

  test('the diagram links each node to its partner with the connection name', () => {
    const diagram = renderMermaid(MIXED);
    expect(diagram).toContain('n0["fs (freshservice)"]');
    expect(diagram).toMatch(/n0 -->\|"\+ new-one"\| n1/);
    expect(diagram).toContain('n1(["partner (private, unknown URL)"])');
  });

  test('a huge plan stays within 65,535 characters with a clear truncation note', () => {
    const many = planOf(
      Array.from({ length: 3000 }, (_, i) =>
        action('update', `connection-${i}`, {
          changes: [
            { field: 'description', before: 'x'.repeat(60), after: 'y'.repeat(60), forcesReplacement: false },
          ],
        }),
      ),
    );
    const text = renderMarkdown(many);
    expect(text.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(text).toMatch(
      /\*\*Truncated:\*\* \d+ more entries not shown to stay within GitHub's 65,535-character limit/,
    );
    expect(text.startsWith(MARKDOWN_MARKER)).toBe(true);
    expect(text).toContain('**Plan: 0 to add, 3000 to change, 0 to destroy.**');
  });

  test('a moderately large plan keeps the summary table whole and truncates only the details', () => {
    const some = planOf(
      Array.from({ length: 300 }, (_, i) =>
        action('update', `c-${i}`, {
          changes: [
            { field: 'description', before: 'x'.repeat(70), after: 'y'.repeat(70), forcesReplacement: false },
          ],
        }),
      ),
    );
    const text = renderMarkdown(some, 40_000);
    expect(text.length).toBeLessThanOrEqual(40_000);
    expect(text).toContain('| c-299 |');
    expect(text).toMatch(/Truncated:\*\* \d+ more/);
  });
});
