/** Where a command writes. Injected so tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** True when stdout is a terminal (progress, colour and prompts are allowed). */
  readonly isTty: boolean;
  /** Ask a yes/no question on the terminal; only called when isTty. */
  confirm?(question: string): Promise<boolean>;
}

export function processIo(): Io {
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
