import type { Construct } from 'constructs';
import type { Platform } from '../provider/model/platforms';
import { TerraformProvider } from './cdktf';

/** One Exalate node the provider talks to. */
export interface ExalateNodeConfig {
  /**
   * The node's URL. `${VAR}` references are kept as they are and expanded by the provider from its
   * environment, as the CLI does, so nothing environment-specific lands in the synthesized JSON.
   * @see https://docs.exalate.com/docs/exalate-console-glossary
   */
  readonly url: string;
  /** The tracker the node serves; decides the configuration modes available. */
  readonly platform: Platform;
  /**
   * Name of the environment variable holding the node's API token. The token itself never
   * appears in the configuration, the plan or the state.
   */
  readonly tokenEnv: string;
}

export interface ExalateProviderProps {
  /** The nodes, by the names connections refer to. */
  readonly nodes: Readonly<Record<string, ExalateNodeConfig>>;
  /**
   * Provider alias, for several configurations in one stack.
   * @default no alias
   */
  readonly alias?: string;
}

const BRAND = Symbol.for('exalate-iac.ExalateProvider');

/**
 * Terraform reads `${` and `%{` in strings as template syntax: double their first character so
 * the provider receives the text as written (a `${VAR}` it expands itself, Groovy rules).
 */
export function literal(value: string): string {
  return value.replace(/([$%])\{/g, (_m, c: string) => `${c}${c}{`);
}

/** The `exalate` Terraform provider, configured with the nodes it may talk to. */
export class ExalateProvider extends TerraformProvider {
  static readonly tfResourceType = 'exalate';

  static isExalateProvider(x: unknown): x is ExalateProvider {
    return x !== null && typeof x === 'object' && BRAND in x;
  }

  readonly nodes: Readonly<Record<string, ExalateNodeConfig>>;

  constructor(scope: Construct, id: string, props: ExalateProviderProps) {
    super(scope, id, {
      terraformResourceType: ExalateProvider.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'exalate' },
      terraformProviderSource: 'exalate-iac/exalate',
    });
    Object.defineProperty(this, BRAND, { value: true });
    if (Object.keys(props.nodes).length === 0) {
      throw new Error(`ExalateProvider '${id}': props.nodes must declare at least one node`);
    }
    for (const [name, node] of Object.entries(props.nodes)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(node.tokenEnv)) {
        throw new Error(
          `ExalateProvider '${id}': nodes.${name}.tokenEnv must be an environment variable name, got a value that is not (a literal token?)`,
        );
      }
    }
    this.nodes = props.nodes;
    if (props.alias !== undefined) this.alias = props.alias;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      // A list of blocks, not a map: CDKTF would rewrite map keys such as `acme-jira` to snake case.
      node: Object.entries(this.nodes).map(([name, n]) => ({
        name,
        url: literal(n.url),
        platform: n.platform,
        token_env: n.tokenEnv,
      })),
    };
  }
}
