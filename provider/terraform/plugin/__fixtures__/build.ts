/** Bundles a plugin entry (TypeScript) into one CommonJS file with esbuild, as a release would. */
import { build } from 'esbuild';
import { join } from 'node:path';

export const DEMO_PROVIDER_ENTRY = join(__dirname, 'demo-provider.ts');

/** Bundles `entry` to `<outDir>/<name>.js` and returns its path. */
export async function bundlePlugin(
  entry: string,
  outDir: string,
  name = 'plugin',
  minify = false,
): Promise<string> {
  const outfile = join(outDir, `${name}.js`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify,
    sourcemap: false,
    logLevel: 'silent',
    banner: { js: '#!/usr/bin/env node' },
  });
  return outfile;
}
