import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let root: { dir: string; version: string } | undefined;

function find(): { dir: string; version: string } {
  if (root === undefined) {
    let dir = __dirname;
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        try {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
          if (pkg.name === 'exalate-iac') {
            root = { dir, version: pkg.version ?? '0.0.0' };
            break;
          }
        } catch {
          // not ours
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error('cannot find the exalate-iac package folder');
      dir = parent;
    }
  }
  return root;
}

/** The package's folder (holding `schemas/` and `examples/`), from source or from `dist/`. */
export function packageRoot(): string {
  return find().dir;
}

/** The package's version (package.json): the CLI's, the Terraform provider's, the emulator's. */
export function packageVersion(): string {
  return find().version;
}
