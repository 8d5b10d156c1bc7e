/**
 * A workspace: a loaded, valid configuration with a client per declared node — what every
 * command that talks to nodes starts from. Returns values and throws coded `IacError`s; never
 * prints, never exits.
 */
import type { NodeApi } from '../api/types';
import { loadConfig } from '../config/load';
import type { DesiredState } from '../model/connection';
import { errors, type Finding } from '../model/errors';
import { readLive, type LiveState, type ReadOptions } from './live';
import { resolveNodes, type ClientFactory, type Env, type ResolvedNode } from './nodes';
import { computePlan, type Plan, type PlanOptions } from './plan';

export interface EngineContext {
  env: Env;
  /** Folder relative paths are resolved against. */
  cwd: string;
  clientFactory: ClientFactory;
}

export interface Workspace {
  state: DesiredState;
  /** Warnings found in the configuration (errors stop the load). */
  warnings: Finding[];
  resolved: Map<string, ResolvedNode>;
  clients: Map<string, NodeApi>;
  close(): Promise<void>;
}

async function closeAll(clients: Iterable<NodeApi>): Promise<void> {
  await Promise.all([...clients].map((c) => c.close()));
}

/**
 * Load and check the config (no call is made when it is invalid or a variable is missing),
 * then open a client per node. Errors: CONFIG_INVALID, ENV_UNSET, NODE_FAILED (a URL the client
 * refuses).
 */
export async function openWorkspace(file: string, ctx: EngineContext): Promise<Workspace> {
  const loaded = await loadConfig(file, { cwd: ctx.cwd });
  if (!loaded.state) throw errors.configInvalid(file, loaded.findings);
  const state = loaded.state;
  const resolved = resolveNodes(state, ctx.env);
  const clients = new Map<string, NodeApi>();
  for (const [name, node] of resolved) {
    try {
      clients.set(name, ctx.clientFactory(node));
    } catch (error) {
      await closeAll(clients.values());
      throw errors.nodeFailed(name, error);
    }
  }
  return {
    state,
    warnings: loaded.findings,
    resolved,
    clients,
    close: () => closeAll(clients.values()),
  };
}

/** Read every node and compute the plan. */
export async function planWorkspace(
  ws: Workspace,
  options: PlanOptions,
  env: Env,
  read: ReadOptions = {},
): Promise<{ plan: Plan; live: LiveState }> {
  const live = await readLive(ws.clients, read);
  return { plan: computePlan({ state: ws.state, live, resolved: ws.resolved, env, options }), live };
}
