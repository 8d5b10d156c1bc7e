import { createHash } from 'node:crypto';
import type { Connection, NodeApi } from '../client/types';
import type { DesiredConnection, DesiredState } from '../model/connection';
import { mapLimit } from './concurrency';
import {
  configurationType,
  connectionTypeOf,
  modeOf,
  normalizeScript,
  normalizeText,
  normalizeTriggers,
  normalizeUrl,
  readOwnership,
} from './normalize';
import { expand, ResolvedNode } from './nodes';

export const PLAN_FORMAT_VERSION = '1';

export type ActionKind = 'create' | 'update' | 'replace' | 'accept' | 'delete' | 'pending' | 'no-op';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
  /** True for immutable fields: the change needs a new connection. */
  forcesReplacement?: boolean;
}

export interface PlannedAction {
  kind: ActionKind;
  /** The initiating node. */
  node: string;
  name: string;
  /** Why this action, in one line. */
  reason: string;
  changes: FieldChange[];
  /** Set when the action cannot be applied as things stand; apply fails on it. */
  blocked?: string;
  /** The live connection this action works on. */
  live?: { id: number; version: number; status: string; invitationCreatedAt?: string };
  /** The declared connection (create, update, replace, accept, pending). */
  desired?: DesiredConnection;
  /** The declared node that accepts the invitation (create, replace, accept). */
  acceptOn?: string;
  /** The accepting side of a connection being deleted, on a declared node. */
  counterpart?: { node: string; id: number };
  /** The live state differs from the file (everything but create of a new declaration and pending). */
  drift: boolean;
}

export interface PlanNode {
  name: string;
  /** As written in the file: `${VAR}` references are expanded at apply time. */
  url: string;
  platform: string;
  tokenEnv: string;
}

export interface Plan {
  format_version: string;
  createdAt: string;
  owner: string;
  configFile: string;
  options: PlanOptions;
  nodes: PlanNode[];
  actions: PlannedAction[];
  /** Per node, a digest of the live connections the plan was computed from. */
  fingerprints: Record<string, string>;
  /** Per node, connections that neither this file declares nor this owner created: never touched. */
  unmanaged: Record<string, string[]>;
}

export interface PlanOptions {
  prune: boolean;
  allowReplace: boolean;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  pending: number;
  blocked: number;
  unchanged: number;
}

/** Everything the planner reads from one node. */
export interface LiveNode {
  connections: Connection[];
  byName: Map<string, Connection>;
}

export async function readLive(
  clients: Map<string, NodeApi>,
  parallelism = 4,
): Promise<Map<string, LiveNode>> {
  const names = [...clients.keys()];
  const lists = await mapLimit(names, parallelism, async (name) => {
    const client = clients.get(name) as NodeApi;
    const connections: Connection[] = [];
    try {
      for await (const c of client.listConnections({ expand: ['rules', 'triggers'] })) connections.push(c);
      // A node that ignores `expand` costs two reads per connection, but still plans correctly.
      const bare = connections.filter(
        (c) => c.triggers === undefined || (c.rules === undefined && c.configurationType === 'SCRIPT'),
      );
      await mapLimit(bare, parallelism, async (c) => {
        if (c.triggers === undefined) c.triggers = await client.getTriggers(c.id);
        if (c.rules === undefined && c.configurationType === 'SCRIPT') c.rules = await client.getRules(c.id);
      });
    } catch (error) {
      throw new NodeError(name, error);
    }
    return connections;
  });
  const live = new Map<string, LiveNode>();
  names.forEach((name, i) => {
    const connections = lists[i] as Connection[];
    live.set(name, { connections, byName: new Map(connections.map((c) => [c.name, c])) });
  });
  return live;
}

