/**
 * The node API as the engine sees it: the client interface over the wire types of
 * `contract.ts`. Paths, headers and payload mapping live in the adapter (`adapter.ts`); nothing
 * outside `provider/api` builds a URL.
 */
import type {
  AcceptConnectionRequest,
  AcceptInvitationRequest,
  Connection,
  CreateConnectionRequest,
  CreatedConnection,
  Invitation,
  NodeInfo,
  Rules,
  Trigger,
  UpdateConnectionRequest,
} from './contract';

export type * from './contract';

export interface ListOptions {
  /** Page size; the node caps it. */
  limit?: number;
  /** Embed rules and triggers so a plan costs one request per page, not per connection. */
  expand?: ReadonlyArray<'rules' | 'triggers'>;
}

/** What the client learned about a node's answers while listing (modeled refinements it ignores). */
export interface ListReport {
  /** The node answered more (or other) connections than the page asked for: paging is ignored. */
  pagingIgnored: boolean;
  /** The node answered connections of other names to a `name=` filter. */
  nameFilterIgnored: boolean;
}

/** One operation a node's own API description lists: method (upper case) and full path template. */
export interface ApiOperation {
  method: string;
  path: string;
}

/** A node's OpenAPI 3 or Swagger 2 document, as the operations it lists. */
export interface ApiDescription {
  /** `OpenAPI 3.0.1`, `Swagger 2.0`. */
  format: string;
  /** Swagger `basePath`, or the path of the first OpenAPI server URL ("" when none). */
  basePath: string;
  /** Every operation, its path prefixed with `basePath`. */
  operations: ApiOperation[];
}

/** What `<node-url>/swagger` gave: the node's API description, or why there is none. */
export type ApiDescriptionResult =
  { found: true; url: string; description: ApiDescription } | { found: false; url: string; reason: string };

/** Whether a node honours a modeled refinement of the listing, judged from its answers. */
export type Verdict = 'honoured' | 'ignored' | 'cannot tell';

/** A read-only look at how a node answers the listing (its connections, and the refinements). */
export interface ListingProbe {
  /** Every connection, listed with `expand=rules,triggers`. */
  connections: Connection[];
  /** `offset`/`limit`: pages of one answer one connection each, different ones (needs two). */
  paging: Verdict;
  /** `expand=triggers`: every listed connection carries its triggers (needs one). */
  expand: Verdict;
  /** `name=`: only connections of that name come back (needs two). */
  nameFilter: Verdict;
}

/** One Exalate node's connection API. Implemented by `NodeClient` over HTTP. */
export interface NodeApi {
  info(): Promise<NodeInfo>;
  listConnections(options?: ListOptions): AsyncIterable<Connection>;
  getConnection(id: number): Promise<Connection>;
  /** undefined when no connection has this name (names are unique per node). */
  findConnectionByName(name: string, options?: ListOptions): Promise<Connection | undefined>;
  /** Never retried blindly: after an ambiguous failure the name is looked up first. */
  createConnection(request: CreateConnectionRequest): Promise<CreatedConnection>;
  updateConnection(id: number, patch: UpdateConnectionRequest, expectedVersion?: number): Promise<Connection>;
  /** Resolves also when the connection is already gone (404). */
  deleteConnection(id: number, expectedVersion?: number): Promise<void>;
  getInvitation(id: number): Promise<Invitation>;
  regenerateInvitation(id: number): Promise<Invitation>;
  acceptInvitation(request: AcceptInvitationRequest): Promise<Connection>;
  /** A secret read elsewhere (a code kept from before): redacted from every message from now on. */
  redactSecret?(value: string): void;
  /** Accept, on this node, a connection that has no invitation code (Visual mode); answers this node's side. */
  acceptConnectionRequest(request: AcceptConnectionRequest): Promise<Connection>;
  getRules(id: number): Promise<Rules>;
  putRules(id: number, rules: Rules, expectedVersion?: number): Promise<Connection>;
  getTriggers(id: number): Promise<Trigger[]>;
  putTriggers(id: number, triggers: Trigger[], expectedVersion?: number): Promise<Connection>;
  /** The node's own API description (`<node-url>/swagger`), read-only. */
  apiDescription?(): Promise<ApiDescriptionResult>;
  /** Lists every connection and tries paging, `expand` and `name=` on small reads. */
  probeListing?(): Promise<ListingProbe>;
  close(): Promise<void>;
}

export type { ApiErrorCode as ExalateErrorCode } from '../model/errors';
