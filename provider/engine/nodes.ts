import type { NodeApi } from '../api/types';
import type { DesiredNode, DesiredState, SourceLocation } from '../model/connection';
import { errors } from '../model/errors';
import { MIN_SECRET_LENGTH } from '../model/limits';
import type { Platform } from '../model/platforms';

/** The environment as the door passes it in: the engine never reads `process.env` itself. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A declared node with its URL expanded and its credentials read from the environment. */
export interface ResolvedNode {
  name: string;
  url: string;
  platform: Platform;
  token: string;
  /** The user sent with the token, for nodes that take one (ServiceNow); "" otherwise. */
  user: string;
  /** Plain http:// to a non-loopback host, allowed only by EXALATE_ALLOW_INSECURE_HTTP=1. */
  allowInsecureHttp?: boolean;
  /** Requests per second the client allows itself towards this node. */
  rateLimit?: number;
}

export type ClientFactory = (node: ResolvedNode) => NodeApi;

type Problem = { message: string; location: SourceLocation };

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Expand `${VAR}` references from `env`; unset or empty variables are problems. */
export function expand(
  value: string,
  env: Env,
  where: string,
  location: SourceLocation,
  problems: Problem[],
): string {
  return value.replace(REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') {
      problems.push({ message: `environment variable ${name} (${where}) is not set`, location });
      return '';
    }
    return v;
  });
}

function resolveNode(node: DesiredNode, env: Env, problems: Problem[]): ResolvedNode {
  const url = expand(node.url, env, `nodes.${node.name}.url`, node.location, problems);
  const secret = (variable: string, key: string): string => {
    const v = env[variable];
    if (v === undefined || v === '')
      problems.push({
        message: `environment variable ${variable} (nodes.${node.name}.${key}) is not set`,
        location: node.location,
      });
    return v ?? '';
  };
  const token = secret(node.tokenEnv, 'token');
  if (token !== '' && token.length < MIN_SECRET_LENGTH)
    problems.push({
      message: `environment variable ${node.tokenEnv} (nodes.${node.name}.token) holds ${token.length} character${token.length === 1 ? '' : 's'}: a token has at least ${MIN_SECRET_LENGTH} (one this short could not be kept out of messages)`,
      location: node.location,
    });
  const user = node.userEnv !== undefined ? secret(node.userEnv, 'user') : '';
  return {
    name: node.name,
    url: url.replace(/\/+$/, ''),
    platform: node.platform,
    token,
    user,
    ...(env.EXALATE_ALLOW_INSECURE_HTTP === '1' ? { allowInsecureHttp: true } : {}),
    ...(node.rateLimit !== undefined ? { rateLimit: node.rateLimit } : {}),
  };
}

/**
 * Every declared node resolved, and every `remote.url` reference checked; all missing
 * variables (and tokens too short to be real) reported at once (an `ENV_UNSET` error), before
 * any call is made.
 */
export function resolveNodes(state: DesiredState, env: Env): Map<string, ResolvedNode> {
  const problems: Problem[] = [];
  const resolved = new Map<string, ResolvedNode>();
  for (const node of state.nodes.values()) resolved.set(node.name, resolveNode(node, env, problems));
  for (const c of state.connections) {
    if (c.remote?.url !== undefined)
      expand(
        c.remote.url,
        env,
        `connection ${c.name}: remote.url`,
        c.remoteUrlLocation ?? c.location,
        problems,
      );
  }
  if (problems.length > 0) throw errors.envUnset(problems);
  return resolved;
}

/** The URL a public connection points at: `remote.url` expanded, or the declared remote node's URL. */
export function remoteUrlOf(
  c: {
    type: string;
    node: string;
    remote?: { node?: string; url?: string };
    location: SourceLocation;
    name: string;
  },
  resolved: ReadonlyMap<string, ResolvedNode>,
  env: Env,
): string | undefined {
  if (c.type !== 'public' || !c.remote) return undefined;
  if (c.remote.node !== undefined) return resolved.get(c.remote.node)?.url;
  if (c.remote.url !== undefined) {
    const problems: Problem[] = [];
    const url = expand(c.remote.url, env, `${c.name}.remote.url`, c.location, problems);
    if (problems.length > 0) throw errors.envUnset(problems);
    return url;
  }
  return undefined;
}
