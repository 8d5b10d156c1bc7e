// What a command loads is start-up time paid on every run: the commands that read and write
// nodes load neither the `yaml` library (only a file with a problem and check-node need it) nor
// undici's entry point (fetch, WebSocket, caches), and validate of a valid file loads no client.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers';

/** The node_modules packages (and undici's entry point) loaded by requiring these CLI modules. */
function loadedBy(modules: string[]): Promise<string[]> {
  const script = `
    const path = require('node:path');
    for (const m of process.argv.slice(1)) require(path.join(${JSON.stringify(ROOT)}, 'dist/provider/cli', m));
    const out = new Set();
    for (const f of Object.keys(require.cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)$/.exec(f);
      if (!m) continue;
      out.add(m[1] === 'undici' && m[2] === 'index.js' ? 'undici (entry point)' : m[1]);
    }
    process.stdout.write(JSON.stringify([...out].sort()));`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script, ...modules], { cwd: path.join(ROOT) }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout) as string[]),
    ),
  );
}

test('plan, apply and drift load undici’s pool but not its entry point, and not the yaml library', async () => {
  const loaded = await loadedBy(['main.js', 'plan.js', 'apply.js', 'drift.js']);
  expect(loaded).toContain('undici');
  expect(loaded).toContain('js-yaml');
  expect(loaded).not.toContain('undici (entry point)');
  expect(loaded).not.toContain('yaml');
});

test('validate loads no HTTP client and no yaml library', async () => {
  const loaded = await loadedBy(['main.js', 'validate.js']);
  expect(loaded).not.toContain('undici');
  expect(loaded).not.toContain('yaml');
  expect(loaded).toContain('js-yaml');
});
