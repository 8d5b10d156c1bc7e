/**
 * The one description of a connection's fields. Every door reads it: the engine's diff (plan,
 * apply's convergence and the Terraform provider's PlanResourceChange), import, the CDKTF
 * constructs' attribute names, the Terraform provider's schema and the README's field table.
 * A test walks the JSON Schema, this table, the constructs and the provider schema and fails on
 * any mismatch.
 */

/** A field by its path in the YAML format (dots for nested keys). */
export type FieldKey =
  | 'name'
  | 'node'
  | 'localShortName'
  | 'remoteShortName'
  | 'mode'
  | 'private'
  | 'remote.url'
  | 'remote.node'
  | 'incomingScope'
  | 'description'
  | 'enabled'
  | 'protect'
  | 'rules.outgoing'
  | 'rules.incoming'
  | 'triggers';

/**
 * How a change is made: `key` fields identify the connection (a new value is a new connection),
 * `replace` fields cannot change in place (delete and re-initiate), `update` fields are updated
 * in place by their `writer`.
 */
export type ChangeKind = 'key' | 'replace' | 'update';

/** The node API operation that writes an updatable field. */
export type Writer = 'description' | 'status' | 'rules' | 'triggers';

export type TerraformType = 'string' | 'bool' | 'triggers';

export interface FieldDef {
  /** YAML path; also the field name in plans, drift reports and messages. */
  readonly key: FieldKey;
  /** Terraform attribute: a top-level attribute, or `block.attribute` for the nested `rules` block. */
  readonly tf: string;
  readonly tfType: TerraformType;
  /** Where the value lives on the wire (node API), for the docs. */
  readonly wire: string;
  readonly change: ChangeKind;
  readonly writer?: Writer;
  /** Required in the YAML (and in Terraform). */
  readonly required: boolean;
  /** The default when not given; undefined when there is none (optional without default). */
  readonly default?: string | boolean | readonly never[];
  /** One line for the README, the JSON Schema and the Terraform schema. */
  readonly doc: string;
}

