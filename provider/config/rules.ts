/**
 * Rule files named by a config: where they may be, how large, and their text. Checking and
 * reading are separate: validation checks, the desired state reads (each path once per load).
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_RULE_BYTES } from '../model/limits';

export interface RuleFiles {
  /** Why the file cannot be used, or undefined. Asks the file system once per distinct path. */
  problem(file: string): string | undefined;
  /** The text of a file that `problem` accepted (decoded once per path). */
  text(file: string): string;
  /** The bytes of every file read, by normalised path (for the configuration digest). */
  readonly read: ReadonlyMap<string, Buffer>;
}

export function ruleFiles(dir: string): RuleFiles {
  const problems = new Map<string, string | undefined>();
  const bytes = new Map<string, Buffer>();
  const texts = new Map<string, string>();
  let realDir: string | undefined;
  const load = (file: string): string | undefined => {
    if (path.isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file)) {
      return `rule file '${file}' must be a path relative to the config's folder`;
    }
    if (file.split(/[\\/]/).includes('..')) {
      return `rule file '${file}' must stay inside the config's folder ('..' is not allowed)`;
    }
    let real: string;
    try {
      real = fs.realpathSync(path.join(dir, path.normalize(file)));
    } catch {
      return `rule file '${file}' not found`;
    }
    realDir ??= fs.realpathSync(dir);
    if (real !== realDir && !real.startsWith(realDir + path.sep)) {
      return `rule file '${file}' resolves (through a link) outside the config's folder`;
    }
    const stat = fs.statSync(real);
    if (!stat.isFile()) return `rule file '${file}' is not a regular file`;
    if (stat.size > MAX_RULE_BYTES) {
      return `rule file '${file}' is ${stat.size} bytes; the limit is ${MAX_RULE_BYTES}`;
    }
    const content = fs.readFileSync(real);
    if (!isUtf8(content)) return `rule file '${file}' is not valid UTF-8`;
    bytes.set(path.normalize(file), content);
    return undefined;
  };
  return {
    problem(file) {
      if (!problems.has(file)) problems.set(file, load(file));
      return problems.get(file);
    },
    text(file) {
      let text = texts.get(file);
      if (text === undefined) {
        if (this.problem(file) !== undefined) throw new Error(`rule file '${file}' cannot be read`);
        text = (bytes.get(path.normalize(file)) as Buffer).toString('utf8');
        texts.set(file, text);
      }
      return text;
    },
    read: bytes,
  };
}
