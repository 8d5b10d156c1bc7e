/** Where a command writes. Injected so tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** True when on a terminal (progress, colour and prompts are allowed). */
  readonly isTty: boolean;
  /** Ask a yes/no question on the terminal; only called when isTty. */
  confirm?(question: string): Promise<boolean>;
}

export function processIo(): Io {
  // A closed pipe (`exalate-iac validate | head -1`) ends the output quietly, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY && process.stdin.isTTY) && !process.env.CI,
    confirm: async (question) => {
      const readline = await import('node:readline/promises');
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} `);
        return answer.trim().toLowerCase() === 'yes';
      } finally {
        rl.close();
      }
    },
  };
}

/** Colour only on a terminal, never with --no-color, a non-empty NO_COLOR (no-color.org) or CI. */
export function colourOn(io: Io, noColor: boolean | undefined): boolean {
  const env = io.env.NO_COLOR;
  return io.isTty && noColor !== true && (env === undefined || env === '') && !io.env.CI;
}
