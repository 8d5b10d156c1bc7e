import { parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../config/load';
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

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { format: { type: 'string', default: 'text' } }, HELP, io.out);
  if (!args) return 0;
  const format = args.values.format;
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`--format must be text or json, got '${format}'`);
  const files = args.positionals.length > 0 ? args.positionals : [DEFAULT_CONFIG_FILE];

  const results = await Promise.all(files.map((file) => loadConfig(file, { cwd: io.cwd })));
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
