import { Io } from './io';

export async function run(_argv: string[], io: Io): Promise<number> {
  io.err('validate: not built yet\n');
  return 1;
}
