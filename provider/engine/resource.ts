/**
 * One connection at a time, for the Terraform provider (a resource is one connection): read it,
 * plan it and apply it with the same live read, diff, plan and apply steps as the CLI's whole-file
 * runs. Values and coded errors only.
 */
import type { Connection, Invitation } from '../api/contract';
import type { NodeApi } from '../api/types';
import type { DesiredConnection, DesiredNode, DesiredState } from '../model/connection';
import { errors, IacError } from '../model/errors';
import { readOwnership } from '../model/ownership';
import { UNKNOWN, type Unknown } from '../model/unknown';
import { applyPlan, type ApplyResult } from './apply';
import { isPairedWith } from './diff';
import { liveNode, readConnection, readNode, type LiveNode, type LiveState } from './live';
import type { Env, ResolvedNode } from './nodes';
import {
  acceptsWithCode,
  computePlan,
  findCounterpart,
  type LiveRef,
  type Plan,
  type PlannedAction,
} from './plan';

export interface ResourceContext {
  owner: string;
  nodes: ReadonlyMap<string, DesiredNode>;
  resolved: ReadonlyMap<string, ResolvedNode>;
  clients: ReadonlyMap<string, NodeApi>;
  env: Env;
  /**
   * Each node's listing (rules and triggers embedded), read once and shared by the reads of one
   * Terraform command (it reads every resource: one page instead of three calls each). Cleared by
   * every write.
   */
  listings?: Map<string, Promise<LiveNode>>;
}

/** The node's listing from the shared cache, when the caller keeps one. */
function listed(ctx: ResourceContext, node: string): Promise<LiveNode> | undefined {
  if (!ctx.listings) return undefined;
  let p = ctx.listings.get(node);
  if (!p) {
    p = readNode(client(ctx, node)).then(liveNode);
    ctx.listings.set(node, p);
    p.catch(() => ctx.listings?.delete(node));
  }
  return p;
}

function client(ctx: ResourceContext, node: string): NodeApi {
  const c = ctx.clients.get(node);
  if (!c) throw errors.notDeclared(`node '${node}'`, 'the provider configuration', [...ctx.clients.keys()]);
  return c;
}

function isCode(error: unknown, code: string): boolean {
  return IacError.is(error) && error.code === code;
}

/** The accepting side of `name` on `node` for this initiator: the connection, null, or UNKNOWN. */
async function counterpartOn(
  ctx: ResourceContext,
  node: string,
  initiatorNode: string,
  name: string,
): Promise<Connection | null | Unknown> {
  const cached = listed(ctx, node);
  const found = cached
    ? (await cached).byName.get(name)
    : await client(ctx, node).findConnectionByName(name, { expand: ['rules', 'triggers'] });
  if (!found) return null;
  const side = findCounterpart(liveNode([found]), name, ctx.resolved.get(initiatorNode)?.url);
  return side ?? null;
}

/** A code read before, with the connection, version and invitation time it was read at. */
export interface KnownInvitation {
  invitation: Invitation;
  connectionId: number;
  version: number;
}

export interface LiveConnection {
  connection: Connection;
  /** The accepting side on `remote.node` (when it is another declared node). */
  counterpart?: Connection | null | Unknown;
  /** The node `counterpart` was looked for on. */
  counterpartNode?: string;
  /**
   * The current code, while the connection waits for a partner this configuration does not manage
   * (never for a Visual connection, which has none).
   */
  invitation?: Invitation;
}

/**
 * What the node holds for a connection: by id when known (a rename by hand keeps the id), else by
 * name; undefined when it is gone.
 */
export async function readOne(
  ctx: ResourceContext,
  ref: {
    node: string;
    name: string;
    id?: number;
    remoteNode?: string;
    /**
     * The code read before (the Terraform state keeps it): kept without asking the node again
     * while the node reports the same connection, version and invitation time. A node that does
     * not report them gets asked, as does one reporting another value.
     */
    known?: KnownInvitation;
  },
): Promise<LiveConnection | undefined> {
  const api = client(ctx, ref.node);
  let connection: Connection | undefined;
  const cached = listed(ctx, ref.node);
  try {
    if (cached) {
      const l = await cached;
      connection = ref.id !== undefined ? l.connections.find((c) => c.id === ref.id) : l.byName.get(ref.name);
    } else if (ref.id !== undefined) connection = await readConnection(api, ref.id);
    else {
      const found = await api.findConnectionByName(ref.name, { expand: ['rules', 'triggers'] });
      connection = found ? await readConnection(api, found.id) : undefined;
    }
  } catch (error) {
    if (!isCode(error, 'EXALATE_NOT_FOUND')) throw error;
  }
  if (!connection) return undefined;
  const live: LiveConnection = { connection };
  if (ref.remoteNode !== undefined && ref.remoteNode !== ref.node) {
    live.counterpart = await counterpartOn(ctx, ref.remoteNode, ref.node, connection.name);
    live.counterpartNode = ref.remoteNode;
  }
  // A Visual connection has no code: it stays pending, without one, until accepted on the other side.
  if (
    connection.status === 'PENDING' &&
    ref.remoteNode === undefined &&
    connection.communication.type !== 'LOCAL' &&
    acceptsWithCode(connection)
  ) {
    const known = ref.known;
    if (
      known !== undefined &&
      connection.id === known.connectionId &&
      connection.version !== undefined &&
      connection.version === known.version &&
      connection.invitationCreatedAt !== undefined &&
      connection.invitationCreatedAt === known.invitation.createdAt
    ) {
      api.redactSecret?.(known.invitation.invitationCode);
      live.invitation = known.invitation;
      return live;
    }
    try {
      live.invitation = await api.getInvitation(connection.id);
    } catch (error) {
      if (!isCode(error, 'EXALATE_NOT_FOUND') && !isCode(error, 'EXALATE_CONFLICT')) throw error;
    }
  }
  return live;
}

