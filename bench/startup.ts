import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../provider/util/paths';
import { BenchResult, measure } from './measure';

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: packageRoot(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

/** Start-up of the CLI, next to Node itself starting with nothing to do. */
export async function benchStartup(runs = 15): Promise<BenchResult[]> {
  const bin = path.join(packageRoot(), 'bin', 'exalate-iac.js');
  return [
    await measure('baseline: node -e "" (Node start-up alone)', runs, async () => run(['-e', ''])),
    await measure('exalate-iac --version (CLI start-up)', runs, async () => run([bin, '--version'])),
    await measure('exalate-iac validate examples/connections.exalate.yaml', runs, async () =>
      run([bin, 'validate', 'examples/connections.exalate.yaml']),
    ),
  ];
}
