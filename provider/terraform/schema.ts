/**
 * The provider's schemas, built from the field registry (`provider/model/fields.ts`): the
 * attribute names, which are required, which have a default (optional and computed: the plan
 * fills the default), and their descriptions are the registry's.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { CONNECTION_FIELDS, TRIGGER_FIELDS, type FieldDef } from '../model/fields';
import { encodeCtyType, pb, type CtyType } from './plugin';

export const PROVIDER_NAME = 'exalate';
export const CONNECTION_RESOURCE = 'exalate_connection';
export const CONNECTION_DATA = 'exalate_connection';
export const CONNECTIONS_DATA = 'exalate_connections';
/** Bumped when the state's shape changes (UpgradeResourceState then converts older states). */
export const STATE_VERSION = 0;

type AttributeInit = MessageInitShape<typeof pb.Schema_AttributeSchema>;
type BlockInit = MessageInitShape<typeof pb.Schema_BlockSchema>;

const string = encodeCtyType('string');
const bool = encodeCtyType('bool');
const number = encodeCtyType('number');

function tfType(f: { tfType: string }): Uint8Array {
  return f.tfType === 'bool' ? bool : string;
}

/** Attributes the provider computes, beyond the registry's fields. */
export const COMPUTED_ATTRIBUTES: readonly { name: string; description: string; sensitive?: boolean }[] = [
  { name: 'id', description: 'The resource id: `<node>/<name>` (what `terraform import` takes).' },
  { name: 'connection_id', description: "The connection's id on its node." },
  { name: 'status', description: 'PENDING, ACTIVE, DEACTIVATED, ERROR, or what the node reports.' },
  {
    name: 'invitation_code',
    description:
      'The invitation code while the connection waits for a partner this configuration does not manage (a secret: sensitive, and stored in the state); always null for a Visual connection, which has no code.',
    sensitive: true,
  },
  {
    name: 'accepting_connection_id',
    description: 'The id of the accepting side on `remote_node`, once accepted.',
  },
  { name: 'accepting_status', description: 'The status of the accepting side on `remote_node`.' },
];

function attribute(f: FieldDef): AttributeInit {
  const hasDefault = f.default !== undefined;
  return {
    name: f.tf,
    type: tfType(f),
    description: f.doc,
    required: f.required,
    optional: !f.required,
    computed: hasDefault,
  };
}

/**
 * `rules` (a single object) and `triggers` (a list of objects) as nested attributes: their
 * optional fields can then be computed, so a direction of rules left out keeps what the node has
 * and a trigger's `active` and `notes` get their defaults.
 */
function nestedAttributes(): AttributeInit[] {
  const rules = CONNECTION_FIELDS.filter((f) => f.tf.startsWith('rules.'));
  const triggers = CONNECTION_FIELDS.find((f) => f.key === 'triggers') as FieldDef;
  return [
    {
      name: 'rules',
      description:
        'Groovy sync rules of the initiating side (Script mode). A direction left out is not managed.',
      optional: true,
      computed: true,
      nestedType: {
        nesting: pb.Schema_Object_NestingMode.SINGLE,
        attributes: rules.map((f) => ({
          name: f.tf.slice('rules.'.length),
          type: tfType(f),
          description: f.doc,
          optional: true,
          computed: true,
        })),
      },
    },
    {
      name: 'triggers',
      description: triggers.doc,
      optional: true,
      computed: true,
      nestedType: {
        nesting: pb.Schema_Object_NestingMode.LIST,
        attributes: TRIGGER_FIELDS.map((t) => ({
          name: t.tf,
          type: tfType(t),
          description: t.doc,
          required: t.required,
          optional: !t.required,
          computed: 'default' in t,
        })),
      },
    },
  ];
}

export function connectionBlock(): BlockInit {
  return {
    version: BigInt(STATE_VERSION),
    description: 'An Exalate connection, initiated on `node` and, with `remote_node`, accepted there too.',
    attributes: [
      ...CONNECTION_FIELDS.filter((f) => !f.tf.includes('.') && f.tf !== 'triggers').map(attribute),
      ...nestedAttributes(),
      ...COMPUTED_ATTRIBUTES.map((a) => ({
        name: a.name,
        type: string,
        description: a.description,
        computed: true,
        sensitive: a.sensitive === true,
      })),
    ],
  };
}

const TRIGGER_TYPE: CtyType = [
  'object',
  Object.fromEntries(TRIGGER_FIELDS.map((t) => [t.tf, t.tfType === 'bool' ? 'bool' : 'string'])),
];

