import { createHash } from 'node:crypto';

/**
 * The output name of a connection's invitation code, for `$GITHUB_OUTPUT` and the CDKTF
 * constructs' sensitive outputs alike: `invitation_code_<node>_<connection>` with every character
 * but letters, digits and `_` turned into `_`. When that maps two connections to one name, each
 * gets a short digest suffix.
 */
export function githubOutputName(node: string, connection: string, taken?: ReadonlySet<string>): string {
  const name = `invitation_code_${node}_${connection}`.replace(/[^A-Za-z0-9_]/g, '_');
  if (!taken?.has(name)) return name;
  return `${name}_${createHash('sha256').update(`${node}/${connection}`).digest('hex').slice(0, 6)}`;
}
