import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator } from '../emulator/server';
import { NodeClient } from '../provider/api/client';
import type { Connection } from '../provider/api/types';
import { mapLimit } from '../provider/util/concurrency';
import { readLive } from '../provider/engine/live';
import { BenchResult, measure } from './measure';

const TOKEN = 'bench-token';

async function seed(client: NodeClient, count: number): Promise<void> {
  await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const { connection } = await client.createConnection({
        name: `bench-${i}`,
        description: `connection ${i}`,
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'SCRIPT',
        communication: { type: 'PRIVATE' },
      });
      const c = await client.putRules(
        connection.id,
        { outgoing: `// out ${i}\n`, incoming: `// in ${i}\n` },
        connection.version,
      );
      await client.putTriggers(
        c.id,
        [{ entityType: 'ticket', query: `priority:${i % 5}`, active: true, notes: '' }],
        c.version,
      );
    },
  );
}

/** The naive way: list, then read rules and triggers of every connection (O(connections) requests). */
async function naiveRead(client: NodeClient): Promise<Connection[]> {
  const list: Connection[] = [];
  for await (const c of client.listConnections()) list.push(c);
  return mapLimit(list, 4, async (c) => ({
    ...c,
    rules: await client.getRules(c.id),
    triggers: await client.getTriggers(c.id),
  }));
}

/**
 * Reading a node for a plan: one request per page (rules and triggers embedded) against the
 * naive per-connection reads, on the emulator over loopback, without and with injected latency.
 */
export async function benchPlan(count = 1000, runs = 5): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const latencyMs of [0, 5]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-plan-'));
    const emulator = await startEmulator({ dataDir: dir, token: TOKEN, port: 0, latencyMs, rateLimit: 0 });
    const client = new NodeClient({
      url: emulator.nodeUrl('acme-freshservice'),
      token: TOKEN,
      rateLimit: false,
    });
    try {
      await seed(client, count);
      const where = `${count} connections, ${latencyMs} ms latency per request`;
      results.push(
        await measure(
          `plan read: list with embedded rules and triggers (pages of 100), ${where}`,
          runs,
          async () => {
            const live = await readLive(new Map([['n', client]]));
            if (live.get('n')?.connections.length !== count) throw new Error('wrong count');
          },
        ),
      );
      results.push(
        await measure(
          `naive baseline: list + GET rules + GET triggers per connection (parallelism 4), ${where}`,
          runs,
          async () => {
            if ((await naiveRead(client)).length !== count) throw new Error('wrong count');
          },
        ),
      );
    } finally {
      await client.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}
