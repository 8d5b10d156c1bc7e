/**
 * The adapter: every path, header, query parameter and payload mapping of the node API lives here
 * and nowhere else. When a real node's `/swagger` disagrees with a modeled operation of
 * `schemas/exalate-node-api.openapi.yaml`, this is the one module to change.
 *
 * Observed (public community scripts): the API base, `POST /authenticate` returning the JWT in the
 * `X-Exalate-Jwt` header, the `X-exalate-jwt` request header, `GET /connections` returning
 * `{total, results}`, and `{message}` error bodies. Everything else is modeled.
 */
import {
  API_BASE,
  COMMUNICATION_TYPES,
  CONFIGURATION_TYPES,
  JWT_REQUEST_HEADER,
  JWT_RESPONSE_HEADER,
  MAX_PAGE_SIZE,
  MODELED_TEXT_FIELDS,
  type AcceptConnectionRequest,
  type AcceptInvitationRequest,
  type Connection,
  type CreateConnectionRequest,
  type CreatedConnection,
  type Invitation,
  type NodeInfo,
  type Rules,
  type Trigger,
  type UpdateConnectionRequest,
} from './contract';
import { yaml } from '../util/yaml';
import type { ApiDescription, ApiOperation } from './types';

export { API_BASE, JWT_REQUEST_HEADER, JWT_RESPONSE_HEADER, MAX_PAGE_SIZE };

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
  /**
   * Where `path` starts: below the API base (the default), at the node's URL (`/swagger`), or at
   * the node's origin (a document a Swagger page names by its absolute path).
   */
  readonly from?: 'api' | 'node' | 'origin';
  /** The answer is a document read as text (JSON, YAML or HTML); a 3xx is handed back, not followed. */
  readonly text?: boolean;
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

/** What a node's API description may be served as. */
const DOCUMENT_ACCEPT =
  'application/json, application/yaml;q=0.9, text/yaml;q=0.9, text/html;q=0.5, */*;q=0.1';

