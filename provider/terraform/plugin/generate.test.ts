import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const PLUGIN = join('provider', 'terraform', 'plugin');

function check(root: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, PLUGIN, 'generate.js'), '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

describe('generated protocol code (npm run proto)', () => {
  test('the committed gen/ files are what the generator produces from proto/', () => {
    const r = check(ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the check fails when a protocol definition changes', () => {
    // A copy of the plugin folder next to the real node_modules, with one field renamed.
    const dir = mkdtempSync(join(tmpdir(), 'proto-stale-'));
    try {
      cpSync(join(ROOT, PLUGIN), join(dir, PLUGIN), {
        recursive: true,
        filter: (src) => !src.endsWith('.test.ts'),
      });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      cpSync(join(ROOT, '.prettierrc.json'), join(dir, '.prettierrc.json'));
      const proto = join(dir, PLUGIN, 'proto', 'health.proto');
      writeFileSync(
        proto,
        readFileSync(proto, 'utf8').replace('string service = 1;', 'string service_name = 1;'),
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('health_pb.ts is stale: run `npm run proto`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
