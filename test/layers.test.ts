// The direction of the layers is enforced by lint: an engine module that imports a door, prints
// or reads process.env fails `npm run lint`.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers';

const ESLINT = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

function lint(file: string, code: string): { ruleId: string | null; message: string }[] {
  const r = spawnSync(process.execPath, [ESLINT, '--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(r.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result?.messages ?? [];
}

describe('layers point one way', () => {
  test.each([
    [
      'provider/engine/fixture.ts',
      "import { ExitError } from '../cli/errors';\nexport const e = ExitError;\n",
    ],
    ['provider/engine/fixture.ts', "import type { Io } from '../cli/io';\nexport type I = Io;\n"],
    [
      'provider/model/fixture.ts',
      "import { openWorkspace } from '../engine/session';\nexport const o = openWorkspace;\n",
    ],
    [
      'provider/api/fixture.ts',
      "import { loadConfig } from '../config/load';\nexport const l = loadConfig;\n",
    ],
    [
      'emulator/fixture.ts',
      "import { computePlan } from '../provider/engine/plan';\nexport const c = computePlan;\n",
    ],
    [
      'constructs/fixture.ts',
      "import { applyPlan } from '../provider/engine/apply';\nexport const a = applyPlan;\n",
    ],
  ])('%s: an import against the direction is an error', (file, code) => {
    expect(lint(file, code).map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  test.each([
    ['export const env = process.env.HOME;\n', 'process.env'],
    ["export function f(): void {\n  console.log('x');\n}\n", 'console.log'],
    ['export function f(): void {\n  process.exit(1);\n}\n', 'process.exit'],
  ])('the engine never reads %s', (code) => {
    expect(lint('provider/engine/fixture.ts', code).map((m) => m.ruleId)).toEqual([
      'no-restricted-properties',
    ]);
  });

  test('the same imports are fine where the direction allows them', () => {
    expect(
      lint(
        'provider/cli/fixture.ts',
        "import { openWorkspace } from '../engine/session';\nexport const o = openWorkspace;\n",
      ),
    ).toEqual([]);
    expect(
      lint(
        'provider/engine/fixture.ts',
        "import { loadConfig } from '../config/load';\nexport const l = loadConfig;\n",
      ),
    ).toEqual([]);
  });
});
