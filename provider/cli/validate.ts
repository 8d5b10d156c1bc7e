import { parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadResult } from '../config/load';
import { YamlSource } from '../config/source';
import type { Finding } from '../config/findings';
import { reportFindings } from './errors';

const HELP = `Usage: exalate-iac validate [FILE…] [--format text|json]

Check connection files offline: YAML syntax, the schema, and the semantic rules (unique names,
declared nodes, platform/mode availability, rule files, literal secrets). Reports every problem
as FILE:LINE:COL: error: message. With GITHUB_ACTIONS=true, also as ::error annotations.

  FILE             connection files (default: ${DEFAULT_CONFIG_FILE})
  --format FORMAT  text (default) or json

Exit status: 0 valid, 1 problems found (or bad usage).`;

interface FileSummary {
  file: string;
  valid: boolean;
  nodes: number;
  connections: number;
}

/**
 * One owner per file: the owner is what `--prune` goes by, so two files with one owner would
 * delete what only the other declares. Each file after the first with an owner already seen
 * gets an error at its `owner` (the same file named twice is one file).
 */
async function ownerClashes(files: string[], results: LoadResult[], cwd: string): Promise<void> {
  const first = new Map<string, { file: string; absolute: string }>();
  for (const [i, r] of results.entries()) {
    const file = files[i] as string;
    const owner = r.state?.owner;
    if (owner === undefined) continue;
    const absolute = path.resolve(cwd, file);
    const seen = first.get(owner);
    if (!seen) {
      first.set(owner, { file, absolute });
      continue;
    }
    if (seen.absolute === absolute) continue;
    const { source, value } = YamlSource.parse(await fs.readFile(absolute, 'utf8'));
    const given = typeof value === 'object' && value !== null && 'owner' in value;
    r.findings.push({
      file,
      ...(source?.locate(['owner']) ?? { line: 1, col: 1 }),
      severity: 'error',
      message: `${given ? `owner '${owner}'` : `no owner: the default '${owner}'`} is also the owner of ${seen.file}: give each file its own owner (\`--prune\` in one would delete what only the other declares)`,
      pointer: '/owner',
    });
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { format: { type: 'string', default: 'text' } }, HELP, io.out);
  if (!args) return 0;
  const format = args.values.format;
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`--format must be text or json, got '${format}'`);
  const files = args.positionals.length > 0 ? args.positionals : [DEFAULT_CONFIG_FILE];

  const results = await Promise.all(files.map((file) => loadConfig(file, { cwd: io.cwd })));
  await ownerClashes(files, results, io.cwd);
  const findings: Finding[] = results.flatMap((r) => r.findings);
  const summaries: FileSummary[] = results.map((r, i) => ({
    file: files[i] as string,
    valid: !r.findings.some((f) => f.severity === 'error'),
    nodes: r.state?.nodes.size ?? 0,
    connections: r.state?.connections.length ?? 0,
  }));
  // A file past the cap lists its first findings and one more saying how many were left out.
  const errors =
    findings.filter((f) => f.severity === 'error').length +
    results.reduce((n, r) => n + (r.omitted ? r.omitted - 1 : 0), 0);

  if (format === 'json') {
    io.out(
      `${JSON.stringify({ format_version: '1', valid: errors === 0, errors, files: summaries, findings }, null, 2)}\n`,
    );
  } else if (errors > 0) {
    reportFindings(io, findings, 'out');
    io.out(
      `${errors} ${errors === 1 ? 'error' : 'errors'} in ${summaries.filter((s) => !s.valid).length} of ${files.length} ${files.length === 1 ? 'file' : 'files'}\n`,
    );
  } else {
    reportFindings(io, findings, 'out');
    const nodes = summaries.reduce((n, s) => n + s.nodes, 0);
    const connections = summaries.reduce((n, s) => n + s.connections, 0);
    const what = files.length === 1 ? (files[0] as string) : `${files.length} files`;
    io.out(
      `${what}: valid (${nodes} ${nodes === 1 ? 'node' : 'nodes'}, ${connections} ${connections === 1 ? 'connection' : 'connections'})\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}
