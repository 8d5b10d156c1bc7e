/**
 * Config loading: `loadConfig` (parse, schema, semantic rules, desired state) next to js-yaml's
 * parse of the same file, and `exalate-iac validate` as a process (time and peak RSS) for growth.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { parseDocument } from 'yaml';
import { loadConfigSync } from '../provider/config/load';
import { writeConfig } from './fixtures';
import { interleave, sample, sampleCli } from './measure';
import { growth, type Growth, type Row } from './report';

export interface ConfigOptions {
  sizes: number[];
  runs: number;
  /** Also time the positional parse and a file with a problem at the largest size. */
  slowPath: boolean;
}

export async function benchConfig(o: ConfigOptions): Promise<{ rows: Row[]; growth: Growth }> {
  const rows: Row[] = [];
  const points: Growth['points'] = [];
  const largest = Math.max(...o.sizes);
  for (const size of o.sizes) {
    const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-config-'));
    try {
      const file = writeConfig(dir, size, 10);
      const bytes = readFileSync(file).length;
      const mib =
        bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
      const [peer, loaded] = await interleave(o.runs, [
        () => void load(readFileSync(file, 'utf8')),
        () => {
          const r = loadConfigSync(path.basename(file), { cwd: dir });
          if (r.state?.connections.length !== size) throw new Error('the generated file did not load');
        },
      ]);
      rows.push({ group: 'config', name: `js-yaml load of the file (${mib})`, size, figure: peer });
      rows.push({
        group: 'config',
        name: 'loadConfig: parse, schema, semantic rules, desired state',
        size,
        figure: loaded,
        bound: { ms: peer!.medianMs, label: 'js-yaml' },
        ...(size === largest
          ? { target: { label: '≤ 2× js-yaml', ok: loaded!.medianMs <= 2 * peer!.medianMs } }
          : {}),
      });
      if (o.slowPath && size === largest) {
        const text = readFileSync(file, 'utf8');
        rows.push({
          group: 'config',
          name: 'yaml positional parse (what every load cost before; now only a file with a problem)',
          size,
          figure: await sample(Math.min(o.runs, 3), () => void parseDocument(text, { uniqueKeys: true })),
          bound: { ms: peer!.medianMs, label: 'js-yaml' },
        });
        writeFileSync(file, text.replace('mode: script', 'mode: scrpit'));
        const line = text.slice(0, text.indexOf('mode: script')).split('\n').length;
        rows.push({
          group: 'config',
          name: 'loadConfig of the file with one problem (reported at its line and column)',
          size,
          figure: await sample(Math.min(o.runs, 3), () => {
            const r = loadConfigSync(path.basename(file), { cwd: dir });
            if (r.findings[0]?.line !== line) throw new Error('the problem was not found where it is');
          }),
          bound: { ms: peer!.medianMs, label: 'js-yaml' },
        });
        writeFileSync(file, text);
      }
      const cli = await sampleCli(o.runs, ['validate', path.basename(file)], {
        cwd: dir,
        env: {},
        expect: (r) => r.code === 0,
      });
      rows.push({
        group: 'config',
        name: 'exalate-iac validate (process: start-up, load, report)',
        size,
        figure: cli,
      });
      points.push({ size, ms: cli.medianMs, rssMiB: cli.rssMiB });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rows, growth: growth('validate (process)', points) };
}
