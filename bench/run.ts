/**
 * `npm run bench` (every row, under 10 minutes on 2 cores) and `npm run bench:quick` (a subset,
 * under 2 minutes): a Markdown table on stdout, and the JSON results in bench/results/<date>.json.
 * `npm run bench -- --only plan,config` runs some groups; `--no-save` writes no results file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../provider/util/paths';
import { benchApply } from './apply';
import { benchConfig } from './config';
import { benchPlan } from './plan';
import { markdownGrowth, markdownProfiles, markdownTable, type Growth, type Row } from './report';
import { benchStartup } from './startup';
import { benchTerraform } from './terraform';

const GROUPS = ['startup', 'config', 'plan', 'apply', 'terraform'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-save': { type: 'boolean', default: false },
    },
  });
  const quick = values.quick;
  const only = new Set(values.only?.split(',') ?? GROUPS);
  const started = Date.now();
  const loadBefore = loadavg();
  const rows: Row[] = [];
  const series: Growth[] = [];
  const log = (m: string) =>
    process.stderr.write(`bench: ${m} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);

  let nodeStartMs = 40;
  if (only.has('startup')) {
    log('start-up');
    const startup = await benchStartup(quick ? 7 : 15);
    rows.push(...startup.rows);
    nodeStartMs = startup.nodeStartMs;
  }
  if (only.has('config')) {
    log('config loading');
    const config = await benchConfig({
      sizes: quick ? [1000, 10_000] : [100, 1000, 10_000],
      runs: quick ? 3 : 5,
      slowPath: !quick,
    });
    rows.push(...config.rows);
    series.push(config.growth);
  }
  if (only.has('plan')) {
    log('plan, drift and reading');
    const plan = await benchPlan({
      sizes: quick ? [1000, 10_000] : [100, 1000, 10_000],
      nodes: 10,
      latencyMs: 20,
      runs: quick ? 2 : 5,
      naiveSize: quick ? 100 : 1000,
      nodeStartMs,
    });
    rows.push(...plan.rows);
    series.push(...plan.growth);
  }
  if (only.has('apply')) {
    log('apply and the emulator');
    const apply = await benchApply({
      nodes: 10,
      latencyMs: 20,
      creates: quick ? 200 : 1000,
      rate: 10,
      growthSizes: quick ? [100, 500] : [1000, 2000, 10_000],
      budgetMs: quick ? 20_000 : 150_000,
    });
    rows.push(...apply.rows);
    series.push(...apply.growth);
  }
  if (only.has('terraform')) {
    log('terraform provider');
    rows.push(...(await benchTerraform({ runs: quick ? 5 : 9, nodeStartMs })));
  }

  const date = new Date().toISOString().slice(0, 10);
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    loadavg1m: { before: loadBefore[0] ?? 0, after: loadavg()[0] ?? 0 },
  };
  const command = `npm run ${quick ? 'bench:quick' : 'bench'}${values.only ? ` -- --only ${values.only}` : ''}`;
  const results = { date, command, machine, seconds: (Date.now() - started) / 1000, rows, growth: series };
  if (!values['no-save']) {
    const dir = path.join(packageRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${date}${quick ? '-quick' : ''}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    log(`results written to ${path.relative(packageRoot(), file)}`);
  }
  process.stdout.write(
    [
      `${command}: ${date}, Node ${machine.node}, ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, ` +
        `load average ${machine.loadavg1m.before.toFixed(1)} before and ${machine.loadavg1m.after.toFixed(1)} after, ${results.seconds.toFixed(0)} s`,
      '',
      markdownTable(rows),
      '',
      'Growth:',
      '',
      markdownGrowth(series),
      '',
      ...(rows.some((r) => r.profile)
        ? [
            'Where the time goes in rows that miss their target (one run with --cpu-prof, inclusive CPU ms):',
            '',
            markdownProfiles(rows),
            '',
          ]
        : []),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
