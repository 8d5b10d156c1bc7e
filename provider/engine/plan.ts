/**
 * Planning: compare the declared state with the live nodes and decide, per connection, what to
 * do. Pure and read-only: it takes what `readLive` read and returns values.
 */
import { acceptedWithCode, type Connection } from '../api/contract';
import type { DesiredConnection, DesiredState } from '../model/connection';
import type { FieldKey } from '../model/fields';
import type { Mode } from '../model/platforms';
import { readOwnership } from '../model/ownership';
import { normalizeUrl } from '../model/normalize';
import { UNKNOWN } from '../model/unknown';
import { diffConnection, isPairedWith, type FieldChange } from './diff';
import { fingerprint, type LiveNode, type LiveState } from './live';
import { remoteUrlOf, type Env, type ResolvedNode } from './nodes';

export type { FieldChange } from './diff';

export type ActionKind = 'create' | 'update' | 'replace' | 'accept' | 'delete' | 'pending' | 'no-op';

export interface LiveRef {
  id: number;
  version?: number;
  status: string;
  invitationCreatedAt?: string;
  /** The node's error message (status ERROR), shown read-only. */
  errorMessage?: string;
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
  live?: LiveRef;
  /** The declared connection (create, update, replace, accept, pending, no-op of a declared one). */
  desired?: DesiredConnection;
  /** The declared node that accepts the invitation (create, replace, accept). */
  acceptOn?: string;
  /** The accepting side on a declared node, deleted with this connection (delete, replace). */
  counterpart?: { node: string; id: number };
  /** The live state differs from the file (creates of a new declaration and pending are not drift). */
  drift: boolean;
  /** Declared fields the node did not report: not compared. */
  unknown?: FieldKey[];
  /** The live connection as read for the plan (rules and triggers included), for apply. */
  snapshot?: Connection;
}

export interface PlanOptions {
  prune: boolean;
  allowReplace: boolean;
}

export interface Plan {
  createdAt: string;
  owner: string;
  /** The configuration file, as given. */
  configFile: string;
  options: PlanOptions;
  /** Declared nodes (for rendering). */
  nodes: { name: string; platform: string }[];
  actions: PlannedAction[];
  /** Per node, a digest of the live connections the plan was computed from. */
  fingerprints: Record<string, string>;
  /** Per node, connections that neither this file declares nor this owner created: never touched. */
  unmanaged: Record<string, string[]>;
  /** Per node, declared fields it does not report (not compared anywhere on that node). */
  unknown: Record<string, FieldKey[]>;
}

export interface PlanInput {
  state: DesiredState;
  live: LiveState;
  resolved: ReadonlyMap<string, ResolvedNode>;
  env: Env;
  options: PlanOptions;
  now?: () => Date;
}

function liveRef(c: Connection): LiveRef {
  return {
    id: c.id,
    ...(c.version !== undefined ? { version: c.version } : {}),
    status: c.status,
    ...(c.invitationCreatedAt ? { invitationCreatedAt: c.invitationCreatedAt } : {}),
    ...(c.status === 'ERROR' && c.errorMessage ? { errorMessage: c.errorMessage } : {}),
  };
}

/**
 * Whether the other side accepts a connection with an invitation code: not in Visual mode, which
 * has none. The mode is the one the node reports, else the declared one; when neither is known,
 * as any other connection (with a code).
 */
export function acceptsWithCode(live: Connection | undefined, declared?: Mode): boolean {
  return acceptedWithCode(live?.configurationType, declared);
}

/** What a pending Visual connection waits for (there is no code to hand on). */
export const VISUAL_WAITING =
  'waiting for an admin to accept it on the other side (visual mode: no invitation code)';

/** The accepting side of `name` on `node`, if that node holds one pointing back at the initiator. */
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
  )
    return undefined;
  return c;
}

/**
 * An accepting side this owner made whose initiator is gone from `initiatorNode` (it names an id
 * the node no longer holds) and that is not protected: what a replacement that stopped between
 * its two deletions leaves behind.
 */
export function isOrphanOf(side: Connection, initiatorNode: LiveNode, owner: string): boolean {
  if (side.role !== 'ACCEPTOR' || side.remoteConnectionId === undefined) return false;
  const ownership = side.description !== undefined ? readOwnership(side.description).ownership : undefined;
  if (ownership?.owner !== owner || ownership.protect) return false;
  const id = side.remoteConnectionId;
  return !initiatorNode.connections.some((c) => c.id === id);
}

function nameTaken(node: string, name: string): string {
  return `'${node}' already has a connection named '${name}' that is not this one's accepting side: rename one of them`;
}

/**
 * Compare the declared state with the live nodes and decide what to do. Read-only. `live` must
 * hold every declared node.
 */
