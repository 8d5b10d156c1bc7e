/**
 * A whole `plan` (and `drift`) as a process against emulated nodes with latency, next to its floor;
 * the read alone next to the network's floor; and the naive reader (one request per connection,
 * sequential) for comparison.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { startEmulator, type Emulator } from '../emulator/server';
import { NodeClient } from '../provider/api/client';
import { readLive } from '../provider/engine/live';
import { desiredState, nodeEnv, nodeName, seedEmulator, TOKEN, writeConfig } from './fixtures';
import { phasesOfProfile, profileIn, runCli, sample, sampleCli, stats, topOfProfile } from './measure';
import { growth, type Growth, type Row } from './report';

export interface PlanOptions {
  sizes: number[];
  nodes: number;
  latencyMs: number;
  runs: number;
  /** Connections the naive reader reads (0: not run). */
  naiveSize: number;
  /** Node's own start-up (ms), measured by the start-up group, for the floor. */
  nodeStartMs: number;
}

const PAGE = 100;
const PAGE_CONCURRENCY = 8;

interface Setup {
  dir: string;
  file: string;
  emulator: Emulator;
  env: Record<string, string>;
  close(): Promise<void>;
}

async function setup(size: number, o: PlanOptions): Promise<Setup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-plan-'));
  const file = writeConfig(dir, size, o.nodes);
  const dataDir = path.join(dir, 'emulator');
  // Every 100th connection edited by hand: the plan has updates, drift has something to report.
  const platforms = seedEmulator(dataDir, desiredState(file), { driftEvery: 100 });
  const emulator = await startEmulator({ dataDir, token: TOKEN, nodes: platforms, latencyMs: o.latencyMs });
  return {
    dir,
    file,
    emulator,
    env: nodeEnv(o.nodes, (n) => emulator.nodeUrl(n)),
    async close() {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function clients(s: Setup, nodes: number): Map<string, NodeClient> {
  return new Map(
    Array.from({ length: nodes }, (_, i) => [
      nodeName(i),
      new NodeClient({ url: s.emulator.nodeUrl(nodeName(i)), token: TOKEN, rateLimit: false }),
    ]),
  );
}

async function closeAll(map: Map<string, NodeClient>): Promise<void> {
  await Promise.all([...map.values()].map((c) => c.close()));
}

/** The naive reader: every node in turn, its list, then one request per connection, one at a time. */
async function naiveRead(map: Map<string, NodeClient>): Promise<number> {
  let read = 0;
  for (const client of map.values()) {
    const ids: number[] = [];
    for await (const c of client.listConnections()) ids.push(c.id);
    for (const id of ids) {
      await client.getConnection(id);
      read++;
    }
  }
  return read;
}

/**
 * The phases of one profiled `plan` (inclusive CPU time; the read is asynchronous, so it shows as
 * its parts: `send`, `parsePage`, and idle time waiting for the network).
 */
const PHASES = [
  'Module._load',
  'loadConfigSync',
  'fastParse',
  'checkSchema',
  'checkSemantics',
  'buildState',
  'send',
  'parsePage',
  'computePlan',
  'diffConnection',
  'fingerprint',
  'renderText',
  '(garbage collector)',
  '(idle)',
];

async function phases(s: Setup): Promise<ReturnType<typeof phasesOfProfile>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-prof-'));
  try {
    await runCli(['plan', '--file', path.basename(s.file)], { cwd: s.dir, env: s.env, profileDir: dir });
    return phasesOfProfile(profileIn(dir), PHASES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPlan(o: PlanOptions): Promise<{ rows: Row[]; growth: Growth[] }> {
  const rows: Row[] = [];
  const planPoints: Growth['points'] = [];
  const largest = Math.max(...o.sizes);
  const where = `${o.nodes} nodes, ${o.latencyMs} ms per request`;
  for (const size of o.sizes) {
    const s = await setup(size, o);
    try {
      const parse = await sample(3, () => void load(readFileSync(s.file, 'utf8')));
      const pagesPerNode = Math.max(1, Math.ceil(size / o.nodes / PAGE));
      const networkFloor = o.latencyMs * (2 + Math.ceil((pagesPerNode - 1) / PAGE_CONCURRENCY));
      const floor = {
        ms: o.nodeStartMs + parse.medianMs + networkFloor,
        label: 'floor: Node start-up + js-yaml load + network',
      };
      s.emulator.clearRequests();
      const plan = await sampleCli(o.runs, ['plan', '--file', path.basename(s.file)], {
        cwd: s.dir,
        env: s.env,
        expect: (r) => r.code === 0,
      });
      const requests = s.emulator.requests.length / (o.runs + 1);
      const target =
        size === 10_000
          ? { label: '≤ 1.0 s and ≤ 250 MiB', ok: plan.medianMs <= 1000 && plan.rssMiB <= 250 }
          : size === 1000
            ? { label: '≤ 0.4 s', ok: plan.medianMs <= 400 }
            : undefined;
      rows.push({
        group: 'plan',
        name: `exalate-iac plan (process), ${where}`,
        size,
        figure: plan,
        bound: floor,
        requests,
        ...(target ? { target } : {}),
        ...(target && !target.ok ? { profile: await phases(s) } : {}),
      });
      planPoints.push({ size, ms: plan.medianMs, rssMiB: plan.rssMiB });

      if (size === largest) {
        s.emulator.clearRequests();
        const drift = await sampleCli(o.runs, ['drift', '--file', path.basename(s.file)], {
          cwd: s.dir,
          env: s.env,
          expect: (r) => r.code === 2,
        });
        rows.push({
          group: 'drift',
          name: `exalate-iac drift (process), 1% drifted, ${where}`,
          size,
          figure: drift,
          bound: floor,
          requests: s.emulator.requests.length / (o.runs + 1),
        });

        s.emulator.clearRequests();
        const times: number[] = [];
        for (let i = 0; i <= o.runs; i++) {
          const map = clients(s, o.nodes);
          const start = performance.now();
          const live = await readLive(map);
          const ms = performance.now() - start;
          await closeAll(map);
          const n = [...live.values()].reduce((sum, node) => sum + node.connections.length, 0);
          if (n !== size) throw new Error(`read ${n} connections, not ${size}`);
          if (i > 0) times.push(ms);
        }
        rows.push({
          group: 'read',
          name: `readLive: all nodes at once, pages of ${PAGE} in parallel (${PAGE_CONCURRENCY}), ${where}`,
          size,
          figure: stats(times),
          bound: { ms: networkFloor, label: 'network floor' },
          requests: s.emulator.requests.length / (o.runs + 1),
        });
      }
    } finally {
      await s.close();
    }
  }

  const planGrowth = growth(`plan (process), ${where}`, planPoints);
  if (!planGrowth.linear) {
    const s = await setup(largest, o);
    const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-prof-'));
    try {
      await runCli(['plan', '--file', path.basename(s.file)], { cwd: s.dir, env: s.env, profileDir: dir });
      planGrowth.profile = topOfProfile(profileIn(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await s.close();
    }
  }

  if (o.naiveSize > 0) {
    const s = await setup(o.naiveSize, o);
    try {
      const map = clients(s, o.nodes);
      s.emulator.clearRequests();
      const start = performance.now();
      const read = await naiveRead(map);
      const ms = performance.now() - start;
      const requests = s.emulator.requests.length;
      await closeAll(map);
      if (read !== o.naiveSize) throw new Error(`the naive reader read ${read}`);
      rows.push({
        group: 'read',
        name: `naive reader: list, then one request per connection, sequential, ${where}`,
        size: o.naiveSize,
        figure: stats([ms]),
        bound: { ms: requests * o.latencyMs, label: 'requests × latency' },
        requests,
        note: `${largest.toLocaleString('en-US')} would take about ${(((ms / o.naiveSize) * largest) / 1000).toFixed(0)} s`,
      });
    } finally {
      await s.close();
    }
  }
  return { rows, growth: [planGrowth] };
}
