import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { main } from '../provider/cli/main';
import { captureIo, ROOT } from './helpers';

// The GitHub Actions example must only use commands and options that exist.
describe('examples/github-actions/exalate.yml', () => {
  const file = path.join(ROOT, 'examples', 'github-actions', 'exalate.yml');
  const workflow = parse(readFileSync(file, 'utf8')) as {
    jobs: Record<string, { steps: { run?: string }[] }>;
  };
  const calls = Object.values(workflow.jobs)
    .flatMap((job) => job.steps)
    .flatMap((step) => (step.run ?? '').split('\n'))
    .map((line) => /npx exalate-iac (\w+)(.*)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);

  test('has a validate, plan, apply and drift step', () => {
    expect(calls.map((m) => m[1]).sort()).toEqual(['apply', 'drift', 'plan', 'validate']);
  });

  test.each(calls.map((m) => [m[1] as string, m[2] as string]))(
    'exalate-iac %s%s: every option is documented by --help',
    async (command, rest) => {
      const io = captureIo(ROOT);
      expect(await main([command, '--help'], io)).toBe(0);
      const options = rest.match(/--[a-z-]+/g) ?? [];
      for (const option of options) expect(io.stdout()).toContain(option);
    },
  );
});
