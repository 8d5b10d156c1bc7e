import type { Construct } from 'constructs';
import type { Platform } from '../provider/model/platforms';
import * as path from 'node:path';
import { TerraformProvider, TerraformStack } from './cdktf';
import {
  DEFAULT_MIRROR_DIR,
  mirrorPath,
  PROVIDER_SOURCE,
  PROVIDER_TYPE,
} from '../provider/model/distribution';
import { installExecutable } from '../provider/util/mirror';
import { packageRoot, packageVersion } from '../provider/util/paths';

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
  /** Name of the environment variable holding the user, for nodes that take a user and password. */
  readonly userEnv?: string;
  /** Requests per second the provider allows itself towards this node. */
  readonly rateLimit?: number;
}

export interface ExalateProviderProps {
  /** The nodes, by the names connections refer to. */
  readonly nodes: Readonly<Record<string, ExalateNodeConfig>>;
  /**
   * Provider alias, for several configurations in one stack.
   * @default no alias
   */
  readonly alias?: string;
  /**
   * Lay the provider out as a filesystem mirror (`terraform.d/plugins/…`) in the stack's folder
   * when the stack is synthesized, so `terraform init` (and `cdktf deploy --skip-provider-lock`)
   * finds it with no install step.
   * @default true
   */
  readonly installMirror?: boolean;
  /**
   * Recorded on every connection this stack creates; another owner's connections are never
   * changed or deleted.
   * @default "exalate-iac"
   */
  readonly owner?: string;
}

const MIRRORED = Symbol.for('exalate-iac.mirror-installed');

/**
 * After the stack's own synthesis, copy the bundled provider into `<stack folder>/terraform.d/plugins`
 * (the implied local mirror of the directory cdktf runs terraform in). Once per stack.
 */
function layOutMirrorAtSynth(provider: ExalateProvider): void {
  const stack = TerraformStack.of(provider) as TerraformStack & { [MIRRORED]?: true };
  if (stack[MIRRORED]) return;
  stack[MIRRORED] = true;
  const inner = stack.synthesizer;
  stack.synthesizer = {
    synthesize(session) {
      inner.synthesize(session);
      const workingDirectory = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
      const executable = path.join(packageRoot(), 'dist', 'terraform-provider-exalate.js');
      installExecutable(
        path.join(workingDirectory, DEFAULT_MIRROR_DIR),
        mirrorPath(packageVersion(), process.platform, process.arch),
        executable,
      );
    },
  };
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
  readonly owner?: string;

  constructor(scope: Construct, id: string, props: ExalateProviderProps) {
    super(scope, id, {
      terraformResourceType: ExalateProvider.tfResourceType,
      terraformGeneratorMetadata: { providerName: PROVIDER_TYPE, providerVersion: packageVersion() },
      terraformProviderSource: PROVIDER_SOURCE,
    });
    Object.defineProperty(this, BRAND, { value: true });
    if (props.installMirror ?? true) layOutMirrorAtSynth(this);
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
    this.owner = props.owner;
    if (props.alias !== undefined) this.alias = props.alias;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      owner: this.owner,
      // A list of blocks, not a map: CDKTF would rewrite map keys such as `acme-jira` to snake case.
      node: Object.entries(this.nodes).map(([name, n]) => ({
        name,
        url: literal(n.url),
        platform: n.platform,
        token_env: n.tokenEnv,
        user_env: n.userEnv,
        rate_limit: n.rateLimit,
      })),
    };
  }
}
