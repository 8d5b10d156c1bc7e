/**
 * The node API contract as code: the wire types of `schemas/exalate-node-api.openapi.yaml`, its
 * constants and the mapping between wire enums and the model's words. The client (through its
 * adapter) and the emulator both build on this file; nothing else defines a path prefix, a page
 * size or a configuration type.
 *
 * Observed fields (seen on real nodes) are required; every modeled field is optional, and absent
 * means "not reported": the engine treats it as unknown, never as different.
 */
import { INVITATION_CODE, type ConnectionType, type Mode } from '../model/platforms';

/** The API base below a node's URL. Observed. */
export const API_BASE = '/rest/issuehub/4.0';
/** Response header carrying the JWT after authentication. Observed. */
export const JWT_RESPONSE_HEADER = 'x-exalate-jwt';
/** Request header carrying the JWT on every later call. Observed. */
export const JWT_REQUEST_HEADER = 'X-exalate-jwt';
/** Largest page a client asks for and a node answers. Modeled. */
export const MAX_PAGE_SIZE = 100;
/** Page size when the request gives none. Modeled. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest sync rule script (modeled); the one constant lives in the model. */
export { MAX_RULE_BYTES } from '../model/limits';

/** Statuses the tool knows; a node may report others, which are kept and shown as they are. */
export const KNOWN_STATUSES = ['PENDING', 'ACTIVE', 'DEACTIVATED', 'ERROR'] as const;
export type KnownStatus = (typeof KNOWN_STATUSES)[number];
export type ConnectionStatus = KnownStatus | (string & {});

export const CONFIGURATION_TYPES = ['BASIC', 'VISUAL', 'SCRIPT', 'AI_ASSIST'] as const;
export type ConfigurationType = (typeof CONFIGURATION_TYPES)[number];
export const COMMUNICATION_TYPES = ['PUBLIC', 'PRIVATE', 'LOCAL'] as const;
export type CommunicationType = (typeof COMMUNICATION_TYPES)[number];

const MODE_TO_CONFIGURATION: Readonly<Record<Mode, ConfigurationType>> = {
  basic: 'BASIC',
  visual: 'VISUAL',
  script: 'SCRIPT',
  'ai-assist': 'AI_ASSIST',
};
const TYPE_TO_COMMUNICATION: Readonly<Record<ConnectionType, CommunicationType>> = {
  public: 'PUBLIC',
  private: 'PRIVATE',
  local: 'LOCAL',
};

export function configurationTypeOf(mode: Mode): ConfigurationType {
  return MODE_TO_CONFIGURATION[mode];
}

/** The mode of a wire configuration type; undefined for a value the contract does not know. */
export function modeOf(type: string | undefined): Mode | undefined {
  for (const [mode, wire] of Object.entries(MODE_TO_CONFIGURATION)) if (wire === type) return mode as Mode;
  return undefined;
}

/**
 * Whether the other side accepts a connection of this wire configuration type with an invitation
 * code: not in Visual mode, which has none. An unknown type falls back to the declared mode;
 * when neither is known, as any other connection (with a code).
 */
export function acceptedWithCode(type: string | undefined, declared?: Mode): boolean {
  const mode = modeOf(type) ?? declared;
  return mode === undefined || INVITATION_CODE[mode];
}

export function communicationTypeOf(type: ConnectionType): CommunicationType {
  return TYPE_TO_COMMUNICATION[type];
}

/** The connection type of a wire communication type; undefined for an unknown one. */
export function connectionTypeOf(type: string | undefined): ConnectionType | undefined {
  for (const [t, wire] of Object.entries(TYPE_TO_COMMUNICATION))
    if (wire === type) return t as ConnectionType;
  return undefined;
}

export interface Communication {
  /** Modeled. */
  type?: CommunicationType;
  /** The other node's URL: observed for public connections, absent for private and local ones. */
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

/**
 * Modeled text fields of a connection, each optional on the wire (absent: not reported). One
 * list: the adapter reads them, the type below has them.
 */
export const MODELED_TEXT_FIELDS = [
  'description',
  'localShortName',
  'remoteShortName',
  'incomingScope',
  'createdAt',
  'updatedAt',
  'invitationCreatedAt',
  'errorMessage',
] as const;
export type ModeledTextField = (typeof MODELED_TEXT_FIELDS)[number];

export interface Connection extends Partial<Record<ModeledTextField, string>> {
  /** Observed. */
  id: number;
  /** Observed. */
  name: string;
  /** Observed (ACTIVE and DEACTIVATED seen); unknown values are kept as they are. */
  status: ConnectionStatus;
  communication: Communication;
  configurationType?: ConfigurationType;
  /** The id of the other side's connection, once accepted (on both sides). */
  remoteConnectionId?: number;
  /** Bumped by every mutation; sent back as `If-Match` (412 when stale). */
  version?: number;
  /** Which side of the connection this node is. */
  role?: 'INITIATOR' | 'ACCEPTOR';
  /** Present when listed with `expand=rules` (Script mode). */
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
  /** Rules and triggers set in the same call (modeled), so a create is one request. */
  rules?: Rules;
  triggers?: Trigger[];
}

export interface CreatedConnection {
  connection: Connection;
  /**
   * Produced for PUBLIC and PRIVATE connections (status PENDING), except in Visual mode, which an
   * admin accepts on the other side without a code (`acceptConnectionRequest`); a secret.
   */
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

/**
 * Accepting, on the node its `remoteUrl` names, a connection that has no invitation code (Visual
 * mode): the initiating node's URL and the initiator's connection id say which one.
 */
export interface AcceptConnectionRequest {
  /** The initiating node's URL (as the accepting node knows it). */
  initiatorUrl: string;
  /** The id of the initiating side's connection on that node. */
  connectionId: number;
  incomingScope?: string;
}
