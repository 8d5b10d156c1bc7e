import type { NodeApi } from '../client/types';
import { loadConfig } from '../config/load';
import type { DesiredState } from '../model/connection';
import { ExitError } from '../cli/errors';
import type { Io } from '../cli/io';
import { reportFindings } from '../cli/report';
import {
  AggregateEnvironmentError,
  ClientFactory,
  EnvironmentError,
  resolveNodes,
  ResolvedNode,
} from './nodes';
import { defaultClientFactory } from './clients';

/** A loaded, valid config with a client per declared node. */
export interface Session {
  state: DesiredState;
  resolved: Map<string, ResolvedNode>;
  clients: Map<string, NodeApi>;
  close(): Promise<void>;
}

/** Print config findings the way `validate` does; true when there were errors. */
export function reportEnvironment(io: Io, error: unknown): never {
  const errors =
    error instanceof AggregateEnvironmentError
      ? error.errors
      : error instanceof EnvironmentError
        ? [error]
        : undefined;
  if (!errors) throw error;
  for (const e of errors)
    io.err(`${e.location.file}:${e.location.line}:${e.location.col}: error: ${e.message}\n`);
  throw new ExitError(1);
}

/** A client per node; a URL the client refuses (plain http to a remote host…) is one line, exit 1. */
export function clientsFor(
  resolved: Map<string, ResolvedNode>,
  factory: ClientFactory,
  io: Io,
): Map<string, NodeApi> {
  const clients = new Map<string, NodeApi>();
  for (const [name, node] of resolved) {
    try {
      clients.set(name, factory(node));
    } catch (error) {
      void Promise.all([...clients.values()].map((c) => c.close()));
      io.err(`exalate-iac: node '${name}': ${error instanceof Error ? error.message : String(error)}\n`);
      throw new ExitError(1);
    }
  }
  return clients;
}

/** Load and check the config (no API call when it is invalid), then open a client per node. */
export async function openSession(
  file: string,
  io: Io,
  factory: ClientFactory = defaultClientFactory,
): Promise<Session> {
  const loaded = await loadConfig(file, { cwd: io.cwd });
  if (reportFindings(io, loaded.findings) || !loaded.state) throw new ExitError(1);
  const state = loaded.state;
  let resolved: Map<string, ResolvedNode>;
  try {
    resolved = resolveNodes(state, io.env);
  } catch (error) {
    reportEnvironment(io, error);
  }
  const clients = clientsFor(resolved, factory, io);
  return {
    state,
    resolved,
    clients,
    close: async () => {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
