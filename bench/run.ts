import { cpus } from 'node:os';
import { BenchResult, table } from './measure';
import { benchPlan } from './plan';
import { benchStartup } from './startup';
import { benchValidate } from './validate';

/** `npm run bench`: every benchmark, side by side, as a Markdown table. */
async function main(): Promise<void> {
  const only = process.argv[2];
  const results: BenchResult[] = [];
  if (!only || only === 'validate') results.push(...(await benchValidate()));
  if (!only || only === 'plan') results.push(...(await benchPlan()));
  if (!only || only === 'startup') results.push(...(await benchStartup()));
  process.stdout.write(
    `Node ${process.version}, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}\n\n`,
  );
  process.stdout.write(`${table(results)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
