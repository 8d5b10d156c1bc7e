import { IacError } from '../model/errors';
import { formatFinding, githubAnnotation } from '../config/findings';
import type { Io } from './io';
import { term } from './terminal';

/** A failure already reported to the user: just exit with this code. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** A mistake in how the command was called: printed as one line, exit 1, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Print config findings as `FILE:LINE:COL: error: …` (to stderr for commands whose stdout is a
 * plan; `validate` passes 'out'), with GitHub annotations on stdout under GitHub Actions.
 * True when there was an error.
 */
export function reportFindings(
  io: Io,
  findings: readonly import('../model/errors').Finding[],
  to: 'out' | 'err' = 'err',
): boolean {
  if (io.env.GITHUB_ACTIONS === 'true') for (const f of findings) io.out(`${githubAnnotation(f)}\n`);
  for (const f of findings) io[to](`${term(formatFinding(f))}\n`);
  return findings.some((f) => f.severity === 'error');
}

/**
 * The one mapping of a coded error to what the CLI prints: findings and located problems as
 * `FILE:LINE:COL: error: …`, everything else as one line naming the command, with the hint.
 * Returns the exit status (1).
 */
export function reportError(io: Io, command: string, error: IacError): number {
  if (error.code === 'CONFIG_INVALID' && error.findings) {
    reportFindings(io, error.findings);
    return 1;
  }
  if (error.code === 'ENV_UNSET' && error.problems) {
    for (const p of error.problems)
      io.err(`${p.location.file}:${p.location.line}:${p.location.col}: error: ${term(p.message)}\n`);
    return 1;
  }
  io.err(`exalate-iac ${command}: ${term(error.message)}${error.hint ? ` (${term(error.hint)})` : ''}\n`);
  return 1;
}
