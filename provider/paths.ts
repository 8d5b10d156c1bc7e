import { existsSync } from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The package's folder (holding `schemas/` and `examples/`), from source or from `dist/`. */
export function packageRoot(): string {
  if (root === undefined) {
    let dir = __dirname;
    while (!existsSync(path.join(dir, 'schemas', 'exalate-connections.schema.json'))) {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error('cannot find the exalate-iac package folder');
      dir = parent;
    }
    root = dir;
  }
  return root;
}
