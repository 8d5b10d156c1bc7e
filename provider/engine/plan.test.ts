import type { Connection, NodeApi } from '../api/types';
import type { DesiredConnection, DesiredState } from '../model/connection';
import { withOwnership } from '../model/ownership';
import { diffConnection } from './diff';
import { readLive, type LiveNode } from './live';
import type { ResolvedNode } from './nodes';
import { computePlan, type PlanOptions } from './plan';
import { hasChanges, hasDrift, summarize } from './summary';

// computePlan is pure: these tests feed it declared and live state directly.

const OWNER = 'platform-team';
const FS_URL = 'http://127.0.0.1:1/nodes/fs';
const JIRA_URL = 'http://127.0.0.1:1/nodes/jira';

function desired(overrides: Partial<DesiredConnection> = {}): DesiredConnection {
  return {
    name: 'c1',
    node: 'fs',
    localShortName: 'acme',
    remoteShortName: 'partner',
    mode: 'script',
    private: true,
    type: 'private',
    description: 'Escalations',
    enabled: true,
    protect: false,
    rules: { outgoing: 'replica.summary = issue.summary\n', incoming: 'issue.summary = replica.summary\n' },
    triggers: [{ entityType: 'ticket', query: 'priority:4', active: true, notes: '' }],
    location: { file: 'c.yaml', line: 1, col: 1 },
    ...overrides,
  };
}

/** The live connection that applying `d` produces. */
function liveOf(d: DesiredConnection, overrides: Partial<Connection> = {}): Connection {
  return {
    id: 7,
    name: d.name,
    description: withOwnership(d.description, { owner: OWNER, protect: d.protect }),
    status: 'ACTIVE',
    configurationType:
      d.mode === 'ai-assist' ? 'AI_ASSIST' : (d.mode.toUpperCase() as Connection['configurationType']),
    localShortName: d.localShortName,
    remoteShortName: d.remoteShortName,
    communication:
      d.type === 'private'
        ? { type: 'PRIVATE' }
        : d.type === 'local'
          ? { type: 'LOCAL' }
          : { type: 'PUBLIC', remoteUrl: d.remote?.url ?? JIRA_URL },
    version: 3,
    role: 'INITIATOR',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    rules: { outgoing: d.rules?.outgoing ?? '', incoming: d.rules?.incoming ?? '' },
    triggers: d.triggers.map((t) => ({ ...t })),
    ...overrides,
  };
}

function state(connections: DesiredConnection[]): DesiredState {
  const loc = { file: 'c.yaml', line: 1, col: 1 };
  return {
    file: '/x/c.yaml',
    shownFile: 'c.yaml',
    digest: 'd',
    owner: OWNER,
    nodes: new Map([
      ['fs', { name: 'fs', url: FS_URL, platform: 'freshservice', tokenEnv: 'FS', location: loc }],
      ['jira', { name: 'jira', url: JIRA_URL, platform: 'jira-cloud', tokenEnv: 'J', location: loc }],
    ]),
    connections,
  };
}

function liveNodes(fs: Connection[], jira: Connection[] = []): Map<string, LiveNode> {
  const node = (cs: Connection[]): LiveNode => ({
    connections: cs,
    byName: new Map(cs.map((c) => [c.name, c])),
  });
  return new Map([
    ['fs', node(fs)],
    ['jira', node(jira)],
  ]);
}

const RESOLVED = new Map<string, ResolvedNode>([
  ['fs', { name: 'fs', url: FS_URL, platform: 'freshservice', token: 't', user: '' }],
  ['jira', { name: 'jira', url: JIRA_URL, platform: 'jira-cloud', token: 't', user: '' }],
]);

function plan(
  connections: DesiredConnection[],
  fs: Connection[],
  jira: Connection[] = [],
  options: PlanOptions = { prune: false, allowReplace: false },
) {
  return computePlan({
    state: state(connections),
    live: liveNodes(fs, jira),
    resolved: RESOLVED,
    env: {},
    options,
  });
}

