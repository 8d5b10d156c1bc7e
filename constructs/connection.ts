import type { Construct } from 'constructs';
import { connectionType } from '../provider/model/connection';
import { CONNECTION_FIELDS, TRIGGER_FIELDS } from '../provider/model/fields';
import type { Connection as FileConnection } from '../provider/model/file-format.generated';
import type { ConnectionType } from '../provider/model/platforms';
import { partnerReason, RULES_EDITABLE, unavailableReason } from '../provider/model/platforms';
import { TerraformOutput, TerraformResource } from './cdktf';
import { githubOutputName } from '../provider/model/output-names';
import { ExalateProvider, literal } from './provider';

export interface ExalateTriggerProps {
  /** The kind of item the query selects (ticket, issue, incident…). */
  readonly entityType: string;
  /** The query in the platform's language. */
  readonly query: string;
  /** @default true */
  readonly active?: boolean;
  /** @default "" */
  readonly notes?: string;
}

/**
 * The fields of a connection: the YAML format's own (generated from its JSON Schema, with its
 * descriptions), except that `rules` holds the script text rather than file names.
 * @see https://docs.exalate.com/docs/configuration-modes
 */
export type ExalateConnectionProps = Omit<FileConnection, 'rules' | 'triggers'> & {
  /** The provider holding the nodes. */
  readonly provider: ExalateProvider;
  /** Groovy sync rules (script text), Script mode only. */
  readonly rules?: { readonly outgoing?: string; readonly incoming?: string };
  /** @default [] */
  readonly triggers?: readonly ExalateTriggerProps[];
};

const BRAND = Symbol.for('exalate-iac.ExalateConnection');

function valueAt(props: object, key: string): unknown {
  let v: unknown = props;
  for (const part of key.split('.'))
    v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[part];
  return v;
}

/** Strings are passed to Terraform as written (template syntax escaped). */
function asTerraform(v: unknown): unknown {
  return typeof v === 'string' ? literal(v) : v;
}

/**
 * The `exalate_connection` attributes of a connection's props, named and defaulted by the field
 * registry (the same names the Terraform provider's schema has).
 */
export function terraformAttributes(props: ExalateConnectionProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of CONNECTION_FIELDS) {
    let v = valueAt(props, f.key);
    if (v === undefined && f.default !== undefined) v = f.default;
    if (f.key === 'triggers') {
      v = ((v as readonly ExalateTriggerProps[] | undefined) ?? []).map((t) => {
        const trigger: Record<string, unknown> = {};
        for (const tf of TRIGGER_FIELDS) {
          const tv = (t as unknown as Record<string, unknown>)[tf.key];
          trigger[tf.tf] = asTerraform(tv === undefined && 'default' in tf ? tf.default : tv);
        }
        return trigger;
      });
    } else {
      v = asTerraform(v);
    }
    const [block, attr] = f.tf.split('.') as [string, string | undefined];
    if (attr === undefined) out[block] = v;
    else if (v !== undefined)
      out[block] = { ...((out[block] as Record<string, unknown> | undefined) ?? {}), [attr]: v };
  }
  return out;
}

/** One Exalate connection: the `exalate_connection` resource of the exalate provider. */
export class ExalateConnection extends TerraformResource {
  static readonly tfResourceType = 'exalate_connection';

  static isExalateConnection(x: unknown): x is ExalateConnection {
    return x !== null && typeof x === 'object' && BRAND in x;
  }

  readonly props: ExalateConnectionProps;
  readonly connectionType: ConnectionType;

  constructor(scope: Construct, id: string, props: ExalateConnectionProps) {
    super(scope, id, {
      terraformResourceType: ExalateConnection.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'exalate' },
      provider: props.provider,
      ...(props.protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    Object.defineProperty(this, BRAND, { value: true });
    const where = `ExalateConnection '${id}'`;
    for (const key of ['name', 'node', 'localShortName', 'remoteShortName'] as const) {
      if (props[key].trim() === '') throw new Error(`${where}: props.${key} must not be empty`);
    }
    if (props.remote?.url !== undefined && props.remote.node !== undefined) {
      throw new Error(`${where}: props.remote takes url or node, not both`);
    }
    if (props.private && props.remote?.url !== undefined) {
      throw new Error(`${where}: a private connection has no remote.url`);
    }
    if (!props.private && !props.remote) {
      throw new Error(
        `${where}: a public connection needs props.remote (url or node); set private: true otherwise`,
      );
    }
    if (props.rules && !RULES_EDITABLE[props.mode]) {
      throw new Error(
        `${where}: sync rules cannot be edited in mode '${props.mode}': props.rules is for mode 'script'`,
      );
    }
    this.props = props;
    this.connectionType = connectionType(props);
    // Checks that need the whole tree (the provider's nodes) run at synth time.
    this.node.addValidation({ validate: () => this.validateNodes() });
  }

  private validateNodes(): string[] {
    const errors: string[] = [];
    const nodes = this.props.provider.nodes;
    const node = nodes[this.props.node];
    if (!node) {
      return [
        `node '${this.props.node}' is not declared on the provider (declared: ${Object.keys(nodes).join(', ')})`,
      ];
    }
    const reason = unavailableReason(node.platform, this.props.mode, this.connectionType);
    if (reason) errors.push(reason);
    const partner = reason
      ? undefined
      : partnerReason(this.props.mode, this.connectionType, this.props.remote?.node !== undefined);
    if (partner) errors.push(partner);
    const remote = this.props.remote?.node;
    if (remote !== undefined && !nodes[remote])
      errors.push(`remote node '${remote}' is not declared on the provider`);
    return errors;
  }

  /** The invitation code while the partner has not accepted (sensitive). */
  get invitationCode(): string {
    return this.getStringAttribute('invitation_code');
  }

  /** PENDING, ACTIVE, DEACTIVATED or ERROR. */
  get status(): string {
    return this.getStringAttribute('status');
  }

  /** The connection's id on its node. */
  get connectionId(): string {
    return this.getStringAttribute('connection_id');
  }

  /**
   * A sensitive Terraform output holding the invitation code (`cdktf deploy --outputs-file` masks
   * it), named like the CLI's GitHub output: `invitation_code_<node>_<connection>`.
   */
  addInvitationOutput(name = githubOutputName(this.props.node, this.props.name)): TerraformOutput {
    const scope = this.node.scope ?? this;
    // Names that sanitise alike get a numbered output each rather than a clash.
    const base = name;
    for (let n = 2; scope.node.tryFindChild(name); n++) name = `${base}_${n}`;
    const output = new TerraformOutput(scope, name, {
      value: this.invitationCode,
      sensitive: true,
      description: `Invitation code of ${this.props.node}/${this.props.name}, for the partner to accept`,
    });
    output.overrideLogicalId(name);
    return output;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return terraformAttributes(this.props);
  }
}
