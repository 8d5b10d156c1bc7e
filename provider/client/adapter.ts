/**
 * The adapter: every path, header, query parameter and payload mapping of the node API lives here
 * and nowhere else. When a real node's `/swagger` disagrees with a modeled operation of
 * `schemas/exalate-node-api.openapi.yaml`, this is the one module to change.
 *
 * Observed (public community scripts): the API base, `POST /authenticate` returning the JWT in the
 * `X-Exalate-Jwt` header, the `X-exalate-jwt` request header, `GET /connections` returning
 * `{total, results}`, and `{message}` error bodies. Everything else is modeled.
 */
import type {
  AcceptInvitationRequest,
  Connection,
  CreateConnectionRequest,
  CreatedConnection,
  Invitation,
  NodeInfo,
  Rules,
  Trigger,
  UpdateConnectionRequest,
} from './types';

/** The API base below a node's URL. Observed. */
export const API_BASE = '/rest/issuehub/4.0';
/** Response header carrying the JWT after authentication. Observed. */
export const JWT_RESPONSE_HEADER = 'x-exalate-jwt';
/** Request header carrying the JWT on every later call. Observed. */
export const JWT_REQUEST_HEADER = 'X-exalate-jwt';
/** Largest page the client asks for (the node may cap it lower). Modeled. */
export const MAX_PAGE_SIZE = 100;

/** One HTTP call, before auth headers are added. */
export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the API base, query string included. */
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Safe to repeat after an ambiguous failure (the effect of two calls equals one). */
  readonly idempotent: boolean;
  /** Sent without a JWT (authentication itself). */
  readonly anonymous?: boolean;
}

/** Raised by the parsers when a body does not have the expected shape. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

function ifMatch(expectedVersion: number | undefined): Record<string, string> | undefined {
  return expectedVersion === undefined ? undefined : { 'If-Match': `"${expectedVersion}"` };
}

const id = (value: number): string => encodeURIComponent(String(value));

export const calls = {
  /** Observed: body `{authProtocol, user, password}`; the JWT comes back in a header. */
  authenticate: (token: string): ApiCall => ({
    method: 'POST',
    path: '/authenticate',
    body: { authProtocol: 'basic', user: '', password: token },
    idempotent: true,
    anonymous: true,
  }),
  info: (): ApiCall => ({ method: 'GET', path: '/info', idempotent: true }),
  listConnections: (
    offset: number,
    limit: number,
    expand: readonly string[] = [],
    name?: string,
  ): ApiCall => {
    const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (expand.length > 0) query.set('expand', expand.join(','));
    if (name !== undefined) query.set('name', name);
    return { method: 'GET', path: `/connections?${query.toString()}`, idempotent: true };
  },
  getConnection: (connectionId: number): ApiCall => ({
    method: 'GET',
    path: `/connections/${id(connectionId)}`,
    idempotent: true,
  }),
  createConnection: (request: CreateConnectionRequest): ApiCall => ({
    method: 'POST',
    path: '/connections',
    body: request,
    idempotent: false,
  }),
  updateConnection: (
    connectionId: number,
    patch: UpdateConnectionRequest,
    expectedVersion?: number,
  ): ApiCall => ({
    method: 'PATCH',
    path: `/connections/${id(connectionId)}`,
    body: patch,
    headers: ifMatch(expectedVersion),
    idempotent: true,
  }),
  deleteConnection: (connectionId: number, expectedVersion?: number): ApiCall => ({
    method: 'DELETE',
    path: `/connections/${id(connectionId)}`,
    headers: ifMatch(expectedVersion),
    idempotent: true,
  }),
  getInvitation: (connectionId: number): ApiCall => ({
    method: 'GET',
    path: `/connections/${id(connectionId)}/invitation`,
    idempotent: true,
  }),
  /** Repeating it only revokes one more code: the last answer holds the valid one. */
  regenerateInvitation: (connectionId: number): ApiCall => ({
    method: 'POST',
    path: `/connections/${id(connectionId)}/invitation`,
    idempotent: true,
  }),
  acceptInvitation: (request: AcceptInvitationRequest): ApiCall => ({
    method: 'POST',
    path: '/invitations/accept',
    body: request,
    idempotent: false,
  }),
  getRules: (connectionId: number): ApiCall => ({
    method: 'GET',
    path: `/connections/${id(connectionId)}/rules`,
    idempotent: true,
  }),
  putRules: (connectionId: number, rules: Rules, expectedVersion?: number): ApiCall => ({
    method: 'PUT',
    path: `/connections/${id(connectionId)}/rules`,
    body: rules,
    headers: ifMatch(expectedVersion),
    idempotent: true,
  }),
  getTriggers: (connectionId: number): ApiCall => ({
    method: 'GET',
    path: `/connections/${id(connectionId)}/triggers`,
    idempotent: true,
  }),
  putTriggers: (connectionId: number, triggers: Trigger[], expectedVersion?: number): ApiCall => ({
    method: 'PUT',
    path: `/connections/${id(connectionId)}/triggers`,
    body: triggers,
    headers: ifMatch(expectedVersion),
    idempotent: true,
  }),
};

