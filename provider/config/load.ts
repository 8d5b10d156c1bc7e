/**
 * Loading a connections file: read, parse, the JSON Schema, the semantic rules, then the desired
 * state. Offline: never touches the network nor reads the environment. Returns every problem
 * found, each at its line and column (from the positional parse, `source.ts`, which a valid file
 * never needs: see `fast-yaml.ts`).
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { DesiredState } from '../model/connection';
import type { Finding } from '../model/errors';
import { toPointer } from './findings';
import { buildState } from './desired';
import { readConfigText } from './read';
import { fastParse } from './fast-yaml';
import { ruleFiles, type RuleFiles } from './rules';
import { checkSchema } from './schema-check';
import { checkSemantics, type Problem } from './semantics';
import { YamlSource } from './source';
import { bidiPositions } from './text-safety';
import type { ExalateConnections } from '../model/file-format.generated';

export const DEFAULT_CONFIG_FILE = 'connections.exalate.yaml';
/** Findings reported per file; the rest are counted. */
export const MAX_FINDINGS = 100;

export interface LoadResult {
  /** At most MAX_FINDINGS, then one saying how many more there are (`omitted`). */
  findings: Finding[];
  /** Problems found but not listed (past MAX_FINDINGS). */
  omitted?: number;
  /** Present when there is no error. */
  state?: DesiredState;
}

export interface LoadOptions {
  /** Folder relative paths are resolved against (and shown relative to). */
  cwd: string;
}

/** `loadConfigSync` for asynchronous callers. */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadResult> {
  return loadConfigSync(file, options);
}

function capped(findings: Finding[], file: string): Pick<LoadResult, 'findings' | 'omitted'> {
  if (findings.length <= MAX_FINDINGS) return { findings };
  const rest = findings.length - MAX_FINDINGS;
  return {
    findings: [
      ...findings.slice(0, MAX_FINDINGS),
      {
        file,
        line: 0,
        col: 0,
        severity: 'error',
        message: `${rest} more problem${rest === 1 ? '' : 's'} not shown (the first ${MAX_FINDINGS} are)`,
      },
    ],
    omitted: rest,
  };
}

/** Load synchronously (CDKTF constructs are built synchronously). */
export function loadConfigSync(file: string, options: LoadOptions): LoadResult {
  const absolute = path.resolve(options.cwd, file);
  const shown = file;
  const read = readConfigText(absolute, shown);
  if ('finding' in read) return { findings: [read.finding] };
  const rules = ruleFiles(path.dirname(absolute));
  const where = () => ({ absolute, shown, digest: digestOf(read.bytes, rules) });

  // Most files are valid, and a valid file needs no position until a message asks for one: the
  // fast reading decides "valid"; anything else is decided, and reported, by the positional parse.
  const fast = fastParse(read.text);
  if (
    fast !== undefined &&
    checkSchema(fast).length === 0 &&
    checkSemantics(fast, rules).length === 0 &&
    bidiPositions(read.text).length === 0
  ) {
    let source: YamlSource | undefined;
    const locator = {
      locate: (at: ReadonlyArray<string | number>, key?: boolean) =>
        (source ??= YamlSource.parse(read.text).source)?.locate(at, key) ?? { line: 1, col: 1 },
    };
    return { findings: [], state: buildState(fast as ExalateConnections, where(), locator, rules) };
  }

  const parsed = YamlSource.parse(read.text);
  if (!parsed.source) {
    return capped(
      parsed.problems.map((p) => ({
        file: shown,
        line: p.line,
        col: p.col,
        severity: 'error' as const,
        message: p.message,
      })),
      shown,
    );
  }
  const source = parsed.source;
  const problems: Problem[] = [...checkSchema(parsed.value), ...checkSemantics(parsed.value, rules)];
  const findings: Finding[] = problems.map((p) => {
    const pos = source.locate(p.path, p.atKey);
    return {
      file: shown,
      line: pos.line,
      col: pos.col,
      severity: p.severity ?? 'error',
      message: p.message,
      pointer: toPointer(p.path),
    };
  });
  // Bidirectional controls outside the values checked above (in a comment): the line may
  // display as something else in review.
  const flagged = new Set(findings.filter((f) => f.severity === 'error').map((f) => f.line));
  for (const b of bidiPositions(read.text)) {
    if (flagged.has(b.line)) continue;
    flagged.add(b.line);
    findings.push({
      file: shown,
      line: b.line,
      col: b.col,
      severity: 'error',
      message: `an invisible bidirectional control (${b.codePoint}) can make this line display as something else: remove it`,
    });
  }
  findings.sort((a, b) => a.line - b.line || a.col - b.col);
  if (findings.some((f) => f.severity === 'error')) return capped(findings, shown);
  return {
    findings,
    state: buildState(parsed.value as ExalateConnections, where(), source, rules),
  };
}

/** The configuration's digest: the file's bytes and every rule file it names. */
function digestOf(bytes: Buffer, rules: RuleFiles): string {
  const digest = createHash('sha256').update(bytes);
  for (const [rulePath, content] of [...rules.read].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    digest.update(`\u0000${rulePath}\u0000`).update(content);
  return digest.digest('hex');
}
