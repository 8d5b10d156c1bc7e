import type { NodeApi } from '../client/types';
import type { DesiredNode, DesiredState, SourceLocation } from '../model/connection';
import type { Platform } from '../model/platforms';

/** A declared node with its URL expanded and its token read from the environment. */
export interface ResolvedNode {
  name: string;
  url: string;
  platform: Platform;
  token: string;
  /** Plain http:// to a non-loopback host, allowed only by EXALATE_ALLOW_INSECURE_HTTP=1. */
  allowInsecureHttp?: boolean;
}

export type ClientFactory = (node: ResolvedNode) => NodeApi;

/** A problem with the environment a config needs (missing variable), pointing at the file. */
export class EnvironmentError extends Error {
  constructor(
    message: string,
    readonly location: SourceLocation,
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

/** Expand `${VAR}` references from `env`; unset or empty variables are an error. */
export function expand(
  value: string,
  env: NodeJS.ProcessEnv,
  where: string,
  location: SourceLocation,
): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') {
      throw new EnvironmentError(`environment variable ${name} (${where}) is not set`, location);
    }
    return v;
  });
}

export function resolveNode(node: DesiredNode, env: NodeJS.ProcessEnv): ResolvedNode {
  const url = expand(node.url, env, `nodes.${node.name}.url`, node.location);
  const token = env[node.tokenEnv];
  if (token === undefined || token === '') {
    throw new EnvironmentError(
      `environment variable ${node.tokenEnv} (nodes.${node.name}.token) is not set`,
      node.location,
    );
  }
  return {
    name: node.name,
    url: url.replace(/\/+$/, ''),
    platform: node.platform,
    token,
    ...(env.EXALATE_ALLOW_INSECURE_HTTP === '1' ? { allowInsecureHttp: true } : {}),
  };
}

/** Every declared node resolved; all missing variables reported at once. */
export function resolveNodes(state: DesiredState, env: NodeJS.ProcessEnv): Map<string, ResolvedNode> {
  const resolved = new Map<string, ResolvedNode>();
  const errors: EnvironmentError[] = [];
  for (const node of state.nodes.values()) {
    try {
      resolved.set(node.name, resolveNode(node, env));
    } catch (error) {
      if (error instanceof EnvironmentError) errors.push(error);
      else throw error;
    }
  }
  // Remote URLs are expanded at plan time: check their references now, with the nodes'.
  for (const c of state.connections) {
    if (c.remote?.url === undefined) continue;
    try {
      expand(c.remote.url, env, `connection ${c.name}: remote.url`, c.remoteUrlLocation ?? c.location);
    } catch (error) {
      if (error instanceof EnvironmentError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length > 0) throw new AggregateEnvironmentError(errors);
  return resolved;
}

export class AggregateEnvironmentError extends Error {
  constructor(readonly errors: EnvironmentError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'AggregateEnvironmentError';
  }
}