export const CONNECTION_FIELDS: readonly FieldDef[] = [
  {
    key: 'name',
    tf: 'name',
    tfType: 'string',
    wire: 'name',
    change: 'key',
    required: true,
    doc: 'Connection name, unique per node: the natural key.',
  },
  {
    key: 'node',
    tf: 'node',
    tfType: 'string',
    wire: '(the node the call goes to)',
    change: 'key',
    required: true,
    doc: 'The declared node that initiates the connection.',
  },
  {
    key: 'localShortName',
    tf: 'local_short_name',
    tfType: 'string',
    wire: 'localShortName',
    change: 'replace',
    required: true,
    doc: 'Short name of the initiating instance.',
  },
  {
    key: 'remoteShortName',
    tf: 'remote_short_name',
    tfType: 'string',
    wire: 'remoteShortName',
    change: 'replace',
    required: true,
    doc: 'Short name of the destination instance.',
  },
  {
    key: 'mode',
    tf: 'mode',
    tfType: 'string',
    wire: 'configurationType',
    change: 'replace',
    required: true,
    doc: 'Configuration mode: basic, visual, script or ai-assist (visual has no invitation code: it needs `remote.node`).',
  },
  {
    key: 'private',
    tf: 'private',
    tfType: 'bool',
    wire: 'communication.type',
    change: 'replace',
    required: false,
    default: false,
    doc: '"I don\'t have a URL": an invitation code is produced for the partner.',
  },
  {
    key: 'remote.url',
    tf: 'remote_url',
    tfType: 'string',
    wire: 'communication.remoteUrl',
    change: 'replace',
    required: false,
    doc: 'URL of a partner node this configuration does not manage (public connections).',
  },
  {
    key: 'remote.node',
    tf: 'remote_node',
    tfType: 'string',
    wire: 'communication.remoteUrl, and the accepting side on that node',
    change: 'replace',
    required: false,
    doc: 'A declared node: the tool accepts the invitation there (equal to `node`: a local connection).',
  },
  {
    key: 'incomingScope',
    tf: 'incoming_scope',
    tfType: 'string',
    wire: 'incomingScope of the accepting side',
    change: 'replace',
    required: false,
    doc: 'Project receiving incoming items on the accepting side (needs `remote.node`); set when accepting.',
  },
  {
    key: 'description',
    tf: 'description',
    tfType: 'string',
    wire: 'description (without the ownership line)',
    change: 'update',
    writer: 'description',
    required: false,
    default: '',
    doc: 'Free text shown on the node.',
  },
  {
    key: 'enabled',
    tf: 'enabled',
    tfType: 'bool',
    wire: 'status (ACTIVE or DEACTIVATED)',
    change: 'update',
    writer: 'status',
    required: false,
    default: true,
    doc: 'Active or deactivated (a deactivated connection queues changes).',
  },
  {
    key: 'protect',
    tf: 'protect',
    tfType: 'bool',
    wire: 'description (the ownership line)',
    change: 'update',
    writer: 'description',
    required: false,
    default: false,
    doc: 'Never deleted or replaced by the tool.',
  },
  {
    key: 'rules.outgoing',
    tf: 'rules.outgoing',
    tfType: 'string',
    wire: 'rules.outgoing',
    change: 'update',
    writer: 'rules',
    required: false,
    doc: 'Outgoing Groovy sync rules of the initiating side (Script mode).',
  },
  {
    key: 'rules.incoming',
    tf: 'rules.incoming',
    tfType: 'string',
    wire: 'rules.incoming',
    change: 'update',
    writer: 'rules',
    required: false,
    doc: 'Incoming Groovy sync rules of the initiating side (Script mode).',
  },
  {
    key: 'triggers',
    tf: 'triggers',
    tfType: 'triggers',
    wire: 'triggers',
    change: 'update',
    writer: 'triggers',
    required: false,
    default: [],
    doc: 'Triggers of the initiating side (entity type, query, active, notes); several may share an entity type.',
  },
];

/** The sub-fields of one trigger. */
export const TRIGGER_FIELDS = [
  {
    key: 'entityType',
    tf: 'entity_type',
    tfType: 'string',
    required: true,
    doc: 'The kind of item the query selects.',
  },
  {
    key: 'query',
    tf: 'query',
    tfType: 'string',
    required: true,
    doc: "The query in the platform's language.",
  },
  {
    key: 'active',
    tf: 'active',
    tfType: 'bool',
    required: false,
    default: true,
    doc: 'Whether the trigger fires.',
  },
  {
    key: 'notes',
    tf: 'notes',
    tfType: 'string',
    required: false,
    default: '',
    doc: 'A note shown next to the trigger.',
  },
] as const;

const BY_KEY = new Map(CONNECTION_FIELDS.map((f) => [f.key, f]));

export function field(key: FieldKey): FieldDef {
  return BY_KEY.get(key) as FieldDef;
}

/** Fields compared between the declared and the live connection (all but the keys). */
export const COMPARED_FIELDS: readonly FieldDef[] = CONNECTION_FIELDS.filter((f) => f.change !== 'key');

/** The field table of the README, generated from this registry (a test keeps the README in step). */
export function fieldTableMarkdown(): string {
  const rows = CONNECTION_FIELDS.map((f) => {
    const dflt =
      f.default === undefined ? '' : Array.isArray(f.default) ? '`[]`' : `\`${JSON.stringify(f.default)}\``;
    const change =
      f.change === 'key'
        ? 'the key: a new value is a new connection'
        : f.change === 'replace'
          ? 'replaces the connection (`--allow-replace`)'
          : 'updated in place';
    return `| \`${f.key}\` | \`${f.tf}\` | ${f.required ? 'yes' : 'no'} | ${dflt} | ${change} | ${f.doc.replace(/\|/g, '\\|')} |`;
  });
  return [
    '| field | Terraform | required | default | a change | what |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
