/**
 * Measuring: wall time (median of runs after a warm-up), CPU time, the peak RSS of a CLI process,
 * and CPU profiles (of this process through the inspector, of a CLI process with --cpu-prof).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../provider/util/paths';

export interface Stats {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export function stats(times: number[]): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    medianMs: sorted[Math.floor(sorted.length / 2)] as number,
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
  };
}

/** Run `fn` once to warm up, then `runs` times; wall time of each run. */
export async function sample(runs: number, fn: () => Promise<void> | void): Promise<Stats> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return stats(times);
}

/**
 * Interleave several functions run after run (each warmed up once first), so a machine that gets
 * busier during the run slows them alike: their ratio is what a row compares.
 */
export async function interleave(
  runs: number,
  fns: ReadonlyArray<() => Promise<void> | void>,
): Promise<Stats[]> {
  for (const fn of fns) await fn();
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      await fn();
      times[k]!.push(performance.now() - start);
    }
  }
  return times.map(stats);
}

export interface CliRun {
  code: number;
  ms: number;
  /** Peak resident set size of the CLI process. */
  rssMiB: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
}

const BIN = (): string => path.join(packageRoot(), 'bin', 'exalate-iac.js');
const PROBE = path.join(__dirname, 'probe.js');

/**
 * The real CLI in its own process (`bin/exalate-iac.js`), timed from spawn to exit, with its
 * peak RSS and CPU time; `profileDir` adds --cpu-prof.
 */
export async function runCli(
  args: string[],
  options: { cwd: string; env: Record<string, string>; profileDir?: string },
): Promise<CliRun> {
  const probeDir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-probe-'));
  const probe = path.join(probeDir, 'probe.json');
  try {
    const flags = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    const start = performance.now();
    const child = spawn(process.execPath, [...flags, '--require', PROBE, BIN(), ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env, EXALATE_BENCH_PROBE: probe },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    const ms = performance.now() - start;
    const usage = JSON.parse(readFileSync(probe, 'utf8')) as { maxRssMiB: number; cpuMs: number };
    return { code, ms, rssMiB: usage.maxRssMiB, cpuMs: usage.cpuMs, stdout, stderr };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

/** A CLI command run `runs` times after a warm-up: wall time, and the largest peak RSS seen. */
export async function sampleCli(
  runs: number,
  args: string[],
  options: { cwd: string; env: Record<string, string>; expect: (r: CliRun) => boolean },
): Promise<Stats & { rssMiB: number; cpuMs: number }> {
  const times: number[] = [];
  const cpu: number[] = [];
  let rssMiB = 0;
  for (let i = 0; i <= runs; i++) {
    const r = await runCli(args, options);
    if (!options.expect(r))
      throw new Error(`exalate-iac ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    if (i === 0) continue; // warm-up (file system caches)
    times.push(r.ms);
    cpu.push(r.cpuMs);
    rssMiB = Math.max(rssMiB, r.rssMiB);
  }
  return { ...stats(times), rssMiB, cpuMs: stats(cpu).medianMs };
}

export interface ProfileLine {
  selfMs: number;
  share: number;
  fn: string;
}

/** The functions with the most self time in a CPU profile, with their file (relative) and line. */
export function topOfProfile(profile: Profiler.Profile, top = 8): ProfileLine[] {
  const sampled = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (deltas[i] ?? 0)));
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = sampled.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ selfMs: us / 1000, share: total > 0 ? us / total : 0, fn }));
}

/**
 * Inclusive time of each named function in a CPU profile (a function on the stack several times
 * counts once): where a whole command's time goes, phase by phase.
 */
export function phasesOfProfile(profile: Profiler.Profile, names: readonly string[]): ProfileLine[] {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>(names.map((n) => [n, 0]));
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const us = deltas[i] ?? 0;
    total += us;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)?.callFrame.functionName ?? '';
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  });
  return [...inclusive].map(([fn, us]) => ({ selfMs: us / 1000, share: total > 0 ? us / total : 0, fn }));
}

/** Profile this process while `fn` runs. */
export async function profileHere(fn: () => Promise<void>): Promise<Profiler.Profile> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  try {
    await post('Profiler.enable');
    await post('Profiler.start');
    await fn();
    return (await post<{ profile: Profiler.Profile }>('Profiler.stop')).profile;
  } finally {
    session.disconnect();
  }
}

/** The one profile a CLI run left in `dir`. */
export function profileIn(dir: string): Profiler.Profile {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profiler.Profile;
}
