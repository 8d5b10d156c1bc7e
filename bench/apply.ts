/**
 * apply: the requests creates need (and no more), creates under a per-node rate limit next to the
 * bound those requests set, the client slowing down on 429, and the emulator's durable writes as
 * the state grows.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator } from '../emulator/server';
import { desiredState, nodeEnv, seedEmulator, TOKEN, writeConfig } from './fixtures';
import { profileHere, runCli, stats, topOfProfile, type CliRun } from './measure';
import { growth, type Growth, type Row } from './report';

export interface ApplyOptions {
  nodes: number;
  latencyMs: number;
  /** Creates in the rate-limited rows. */
  creates: number;
  /** Requests per second per node, on both sides, in the rate-limited row. */
  rate: number;
  /** Sizes of the emulator's growth series; a size projected past `budgetMs` is not run. */
  growthSizes: number[];
  budgetMs: number;
}

/** A memory file system, where there is one (Linux). */
const SHM = '/dev/shm';

interface Run {
  cli: CliRun;
  emulator: Emulator;
  requests: { total: number; creates: number; throttled: number; perNode: Map<string, number> };
}

/** `exalate-iac apply --yes` of `creates` new connections on nodes that hold none, once. */
async function applyCreates(
  creates: number,
  o: {
    nodes: number;
    latencyMs: number;
    nodeRate?: number;
    args?: string[];
    profile?: boolean;
    /** Keep the emulator's state in memory (tmpfs): its disk is then not what is measured. */
    inMemory?: boolean;
  },
): Promise<Run & { profile?: ReturnType<typeof topOfProfile> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-apply-'));
  const file = writeConfig(dir, creates, o.nodes);
  const memory = o.inMemory && existsSync(SHM) ? mkdtempSync(path.join(SHM, 'exalate-bench-')) : undefined;
  const dataDir = path.join(memory ?? dir, 'emulator');
  const platforms = seedEmulator(dataDir, desiredState(file), { present: 0 });
  const emulator = await startEmulator({
    dataDir,
    token: TOKEN,
    nodes: platforms,
    latencyMs: o.latencyMs,
    rateLimit: o.nodeRate ?? 0,
    requestLogLimit: 100_000, // every request counted, 10,000 creates included
  });
  try {
    const run = () =>
      runCli(
        [
          'apply',
          '--yes',
          '--file',
          path.basename(file),
          '--outputs-file',
          'outputs.json',
          ...(o.args ?? []),
        ],
        {
          cwd: dir,
          env: nodeEnv(o.nodes, (n) => emulator.nodeUrl(n)),
        },
      );
    let cli: CliRun | undefined;
    const profile = o.profile
      ? topOfProfile(
          await profileHere(async () => {
            cli = await run();
          }),
        )
      : undefined;
    if (!o.profile) cli = await run();
    const r = cli as CliRun;
    if (r.code !== 0) throw new Error(`apply exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const perNode = new Map<string, number>();
    for (const q of emulator.requests) perNode.set(q.node, (perNode.get(q.node) ?? 0) + 1);
    const requests = {
      total: emulator.requests.length,
      creates: emulator.requests.filter(
        (q) => q.method === 'POST' && q.path === '/connections' && q.status === 201,
      ).length,
      throttled: emulator.requests.filter((q) => q.status === 429).length,
      perNode,
    };
    if (requests.creates !== creates) throw new Error(`${requests.creates} creates answered, not ${creates}`);
    return { cli: r, emulator, requests, ...(profile ? { profile } : {}) };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
    if (memory) rmSync(memory, { recursive: true, force: true });
  }
}

/**
 * The time `size` creates would take, from the sizes measured: the cost per create is taken to grow
 * as it did between the last two (by the power that fits them, between flat and proportional).
 */
function project(points: Growth['points'], size: number): number {
  const last = points[points.length - 1];
  if (!last) return 0;
  const before = points[points.length - 2];
  const perCreate = last.ms / last.size;
  const power = before
    ? Math.min(
        1,
        Math.max(0, Math.log(perCreate / (before.ms / before.size)) / Math.log(last.size / before.size)),
      )
    : 0;
  return perCreate * (size / last.size) ** power * size;
}

export async function benchApply(o: ApplyOptions): Promise<{ rows: Row[]; growth: Growth[] }> {
  const rows: Row[] = [];
  const where = `${o.nodes} nodes, ${o.latencyMs} ms per request`;
  // What a create needs: authenticate and read each node once (one page: it holds none), then one
  // request per connection (rules and triggers travel in the create).
  const needed = (creates: number) => creates + 2 * o.nodes;

  const plain = await applyCreates(o.creates, { nodes: o.nodes, latencyMs: o.latencyMs, inMemory: true });
  rows.push({
    group: 'apply',
    name: `${o.creates} creates with rules and triggers, no rate limit, ${where}, emulator state in memory`,
    size: o.creates,
    figure: { ...stats([plain.cli.ms]), rssMiB: plain.cli.rssMiB, cpuMs: plain.cli.cpuMs },
    requests: plain.requests.total,
    target: {
      label: `requests = needed (${needed(o.creates)}: one per create, one authenticate and one read per node)`,
      ok: plain.requests.total === needed(o.creates),
    },
  });

  // The bound the needed requests set: a node's bucket gives `rate` at once, then `rate` per
  // second; the busiest node has the most creates.
  const perNode = 2 + Math.ceil(o.creates / o.nodes);
  const rateBound = {
    ms: (Math.max(0, perNode - o.rate) * 1000) / o.rate,
    label: `needed requests at ${o.rate}/s/node`,
  };
  const limited = await applyCreates(o.creates, {
    nodes: o.nodes,
    latencyMs: o.latencyMs,
    nodeRate: o.rate,
    args: ['--rate-limit', String(o.rate), '--parallelism', '16'],
    inMemory: true,
  });
  rows.push({
    group: 'apply',
    name: `${o.creates} creates, --rate-limit ${o.rate} against nodes limited to ${o.rate}/s, --parallelism 16, ${where}, emulator state in memory`,
    size: o.creates,
    figure: { ...stats([limited.cli.ms]), rssMiB: limited.cli.rssMiB, cpuMs: limited.cli.cpuMs },
    bound: rateBound,
    requests: limited.requests.total,
    throttled: limited.requests.throttled,
    // The target is for 1000 creates and more: with fewer, the process's fixed costs outweigh the bound.
    ...(o.creates >= 1000
      ? { target: { label: '≤ 1.2× bound', ok: limited.cli.ms <= 1.2 * rateBound.ms } }
      : {}),
  });

  const adaptive = await applyCreates(o.creates, {
    nodes: o.nodes,
    latencyMs: o.latencyMs,
    nodeRate: o.rate,
    args: ['--rate-limit', String(o.rate * 2), '--parallelism', '16'],
    inMemory: true,
  });
  rows.push({
    group: 'apply',
    name: `${o.creates} creates, --rate-limit ${o.rate * 2} against nodes limited to ${o.rate}/s (slows down on 429), --parallelism 16, ${where}, emulator state in memory`,
    size: o.creates,
    figure: { ...stats([adaptive.cli.ms]), rssMiB: adaptive.cli.rssMiB, cpuMs: adaptive.cli.cpuMs },
    bound: rateBound,
    requests: adaptive.requests.total,
    throttled: adaptive.requests.throttled,
  });

  // The emulator's durable writes: creates on a growing state, no latency, no limit.
  const points: Growth['points'] = [];
  let lastProfile: ReturnType<typeof topOfProfile> | undefined;
  for (const size of [...o.growthSizes].sort((a, b) => a - b)) {
    const projected = project(points, size);
    if (projected > o.budgetMs) {
      rows.push({
        group: 'emulator',
        name: `apply of ${size} creates into the emulator: not run, projected ${(projected / 1000).toFixed(0)} s from the sizes before`,
        size,
      });
      continue;
    }
    // The client's own limit (20 requests/s per node by default) would be what is measured.
    const run = await applyCreates(size, {
      nodes: 2,
      latencyMs: 0,
      args: ['--parallelism', '8', '--rate-limit', '10000'],
      profile: true,
    });
    lastProfile = run.profile;
    rows.push({
      group: 'emulator',
      name: 'apply (process) of creates into the emulator, durable writes to disk, 2 nodes, no latency, --parallelism 8 --rate-limit 10000',
      size,
      figure: { ...stats([run.cli.ms]), rssMiB: run.cli.rssMiB, cpuMs: run.cli.cpuMs },
      requests: run.requests.total,
    });
    points.push({ size, ms: run.cli.ms, rssMiB: run.cli.rssMiB });
  }
  const emulatorGrowth = growth('apply into the emulator (durable writes)', points);
  if (!emulatorGrowth.linear && lastProfile) emulatorGrowth.profile = lastProfile;
  return { rows, growth: [emulatorGrowth] };
}
