import { parseArgs, ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs with errors turned into one-line usage errors, `--help` answered with the
 * command's help text, and a strict refusal of unknown options.
 */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  help: string,
  out: (text: string) => void,
  allowPositionals = true,
):
  | {
      values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
      positionals: string[];
    }
  | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(help.endsWith('\n') ? help : `${help}\n`);
    return undefined;
  }
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? String(error)) : String(error);
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
