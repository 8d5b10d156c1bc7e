import { parseArgs, ParseArgsConfig } from 'node:util';
import { didYouMean } from '../util/suggest';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  'no-color': { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
} as const;

export { didYouMean };

/**
 * `node:util` parseArgs with the global options added, errors turned into one-line usage errors
 * (with a "did you mean" for a mistyped option), `--help` answered with the command's help text,
 * and a strict refusal of unknown options.
 */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  help: string,
  out: (text: string) => void,
  allowPositionals = true,
):
  | {
      values: ReturnType<
        typeof parseArgs<{ options: O & typeof GLOBAL_OPTIONS; allowPositionals: true }>
      >['values'];
      positionals: string[];
    }
  | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    const text = `${help.replace(/\n+$/, '')}\n\nEvery command also takes --no-color and --verbose (debug lines on stderr, redacted).\n`;
    out(text);
    return undefined;
  }
  const all = { ...GLOBAL_OPTIONS, ...options } as O & typeof GLOBAL_OPTIONS;
  try {
    const parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? String(error)) : String(error);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-{1,2}[^'\s]+)'/.exec(message)?.[1] ?? '';
      const name = given.replace(/^-+/, '').split('=')[0] ?? '';
      const suggestion = didYouMean(name, Object.keys(all));
      throw new UsageError(
        `unknown option '${given}'${suggestion ? `: did you mean --${suggestion}?` : '.'} See --help.`,
      );
    }
    throw new UsageError(`${message.replace(/\.$/, '')}. See --help.`);
  }
}

/** Parse a positive integer option, with the option's name in the error. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got '${value}'`);
  }
  return Number(value);
}

/** Parse a number option (fractions allowed), with the option's name in the error. */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}
