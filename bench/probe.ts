/**
 * Preloaded (`node --require`) into a CLI process a benchmark spawns: at exit it writes the
 * process's peak resident set size and CPU time to the file named by EXALATE_BENCH_PROBE.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.EXALATE_BENCH_PROBE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      out,
      JSON.stringify({
        maxRssMiB: usage.maxRSS / 1024,
        cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
        uptimeMs: process.uptime() * 1000,
      }),
    );
  });
}
