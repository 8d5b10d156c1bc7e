import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isPlatform, PLATFORMS, type Platform } from '../model/platforms';
import { intOption, numberOption, parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac emulator --data DIR [--token T] [options]

Serve emulated Exalate nodes (the node API contract of schemas/exalate-node-api.openapi.yaml)
until SIGINT/SIGTERM. Node NAME answers at http://127.0.0.1:PORT/nodes/NAME.

  --port N            TCP port (0 picks a free one; default 0)
  --host H            interface to bind (default 127.0.0.1, loopback only)
  --data DIR          folder for the state, written durably before each acknowledgement
  --token-file F      file holding the API token the nodes accept (or env EXALATE_EMULATOR_TOKEN);
                      never printed. --token T also works, but other users can read it in \`ps\`
  --node NAME=PLATFORM  an emulated node; repeatable
                      (default acme-freshservice=freshservice and acme-jira=jira-cloud)
  --latency-ms L      delay added to every API answer (default 0)
  --fault-rate P      probability 0..1 of a random fault per request: 5xx, reset, lost answer
  --seed S            seed of the fault PRNG (default 1)
  --rate-limit R      authenticated requests per second per node before 429 + Retry-After
                      (default 0: off)
  --profile P         full (the whole contract, default) or observed (reads answer only what
                      real nodes are seen to answer: bare connections, one unpaged list, 404 for
                      the modeled reads)`;

const PROFILES = ['full', 'observed'] as const;

function parseNodes(values: string[] | undefined): Record<string, Platform> | undefined {
  if (!values || values.length === 0) return undefined;
  const nodes: Record<string, Platform> = {};
  for (const value of values) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})=(.+)$/.exec(value);
    if (!m || !m[1] || !m[2]) throw new UsageError(`--node must be NAME=PLATFORM, got '${value}'`);
    if (!isPlatform(m[2])) {
      throw new UsageError(`--node ${m[1]}: unknown platform '${m[2]}' (${PLATFORMS.join(', ')})`);
    }
    if (Object.hasOwn(nodes, m[1])) throw new UsageError(`--node ${m[1]} is given twice`);
    nodes[m[1]] = m[2];
  }
  return nodes;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      node: { type: 'string', multiple: true },
      'latency-ms': { type: 'string' },
      'fault-rate': { type: 'string' },
      seed: { type: 'string' },
      'rate-limit': { type: 'string' },
      profile: { type: 'string' },
    },
    HELP,
    io.out,
    false,
  );
  if (!args) return 0;
  const v = args.values;
  const port = intOption(v.port, 'port', 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${v.port}'`);
  if (!v.data) throw new UsageError('--data DIR is required (where the emulator keeps its state)');
  let token = v.token ?? io.env.EXALATE_EMULATOR_TOKEN;
  if (v['token-file'] !== undefined) {
    try {
      token = readFileSync(path.resolve(io.cwd, v['token-file']), 'utf8').trim();
    } catch (error) {
      throw new UsageError(
        `--token-file: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (!token) throw new UsageError('--token-file (or env EXALATE_EMULATOR_TOKEN, or --token) is required');
  const profile = PROFILES.find((p) => p === (v.profile ?? 'full'));
  if (!profile) throw new UsageError(`--profile must be ${PROFILES.join(' or ')}, got '${v.profile}'`);
  const options = {
    dataDir: path.resolve(io.cwd, v.data),
    token,
    port,
    host: v.host ?? '127.0.0.1',
    nodes: parseNodes(v.node),
    latencyMs: intOption(v['latency-ms'], 'latency-ms', 0),
    faultRate: numberOption(v['fault-rate'], 'fault-rate', 0, 0, 1),
    seed: intOption(v.seed, 'seed', 1),
    rateLimit: numberOption(v['rate-limit'], 'rate-limit', 0, 0, 1_000_000),
    profile,
  };
  const { startEmulator } = await import('../../emulator/server');
  let emulator;
  try {
    emulator = await startEmulator({ ...options, nodes: options.nodes ?? undefined });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot start: ${message.split('\n')[0]}`.split(token).join('[REDACTED]'));
  }
  io.out(`exalate emulator listening on ${emulator.url} (bound to ${emulator.boundAddress})\n`);
  for (const name of emulator.nodes) io.out(`  node ${name}: ${emulator.nodeUrl(name)}\n`);
  const running = emulator;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  io.out('exalate emulator stopped\n');
  return 0;
}
