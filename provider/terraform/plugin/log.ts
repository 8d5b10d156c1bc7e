/**
 * A small logger for a plugin process. It writes to stderr only (stdout carries the go-plugin
 * handshake), and only when Terraform logging is on: go-plugin forwards every stderr line to
 * Terraform's log and reads the level from a `[TRACE]`/`[DEBUG]`/`[INFO]`/`[WARN]`/`[ERROR]` prefix.
 *
 * The level comes from TF_LOG_PROVIDER, else TF_LOG (TRACE, DEBUG, INFO, WARN, ERROR; JSON means
 * TRACE; OFF or unset means silent). Never pass secrets (tokens, configuration values) to it.
 */

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Whether messages of this level are written. */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** The level configured by the environment, or undefined when logging is off. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const raw = (env.TF_LOG_PROVIDER || env.TF_LOG || '').trim().toUpperCase();
  if (raw === '' || raw === 'OFF') return undefined;
  if (raw === 'JSON') return 'TRACE';
  return raw in RANK ? (raw as LogLevel) : 'TRACE'; // Terraform treats unknown values as TRACE
}

export interface LoggerOptions {
  /** Prefix of every message, e.g. the provider name. */
  readonly name?: string;
  /** Default: process.stderr.write. */
  readonly write?: (line: string) => void;
}

/** A logger for the given minimum level; `undefined` makes a logger that writes nothing. */
export function createLogger(level: LogLevel | undefined, options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const prefix = options.name ? `${options.name}: ` : '';
  const min = level === undefined ? Infinity : RANK[level];
  const at =
    (lvl: LogLevel) =>
    (message: string): void => {
      if (RANK[lvl] < min) return;
      // One line per message: go-plugin splits stderr on newlines.
      write(`[${lvl}] ${prefix}${message.replace(/\r?\n/g, '\\n')}\n`);
    };
  return {
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
    enabled: (lvl) => RANK[lvl] >= min,
  };
}
