import type { ConnectionType, Platform } from './platforms';
import type { TriggerValue } from './normalize';
import type { Connection as FileConnection } from './file-format.generated';

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
  /** Name of the environment variable holding the user, for nodes that take one (ServiceNow). */
  userEnv?: string;
  /** Requests per second the client allows itself towards this node. */
  rateLimit?: number;
  location: SourceLocation;
}

export type { TriggerValue as DesiredTrigger } from './normalize';

export interface DesiredRules {
  /** Script text, read from the file named in the config. */
  outgoing?: string;
  incoming?: string;
}

/** Fields that have a default (the registry's): always set in a desired connection. */
type Defaulted = 'private' | 'description' | 'enabled' | 'protect';

/**
 * One declared connection, defaults applied, rule files read. Its fields are the file format's
 * (generated from the JSON Schema), so a new field of the format is a field here too.
 */
export type DesiredConnection = Omit<FileConnection, Defaulted | 'rules' | 'triggers'> &
  Required<Pick<FileConnection, Defaulted>> & {
    type: ConnectionType;
    rules?: DesiredRules;
    /** The rule file paths as written (relative to the config's folder). */
    rulesFiles?: { outgoing?: string; incoming?: string };
    triggers: TriggerValue[];
    location: SourceLocation;
    /** Where `remote.url` is written, for errors about its `${VAR}` references. */
    remoteUrlLocation?: SourceLocation;
  };

export interface DesiredState {
  /** Absolute path of the config file. */
  file: string;
  /** The config file as the user named it (for messages). */
  shownFile: string;
  /** sha256 of the config file and of every rule file it names, for saved plans. */
  digest: string;
  owner: string;
  nodes: Map<string, DesiredNode>;
  connections: DesiredConnection[];
}

export const DEFAULT_OWNER = 'exalate-iac';

/**
 * The type of a declared connection: local when `remote.node` is the initiating node, private
 * when `private` is set, public otherwise. The one place this is decided (config, constructs,
 * the Terraform provider).
 */
export function connectionType(c: { node?: unknown; private?: unknown; remote?: unknown }): ConnectionType {
  const remote =
    typeof c.remote === 'object' && c.remote !== null ? (c.remote as { node?: unknown }) : undefined;
  if (remote && typeof remote.node === 'string' && remote.node === c.node) return 'local';
  return c.private === true ? 'private' : 'public';
}
