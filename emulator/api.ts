/**
 * The node API as the emulator implements it: one function per operation of
 * `schemas/exalate-node-api.openapi.yaml`, over the shared state of every emulated node.
 * Handlers record what they change in the store (`put`, `remove`, `retire`); HTTP, auth, rate
 * limits, faults and committing the changes are the server's business (`server.ts`).
 *
 * Two profiles: `full` answers the whole contract; `observed` answers reads exactly as a real node
 * is observed to (a connection is `id`, `name`, `status` and `communication.remoteUrl`, the list is
 * every connection at once, and the modeled reads are 404), while writes work as in `full`.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  COMMUNICATION_TYPES,
  CONFIGURATION_TYPES,
  connectionTypeOf,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_RULE_BYTES,
  acceptedWithCode,
  modeOf,
  type Connection,
  type Rules,
  type Trigger,
} from '../provider/api/contract';
import { INVITATION_CODE, isPlatform, unavailableReason } from '../provider/model/platforms';
import type { Store, StoredConnection, StoredNode } from './store';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the emulated nodes answer: the whole contract, or only what real nodes are seen to answer. */
export type Profile = 'full' | 'observed';
export const PROFILES: readonly Profile[] = ['full', 'observed'];

export interface RequestContext {
  node: string;
  method: string;
  /** Path below the API base, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface ApiEnvironment {
  readonly store: Store;
  readonly profile: Profile;
  nodeUrl(name: string): string;
  /** The emulated node a URL points at, if any. */
  nodeOfUrl(url: string): string | undefined;
  now(): number;
  version: string;
}

const MAX_TEXT = 1_000_000;
export { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE };

const IMMUTABLE = [
  'id',
  'name',
  'configurationType',
  'localShortName',
  'remoteShortName',
  'communication',
  'role',
  'version',
  'createdAt',
  'updatedAt',
];

export function error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): Reply {
  return { status, body: { message, code, ...extra } };
}

class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(String((reply.body as { message?: string } | undefined)?.message ?? reply.status));
  }
}

function refuse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new Refusal(error(status, code, message, extra));
}

/** Whether the other side accepts this connection with a code (not Visual mode). */
function codeAccepted(c: StoredConnection): boolean {
  return acceptedWithCode(c.configurationType);
}

function noCode(c: StoredConnection): never {
  refuse(
    409,
    'NO_INVITATION_CODE',
    `connection ${c.id} is in ${c.configurationType} mode, which has no invitation code: it is accepted on the other node without one (POST /connection-requests/accept)`,
  );
}

function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

function newCode(): string {
  // Opaque: nothing in it can be decoded; the node keeps what it stands for.
  return randomBytes(36).toString('base64url');
}

/** A connection exactly as a real node's list is observed to answer it. */
export function toObservedWire(c: StoredConnection): Connection {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    communication: c.communication.remoteUrl ? { remoteUrl: c.communication.remoteUrl } : {},
  };
}