/** The data source's attributes: the same names, all computed but the key. */
function connectionDataBlock(): BlockInit {
  const fields: AttributeInit[] = CONNECTION_FIELDS.filter((f) => !f.tf.includes('.')).map((f) => ({
    name: f.tf,
    type: f.key === 'triggers' ? encodeCtyType(['list', TRIGGER_TYPE]) : tfType(f),
    description: f.doc,
    required: f.change === 'key',
    computed: f.change !== 'key',
  }));
  return {
    description: 'One connection of a node, read by node and name.',
    attributes: [
      ...fields,
      {
        name: 'rules',
        type: encodeCtyType(['object', { outgoing: 'string', incoming: 'string' }]),
        description: 'The sync rules (Script mode), or null when the node does not report them.',
        computed: true,
      },
      ...COMPUTED_ATTRIBUTES.filter((a) => a.name !== 'invitation_code').map((a) => ({
        name: a.name,
        type: string,
        description: a.description,
        computed: true,
      })),
    ],
  };
}

export const CONNECTION_SUMMARY_TYPE: CtyType = [
  'object',
  {
    name: 'string',
    connection_id: 'string',
    status: 'string',
    mode: 'string',
    private: 'bool',
    remote_url: 'string',
    role: 'string',
    owner: 'string',
  },
];

function connectionsDataBlock(): BlockInit {
  return {
    description: 'Every connection of a node (what the node reports; unreported fields are null).',
    attributes: [
      { name: 'node', type: string, description: 'The node to list.', required: true },
      { name: 'id', type: string, description: 'The node name.', computed: true },
      {
        name: 'connections',
        type: encodeCtyType(['list', CONNECTION_SUMMARY_TYPE]),
        description: 'The connections, by name.',
        computed: true,
      },
    ],
  };
}

export function providerBlock(): BlockInit {
  return {
    description: 'The Exalate nodes this provider talks to.',
    attributes: [
      {
        name: 'owner',
        type: string,
        description:
          'Recorded on every connection this configuration creates (the description marker the CLI writes too): another owner\'s connections are never changed or deleted. Default "exalate-iac".',
        optional: true,
      },
    ],
    blockTypes: [
      {
        typeName: 'node',
        nesting: pb.Schema_NestedBlock_NestingMode.LIST,
        minItems: 1n,
        block: {
          description: 'One Exalate node.',
          attributes: [
            { name: 'name', type: string, description: 'The name connections refer to.', required: true },
            {
              name: 'url',
              type: string,
              description:
                "The node's URL; `${VAR}` references are expanded from the provider's environment.",
              required: true,
            },
            {
              name: 'platform',
              type: string,
              description: 'The tracker the node serves (jira-cloud, freshservice…).',
              required: true,
            },
            {
              name: 'token_env',
              type: string,
              description:
                'The environment variable holding the node credential (never the credential itself).',
              optional: true,
            },
            {
              name: 'token',
              type: string,
              description:
                'The node credential, for plain HCL with a sensitive variable; never stored in the state.',
              optional: true,
              sensitive: true,
            },
            {
              name: 'user_env',
              type: string,
              description:
                'The environment variable holding the user, for nodes that take a user and password.',
              optional: true,
            },
            {
              name: 'rate_limit',
              type: number,
              description: 'Requests per second the provider allows itself towards this node (default 20).',
              optional: true,
            },
          ],
        },
      },
    ],
  };
}

export function providerSchema(): pb.GetProviderSchema_Response {
  return create(pb.GetProviderSchema_ResponseSchema, {
    provider: { version: 0n, block: providerBlock() },
    resourceSchemas: { [CONNECTION_RESOURCE]: { version: BigInt(STATE_VERSION), block: connectionBlock() } },
    dataSourceSchemas: {
      [CONNECTION_DATA]: { version: 0n, block: connectionDataBlock() },
      [CONNECTIONS_DATA]: { version: 0n, block: connectionsDataBlock() },
    },
    serverCapabilities: { planDestroy: true, getProviderSchemaOptional: false },
  });
}

/** GetMetadata's answer: the provider's resource and data source types. */
export function providerMetadata(): pb.GetMetadata_Response {
  return create(pb.GetMetadata_ResponseSchema, {
    serverCapabilities: { planDestroy: true, getProviderSchemaOptional: false },
    resources: [{ typeName: CONNECTION_RESOURCE }],
    dataSources: [{ typeName: CONNECTION_DATA }, { typeName: CONNECTIONS_DATA }],
  });
}
