/* Generated from schemas/exalate-connections.schema.json by `npm run schema`. Do not edit. */

/**
 * Exalate connections as code (format version 1). Declares the Exalate nodes a file talks to and the connections they initiate. Files are usually named *.exalate.yaml.
 */
export interface ExalateConnections {
  /**
   * Format version of this file. Only 1 exists.
   */
  version: 1;
  /**
   * Who owns the connections declared here. Recorded on every connection the tool creates so that `--prune` only ever deletes connections this owner created. Use one owner per file when several files manage the same node.
   */
  owner?: string;
  /**
   * The Exalate nodes this file talks to, keyed by a name of your choice (lower case, digits, '-' and '_').
   */
  nodes: {
    [k: string]: Node;
  };
  /**
   * The connections to create and keep in the declared state.
   */
  connections: Connection[];
}
/**
 * One Exalate node (the sync gateway of one tracker).
 */
export interface Node {
  /**
   * The node's base URL, usually from an environment variable: `${VAR}` references are expanded from the environment when the tool talks to the node. Plain http:// is only accepted for loopback addresses.
   */
  url: string;
  /**
   * The tracker this node serves. Decides which configuration modes and connection types are available.
   */
  platform:
    | 'jira-cloud'
    | 'jira-server'
    | 'servicenow'
    | 'zendesk'
    | 'freshservice'
    | 'freshdesk'
    | 'azure-devops'
    | 'azure-devops-server'
    | 'github'
    | 'salesforce'
    | 'asana';
  /**
   * The node's credential, as the node's platform takes it (an Azure DevOps personal access token, a ServiceNow node token or password, an Exalate API token…; see docs/node-api.md). Must be a `${VAR}` reference: a literal secret in the file is an error. The resolved value is never printed or written anywhere.
   */
  token: string;
  /**
   * The user sent with the token, for nodes that authenticate a user and password (ServiceNow with a user account). Must be a `${VAR}` reference, like the token. Default: an empty user (Azure DevOps personal access tokens, node tokens).
   */
  user?: string;
  /**
   * Requests per second the tool allows itself towards this node (its own limit; the node's 429 answers are honoured as well).
   */
  rateLimit?: number;
}
/**
 * One connection, initiated from `node`.
 */
export interface Connection {
  /**
   * Connection name, unique per node: the natural key the tool matches live connections by.
   */
  name: string;
  /**
   * Name of the declared node that initiates this connection.
   */
  node: string;
  /**
   * Short name of the initiating instance, as shown to both sides. Immutable: changing it replaces the connection.
   */
  localShortName: string;
  /**
   * Short name of the destination instance. Immutable: changing it replaces the connection.
   */
  remoteShortName: string;
  /**
   * Configuration mode. basic: predefined rules; visual: low-code (Jira, Azure DevOps, Zendesk on both sides) with no invitation code: the tool initiates it and accepts it itself on `remote.node`, another declared node (admin access on both sides), so never private and never to a `remote.url`; script: Groovy sync rules per side; ai-assist: automatic configuration, rules not editable. Immutable: changing it replaces the connection.
   */
  mode: 'basic' | 'visual' | 'script' | 'ai-assist';
  /**
   * "I don't have a URL": the destination is behind a firewall. The tool produces an invitation code (a sensitive output) that the partner accepts. Immutable.
   */
  private?: boolean;
  /**
   * Free text shown in the Exalate console. Updated in place.
   */
  description?: string;
  /**
   * The other side. Public connections need `url` or `node`; private ones may name a declared `node`, whose invitation the tool then accepts itself. A `node` equal to the initiating node makes a local connection. Immutable.
   */
  remote?: {
    /**
     * URL of a node this file does not manage (public connections only). `${VAR}` references are expanded.
     */
    url?: string;
    /**
     * Name of a declared node: the tool accepts the invitation there, so both sides become Active.
     */
    node?: string;
  };
  /**
   * Project (or equivalent) that receives incoming items on the accepting side, where the platform has one (Jira, Azure DevOps, GitHub). Set when the tool accepts the invitation, so it needs `remote.node`; it cannot change after acceptance (a change replaces the connection).
   */
  incomingScope?: string;
  /**
   * Active (true) or deactivated (false): a deactivated connection pauses sync and queues changes.
   */
  enabled?: boolean;
  /**
   * When true the tool never deletes or replaces this connection, even with --prune or --allow-replace.
   */
  protect?: boolean;
  /**
   * Groovy sync rules of the initiating side (Script mode only). Paths are relative to this file and must stay inside its folder.
   */
  rules?: {
    /**
     * File with the outgoing sync rules (what this side sends).
     */
    outgoing?: string;
    /**
     * File with the incoming sync rules (how this side applies what it receives).
     */
    incoming?: string;
  };
  /**
   * Triggers of the initiating side: items matching a query are synchronised automatically. Several triggers may share an entity type; the same entity type and query may not appear twice.
   */
  triggers?: Trigger[];
}
/**
 * One trigger: a query in the platform's search language for one entity type.
 */
export interface Trigger {
  /**
   * The kind of item the query selects (ticket, issue, incident, work item, case…).
   */
  entityType: string;
  /**
   * The query, in the platform's language (JQL, WIQL where-clause, GitHub search, ServiceNow encoded query…).
   */
  query: string;
  /**
   * Whether the trigger fires.
   */
  active?: boolean;
  /**
   * A note shown next to the trigger.
   */
  notes?: string;
}