describe('the plan right after an apply is empty', () => {
  test.each([
    ['private script connection', desired()],
    [
      'public connection to a URL',
      desired({ private: false, type: 'public', remote: { url: 'https://x.example.com' } }),
    ],
    ['local connection', desired({ private: false, type: 'local', remote: { node: 'fs' } })],
    [
      'deactivated, protected, no rules',
      desired({ enabled: false, protect: true, rules: undefined, mode: 'ai-assist' }),
    ],
  ])('%s', (_name, d) => {
    const live = liveOf(d, d.enabled ? {} : { status: 'DEACTIVATED' });
    const p = plan([d], [live]);
    expect(p.actions.map((a) => a.kind)).toEqual(['no-op']);
    expect(hasChanges(p)).toBe(false);
    expect(hasDrift(p)).toBe(false);
  });
});

describe('normalisation: differences that are not changes', () => {
  const d = desired();
  test.each<[string, Partial<Connection>]>([
    [
      'CRLF line endings and trailing spaces in scripts',
      {
        rules: {
          outgoing: 'replica.summary = issue.summary   \r\n\r\n',
          incoming: '\n\nissue.summary = replica.summary',
        },
      },
    ],
    [
      'trigger order and text padding',
      { triggers: [{ entityType: ' ticket ', query: 'priority:4 ', active: true, notes: '' }] },
    ],
    [
      'trailing white space in the description',
      { description: withOwnership('Escalations  \n', { owner: OWNER, protect: false }) },
    ],
    ['a description without the ownership marker (adopted by import)', { description: 'Escalations' }],
  ])('%s', (_name, overrides) => {
    const live = liveOf(d, overrides);
    const { updates, replacements, unknown } = diffConnection(d, live, { owner: OWNER });
    expect([...updates, ...replacements, ...unknown]).toEqual([]);
  });

  test('triggers declared in another order compare equal', () => {
    const two = desired({
      triggers: [
        { entityType: 'ticket', query: 'a', active: true, notes: '' },
        { entityType: 'incident', query: 'b', active: false, notes: 'n' },
      ],
    });
    const live = liveOf(two, { triggers: [...two.triggers].reverse() });
    expect(diffConnection(two, live, { owner: OWNER }).updates).toEqual([]);
  });

  test('a direction of rules the file does not declare is left alone', () => {
    const d2 = desired({ rules: { outgoing: 'x' } });
    const live = liveOf(d2, { rules: { outgoing: 'x', incoming: 'whatever the node has' } });
    expect(diffConnection(d2, live, { owner: OWNER }).updates).toEqual([]);
  });
});

