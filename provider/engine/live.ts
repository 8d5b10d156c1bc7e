/** Reading the nodes: every connection of every node, in as few requests as the node allows. */
import { createHash } from 'node:crypto';
import type { Connection, NodeApi } from '../api/types';
import { IacError, errors } from '../model/errors';
import { mapLimit } from '../util/concurrency';

/** Everything the planner reads from one node. */
export interface LiveNode {
  connections: Connection[];
  byName: Map<string, Connection>;
}

export type LiveState = Map<string, LiveNode>;

export interface ReadOptions {
  /**
   * Nodes read at once: they are different hosts, so all of them by default, up to this cap.
   * @default 16
   */
  parallelism?: number;
  /** Called as each node finishes (progress). */
  onNode?: (node: string, connections: number) => void;
}

export function liveNode(connections: Connection[]): LiveNode {
  return { connections, byName: new Map(connections.map((c) => [c.name, c])) };
}

function isCode(error: unknown, code: string): boolean {
  return IacError.is(error) && error.code === code;
}

/** One node's connections, rules and triggers embedded (or read one by one from a node that ignores `expand`). */
export async function readNode(client: NodeApi, parallelism = 4): Promise<Connection[]> {
  const connections: Connection[] = [];
  for await (const c of client.listConnections({ expand: ['rules', 'triggers'] })) connections.push(c);
  const bare = connections.filter(
    (c) => c.triggers === undefined || (c.rules === undefined && c.configurationType === 'SCRIPT'),
  );
  await mapLimit(bare, parallelism, async (c) => {
    try {
      if (c.triggers === undefined) c.triggers = await client.getTriggers(c.id);
      if (c.rules === undefined && c.configurationType === 'SCRIPT') c.rules = await client.getRules(c.id);
    } catch (error) {
      // A node without these (modeled) endpoints: the values stay unknown, never "different".
      if (!isCode(error, 'EXALATE_NOT_FOUND') && !isCode(error, 'EXALATE_CONFLICT')) throw error;
    }
  });
  return connections;
}

/** One connection read by id, with its rules and triggers when the node has them (unknown otherwise). */
export async function readConnection(client: NodeApi, id: number): Promise<Connection> {
  const c = await client.getConnection(id);
  const optional = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (isCode(error, 'EXALATE_NOT_FOUND') || isCode(error, 'EXALATE_CONFLICT')) return undefined;
      throw error;
    }
  };
  const [triggers, rules] = await Promise.all([
    c.triggers ? c.triggers : optional(() => client.getTriggers(id)),
    c.rules || c.configurationType !== 'SCRIPT' ? c.rules : optional(() => client.getRules(id)),
  ]);
  return { ...c, ...(triggers ? { triggers } : {}), ...(rules ? { rules } : {}) };
}

/** Every node's connections; a node that fails is a `NODE_FAILED` error naming it. */
export async function readLive(
  clients: ReadonlyMap<string, NodeApi>,
  options: ReadOptions = {},
): Promise<LiveState> {
  const names = [...clients.keys()];
  const lists = await mapLimit(names, options.parallelism ?? 16, async (name) => {
    try {
      const connections = await readNode(clients.get(name) as NodeApi);
      options.onNode?.(name, connections.length);
      return connections;
    } catch (error) {
      throw errors.nodeFailed(name, error);
    }
  });
  const live: LiveState = new Map();
  names.forEach((name, i) => live.set(name, liveNode(lists[i] as Connection[])));
  return live;
}

/** A digest of what a plan was computed from on one node: any change on the node changes it. */
export function fingerprint(node: LiveNode): string {
  const rows = node.connections
    .map((c) =>
      JSON.stringify([
        c.id,
        c.name,
        c.version ?? null,
        c.status,
        c.description ?? null,
        c.rules ?? null,
        c.triggers ?? null,
      ]),
    )
    .sort()
    .join('\n');
  return createHash('sha256').update(rows).digest('hex').slice(0, 32);
}