/** The wire form of a stored connection. */
export function toWire(c: StoredConnection, expand: ReadonlySet<string> = new Set()): Connection {
  const wire: Connection = {
    id: c.id,
    name: c.name,
    description: c.description,
    status: c.status,
    configurationType: c.configurationType,
    localShortName: c.localShortName,
    remoteShortName: c.remoteShortName,
    communication: { ...c.communication },
    version: c.version,
    role: c.role,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
  if (c.invitationCreatedAt) wire.invitationCreatedAt = c.invitationCreatedAt;
  if (c.errorMessage) wire.errorMessage = c.errorMessage;
  if (c.peer) wire.remoteConnectionId = c.peer.id;
  if (c.incomingScope !== undefined && c.role === 'ACCEPTOR') wire.incomingScope = c.incomingScope;
  if (expand.has('rules') && c.rules) wire.rules = { ...c.rules };
  if (expand.has('triggers')) wire.triggers = c.triggers.map((t) => ({ ...t }));
  return wire;
}

function etag(c: StoredConnection): Record<string, string> {
  return { ETag: `"${c.version}"` };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    refuse(400, 'BAD_REQUEST', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function text(
  o: Record<string, unknown>,
  key: string,
  options: { required: boolean; max?: number },
): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (options.required) refuse(400, 'BAD_REQUEST', `'${key}' is required`);
    return undefined;
  }
  if (typeof v !== 'string') refuse(400, 'BAD_REQUEST', `'${key}' must be a string`);
  if (options.required && v.trim() === '') refuse(400, 'BAD_REQUEST', `'${key}' must not be empty`);
  if (v.length > (options.max ?? MAX_TEXT)) {
    refuse(400, 'BAD_REQUEST', `'${key}' is longer than ${options.max ?? MAX_TEXT} characters`);
  }
  return v;
}

function parseIfMatch(headers: RequestContext['headers']): number | undefined {
  const raw = headers['if-match'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(value);
  if (!m) refuse(400, 'BAD_REQUEST', `If-Match must be a connection version, got '${value.slice(0, 40)}'`);
  return Number(m[1]);
}

function checkVersion(ctx: RequestContext, c: StoredConnection): void {
  const expected = parseIfMatch(ctx.headers);
  if (expected !== undefined && expected !== c.version) {
    refuse(
      412,
      'VERSION_MISMATCH',
      `connection ${c.id} is at version ${c.version}, not ${expected}: read it again and retry`,
    );
  }
}

/** A trigger list as the contract takes it; several may share an entity type, not with the same query. */
function parseTriggerList(body: unknown): Trigger[] {
  if (!Array.isArray(body)) refuse(400, 'BAD_REQUEST', 'the request body must be a JSON array of triggers');
  if (body.length > 100) refuse(400, 'BAD_REQUEST', 'at most 100 triggers per connection');
  const seen = new Set<string>();
  const triggers: Trigger[] = body.map((item: unknown, i: number) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      refuse(400, 'BAD_REQUEST', `trigger ${i} must be an object`);
    }
    const o = item as Record<string, unknown>;
    const entityType = text(o, 'entityType', { required: true, max: 255 }) as string;
    const query =
      text(o, 'query', { required: false, max: 10_000 }) ??
      refuse(400, 'BAD_REQUEST', `trigger ${i}: 'query' is required`);
    const notes = text(o, 'notes', { required: false, max: 10_000 }) ?? '';
    if (typeof o.active !== 'boolean')
      refuse(400, 'BAD_REQUEST', `trigger ${i}: 'active' must be true or false`);
    const key = `${entityType}\u0000${query}`;
    if (seen.has(key))
      refuse(
        400,
        'BAD_REQUEST',
        `trigger ${i}: the same trigger (entity type '${entityType}', same query) is already given`,
      );
    seen.add(key);
    return { entityType, query, active: o.active, notes };
  });
  return triggers;
}

function parseRules(body: unknown): Rules {
  const o = objectBody(body);
  return {
    outgoing:
      text(o, 'outgoing', { required: false, max: MAX_RULE_BYTES }) ??
      refuse(400, 'BAD_REQUEST', `'outgoing' is required`),
    incoming:
      text(o, 'incoming', { required: false, max: MAX_RULE_BYTES }) ??
      refuse(400, 'BAD_REQUEST', `'incoming' is required`),
  };
}

export class NodeApiHandlers {
  constructor(private readonly env: ApiEnvironment) {}

  private iso(): string {
    return new Date(this.env.now()).toISOString();
  }

  private node(name: string): StoredNode {
    const node = this.env.store.state.nodes.get(name);
    if (!node) refuse(404, 'NOT_FOUND', `node '${name}' is not emulated here`);
    return node;
  }