describe('every field is compared', () => {
  const d = desired();
  test.each<[string, Partial<Connection>, string, boolean]>([
    [
      'description',
      { description: withOwnership('Other', { owner: OWNER, protect: false }) },
      'description',
      false,
    ],
    ['enabled (deactivated by hand)', { status: 'DEACTIVATED' }, 'enabled', false],
    [
      'protect',
      { description: withOwnership('Escalations', { owner: OWNER, protect: true }) },
      'protect',
      false,
    ],
    [
      'outgoing rules',
      { rules: { outgoing: 'changed', incoming: d.rules?.incoming ?? '' } },
      'rules.outgoing',
      false,
    ],
    [
      'incoming rules',
      { rules: { outgoing: d.rules?.outgoing ?? '', incoming: 'changed' } },
      'rules.incoming',
      false,
    ],
    [
      'trigger query',
      { triggers: [{ entityType: 'ticket', query: 'priority:3', active: true, notes: '' }] },
      'triggers',
      false,
    ],
    [
      'trigger active flag',
      { triggers: [{ entityType: 'ticket', query: 'priority:4', active: false, notes: '' }] },
      'triggers',
      false,
    ],
    [
      'a trigger added by hand',
      { triggers: [...d.triggers, { entityType: 'change', query: 'x', active: true, notes: '' }] },
      'triggers',
      false,
    ],
    ['mode', { configurationType: 'AI_ASSIST' }, 'mode', true],
    ['private flag', { communication: { type: 'PUBLIC', remoteUrl: 'https://x' } }, 'private', true],
    ['local short name', { localShortName: 'other' }, 'localShortName', true],
    ['remote short name', { remoteShortName: 'other' }, 'remoteShortName', true],
  ])('%s', (_name, overrides, field, immutable) => {
    const p = plan([d], [liveOf(d, overrides)]);
    const action = p.actions[0];
    expect(action?.kind).toBe(immutable ? 'replace' : 'update');
    expect(action?.changes.map((c) => c.field)).toEqual([field]);
    expect(action?.changes[0]?.forcesReplacement === true).toBe(immutable);
    expect(action?.drift).toBe(true);
  });

  test('the remote URL of a public connection', () => {
    const pub = desired({ private: false, type: 'public', remote: { url: 'https://a.example.com' } });
    const p = plan(
      [pub],
      [liveOf(pub, { communication: { type: 'PUBLIC', remoteUrl: 'https://b.example.com/' } })],
    );
    expect(p.actions[0]).toMatchObject({
      kind: 'replace',
      changes: [{ field: 'remote.url', before: 'https://b.example.com', after: 'https://a.example.com' }],
    });
  });
});

