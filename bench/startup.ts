/** Start-up: the CLI next to Node itself starting with nothing to do. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../provider/util/paths';
import { interleave } from './measure';
import type { Row } from './report';

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: packageRoot(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

export async function benchStartup(runs: number): Promise<{ rows: Row[]; nodeStartMs: number }> {
  const bin = path.join(packageRoot(), 'bin', 'exalate-iac.js');
  // Interleaved: a machine that gets busier slows the three alike.
  const [node, version, validate] = await interleave(runs, [
    () => run(['-e', '']),
    () => run([bin, '--version']),
    () => run([bin, 'validate', 'examples/connections.exalate.yaml']),
  ]);
  const peer = { ms: node!.medianMs, label: 'node -e ""' };
  return {
    nodeStartMs: node!.medianMs,
    rows: [
      { group: 'startup', name: 'node -e "" (Node starting with nothing to do)', figure: node },
      { group: 'startup', name: 'exalate-iac --version', figure: version, bound: peer },
      {
        group: 'startup',
        name: 'exalate-iac validate examples/connections.exalate.yaml',
        figure: validate,
        bound: peer,
        target: { label: '≤ Node + 40 ms', ok: validate!.medianMs <= node!.medianMs + 40 },
      },
    ],
  };
}