  private connection(node: string, rawId: string): StoredConnection {
    const id = /^\d+$/.test(rawId) ? Number(rawId) : NaN;
    const c = Number.isSafeInteger(id) ? this.node(node).connections.get(id) : undefined;
    if (!c) refuse(404, 'NOT_FOUND', `connection ${rawId.slice(0, 40)} not found`);
    return c;
  }

  private byName(node: StoredNode, name: string): StoredConnection | undefined {
    for (const c of node.connections.values()) if (c.name === name) return c;
    return undefined;
  }

  /** A change to a connection: new version, recorded in the store. */
  private touch(node: string, c: StoredConnection): void {
    c.version += 1;
    c.updatedAt = this.iso();
    this.env.store.put(node, c);
  }

  private retire(
    c: StoredConnection,
    node: string,
    reason: 'used' | 'revoked',
    acceptedBy?: { node: string; id: number },
  ): void {
    if (!c.invitationCode) return;
    this.env.store.retire(hashCode(c.invitationCode), {
      reason,
      node,
      connectionId: c.id,
      ...(acceptedBy ? { acceptedBy } : {}),
    });
    delete c.invitationCode;
    delete c.invitationCreatedAt;
  }

  /** Route one authenticated API call. */
  handle(ctx: RequestContext): Reply {
    try {
      return this.route(ctx);
    } catch (e) {
      if (e instanceof Refusal) return e.reply;
      throw e;
    }
  }

  private route(ctx: RequestContext): Reply {
    const segments = ctx.path.split('/').filter((s) => s !== '');
    const [first, id, sub, ...rest] = segments;
    const m = ctx.method;
    if (this.env.profile === 'observed' && m === 'GET' && !(first === 'connections' && id === undefined)) {
      return error(404, 'NOT_FOUND', `no such endpoint: ${m} ${ctx.path.slice(0, 200)}`);
    }
    if (first === 'info' && segments.length === 1 && m === 'GET') return this.info(ctx);
    if (first === 'invitations' && id === 'accept' && segments.length === 2 && m === 'POST')
      return this.accept(ctx);
    if (first === 'connection-requests' && id === 'accept' && segments.length === 2 && m === 'POST')
      return this.acceptRequest(ctx);
    if (first === 'connections' && rest.length === 0) {
      if (id === undefined) {
        if (m === 'GET') return this.list(ctx);
        if (m === 'POST') return this.create(ctx);
      } else if (sub === undefined) {
        if (m === 'GET') return this.get(ctx, id);
        if (m === 'PATCH') return this.update(ctx, id);
        if (m === 'DELETE') return this.remove(ctx, id);
      } else if (sub === 'invitation') {
        if (m === 'GET') return this.getInvitation(ctx, id);
        if (m === 'POST') return this.regenerate(ctx, id);
      } else if (sub === 'rules') {
        if (m === 'GET') return this.getRules(ctx, id);
        if (m === 'PUT') return this.putRules(ctx, id);
      } else if (sub === 'triggers') {
        if (m === 'GET') return this.getTriggers(ctx, id);
        if (m === 'PUT') return this.putTriggers(ctx, id);
      }
      if (sub === undefined || ['invitation', 'rules', 'triggers'].includes(sub)) {
        return error(405, 'METHOD_NOT_ALLOWED', `${m} is not allowed on ${ctx.path}`);
      }
    }
    return error(404, 'NOT_FOUND', `no such endpoint: ${m} ${ctx.path.slice(0, 200)}`);
  }

  private info(ctx: RequestContext): Reply {
    const node = this.node(ctx.node);
    return {
      status: 200,
      body: { platform: node.platform, nodeUrl: this.env.nodeUrl(ctx.node), version: this.env.version },
    };
  }