/** A failure talking to one node, naming it. */
export class NodeError extends Error {
  constructor(
    readonly node: string,
    override readonly cause: unknown,
  ) {
    super(`node '${node}': ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'NodeError';
  }
}

export function fingerprint(node: LiveNode): string {
  const rows = node.connections
    .map((c) => `${c.id}\u0000${c.name}\u0000${c.version}\u0000${c.status}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(rows).digest('hex').slice(0, 32);
}

/** The URL the desired connection points at, for PUBLIC ones. */
export function desiredRemoteUrl(
  c: DesiredConnection,
  resolved: Map<string, ResolvedNode>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (c.type !== 'public' || !c.remote) return undefined;
  if (c.remote.node !== undefined) return resolved.get(c.remote.node)?.url;
  if (c.remote.url !== undefined) return expand(c.remote.url, env, `${c.name}.remote.url`, c.location);
  return undefined;
}

/** Diff one declared connection against its live counterpart. */
export function diffConnection(
  desired: DesiredConnection,
  live: Connection,
  owner: string,
  remoteUrl: string | undefined,
): { immutable: FieldChange[]; mutable: FieldChange[] } {
  const immutable: FieldChange[] = [];
  const mutable: FieldChange[] = [];
  const liveMode = modeOf(live.configurationType);
  if (live.configurationType !== configurationType(desired.mode)) {
    immutable.push({ field: 'mode', before: liveMode, after: desired.mode, forcesReplacement: true });
  }
  const liveType = connectionTypeOf(live);
  if (liveType !== desired.type) {
    immutable.push({ field: 'type', before: liveType, after: desired.type, forcesReplacement: true });
  }
  if (live.localShortName !== desired.localShortName) {
    immutable.push({
      field: 'localShortName',
      before: live.localShortName,
      after: desired.localShortName,
      forcesReplacement: true,
    });
  }
  if (live.remoteShortName !== desired.remoteShortName) {
    immutable.push({
      field: 'remoteShortName',
      before: live.remoteShortName,
      after: desired.remoteShortName,
      forcesReplacement: true,
    });
  }
  if (
    desired.type === 'public' &&
    liveType === 'public' &&
    normalizeUrl(live.communication.remoteUrl) !== normalizeUrl(remoteUrl)
  ) {
    immutable.push({
      field: 'remote.url',
      before: live.communication.remoteUrl ?? null,
      after: remoteUrl ?? null,
      forcesReplacement: true,
    });
  }

  const { text, ownership } = readOwnership(live.description);
  if (normalizeText(text) !== normalizeText(desired.description)) {
    mutable.push({
      field: 'description',
      before: normalizeText(text),
      after: normalizeText(desired.description),
    });
  }
  const liveProtect = ownership?.owner === owner ? ownership.protect : false;
  if (liveProtect !== desired.protect) {
    mutable.push({ field: 'protect', before: liveProtect, after: desired.protect });
  }
  if (live.status !== 'PENDING') {
    const wantActive = desired.enabled;
    if (live.status === 'ERROR' && wantActive) {
      mutable.push({
        field: 'status',
        before: `ERROR${live.errorMessage ? ` (${live.errorMessage})` : ''}`,
        after: 'ACTIVE',
      });
    } else if (live.status === 'ACTIVE' && !wantActive) {
      mutable.push({ field: 'enabled', before: true, after: false });
    } else if (live.status === 'DEACTIVATED' && wantActive) {
      mutable.push({ field: 'enabled', before: false, after: true });
    }
  }
  if (desired.rules) {
    for (const direction of ['outgoing', 'incoming'] as const) {
      const want = desired.rules[direction];
      if (want === undefined) continue;
      const have = live.rules?.[direction];
      if (normalizeScript(have) !== normalizeScript(want)) {
        mutable.push({
          field: `rules.${direction}`,
          before: normalizeScript(have),
          after: normalizeScript(want),
        });
      }
    }
  }
  const haveTriggers = normalizeTriggers(live.triggers ?? []);
  const wantTriggers = normalizeTriggers(desired.triggers);
  if (JSON.stringify(haveTriggers) !== JSON.stringify(wantTriggers)) {
    mutable.push({ field: 'triggers', before: haveTriggers, after: wantTriggers });
  }
  return { immutable, mutable };
}

/** The accepting side of `initiator` on `node`, if it exists there. */
export function findCounterpart(
  live: LiveNode | undefined,
  name: string,
  initiatorUrl: string | undefined,
): Connection | undefined {
  const c = live?.byName.get(name);
  if (!c || c.role !== 'ACCEPTOR') return undefined;
  if (
    initiatorUrl &&
    c.communication.remoteUrl &&
    normalizeUrl(c.communication.remoteUrl) !== normalizeUrl(initiatorUrl)
  ) {
    return undefined;
  }
  return c;
}

/**
 * Compare the declared state with the live nodes and decide what to do. Read-only.
 * `live` must hold every declared node.
 */
export function computePlan(
  state: DesiredState,
  live: Map<string, LiveNode>,
  resolved: Map<string, ResolvedNode>,
  env: NodeJS.ProcessEnv,
  options: PlanOptions,
): Plan {
  const actions: PlannedAction[] = [];
  const declared = new Map<string, Set<string>>();
  const acceptedOn = new Map<string, Set<string>>();
  for (const c of state.connections) {
    if (!declared.has(c.node)) declared.set(c.node, new Set());
    declared.get(c.node)?.add(c.name);
    if (c.remote?.node !== undefined && c.type !== 'local') {
      if (!acceptedOn.has(c.remote.node)) acceptedOn.set(c.remote.node, new Set());
      acceptedOn.get(c.remote.node)?.add(c.name);
    }
  }

  for (const desired of state.connections) {
    const nodeLive = live.get(desired.node) as LiveNode;
    const existing = nodeLive.byName.get(desired.name);
    const remoteUrl = desiredRemoteUrl(desired, resolved, env);
    const acceptOn =
      desired.remote?.node !== undefined && desired.type !== 'local' ? desired.remote.node : undefined;
    const base = { node: desired.node, name: desired.name, desired, changes: [] as FieldChange[] };

    if (!existing) {
      const taken = acceptOn !== undefined ? live.get(acceptOn)?.byName.get(desired.name) : undefined;
      actions.push({
        ...(taken ? { blocked: nameTaken(acceptOn as string, desired.name) } : {}),
        ...base,
        kind: 'create',
        reason: acceptOn
          ? `not on the node: initiate it and accept it on '${acceptOn}'`
          : 'not on the node: initiate it',
        acceptOn,
        drift: false,
      });
      continue;
    }
    const liveRef = {
      id: existing.id,
      version: existing.version,
      status: existing.status,
      ...(existing.invitationCreatedAt ? { invitationCreatedAt: existing.invitationCreatedAt } : {}),
    };
    const { ownership } = readOwnership(existing.description);
    if (ownership && ownership.owner !== state.owner) {
      actions.push({
        ...base,
        kind: 'no-op',
        live: liveRef,
        reason: `a connection named '${desired.name}' exists but is owned by '${ownership.owner}'`,
        blocked: `owned by '${ownership.owner}', not '${state.owner}': rename it in this file or change its owner`,
        drift: true,
      });
      continue;
    }
    if (existing.role === 'ACCEPTOR') {
      actions.push({
        ...base,
        kind: 'no-op',
        live: liveRef,
        reason: `'${desired.name}' exists on '${desired.node}' as the accepting side of a connection initiated elsewhere`,
        blocked:
          'a connection of this name was accepted on this node, not initiated here: rename it in this file',
        drift: true,
      });
      continue;
    }

    const { immutable, mutable } = diffConnection(desired, existing, state.owner, remoteUrl);
    const initiatorUrl = resolved.get(desired.node)?.url;
    if (
      acceptOn !== undefined &&
      existing.status !== 'PENDING' &&
      !findCounterpart(live.get(acceptOn), desired.name, initiatorUrl)
    ) {
      // The accepting side was deleted on the declared node: only a new invitation repairs it.
      immutable.push({
        field: `accepting side on '${acceptOn}'`,
        before: 'missing',
        after: 'present',
        forcesReplacement: true,
      });
    }
    if (immutable.length > 0) {
      const protectedLive = ownership?.protect === true;
      const blocked = protectedLive
        ? 'the connection is protected (protect: true is recorded on it): set protect: false and apply first'
        : desired.protect
          ? 'protect: true forbids replacing it'
          : options.allowReplace
            ? undefined
            : `${immutable.map((c) => c.field).join(', ')} cannot change in place: re-run with --allow-replace to delete and re-initiate it`;
      actions.push({
        ...base,
        kind: 'replace',
        live: liveRef,
        changes: [...immutable, ...mutable],
        reason: `${immutable.map((c) => c.field).join(', ')} changed (immutable)`,
        ...(blocked ? { blocked } : {}),
        acceptOn,
        counterpart: counterpartRef(acceptOn, live, desired.name, resolved.get(desired.node)?.url),
        drift: true,
      });
      continue;
    }

    const needsAccept =
      acceptOn !== undefined &&
      existing.status === 'PENDING' &&
      !findCounterpart(live.get(acceptOn), desired.name, resolved.get(desired.node)?.url);
    if (needsAccept) {
      const taken = live.get(acceptOn as string)?.byName.get(desired.name);
      actions.push({
        ...base,
        kind: 'accept',
        live: liveRef,
        changes: mutable,
        acceptOn,
        reason: `waiting for acceptance: accept the invitation on '${acceptOn}'`,
        ...(taken ? { blocked: nameTaken(acceptOn as string, desired.name) } : {}),
        drift: mutable.length > 0,
      });
      continue;
    }
    if (mutable.length > 0) {
      actions.push({
        ...base,
        kind: 'update',
        live: liveRef,
        changes: mutable,
        reason: `${mutable.map((c) => c.field).join(', ')} differ${mutable.length === 1 ? 's' : ''}`,
        drift: true,
      });
      continue;
    }
    if (existing.status === 'PENDING') {
      actions.push({
        ...base,
        kind: 'pending',
        live: liveRef,
        reason: 'waiting for the partner to accept the invitation',
        drift: false,
      });
      continue;
    }
    actions.push({ ...base, kind: 'no-op', live: liveRef, reason: 'in sync', drift: false });
  }

  const unmanaged: Record<string, string[]> = {};
  for (const [nodeName, nodeLive] of live) {
    const mine = declared.get(nodeName) ?? new Set<string>();
    const accepted = acceptedOn.get(nodeName) ?? new Set<string>();
    unmanaged[nodeName] = [];
    for (const c of nodeLive.connections) {
      if (mine.has(c.name)) continue;
      if (c.role === 'ACCEPTOR' && accepted.has(c.name)) continue;
      const { ownership } = readOwnership(c.description);
      if (c.role !== 'INITIATOR' || ownership?.owner !== state.owner) {
        if (c.role !== 'ACCEPTOR' || !isCounterpartOfOwned(c, live, state.owner))
          unmanaged[nodeName]?.push(c.name);
        continue;
      }
      const counterpart = findOwnedCounterpart(c, nodeName, live, resolved);
      const protectedLive = ownership.protect;
      actions.push({
        kind: 'delete',
        node: nodeName,
        name: c.name,
        live: { id: c.id, version: c.version, status: c.status },
        changes: [],
        reason: options.prune
          ? 'created by this owner and no longer declared'
          : 'created by this owner and no longer declared (kept: run with --prune to delete it)',
        ...(protectedLive
          ? {
              blocked:
                'protected (protect=true is recorded on the connection): it is never deleted by the tool',
            }
          : {}),
        ...(counterpart ? { counterpart } : {}),
        drift: true,
      });
    }
  }
  // Without --prune, undeclared connections are reported (drift) but neither deleted nor blocked.
  const finalActions = options.prune
    ? actions
    : actions.map((a) => {
        if (a.kind !== 'delete') return a;
        const { blocked: _blocked, counterpart: _counterpart, ...rest } = a;
        return { ...rest, kind: 'no-op' as const };
      });

  const fingerprints: Record<string, string> = {};
  for (const [nodeName, nodeLive] of live) fingerprints[nodeName] = fingerprint(nodeLive);
  return {
    format_version: PLAN_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    owner: state.owner,
    configFile: state.file,
    options,
    nodes: [...state.nodes.values()].map((n) => ({
      name: n.name,
      url: n.url,
      platform: n.platform,
      tokenEnv: n.tokenEnv,
    })),
    actions: finalActions,
    fingerprints,
    unmanaged,
  };
}

function nameTaken(node: string, name: string): string {
  return `'${node}' already has a connection named '${name}' that is not this one's accepting side: rename one of them`;
}

function counterpartRef(
  acceptOn: string | undefined,
  live: Map<string, LiveNode>,
  name: string,
  initiatorUrl: string | undefined,
): { node: string; id: number } | undefined {
  if (!acceptOn) return undefined;
  const c = findCounterpart(live.get(acceptOn), name, initiatorUrl);
  return c ? { node: acceptOn, id: c.id } : undefined;
}

function findOwnedCounterpart(
  c: Connection,
  nodeName: string,
  live: Map<string, LiveNode>,
  resolved: Map<string, ResolvedNode>,
): { node: string; id: number } | undefined {
  const initiatorUrl = resolved.get(nodeName)?.url;
  for (const [other, otherLive] of live) {
    if (other === nodeName) continue;
    const found = findCounterpart(otherLive, c.name, initiatorUrl);
    if (
      found &&
      (c.communication.type === 'PRIVATE' ||
        normalizeUrl(c.communication.remoteUrl) === normalizeUrl(resolved.get(other)?.url))
    ) {
      return { node: other, id: found.id };
    }
  }
  return undefined;
}

function isCounterpartOfOwned(c: Connection, live: Map<string, LiveNode>, owner: string): boolean {
  for (const nodeLive of live.values()) {
    const initiator = nodeLive.byName.get(c.name);
    if (
      initiator &&
      initiator.role === 'INITIATOR' &&
      readOwnership(initiator.description).ownership?.owner === owner
    )
      return true;
  }
  return false;
}

export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0, pending: 0, blocked: 0, unchanged: 0 };
  for (const a of plan.actions) {
    if (a.blocked) s.blocked++;
    switch (a.kind) {
      case 'create':
        s.add++;
        break;
      case 'replace':
        s.add++;
        s.destroy++;
        break;
      case 'update':
      case 'accept':
        s.change++;
        break;
      case 'delete':
        s.destroy++;
        break;
      case 'pending':
        s.pending++;
        break;
      case 'no-op':
        s.unchanged++;
        break;
    }
  }
  return s;
}

/** True when applying the plan would change something. */
export function hasChanges(plan: Plan): boolean {
  return (
    plan.actions.some((a) => a.kind !== 'no-op' && a.kind !== 'pending') ||
    plan.actions.some((a) => a.blocked)
  );
}

/** True when the live state differs from the file (pending acceptance is not drift). */
export function hasDrift(plan: Plan): boolean {
  return plan.actions.some((a) => a.drift || a.kind === 'create');
}
