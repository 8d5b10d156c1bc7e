import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../../emulator/server';
import { packageRoot } from '../util/paths';
import type { Deps } from './context';
import { parseCommandArgs } from './args';
import { Io } from './io';
import { main } from './main';

const HELP = `Usage: exalate-iac demo [--keep]

The whole journey on the embedded emulator, with no setup: start an emulator with two nodes
(acme-freshservice, acme-jira) in-process, validate examples/connections.exalate.yaml, plan,
apply (a private Script connection from Freshservice, a public one waiting for a partner, and one
accepted automatically), show where the invitation codes went, then check for drift.

  --keep   keep the temporary folder (emulator data, outputs file) and print its path`;

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
  const args = parseCommandArgs(argv, { keep: { type: 'boolean', default: false } }, HELP, io.out, false);
  if (!args) return 0;
  const work = mkdtempSync(path.join(tmpdir(), 'exalate-demo-'));
  const token = randomBytes(24).toString('base64url');
  const emulator = await startEmulator({ dataDir: path.join(work, 'data'), token, port: 0 });
  const config = path.join(packageRoot(), 'examples', 'connections.exalate.yaml');
  const outputs = path.join(work, 'outputs.json');
  const env: NodeJS.ProcessEnv = {
    ...io.env,
    ACME_FRESHSERVICE_URL: emulator.nodeUrl('acme-freshservice'),
    ACME_FRESHSERVICE_TOKEN: token,
    ACME_JIRA_URL: emulator.nodeUrl('acme-jira'),
    ACME_JIRA_TOKEN: token,
  };
  // The demo applies without asking and never writes GitHub outputs of its own.
  delete env.GITHUB_ACTIONS;
  if (args.values['no-color']) env.NO_COLOR = '1';
  const sub: Io = { ...io, env, cwd: io.cwd };
  const step = async (title: string, argv2: string[], okCodes: number[]): Promise<number> => {
    io.out(`\n$ exalate-iac ${argv2.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}\n`);
    const code = await main(argv2, sub, deps);
    if (!okCodes.includes(code)) io.err(`demo: '${title}' exited with ${code}\n`);
    return code;
  };
  try {
    io.out(`Exalate emulator running at ${emulator.url} (nodes acme-freshservice, acme-jira).\n`);
    const shown = path.relative(io.cwd, config) || config;
    if ((await step('validate', ['validate', shown], [0])) !== 0) return 1;
    if ((await step('plan', ['plan', '--file', shown], [0])) !== 0) return 1;
    if ((await step('apply', ['apply', '--file', shown, '--yes', '--outputs-file', outputs], [0])) !== 0)
      return 1;
    if ((await step('output', ['output', '--outputs-file', outputs], [0])) !== 0) return 1;
    io.out(
      `\nInvitation codes were written to ${outputs} (mode 0600), never to the terminal.\n` +
        (args.values.keep
          ? `Print one with: exalate-iac output acme-to-partner-jira --show-sensitive --outputs-file ${outputs}\n`
          : 'The demo removes that folder on exit (--keep keeps it).\n'),
    );
    if ((await step('drift', ['drift', '--file', shown], [0])) !== 0) return 1;
    io.out(
      '\nDemo complete: 3 connections declared, applied and in sync (two wait for their partners: not drift).\n',
    );
    return 0;
  } finally {
    await emulator.close();
    if (args.values.keep) io.out(`Kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}