  private list(ctx: RequestContext): Reply {
    if (this.env.profile === 'observed') {
      // As observed: everything at once, no paging, no filter, nothing embedded.
      const all = [...this.node(ctx.node).connections.values()];
      return { status: 200, body: { total: all.length, results: all.map(toObservedWire) } };
    }
    const intParam = (name: string, fallback: number, min: number): number => {
      const raw = ctx.query.get(name);
      if (raw === null || raw === '') return fallback;
      if (!/^\d+$/.test(raw) || Number(raw) < min)
        refuse(400, 'BAD_REQUEST', `'${name}' must be a whole number >= ${min}`);
      return Number(raw);
    };
    const offset = intParam('offset', 0, 0);
    const limit = Math.min(intParam('limit', DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    const expand = new Set((ctx.query.get('expand') ?? '').split(',').filter((s) => s !== ''));
    for (const e of expand) {
      if (e !== 'rules' && e !== 'triggers')
        refuse(400, 'BAD_REQUEST', `unknown expand '${e.slice(0, 40)}' (rules, triggers)`);
    }
    const name = ctx.query.get('name');
    const connections = this.node(ctx.node).connections;
    // Already in id order (see StoredNode).
    const all =
      name === null ? [...connections.values()] : [...connections.values()].filter((c) => c.name === name);
    return {
      status: 200,
      body: {
        total: all.length,
        offset,
        limit,
        results: all.slice(offset, offset + limit).map((c) => toWire(c, expand)),
      },
    };
  }

  private get(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    return { status: 200, body: toWire(c), headers: etag(c) };
  }

  private create(ctx: RequestContext): Reply {
    const node = this.node(ctx.node);
    const body = objectBody(ctx.body);
    const name = text(body, 'name', { required: true, max: 255 }) as string;
    const description = text(body, 'description', { required: false, max: 100_000 }) ?? '';
    const localShortName = text(body, 'localShortName', { required: true, max: 255 }) as string;
    const remoteShortName = text(body, 'remoteShortName', { required: true, max: 255 }) as string;
    const configurationType = text(body, 'configurationType', { required: true }) as string;
    const mode = modeOf(configurationType);
    if (!mode)
      refuse(400, 'BAD_REQUEST', `'configurationType' must be one of ${CONFIGURATION_TYPES.join(', ')}`);
    const communication = objectBody(
      body.communication ?? refuse(400, 'BAD_REQUEST', `'communication' is required`),
    );
    const commType = text(communication, 'type', { required: true }) as string;
    const type = connectionTypeOf(commType);
    if (!type)
      refuse(400, 'BAD_REQUEST', `'communication.type' must be one of ${COMMUNICATION_TYPES.join(', ')}`);
    const remoteUrl = text(communication, 'remoteUrl', { required: false, max: 2048 });
    if (type === 'public') {
      if (!remoteUrl) refuse(400, 'BAD_REQUEST', 'a public connection needs communication.remoteUrl');
      let parsed: URL | undefined;
      try {
        parsed = new URL(remoteUrl);
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
        refuse(
          400,
          'BAD_REQUEST',
          `communication.remoteUrl '${remoteUrl.slice(0, 200)}' is not an http(s) URL`,
        );
      }
    } else if (remoteUrl !== undefined) {
      refuse(400, 'BAD_REQUEST', `a ${type} connection takes no communication.remoteUrl`);
    }
    if (isPlatform(node.platform)) {
      const reason = unavailableReason(node.platform, mode, type);
      if (reason) refuse(400, 'MODE_UNAVAILABLE', reason);
    }
    const rules = body.rules === undefined || body.rules === null ? undefined : parseRules(body.rules);
    if (rules && mode !== 'script')
      refuse(409, 'RULES_NOT_EDITABLE', `sync rules cannot be edited in ${configurationType} mode`);
    const triggers =
      body.triggers === undefined || body.triggers === null ? [] : parseTriggerList(body.triggers);
    if (this.byName(node, name)) {
      refuse(409, 'NAME_TAKEN', `a connection named '${name}' already exists on this node`);
    }
    const now = this.iso();
    const c: StoredConnection = {
      id: node.nextId++,
      name,
      description,
      status: type === 'local' ? 'ACTIVE' : 'PENDING',
      configurationType: configurationType as StoredConnection['configurationType'],
      localShortName,
      remoteShortName,
      communication: {
        type: commType as StoredConnection['communication']['type'],
        ...(remoteUrl ? { remoteUrl } : {}),
      },
      version: 1,
      role: 'INITIATOR',
      createdAt: now,
      updatedAt: now,
      ...(mode === 'script' ? { rules: rules ?? { outgoing: '', incoming: '' } } : {}),
      triggers,
    };
    // Visual has no code: an admin accepts it on the other node (`POST /connection-requests/accept`).
    if (type !== 'local' && INVITATION_CODE[mode]) {
      c.invitationCode = newCode();
      c.invitationCreatedAt = now;
    }
    this.env.store.put(ctx.node, c);
    return {
      status: 201,
      headers: { ...etag(c), Location: `/connections/${c.id}` },
      body: {
        connection: toWire(c, new Set(['rules', 'triggers'])),
        ...(c.invitationCode ? { invitationCode: c.invitationCode } : {}),
      },
    };
  }

  private update(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    checkVersion(ctx, c);
    const body = objectBody(ctx.body);
    for (const key of Object.keys(body)) {
      if (IMMUTABLE.includes(key)) {
        refuse(
          400,
          'IMMUTABLE_FIELD',
          `'${key}' cannot be changed: a different ${key} means a new connection`,
        );
      }
      if (key !== 'description' && key !== 'status')
        refuse(400, 'BAD_REQUEST', `unknown field '${key.slice(0, 40)}'`);
    }
    const description = text(body, 'description', { required: false, max: 100_000 });
    const status = body.status;
    if (status !== undefined && status !== 'ACTIVE' && status !== 'DEACTIVATED') {
      refuse(400, 'BAD_REQUEST', `'status' must be ACTIVE or DEACTIVATED`);
    }
    if (status !== undefined && c.status === 'PENDING') {
      refuse(
        409,
        'PENDING',
        `connection ${c.id} is waiting for its invitation to be accepted; its status cannot change yet`,
      );
    }
    let changed = false;
    if (description !== undefined && description !== c.description) {
      c.description = description;
      changed = true;
    }
    if (status !== undefined && status !== c.status) {
      c.status = status;
      delete c.errorMessage;
      changed = true;
    }
    if (changed) this.touch(ctx.node, c);
    return { status: 200, body: toWire(c), headers: etag(c) };
  }

  private remove(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    checkVersion(ctx, c);
    this.retire(c, ctx.node, 'revoked');
    this.env.store.remove(ctx.node, c.id);
    return { status: 204 };
  }

  private pendingCode(c: StoredConnection): string {
    if (!codeAccepted(c)) noCode(c);
    if (c.status !== 'PENDING' || !c.invitationCode) {
      refuse(
        409,
        'NOT_PENDING',
        `connection ${c.id} has no invitation: it is ${c.status}${c.communication.type === 'LOCAL' ? ' (local)' : ''}`,
      );
    }
    return c.invitationCode;
  }

  private getInvitation(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    const code = this.pendingCode(c);
    return { status: 200, body: { invitationCode: code, createdAt: c.invitationCreatedAt ?? c.createdAt } };
  }

  private regenerate(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    this.pendingCode(c);
    this.retire(c, ctx.node, 'revoked');
    c.invitationCode = newCode();
    // The time names the invitation: a new code never has the time of the one it replaces.
    const before = c.invitationCreatedAt;
    let at = this.iso();
    if (before !== undefined && at <= before) at = new Date(Date.parse(before) + 1).toISOString();
    c.invitationCreatedAt = at;
    this.touch(ctx.node, c);
    return {
      status: 200,
      body: { invitationCode: c.invitationCode, createdAt: c.invitationCreatedAt },
    };
  }

  private accept(ctx: RequestContext): Reply {
    const body = objectBody(ctx.body);
    const code = text(body, 'invitationCode', { required: true, max: 4096 }) as string;
    const incomingScope = text(body, 'incomingScope', { required: false, max: 255 });
    const retired = this.env.store.state.retiredCodes.get(hashCode(code));
    if (retired) {
      if (retired.reason === 'revoked') {
        refuse(410, 'INVITATION_REVOKED', 'this invitation code was replaced or its connection deleted');
      }
      const sameNode = retired.acceptedBy?.node === ctx.node;
      refuse(
        409,
        'INVITATION_USED',
        'this invitation code has already been accepted',
        sameNode && retired.acceptedBy ? { connectionId: retired.acceptedBy.id } : {},
      );
    }
    let issuer: { node: string; connection: StoredConnection } | undefined;
    for (const [name, node] of this.env.store.state.nodes) {
      for (const c of node.connections.values()) {
        if (c.invitationCode === code) issuer = { node: name, connection: c };
      }
    }
    if (!issuer) refuse(400, 'INVITATION_INVALID', 'the invitation code is not valid');
    const a = issuer.connection;
    // Only a state written before Visual connections lost their codes can get here.
    if (!codeAccepted(a)) noCode(a);
    if (issuer.node === ctx.node) {
      refuse(409, 'WRONG_NODE', 'an invitation cannot be accepted on the node that issued it');
    }
    if (a.communication.type === 'PUBLIC') this.forThisNode(ctx, a, 'this invitation');
    return this.link(ctx, issuer.node, a, incomingScope);
  }

  /**
   * Accept a connection that has no invitation code (Visual mode) on this node: the initiator is
   * found by its node's URL and its id. A second acceptance of the same one on this node answers
   * 409 `CONNECTION_REQUEST_ACCEPTED` with the `connectionId` made the first time.
   */
  private acceptRequest(ctx: RequestContext): Reply {
    const body = objectBody(ctx.body);
    const initiatorUrl = text(body, 'initiatorUrl', { required: true, max: 2048 }) as string;
    const connectionId = body.connectionId;
    if (typeof connectionId !== 'number' || !Number.isSafeInteger(connectionId) || connectionId < 1)
      refuse(400, 'BAD_REQUEST', `'connectionId' must be a connection id (a whole number >= 1)`);
    const incomingScope = text(body, 'incomingScope', { required: false, max: 255 });
    const issuer = this.env.nodeOfUrl(initiatorUrl);
    const a = issuer ? this.env.store.state.nodes.get(issuer)?.connections.get(connectionId) : undefined;
    if (!issuer || !a)
      refuse(
        404,
        'CONNECTION_REQUEST_NOT_FOUND',
        `no connection ${connectionId} at ${initiatorUrl.slice(0, 200)} to accept`,
      );
    if (codeAccepted(a))
      refuse(
        409,
        'INVITATION_REQUIRED',
        `connection ${a.id} is in ${a.configurationType} mode: it is accepted with its invitation code (POST /invitations/accept)`,
      );
    if (a.role === 'INITIATOR' && a.peer?.node === ctx.node) {
      refuse(
        409,
        'CONNECTION_REQUEST_ACCEPTED',
        `connection ${a.id} has already been accepted on this node`,
        {
          connectionId: a.peer.id,
        },
      );
    }
    if (issuer === ctx.node) {
      refuse(409, 'WRONG_NODE', 'a connection cannot be accepted on the node that initiated it');
    }
    this.forThisNode(ctx, a, `connection ${a.id}`);
    if (a.status !== 'PENDING') {
      refuse(409, 'NOT_PENDING', `connection ${a.id} is ${a.status}: there is nothing to accept`);
    }
    return this.link(ctx, issuer, a, incomingScope);
  }

  /** 409 WRONG_NODE unless the public connection `a` names this node as its other side. */
  private forThisNode(ctx: RequestContext, a: StoredConnection, what: string): void {
    const target = a.communication.remoteUrl ? this.env.nodeOfUrl(a.communication.remoteUrl) : undefined;
    if (target !== ctx.node) {
      refuse(
        409,
        'WRONG_NODE',
        `${what} is for ${a.communication.remoteUrl ?? 'another node'}, not this node`,
      );
    }
  }

  /**
   * Make this node's side of the initiator `a` (on `issuerNode`): same name, short names swapped,
   * role ACCEPTOR, pointing back at the initiator; both sides ACTIVE and naming each other. A code
   * it had is retired as used.
   */
  private link(
    ctx: RequestContext,
    issuerNode: string,
    a: StoredConnection,
    incomingScope: string | undefined,
  ): Reply {
    const here = this.node(ctx.node);
    if (this.byName(here, a.name)) {
      refuse(409, 'NAME_TAKEN', `a connection named '${a.name}' already exists on this node`);
    }
    const now = this.iso();
    const b: StoredConnection = {
      id: here.nextId++,
      name: a.name,
      description: a.description,
      status: 'ACTIVE',
      configurationType: a.configurationType,
      localShortName: a.remoteShortName,
      remoteShortName: a.localShortName,
      communication: { type: a.communication.type, remoteUrl: this.env.nodeUrl(issuerNode) },
      version: 1,
      role: 'ACCEPTOR',
      createdAt: now,
      updatedAt: now,
      ...(incomingScope ? { incomingScope } : {}),
      ...(a.configurationType === 'SCRIPT' ? { rules: { outgoing: '', incoming: '' } } : {}),
      triggers: [],
      peer: { node: issuerNode, id: a.id },
    };
    this.env.store.put(ctx.node, b);
    this.retire(a, issuerNode, 'used', { node: ctx.node, id: b.id });
    a.status = 'ACTIVE';
    a.peer = { node: ctx.node, id: b.id };
    this.touch(issuerNode, a);
    return { status: 201, body: toWire(b), headers: etag(b) };
  }

  private editableRules(c: StoredConnection): Rules {
    if (c.configurationType !== 'SCRIPT' || !c.rules) {
      refuse(
        409,
        'RULES_NOT_EDITABLE',
        `sync rules cannot be edited in ${c.configurationType} mode (connection ${c.id})`,
      );
    }
    return c.rules;
  }

  private getRules(ctx: RequestContext, id: string): Reply {
    const rules = this.editableRules(this.connection(ctx.node, id));
    return { status: 200, body: { ...rules } };
  }

  private putRules(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    this.editableRules(c);
    checkVersion(ctx, c);
    const rules = parseRules(ctx.body);
    const changed = rules.outgoing !== c.rules?.outgoing || rules.incoming !== c.rules?.incoming;
    if (changed) {
      c.rules = rules;
      this.touch(ctx.node, c);
    }
    return { status: 200, body: toWire(c), headers: etag(c) };
  }

  private getTriggers(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    return { status: 200, body: c.triggers.map((t) => ({ ...t })) };
  }

  private putTriggers(ctx: RequestContext, id: string): Reply {
    const c = this.connection(ctx.node, id);
    checkVersion(ctx, c);
    const triggers = parseTriggerList(ctx.body);
    const changed = JSON.stringify(triggers) !== JSON.stringify(c.triggers);
    if (changed) {
      c.triggers = triggers;
      this.touch(ctx.node, c);
    }
    return { status: 200, body: toWire(c), headers: etag(c) };
  }

  /** Test-only: put a connection in ERROR (a script error paused it). */
  setError(node: string, id: number, message: string): Connection {
    const c = this.connection(node, String(id));
    c.status = 'ERROR';
    c.errorMessage = message;
    this.touch(node, c);
    return toWire(c);
  }
}

export { Refusal };