describe('action kinds', () => {
  test('create: not on the node; accepted on a declared remote node', () => {
    const p = plan([desired(), desired({ name: 'c2', remote: { node: 'jira' } })], []);
    expect(p.actions.map((a) => [a.kind, a.acceptOn])).toEqual([
      ['create', undefined],
      ['create', 'jira'],
    ]);
    expect(summarize(p)).toMatchObject({ add: 2, change: 0, destroy: 0 });
  });

  test('replace is blocked without --allow-replace, and always when protected', () => {
    const d = desired();
    const changed = liveOf(d, { localShortName: 'old' });
    expect(plan([d], [changed]).actions[0]?.blocked).toMatch(/--allow-replace/);
    expect(
      plan([d], [changed], [], { prune: false, allowReplace: true }).actions[0]?.blocked,
    ).toBeUndefined();
    const protectedLive = liveOf(d, {
      localShortName: 'old',
      description: withOwnership('Escalations', { owner: OWNER, protect: true }),
    });
    expect(plan([d], [protectedLive], [], { prune: false, allowReplace: true }).actions[0]?.blocked).toMatch(
      /protected/,
    );
  });

  test('pending: waiting for a partner is neither a change nor drift', () => {
    const d = desired();
    const p = plan([d], [liveOf(d, { status: 'PENDING', invitationCreatedAt: '2026-01-01T00:00:00Z' })]);
    expect(p.actions[0]?.kind).toBe('pending');
    expect(hasChanges(p)).toBe(false);
    expect(hasDrift(p)).toBe(false);
  });

  test('accept: pending, the remote node is declared and has no accepting side yet', () => {
    const d = desired({ remote: { node: 'jira' } });
    const pending = liveOf(d, { status: 'PENDING' });
    expect(plan([d], [pending]).actions[0]).toMatchObject({ kind: 'accept', acceptOn: 'jira', drift: false });
    const acceptor = {
      ...liveOf(d),
      id: 99,
      role: 'ACCEPTOR' as const,
      communication: { type: 'PRIVATE' as const },
    };
    // The initiator still waits while an accepting side exists: a broken pair, shown as drift.
    expect(plan([d], [pending], [acceptor], { prune: false, allowReplace: true }).actions[0]).toMatchObject({
      kind: 'replace',
      drift: true,
      counterpart: { node: 'jira', id: 99 },
      changes: [{ field: 'remote.node', after: 'jira', forcesReplacement: true }],
    });
  });

  test('an accepted connection whose accepting side is paired with another initiator is drift', () => {
    const d = desired({ remote: { node: 'jira' } });
    const active = liveOf(d, { remoteConnectionId: 99 });
    const acceptor = {
      ...liveOf(d),
      id: 99,
      role: 'ACCEPTOR' as const,
      communication: { type: 'PRIVATE' as const },
    };
    expect(plan([d], [active], [{ ...acceptor, remoteConnectionId: 7 }]).actions[0]?.kind).toBe('no-op');
    expect(plan([d], [active], [{ ...acceptor, remoteConnectionId: 6 }]).actions[0]).toMatchObject({
      kind: 'replace',
      drift: true,
      changes: [{ field: 'remote.node', before: 'jira (accepting side not paired with this connection)' }],
    });
    expect(plan([d], [active], []).actions[0]).toMatchObject({
      kind: 'replace',
      changes: [{ field: 'remote.node', before: 'jira (accepting side missing)' }],
    });
  });

  test('incomingScope is compared with the accepting side and forces replacement', () => {
    const d = desired({ remote: { node: 'jira' }, incomingScope: 'OPS' });
    const active = liveOf(d, { remoteConnectionId: 99 });
    const acceptor = {
      ...liveOf(d),
      id: 99,
      role: 'ACCEPTOR' as const,
      communication: { type: 'PRIVATE' as const },
      remoteConnectionId: 7,
    };
    expect(plan([d], [active], [{ ...acceptor, incomingScope: 'OPS' }]).actions[0]?.kind).toBe('no-op');
    const changed = plan([d], [active], [{ ...acceptor, incomingScope: 'ENG' }]);
    expect(changed.actions[0]).toMatchObject({
      kind: 'replace',
      changes: [{ field: 'incomingScope', before: 'ENG', after: 'OPS', forcesReplacement: true }],
    });
    expect(hasChanges(changed)).toBe(true);
  });

  test('a status of ERROR is shown read-only: nothing is planned to clear it', () => {
    const d = desired();
    const p = plan([d], [liveOf(d, { status: 'ERROR', errorMessage: 'script error' })]);
    expect(p.actions[0]).toMatchObject({
      kind: 'no-op',
      live: { status: 'ERROR', errorMessage: 'script error' },
    });
    expect(hasChanges(p)).toBe(false);
  });

  test('an unknown status is kept as it is and never crashes the plan', () => {
    const d = desired();
    const p = plan([d], [liveOf(d, { status: 'SUSPENDED_BY_ADMIN' })]);
    expect(p.actions[0]).toMatchObject({ kind: 'no-op', live: { status: 'SUSPENDED_BY_ADMIN' } });
  });

  test('delete only with --prune, only what this owner created, never a protected one', () => {
    const mine = liveOf(desired({ name: 'gone' }));
    const protectedOne = liveOf(desired({ name: 'kept', protect: true }), { id: 8 });
    const otherOwner = liveOf(desired({ name: 'theirs' }), {
      id: 9,
      description: withOwnership('x', { owner: 'other-team', protect: false }),
    });
    const byHand = liveOf(desired({ name: 'manual' }), { id: 10, description: 'made in the console' });
    const live = [mine, protectedOne, otherOwner, byHand];

    const noPrune = plan([], live);
    expect(noPrune.actions.map((a) => [a.name, a.kind, a.blocked])).toEqual([
      ['gone', 'no-op', undefined],
      ['kept', 'no-op', undefined],
    ]);
    expect(hasDrift(noPrune)).toBe(true);
    expect(noPrune.unmanaged.fs).toEqual(['theirs', 'manual']);

    const pruned = plan([], live, [], { prune: true, allowReplace: false });
    expect(pruned.actions.map((a) => [a.name, a.kind, Boolean(a.blocked)])).toEqual([
      ['gone', 'delete', false],
      ['kept', 'delete', true],
    ]);
    expect(summarize(pruned)).toMatchObject({ destroy: 2, blocked: 1 });
  });

  test('a declared name held by another owner is blocked, never adopted', () => {
    const d = desired();
    const p = plan(
      [d],
      [liveOf(d, { description: withOwnership('Escalations', { owner: 'other-team', protect: false }) })],
    );
    expect(p.actions[0]).toMatchObject({
      kind: 'no-op',
      blocked: expect.stringMatching(/owned by 'other-team'/),
    });
    expect(hasChanges(p)).toBe(true);
  });
});

