import { IacError } from '../model/errors';
import { packageVersion } from '../util/paths';
import { didYouMean, parseCommandArgs } from './args';
import type { Deps } from './context';
import { ExitError, reportError, UsageError } from './errors';
import { Io, processIo } from './io';

export type CommandRun = (argv: string[], io: Io, deps: Deps) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandRun>;
}

/** One command table; each command lives in its own module, loaded only when called. */
const COMMANDS: Readonly<Record<string, CommandEntry>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, CommandEntry>, {
    validate: {
      summary: 'check connection files offline (schema and semantic rules)',
      load: async () => (await import('./validate')).run,
    },
    plan: {
      summary: 'show what apply would change on the nodes (read-only)',
      load: async () => (await import('./plan')).run,
    },
    apply: {
      summary: 'make the nodes match the file; invitation codes go to the outputs file',
      load: async () => (await import('./apply')).run,
    },
    drift: {
      summary: 'report where the nodes differ from the file (exit 2 on drift)',
      load: async () => (await import('./drift')).run,
    },
    import: {
      summary: "write YAML for a node's live connections",
      load: async () => (await import('./import')).run,
    },
    regenerate: {
      summary: 'issue a new invitation code for a connection still waiting for its partner',
      load: async () => (await import('./regenerate')).run,
    },
    'check-node': {
      summary: "read-only check of a node's API before the first apply (exit 1 when apply lacks something)",
      load: async () => (await import('./check-node')).run,
    },
    output: {
      summary: 'show the invitation codes written by apply (hidden unless --show-sensitive)',
      load: async () => (await import('./output')).run,
    },
    provider: {
      summary: 'install the exalate Terraform provider as a local filesystem mirror',
      load: async () => (await import('./provider')).run,
    },
    demo: {
      summary: 'the whole journey on the embedded emulator (no setup)',
      load: async () => (await import('./demo')).run,
    },
    emulator: {
      summary: 'serve emulated Exalate nodes (tests, demo, dry runs)',
      load: async () => (await import('./emulator')).run,
    },
    version: {
      summary: 'print the version',
      load: async () => async (argv: string[], io: Io) => {
        const help = 'Usage: exalate-iac version\n\nPrint the version of exalate-iac (as --version does).';
        if (!parseCommandArgs(argv, {}, help, io.out, false)) return 0;
        io.out(`${packageVersion()}\n`);
        return 0;
      },
    },
  }),
);

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    'Usage: exalate-iac <command> [options]',
    '',
    'Exalate connections as code.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `exalate-iac <command> --help` for a command’s options.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo(), deps: Deps = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`${packageVersion()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const suggestion = didYouMean(name, Object.keys(COMMANDS));
    io.err(
      `exalate-iac: unknown command '${name.slice(0, 80)}'${suggestion ? `: did you mean '${suggestion}'?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}\n`,
    );
    return 1;
  }
  try {
    const run = await entry.load();
    return await run(rest, io, deps);
  } catch (error) {
    if (error instanceof ExitError) return error.exitCode;
    if (error instanceof UsageError) {
      io.err(`exalate-iac ${name}: ${error.message}\n`);
      return 1;
    }
    if (IacError.is(error)) return reportError(io, name, error);
    throw error;
  }
}
