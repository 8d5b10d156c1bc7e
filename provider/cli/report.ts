import { Finding, formatFinding, githubAnnotation } from '../config/findings';
import type { Io } from './io';

/**
 * Print config findings as `FILE:LINE:COL: error: …` (to stderr for commands whose stdout is a
 * plan; `validate` passes 'out'), with GitHub annotations on stdout under GitHub Actions.
 * True when there was an error.
 */
export function reportFindings(io: Io, findings: Finding[], to: 'out' | 'err' = 'err'): boolean {
  if (io.env.GITHUB_ACTIONS === 'true') for (const f of findings) io.out(`${githubAnnotation(f)}\n`);
  for (const f of findings) io[to](`${formatFinding(f)}\n`);
  return findings.some((f) => f.severity === 'error');
}
