import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../provider/config/load';
import { BenchResult, measure } from './measure';

const PLATFORMS = ['freshservice', 'jira-cloud', 'servicenow', 'zendesk'] as const;

/** A valid connections file with `count` connections over four nodes. */
export function generateConfig(count: number): string {
  const lines = ['version: 1', 'nodes:'];
  PLATFORMS.forEach((platform, i) => {
    lines.push(
      `  node-${i}:`,
      `    url: \${NODE_${i}_URL}`,
      `    platform: ${platform}`,
      `    token: \${NODE_${i}_TOKEN}`,
    );
  });
  lines.push('connections:');
  for (let i = 0; i < count; i++) {
    const node = i % PLATFORMS.length;
    lines.push(
      `  - name: connection-${i}`,
      `    node: node-${node}`,
      `    localShortName: local${i}`,
      `    remoteShortName: remote${i}`,
      '    mode: script',
      '    private: true',
      `    description: "Generated connection number ${i}"`,
      '    rules:',
      '      outgoing: rules/outgoing.groovy',
      '      incoming: rules/incoming.groovy',
      '    triggers:',
      '      - entityType: ticket',
      `        query: "priority:${i % 5}"`,
      '        notes: generated',
    );
  }
  return lines.join('\n') + '\n';
}

export async function benchValidate(count = 10_000, runs = 5): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'exalate-bench-'));
  try {
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'rules', 'outgoing.groovy'), 'replica.summary = issue.summary\n');
    writeFileSync(path.join(dir, 'rules', 'incoming.groovy'), 'issue.summary = replica.summary\n');
    const file = path.join(dir, 'big.exalate.yaml');
    writeFileSync(file, generateConfig(count));
    const bytes = readFileSync(file).length;
    const label = `${count} connections (${(bytes / 1024 / 1024).toFixed(1)} MiB)`;
    const results: BenchResult[] = [];
    results.push(
      await measure(`parse only: yaml.parse, ${label}`, runs, async () => {
        parse(readFileSync(file, 'utf8'));
      }),
    );
    results.push(
      await measure(
        `validate: loadConfig (parse + schema + semantic rules + positions), ${label}`,
        runs,
        async () => {
          const r = await loadConfig(file, { cwd: process.cwd() });
          if (!r.state || r.state.connections.length !== count)
            throw new Error('benchmark file did not validate');
        },
      ),
    );
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
