import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The package's folder (holding `schemas/` and `examples/`), from source or from `dist/`. */
export function packageRoot(): string {
  if (root === undefined) {
    let dir = __dirname;
    while (!isPackage(dir)) {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error('cannot find the exalate-iac package folder');
      dir = parent;
    }
    root = dir;
  }
  return root;
}

function isPackage(dir: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'exalate-iac';
  } catch {
    return false;
  }
}
