import type { ConnectionType, Mode, Platform } from './platforms';

/** Where something was declared, for messages that point at the file. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface DesiredNode {
  name: string;
  /** As written: `${VAR}` references are expanded only when the tool talks to the node. */
  url: string;
  platform: Platform;
  /** Name of the environment variable holding the token. */
  tokenEnv: string;
  location: SourceLocation;
}

export interface DesiredTrigger {
  entityType: string;
  query: string;
  active: boolean;
  notes: string;
}

export interface DesiredRules {
  /** Script text, read from the file named in the config. */
  outgoing?: string;
  incoming?: string;
}

/** One declared connection, defaults applied, rule files read. */
export interface DesiredConnection {
  name: string;
  node: string;
  localShortName: string;
  remoteShortName: string;
  mode: Mode;
  private: boolean;
  type: ConnectionType;
  description: string;
  remote?: { node?: string; url?: string };
  incomingScope?: string;
  enabled: boolean;
  protect: boolean;
  rules?: DesiredRules;
  /** The rule file paths as written (relative to the config's folder). */
  rulesFiles?: { outgoing?: string; incoming?: string };
  triggers: DesiredTrigger[];
  location: SourceLocation;
  /** Where `remote.url` is written, for errors about its `${VAR}` references. */
  remoteUrlLocation?: SourceLocation;
}

export interface DesiredState {
  /** Absolute path of the config file. */
  file: string;
  owner: string;
  nodes: Map<string, DesiredNode>;
  connections: DesiredConnection[];
}

export const DEFAULT_OWNER = 'exalate-iac';