// ---------------------------------------------------------------------------------------------
// Response parsing: light shape checks, so a node that answers something else fails loudly with
// EXALATE_BAD_RESPONSE instead of corrupting a plan.

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ShapeError(`${what} is not an object`);
  }
  return value as Json;
}

function string(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${what}.${key} is not a string`);
  return v;
}

function integer(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ShapeError(`${what}.${key} is not an integer`);
  return v;
}

export function parseTriggers(value: unknown, what = 'triggers'): Trigger[] {
  if (!Array.isArray(value)) throw new ShapeError(`${what} is not an array`);
  return value.map((item, i) => {
    const o = object(item, `${what}[${i}]`);
    const active = o.active;
    if (typeof active !== 'boolean') throw new ShapeError(`${what}[${i}].active is not a boolean`);
    return {
      entityType: string(o, 'entityType', `${what}[${i}]`),
      query: string(o, 'query', `${what}[${i}]`),
      active,
      notes: typeof o.notes === 'string' ? o.notes : '',
    };
  });
}

export function parseRules(value: unknown, what = 'rules'): Rules {
  const o = object(value, what);
  return { outgoing: string(o, 'outgoing', what), incoming: string(o, 'incoming', what) };
}

export function parseConnection(value: unknown, what = 'connection'): Connection {
  const o = object(value, what);
  const communication = object(o.communication, `${what}.communication`);
  const connection: Connection = {
    id: integer(o, 'id', what),
    name: string(o, 'name', what),
    description: typeof o.description === 'string' ? o.description : '',
    status: string(o, 'status', what) as Connection['status'],
    configurationType: string(o, 'configurationType', what) as Connection['configurationType'],
    localShortName: typeof o.localShortName === 'string' ? o.localShortName : '',
    remoteShortName: typeof o.remoteShortName === 'string' ? o.remoteShortName : '',
    communication: {
      type: string(communication, 'type', `${what}.communication`) as Connection['communication']['type'],
      ...(typeof communication.remoteUrl === 'string' ? { remoteUrl: communication.remoteUrl } : {}),
    },
    version: typeof o.version === 'number' ? o.version : 0,
    role: o.role === 'ACCEPTOR' ? 'ACCEPTOR' : 'INITIATOR',
    createdAt: typeof o.createdAt === 'string' ? o.createdAt : '',
    updatedAt: typeof o.updatedAt === 'string' ? o.updatedAt : '',
  };
  if (typeof o.invitationCreatedAt === 'string') connection.invitationCreatedAt = o.invitationCreatedAt;
  if (typeof o.errorMessage === 'string') connection.errorMessage = o.errorMessage;
  if (o.rules !== undefined && o.rules !== null) connection.rules = parseRules(o.rules, `${what}.rules`);
  if (o.triggers !== undefined && o.triggers !== null) {
    connection.triggers = parseTriggers(o.triggers, `${what}.triggers`);
  }
  return connection;
}

export interface Page {
  total: number;
  results: Connection[];
}

/** Observed envelope `{total, results}`. */
export function parsePage(value: unknown): Page {
  const o = object(value, 'page');
  if (!Array.isArray(o.results)) throw new ShapeError('page.results is not an array');
  return {
    total: integer(o, 'total', 'page'),
    results: o.results.map((c, i) => parseConnection(c, `page.results[${i}]`)),
  };
}

export function parseInfo(value: unknown): NodeInfo {
  const o = object(value, 'info');
  return {
    platform: string(o, 'platform', 'info'),
    nodeUrl: string(o, 'nodeUrl', 'info'),
    version: string(o, 'version', 'info'),
  };
}

/** Modeled: 201 `{connection, invitationCode?}`. */
export function parseCreated(value: unknown): CreatedConnection {
  const o = object(value, 'created');
  const created: CreatedConnection = { connection: parseConnection(o.connection, 'created.connection') };
  if (typeof o.invitationCode === 'string') created.invitationCode = o.invitationCode;
  return created;
}

export function parseInvitation(value: unknown): Invitation {
  const o = object(value, 'invitation');
  return {
    invitationCode: string(o, 'invitationCode', 'invitation'),
    createdAt: string(o, 'createdAt', 'invitation'),
  };
}

/** Error bodies: observed `{message}`, modeled `{message, code}` (plus `connectionId` on a replayed accept). */
export function parseErrorBody(value: unknown): { message?: string; code?: string; connectionId?: number } {
  if (typeof value !== 'object' || value === null) return {};
  const o = value as Json;
  return {
    ...(typeof o.message === 'string' ? { message: o.message } : {}),
    ...(typeof o.code === 'string' ? { code: o.code } : {}),
    ...(typeof o.connectionId === 'number' ? { connectionId: o.connectionId } : {}),
  };
}

/** Reads the JWT from the authentication answer: the observed header, or a body field. */
export function jwtFrom(
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
): string | undefined {
  const header = headers[JWT_RESPONSE_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  if (value) return value;
  if (typeof body === 'object' && body !== null) {
    const o = body as Json;
    for (const key of ['jwt', 'token', 'accessToken']) {
      const v = o[key];
      if (typeof v === 'string' && v) return v;
    }
  }
  return undefined;
}