/** The desired state of one connection, for the planner. */
function stateOf(ctx: ResourceContext, d: DesiredConnection): DesiredState {
  return {
    file: '',
    shownFile: 'terraform',
    digest: '',
    owner: ctx.owner,
    nodes: new Map(ctx.nodes),
    connections: [d],
  };
}

/** The live state the planner needs for one connection: it on its node, its accepting side. */
async function liveFor(ctx: ResourceContext, d: DesiredConnection): Promise<LiveState> {
  const live: LiveState = new Map();
  const found = await client(ctx, d.node).findConnectionByName(d.name, { expand: ['rules', 'triggers'] });
  live.set(d.node, liveNode(found ? [found] : []));
  const acceptOn = d.remote?.node !== undefined && d.type !== 'local' ? d.remote.node : undefined;
  if (acceptOn !== undefined) {
    const side = await client(ctx, acceptOn).findConnectionByName(d.name, { expand: ['rules', 'triggers'] });
    live.set(acceptOn, liveNode(side ? [side] : []));
  }
  return live;
}

/** The plan of one declared connection against the nodes, as the CLI would make it. */
export async function planOne(
  ctx: ResourceContext,
  d: DesiredConnection,
  allowReplace: boolean,
): Promise<{ plan: Plan; action: PlannedAction }> {
  const live = await liveFor(ctx, d);
  const plan = computePlan({
    state: stateOf(ctx, d),
    live,
    resolved: ctx.resolved,
    env: ctx.env,
    options: { prune: false, allowReplace },
  });
  const action = plan.actions.find((a) => a.node === d.node && a.name === d.name) as PlannedAction;
  return { plan: { ...plan, actions: [action] }, action };
}

/** Apply one planned action with the engine's steps (create, converge, accept, replace, delete). */
export function applyOne(ctx: ResourceContext, plan: Plan): Promise<ApplyResult> {
  return applyPlan(plan, ctx.clients, ctx.resolved, { parallelism: 1, env: ctx.env });
}

/**
 * The deletion of one connection the state holds (Terraform's destroy): the same ownership and
 * protection rules as the CLI's prune — another owner's connection, or one whose recorded
 * protection is on, is never deleted. A connection already gone is nothing to do.
 */
export async function planDeleteOne(
  ctx: ResourceContext,
  ref: { node: string; name: string; id: number; remoteNode?: string },
): Promise<Plan | undefined> {
  let live: Connection;
  try {
    live = await client(ctx, ref.node).getConnection(ref.id);
  } catch (error) {
    if (isCode(error, 'EXALATE_NOT_FOUND')) return undefined;
    throw error;
  }
  const ownership = live.description !== undefined ? readOwnership(live.description).ownership : undefined;
  const blocked =
    ownership && ownership.owner !== ctx.owner
      ? `owned by '${ownership.owner}', not '${ctx.owner}': it is never deleted by this configuration`
      : ownership?.protect
        ? 'protected (protect=true is recorded on the connection): set protect = false and apply first'
        : undefined;
  let counterpart: { node: string; id: number } | undefined;
  if (ref.remoteNode !== undefined && ref.remoteNode !== ref.node) {
    const side = await counterpartOn(ctx, ref.remoteNode, ref.node, ref.name);
    if (side && side !== UNKNOWN && isPairedWith(side, live))
      counterpart = { node: ref.remoteNode, id: side.id };
  }
  const liveRef: LiveRef = {
    id: live.id,
    status: live.status,
    ...(live.version !== undefined ? { version: live.version } : {}),
  };
  const action: PlannedAction = {
    kind: 'delete',
    node: ref.node,
    name: ref.name,
    reason: 'destroyed',
    changes: [],
    live: liveRef,
    ...(blocked ? { blocked } : {}),
    ...(counterpart ? { counterpart } : {}),
    drift: false,
  };
  return {
    createdAt: new Date(0).toISOString(),
    owner: ctx.owner,
    configFile: 'terraform',
    options: { prune: true, allowReplace: false },
    nodes: [],
    actions: [action],
    fingerprints: {},
    unmanaged: {},
    unknown: {},
  };
}
