import { performance } from 'node:perf_hooks';

export interface BenchResult {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** Run `fn` once to warm up, then `runs` times; report median, min and max wall time. */
export async function measure(name: string, runs: number, fn: () => Promise<void>): Promise<BenchResult> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    name,
    runs,
    medianMs: times[Math.floor(times.length / 2)] as number,
    minMs: times[0] as number,
    maxMs: times[times.length - 1] as number,
  };
}

export function table(results: BenchResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.medianMs.toFixed(1)} | ${r.minMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.runs} |`,
  );
  return [
    '| benchmark | median ms | min ms | max ms | runs |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