export function computePlan(input: PlanInput): Plan {
  const { state, live, resolved, env, options } = input;
  const actions: PlannedAction[] = [];
  const unknownByNode = new Map<string, Set<FieldKey>>();
  const declared = new Map<string, Set<string>>();
  const acceptedOn = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, value: string) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(value);
  };
  for (const c of state.connections) {
    add(declared, c.node, c.name);
    if (c.remote?.node !== undefined && c.type !== 'local') add(acceptedOn, c.remote.node, c.name);
  }

  for (const desired of state.connections) {
    const nodeLive = live.get(desired.node) as LiveNode;
    const existing = nodeLive.byName.get(desired.name);
    const acceptOn =
      desired.remote?.node !== undefined && desired.type !== 'local' ? desired.remote.node : undefined;
    const base: {
      node: string;
      name: string;
      desired: DesiredConnection;
      changes: FieldChange[];
      snapshot?: Connection;
    } = {
      node: desired.node,
      name: desired.name,
      desired,
      changes: [],
    };

    if (!existing) {
      const taken = acceptOn !== undefined ? live.get(acceptOn)?.byName.get(desired.name) : undefined;
      const orphan =
        taken !== undefined &&
        acceptOn !== undefined &&
        isOrphanOf(taken, nodeLive, state.owner) &&
        findCounterpart(live.get(acceptOn), desired.name, resolved.get(desired.node)?.url) === taken;
      if (orphan) {
        // A replacement that stopped half-way left the accepting side of the old pair behind.
        actions.push({
          ...base,
          kind: 'create',
          reason: `not on the node: initiate it and accept it on '${acceptOn}', after deleting the orphaned accepting side left there`,
          acceptOn,
          counterpart: { node: acceptOn, id: taken.id },
          ...(options.allowReplace
            ? {}
            : {
                blocked: `'${acceptOn}' holds an orphaned accepting side of '${desired.name}' (its initiator is gone): re-run with --allow-replace to delete it and initiate the connection again`,
              }),
          drift: true,
        });
        continue;
      }
      actions.push({
        ...(taken ? { blocked: nameTaken(acceptOn as string, desired.name) } : {}),
        ...base,
        kind: 'create',
        reason: acceptOn
          ? `not on the node: initiate it and accept it on '${acceptOn}'`
          : 'not on the node: initiate it',
        ...(acceptOn ? { acceptOn } : {}),
        drift: false,
      });
      continue;
    }
    const ref = liveRef(existing);
    base.snapshot = existing;
    const ownership =
      existing.description !== undefined ? readOwnership(existing.description).ownership : undefined;
    if (ownership && ownership.owner !== state.owner) {
      actions.push({
        ...base,
        kind: 'no-op',
        live: ref,
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
        live: ref,
        reason: `'${desired.name}' exists on '${desired.node}' as the accepting side of a connection initiated elsewhere`,
        blocked:
          'a connection of this name was accepted on this node, not initiated here: rename it in this file',
        drift: true,
      });
      continue;
    }

    const initiatorUrl = resolved.get(desired.node)?.url;
    const counterpart =
      acceptOn === undefined
        ? undefined
        : live.has(acceptOn)
          ? (findCounterpart(live.get(acceptOn), desired.name, initiatorUrl) ?? null)
          : UNKNOWN;
    const diff = diffConnection(desired, existing, {
      owner: state.owner,
      remoteUrl: remoteUrlOf(desired, resolved, env),
      counterpart,
    });
    if (diff.unknown.length > 0) {
      let set = unknownByNode.get(desired.node);
      if (!set) unknownByNode.set(desired.node, (set = new Set()));
      for (const f of diff.unknown) set.add(f);
    }
    const unknown = diff.unknown.length > 0 ? { unknown: diff.unknown } : {};
    const side =
      counterpart !== undefined && counterpart !== null && counterpart !== UNKNOWN ? counterpart : undefined;

    if (diff.replacements.length > 0) {
      const fields = diff.replacements.map((c) => c.field).join(', ');
      const blocked =
        ownership?.protect === true
          ? 'the connection is protected (protect: true is recorded on it): set protect: false and apply first'
          : desired.protect
            ? 'protect: true forbids replacing it'
            : options.allowReplace
              ? undefined
              : `${fields} cannot change in place: re-run with --allow-replace to delete and re-initiate it`;
      actions.push({
        ...base,
        kind: 'replace',
        live: ref,
        changes: [...diff.replacements, ...diff.updates],
        reason: `${fields} changed (cannot change in place)`,
        ...(blocked ? { blocked } : {}),
        ...(acceptOn ? { acceptOn } : {}),
        ...(side && acceptOn ? { counterpart: { node: acceptOn, id: side.id } } : {}),
        drift: true,
        ...unknown,
      });
      continue;
    }
    if (acceptOn !== undefined && existing.status === 'PENDING' && counterpart === null) {
      const taken = live.get(acceptOn)?.byName.get(desired.name);
      actions.push({
        ...base,
        kind: 'accept',
        live: ref,
        changes: diff.updates,
        acceptOn,
        reason: acceptsWithCode(existing, desired.mode)
          ? `waiting for acceptance: accept the invitation on '${acceptOn}'`
          : `waiting for acceptance: accept it on '${acceptOn}' (visual mode: no invitation code)`,
        ...(taken ? { blocked: nameTaken(acceptOn, desired.name) } : {}),
        drift: diff.updates.length > 0,
        ...unknown,
      });
      continue;
    }
    if (diff.updates.length > 0) {
      const fields = diff.updates.map((c) => c.field);
      actions.push({
        ...base,
        kind: 'update',
        live: ref,
        changes: diff.updates,
        reason: `${fields.join(', ')} differ${fields.length === 1 ? 's' : ''}`,
        drift: true,
        ...unknown,
      });
      continue;
    }
    if (existing.status === 'PENDING') {
      actions.push({
        ...base,
        kind: 'pending',
        live: ref,
        reason: acceptsWithCode(existing, desired.mode)
          ? 'waiting for the partner to accept the invitation'
          : VISUAL_WAITING,
        drift: false,
        ...unknown,
      });
      continue;
    }
    actions.push({
      ...base,
      kind: 'no-op',
      live: ref,
      reason:
        existing.status === 'ERROR'
          ? `in error on the node${existing.errorMessage ? `: ${existing.errorMessage}` : ''} (resolve it there)`
          : 'in sync',
      drift: false,
      ...unknown,
    });
  }

  const unmanaged: Record<string, string[]> = {};
  for (const [nodeName, nodeLive] of live) {
    const mine = declared.get(nodeName) ?? new Set<string>();
    const accepted = acceptedOn.get(nodeName) ?? new Set<string>();
    const list: string[] = [];
    unmanaged[nodeName] = list;
    for (const c of nodeLive.connections) {
      if (mine.has(c.name)) continue;
      if (c.role === 'ACCEPTOR' && accepted.has(c.name)) continue;
      const ownership = c.description !== undefined ? readOwnership(c.description).ownership : undefined;
      if (c.role !== 'INITIATOR' || ownership?.owner !== state.owner) {
        if (c.role !== 'ACCEPTOR' || !isCounterpartOfOwned(c, live, state.owner)) list.push(c.name);
        continue;
      }
      const counterpart = findOwnedCounterpart(c, nodeName, live, resolved);
      const kind: ActionKind = options.prune ? 'delete' : 'no-op';
      actions.push({
        kind,
        node: nodeName,
        name: c.name,
        live: liveRef(c),
        changes: [],
        reason: options.prune
          ? 'created by this owner and no longer declared'
          : 'created by this owner and no longer declared (kept: run with --prune to delete it)',
        ...(options.prune && ownership.protect
          ? {
              blocked:
                'protected (protect=true is recorded on the connection): it is never deleted by the tool',
            }
          : {}),
        ...(options.prune && counterpart ? { counterpart } : {}),
        drift: true,
      });
    }
  }

  const fingerprints: Record<string, string> = {};
  for (const [nodeName, nodeLive] of live) fingerprints[nodeName] = fingerprint(nodeLive);
  const unknown: Record<string, FieldKey[]> = {};
  for (const [nodeName, set] of unknownByNode) unknown[nodeName] = [...set];
  return {
    createdAt: (input.now ?? (() => new Date()))().toISOString(),
    owner: state.owner,
    configFile: state.shownFile,
    options,
    nodes: [...state.nodes.values()].map((n) => ({ name: n.name, platform: n.platform })),
    actions,
    fingerprints,
    unmanaged,
    unknown,
  };
}

function findOwnedCounterpart(
  c: Connection,
  nodeName: string,
  live: LiveState,
  resolved: ReadonlyMap<string, ResolvedNode>,
): { node: string; id: number } | undefined {
  const initiatorUrl = resolved.get(nodeName)?.url;
  for (const [other, otherLive] of live) {
    if (other === nodeName) continue;
    const found = findCounterpart(otherLive, c.name, initiatorUrl);
    if (
      found &&
      isPairedWith(found, c) &&
      (c.communication.type === 'PRIVATE' ||
        normalizeUrl(c.communication.remoteUrl) === normalizeUrl(resolved.get(other)?.url))
    ) {
      return { node: other, id: found.id };
    }
  }
  return undefined;
}

function isCounterpartOfOwned(c: Connection, live: LiveState, owner: string): boolean {
  for (const nodeLive of live.values()) {
    const initiator = nodeLive.byName.get(c.name);
    if (
      initiator &&
      initiator.role === 'INITIATOR' &&
      initiator.description !== undefined &&
      readOwnership(initiator.description).ownership?.owner === owner
    )
      return true;
  }
  return false;
}