export const calls = {
  /** Observed: body `{authProtocol, user, password}`; the JWT comes back in a header. */
  authenticate: (credentials: { user: string; password: string }): ApiCall => ({
    method: 'POST',
    path: '/authenticate',
    body: { authProtocol: 'basic', user: credentials.user, password: credentials.password },
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
  /**
   * Accept a connection without a code (Visual mode) on this node. Not blindly repeatable: a
   * replay answers 409 with the `connectionId` this node made, which the client reads instead.
   */
  acceptConnectionRequest: (request: AcceptConnectionRequest): ApiCall => ({
    method: 'POST',
    path: '/connection-requests/accept',
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
  /**
   * Observed (community tools point users at it): a node shows its API at `<node-url>/swagger`,
   * outside the API base. What it serves there (a document, or a Swagger UI page) is not known.
   */
  swagger: (): ApiCall => ({
    method: 'GET',
    path: '/swagger',
    from: 'node',
    text: true,
    headers: { accept: DOCUMENT_ACCEPT },
    idempotent: true,
  }),
  /** A document on the node's origin that a Swagger page names (`path` absolute, query included). */
  document: (originPath: string): ApiCall => ({
    method: 'GET',
    path: originPath,
    from: 'origin',
    text: true,
    headers: { accept: DOCUMENT_ACCEPT },
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

function optionalString(o: Json, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ShapeError(`${what}.${key} is not a string`);
  return v;
}

/**
 * A connection as a node answers it. Only the observed fields are required (`id`, `name`,
 * `status`; `communication.remoteUrl` when there is one); every modeled field is read when
 * present and left out when not, so the engine can tell "not reported" from a value.
 */
export function parseConnection(value: unknown, what = 'connection'): Connection {
  const o = object(value, what);
  const communication =
    o.communication === undefined || o.communication === null
      ? {}
      : object(o.communication, `${what}.communication`);
  const type = optionalString(communication, 'type', `${what}.communication`);
  const remoteUrl = optionalString(communication, 'remoteUrl', `${what}.communication`);
  const connection: Connection = {
    id: integer(o, 'id', what),
    name: string(o, 'name', what),
    status: string(o, 'status', what),
    communication: {
      ...(type !== undefined && (COMMUNICATION_TYPES as readonly string[]).includes(type)
        ? { type: type as Connection['communication']['type'] }
        : {}),
      ...(remoteUrl !== undefined ? { remoteUrl } : {}),
    },
  };
  const configurationType = optionalString(o, 'configurationType', what);
  if (
    configurationType !== undefined &&
    (CONFIGURATION_TYPES as readonly string[]).includes(configurationType)
  )
    connection.configurationType = configurationType as Connection['configurationType'];
  for (const key of MODELED_TEXT_FIELDS) {
    const v = optionalString(o, key, what);
    if (v !== undefined) connection[key] = v;
  }
  if (typeof o.version === 'number' && Number.isInteger(o.version)) connection.version = o.version;
  if (typeof o.remoteConnectionId === 'number' && Number.isInteger(o.remoteConnectionId))
    connection.remoteConnectionId = o.remoteConnectionId;
  if (o.role === 'ACCEPTOR' || o.role === 'INITIATOR') connection.role = o.role;
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

/** Error bodies: observed `{message}`, modeled `{message, code}` (plus `connectionId` on a replayed accept of either kind). */
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

// ---------------------------------------------------------------------------------------------
// A node's own API description (`<node-url>/swagger`): read-only, for `check-node`.

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The path part of an OpenAPI 3 server URL (`https://host/base`, `/base`, `{nodeUrl}/base`). */
function serverPath(url: string): string {
  const path = url
    .replace(/^\{[^}]*\}/, '')
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/\/+$/, '');
  return path === '' || path.startsWith('/') ? path : `/${path}`;
}

/**
 * An OpenAPI 3 or Swagger 2 document (JSON or YAML) as the operations it lists, each with its full
 * path (Swagger `basePath` or the first OpenAPI server's path, then the path template); undefined
 * when `text` is not such a document (an HTML page, anything else).
 */
export function parseApiDescription(text: string): ApiDescription | undefined {
  if (text.trimStart().startsWith('<')) return undefined;
  let doc: unknown;
  try {
    // YAML reads JSON too; aliases are capped, warnings are not printed.
    doc = yaml().parse(text, { maxAliasCount: 100, uniqueKeys: false, logLevel: 'error' });
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc.paths)) return undefined;
  const openapi = typeof doc.openapi === 'string' ? doc.openapi : undefined;
  const swagger = typeof doc.swagger === 'string' ? doc.swagger : undefined;
  if (openapi === undefined && swagger === undefined) return undefined;
  let basePath = '';
  if (swagger !== undefined && typeof doc.basePath === 'string') basePath = serverPath(doc.basePath);
  const first: unknown = Array.isArray(doc.servers) ? doc.servers[0] : undefined;
  if (openapi !== undefined && isRecord(first) && typeof first.url === 'string')
    basePath = serverPath(first.url);
  const operations: ApiOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!isRecord(item)) continue;
    for (const method of HTTP_METHODS) {
      if (isRecord(item[method])) {
        operations.push({
          method: method.toUpperCase(),
          path: `${basePath}${template.startsWith('/') ? '' : '/'}${template}`,
        });
      }
    }
  }
  return {
    format: openapi !== undefined ? `OpenAPI ${openapi}` : `Swagger ${swagger}`,
    basePath,
    operations,
  };
}

/**
 * Where a Swagger UI page (or the script that configures it) says the API document is: its `url`
 * settings, its initializer script, and links to `.json`/`.yaml`/`api-docs`/`openapi` documents,
 * most likely first. Relative or absolute as written.
 */
export function apiDescriptionLinks(text: string): string[] {
  const found: string[] = [];
  const add = (link: string | undefined) => {
    if (link && !found.includes(link) && !/^(javascript|data):/i.test(link)) found.push(link);
  };
  for (const m of text.matchAll(/\b(?:url|configUrl)\s*:\s*(["'`])([^"'`\s]+)\1/g)) add(m[2]);
  for (const m of text.matchAll(/"(?:url|configUrl)"\s*:\s*"([^"\s]+)"/g)) add(m[1]);
  for (const m of text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) {
    const link = m[1] ?? '';
    const file = link.split(/[?#]/)[0] ?? '';
    if (
      /swagger-initializer\.js$/i.test(file) ||
      /\.(json|ya?ml)$/i.test(file) ||
      /api-docs|openapi/i.test(file)
    )
      add(link);
  }
  return found;
}
