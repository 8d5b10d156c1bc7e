#!/usr/bin/env node
// Bundles the Terraform provider into one file (dist/terraform-provider-exalate.js) for a fast
// start: Terraform starts it 3–4 times per command. Run by `npm run build`.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outfile = path.join(root, 'dist', 'terraform-provider-exalate.js');
esbuild.buildSync({
  entryPoints: [path.join(root, 'provider', 'terraform', 'main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  outfile,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
fs.chmodSync(outfile, 0o755);
