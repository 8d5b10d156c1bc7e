/**
 * The node API as the engine sees it: the client interface over the wire types of
 * `contract.ts`. Paths, headers and payload mapping live in the adapter (`adapter.ts`); nothing
 * outside `provider/api` builds a URL.
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
  getRules(id: number): Promise<Rules>;
  putRules(id: number, rules: Rules, expectedVersion?: number): Promise<Connection>;
  getTriggers(id: number): Promise<Trigger[]>;
  putTriggers(id: number, triggers: Trigger[], expectedVersion?: number): Promise<Connection>;
  close(): Promise<void>;
}

export type { ApiErrorCode as ExalateErrorCode } from '../model/errors';