describe('what a node does not report is unknown, never different', () => {
  test('a connection with only the observed fields: no replace, no update, the fields listed once per node', () => {
    const d = desired();
    const observed: Connection = { id: 7, name: d.name, status: 'ACTIVE', communication: {} };
    const p = plan([d, desired({ name: 'c2' })], [observed, { ...observed, id: 8, name: 'c2' }]);
    expect(p.actions.map((a) => a.kind)).toEqual(['no-op', 'no-op']);
    expect(hasChanges(p)).toBe(false);
    expect(hasDrift(p)).toBe(false);
    expect(p.unknown).toEqual({
      fs: [
        'localShortName',
        'remoteShortName',
        'mode',
        'private',
        'description',
        'protect',
        'rules.outgoing',
        'rules.incoming',
        'triggers',
      ],
    });
  });

  test('with --prune, a connection whose description is not reported is never deleted', () => {
    const observed: Connection = {
      id: 7,
      name: 'gone',
      status: 'ACTIVE',
      communication: {},
      role: 'INITIATOR',
    };
    const p = plan([], [observed], [], { prune: true, allowReplace: true });
    expect(p.actions).toEqual([]);
    expect(p.unmanaged.fs).toEqual(['gone']);
  });

  test('a known difference is still planned next to unknown fields', () => {
    const d = desired();
    const partial: Connection = {
      id: 7,
      name: d.name,
      status: 'DEACTIVATED',
      communication: { type: 'PRIVATE' },
    };
    expect(plan([d], [partial]).actions[0]).toMatchObject({
      kind: 'update',
      changes: [{ field: 'enabled' }],
    });
  });
});

describe('triggers', () => {
  test('several triggers may share an entity type; they are matched by entity type and query', () => {
    const d = desired({
      triggers: [
        { entityType: 'ticket', query: 'priority:4', active: true, notes: '' },
        { entityType: 'ticket', query: 'tag:vip', active: true, notes: 'VIPs' },
      ],
    });
    expect(plan([d], [liveOf(d, { triggers: [...d.triggers].reverse() })]).actions[0]?.kind).toBe('no-op');
    const missing = plan([d], [liveOf(d, { triggers: [d.triggers[0]!] })]);
    expect(missing.actions[0]).toMatchObject({ kind: 'update', changes: [{ field: 'triggers' }] });
  });
});

describe('reading a node', () => {
  test('a node that ignores expand=rules,triggers is read with per-connection calls and plans the same', async () => {
    // The emulator always honours `expand`; a node that does not is stood in for by this object.
    const d = desired();
    const full = liveOf(d);
    const { rules: _rules, triggers: _triggers, ...bare } = full;
    const calls: string[] = [];
    const node = {
      async *listConnections() {
        yield { ...bare };
      },
      getRules: async (id: number) => (calls.push(`rules ${id}`), full.rules!),
      getTriggers: async (id: number) => (calls.push(`triggers ${id}`), full.triggers!),
    } as unknown as NodeApi;
    const live = await readLive(new Map([['fs', node]]));
    expect(calls.sort()).toEqual(['rules 7', 'triggers 7']);
    const p = computePlan({
      state: state([d]),
      live: new Map([...live, ['jira', { connections: [], byName: new Map() }]]),
      resolved: RESOLVED,
      env: {},
      options: { prune: false, allowReplace: false },
    });
    expect(p.actions.map((a) => a.kind)).toEqual(['no-op']);
  });
});
