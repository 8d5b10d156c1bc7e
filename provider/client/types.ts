/**
 * The node API as the rest of the project sees it: wire types of
 * `schemas/exalate-node-api.openapi.yaml` and the client interface. Paths, headers and payload
 * mapping live in the adapter (`adapter.ts`); nothing outside `provider/client` builds a URL.
 */

export type ConnectionStatus = 'PENDING' | 'ACTIVE' | 'DEACTIVATED' | 'ERROR';
export type ConfigurationType = 'BASIC' | 'VISUAL' | 'SCRIPT' | 'AI_ASSIST';
export type CommunicationType = 'PUBLIC' | 'PRIVATE' | 'LOCAL';

export interface Communication {
  type: CommunicationType;
  /** The other node's URL: set for PUBLIC, absent for PRIVATE ("unknown") and LOCAL. */
  remoteUrl?: string;
}

export interface Rules {
  outgoing: string;
  incoming: string;
}

export interface Trigger {
  entityType: string;
  query: string;
  active: boolean;
  notes: string;
}

export interface Connection {
  id: number;
  name: string;
  description: string;
  status: ConnectionStatus;
  configurationType: ConfigurationType;
  localShortName: string;
  remoteShortName: string;
  communication: Communication;
  /** Bumped by every mutation; sent back as `If-Match` for optimistic concurrency (412 when stale). */
  version: number;
  /** Which side of the connection this node is. */
  role: 'INITIATOR' | 'ACCEPTOR';
  createdAt: string;
  updatedAt: string;
  /** When the current invitation code was produced (PENDING only). */
  invitationCreatedAt?: string;
  /** Set while status is ERROR. */
  errorMessage?: string;
  /** Present when listed with `expand=rules`. */
  rules?: Rules;
  /** Present when listed with `expand=triggers`. */
  triggers?: Trigger[];
}

export interface NodeInfo {
  platform: string;
  nodeUrl: string;
  version: string;
}

export interface CreateConnectionRequest {
  name: string;
  description: string;
  localShortName: string;
  remoteShortName: string;
  configurationType: ConfigurationType;
  communication: Communication;
  /** Project (or equivalent) receiving incoming items, where the platform has one. */
  incomingScope?: string;
}

export interface CreatedConnection {
  connection: Connection;
  /** Produced for PUBLIC and PRIVATE connections (status PENDING); a secret. */
  invitationCode?: string;
}

export interface UpdateConnectionRequest {
  description?: string;
  status?: 'ACTIVE' | 'DEACTIVATED';
}

export interface Invitation {
  invitationCode: string;
  createdAt: string;
}

export interface AcceptInvitationRequest {
  invitationCode: string;
  incomingScope?: string;
}

export interface ListOptions {
  /** Page size; the node caps it. */
  limit?: number;
  /** Embed rules and triggers so a plan costs one request per page, not per connection. */
  expand?: ReadonlyArray<'rules' | 'triggers'>;
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

/** Stable error codes: callers branch on `code`, never on message text. */
export type ExalateErrorCode =
  | 'EXALATE_BAD_REQUEST'
  | 'EXALATE_UNAUTHORIZED'
  | 'EXALATE_FORBIDDEN'
  | 'EXALATE_NOT_FOUND'
  | 'EXALATE_CONFLICT'
  | 'EXALATE_GONE'
  | 'EXALATE_PRECONDITION_FAILED'
  | 'EXALATE_RATE_LIMITED'
  | 'EXALATE_SERVER_ERROR'
  | 'EXALATE_TIMEOUT'
  | 'EXALATE_NETWORK'
  | 'EXALATE_INSECURE_URL'
  | 'EXALATE_BAD_RESPONSE';
