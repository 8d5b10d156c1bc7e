/** What a command needs from outside, injected so tests never sleep and never touch real globals. */
import type { ClientLogger } from '../api/client';
import { clientFactory, type ClientSettings } from '../engine/clients';
import type { ClientFactory } from '../engine/nodes';
import type { EngineContext } from '../engine/session';
import type { Io } from './io';
import { term } from './terminal';

export interface Deps {
  /** Settings of the default client factory (tests pass a `sleep` that does not wait). */
  clientSettings?: Omit<ClientSettings, 'logger'>;
  /** Replaces the default client factory entirely. */
  clientFactory?: ClientFactory;
  now?: () => Date;
}

/** The environment of the commands that talk to nodes, for their --help. */
export const NODE_ENVIRONMENT_HELP = `Environment:
  the variables FILE references   node URLs and tokens (\${VAR} in url and token)
  EXALATE_ALLOW_INSECURE_HTTP=1   allow plain http:// to a node that is not on loopback (the
                                  token then crosses the network unencrypted; https otherwise)
  EXALATE_LOG=debug               as --verbose: debug lines on stderr, tokens and codes redacted`;

/** Waits the client makes that a person should see (they would otherwise look like a hang). */
export const SHOWN_WAIT_MS = 1000;

/** Debug lines (`--verbose` or EXALATE_LOG=debug) and long waits, to stderr; already redacted. */
export function cliLogger(io: Io, verbose: boolean): ClientLogger {
  const debug = verbose || io.env.EXALATE_LOG === 'debug';
  return {
    ...(debug
      ? {
          debug: (m: string) => io.err(`exalate-iac: debug: ${term(m)}\n`),
          warn: (m: string) => io.err(`exalate-iac: warning: ${term(m)}\n`),
        }
      : {}),
    wait: ({ reason, ms, what, throttled }) => {
      if (ms < SHOWN_WAIT_MS) return;
      const why =
        reason === 'retry'
          ? 'retry'
          : throttled === undefined
            ? 'rate limit'
            : `rate limit, slowed down: the node answered 429 ${throttled} time${throttled === 1 ? '' : 's'}`;
      io.err(`  … waiting ${(ms / 1000).toFixed(1)} s (${why}): ${term(what)}\n`);
    },
  };
}

export function engineContext(io: Io, deps: Deps, verbose: boolean): EngineContext {
  return {
    env: io.env,
    cwd: io.cwd,
    clientFactory:
      deps.clientFactory ?? clientFactory({ ...deps.clientSettings, logger: cliLogger(io, verbose) }),
  };
}

/** Per-node progress while reading, on a terminal only. */
export function readProgress(io: Io): ((node: string, connections: number) => void) | undefined {
  return io.isTty
    ? (node, n) => io.err(`  read ${term(node)}: ${n} connection${n === 1 ? '' : 's'}\n`)
    : undefined;
}
