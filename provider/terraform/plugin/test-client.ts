/**
 * A minimal go-plugin *client* for tests: starts a plugin executable the way Terraform does
 * (magic cookie, protocol versions, AutoMTLS client certificate in the environment), reads the
 * handshake line, connects with grpc-js (mTLS over the unix socket, verifying the server
 * certificate from the handshake under the name "localhost"), and offers typed clients for the
 * provider, controller and health services.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { generateCertificate, pemFromBase64Der } from './cert';
import { GRPCController } from './gen/goplugin_pb';
import { Health } from './gen/health_pb';
import { Provider } from './gen/tfplugin6_pb';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './serve';
import type { ServiceClient } from './service';
import { serviceClient } from './service';

/** The fields of a go-plugin handshake line `core|app|network|address|protocol|cert`. */
export interface Handshake {
  readonly coreVersion: number;
  readonly protocolVersion: number;
  readonly network: string;
  readonly address: string;
  readonly protocol: string;
  /** Base64 DER of the server certificate, '' without TLS. */
  readonly serverCert: string;
}

/** Parses a handshake line (without or with its newline); throws when it is malformed. */
export function parseHandshake(line: string): Handshake {
  const parts = line.replace(/\r?\n$/, '').split('|');
  if (parts.length !== 6) throw new Error(`malformed handshake line (${parts.length} fields): ${line}`);
  const [core = '', app = '', network = '', address = '', protocol = '', serverCert = ''] = parts;
  return {
    coreVersion: Number(core),
    protocolVersion: Number(app),
    network,
    address,
    protocol,
    serverCert,
  };
}

export interface PluginStartOptions {
  /** Executable and arguments, e.g. [process.execPath, 'bundle.js']. */
  readonly command: readonly [string, ...string[]];
  /** Extra environment (merged over process.env, after the handshake variables). */
  readonly env?: NodeJS.ProcessEnv;
  /** AutoMTLS as Terraform does by default (true), or TF_DISABLE_PLUGIN_TLS=1 (false). */
  readonly tls?: boolean;
  /** Set the magic cookie (default true). */
  readonly cookie?: boolean;
  /** Default 15 s. */
  readonly handshakeTimeoutMs?: number;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running plugin and clients connected to it. */
export interface PluginConnection {
  readonly process: ChildProcess;
  /** The raw first stdout line, without newline. */
  readonly handshakeLine: string;
  readonly handshake: Handshake;
  /** Milliseconds from spawn to the handshake line. */
  readonly startupMs: number;
  readonly provider: ServiceClient<typeof Provider>;
  readonly controller: ServiceClient<typeof GRPCController>;
  readonly health: ServiceClient<typeof Health>;
  /** Everything the plugin wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  readonly exited: Promise<ExitStatus>;
  /** Calls GRPCController/Shutdown (as Terraform does when it is done) and waits for the exit. */
  shutdown(): Promise<ExitStatus>;
  /** Closes the channel and kills the process if it still runs. */
  dispose(): void;
}

interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<ExitStatus>;
}

function spawnPlugin(options: PluginStartOptions, clientCertPem: string | undefined): Spawned {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.PLUGIN_CLIENT_CERT;
  delete env.TF_DISABLE_PLUGIN_TLS;
  delete env[MAGIC_COOKIE_KEY];
  if (options.cookie !== false) env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
  env.PLUGIN_PROTOCOL_VERSIONS = '5,6';
  if (clientCertPem) env.PLUGIN_CLIENT_CERT = clientCertPem;
  else env.TF_DISABLE_PLUGIN_TLS = '1';
  Object.assign(env, options.env);
  const [file, ...args] = options.command;
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a plugin to completion (for starts that must fail) and returns its exit and output. */
export async function runPluginToExit(
  options: PluginStartOptions,
): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const clientCert = options.tls === false ? undefined : generateCertificate().certPem;
  const spawned = spawnPlugin(options, clientCert);
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), options.handshakeTimeoutMs ?? 15_000);
  const status = await spawned.exited;
  clearTimeout(timer);
  return { ...status, stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/** Starts a plugin like Terraform does and connects to it. */
export async function startPlugin(options: PluginStartOptions): Promise<PluginConnection> {
  const clientCert = options.tls === false ? undefined : generateCertificate();
  const started = performance.now();
  const spawned = spawnPlugin(options, clientCert?.certPem);
  const { child } = spawned;

  const handshakeLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no handshake within ${options.handshakeTimeoutMs ?? 15_000} ms`));
    }, options.handshakeTimeoutMs ?? 15_000);
    const onData = (): void => {
      const text = spawned.stdout();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(text.slice(0, nl));
    };
    child.stdout?.on('data', onData);
    void spawned.exited.then((status) => {
      clearTimeout(timer);
      reject(
        new Error(
          `plugin exited (${status.code ?? status.signal}) before its handshake; stderr: ${spawned.stderr()}`,
        ),
      );
    });
  });
  const startupMs = performance.now() - started;
  const handshake = parseHandshake(handshakeLine);
  const target = handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address;
  const credentials = clientCert
    ? grpc.credentials.createSsl(
        Buffer.from(pemFromBase64Der(handshake.serverCert)),
        Buffer.from(clientCert.keyPem),
        Buffer.from(clientCert.certPem),
      )
    : grpc.credentials.createInsecure();
  // The certificate names "localhost" (as go-plugin's client expects), not the socket path.
  const channel = new grpc.Client(target, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
    'grpc.default_authority': 'localhost',
  });

  const dispose = (): void => {
    channel.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    process: child,
    handshakeLine,
    handshake,
    startupMs,
    provider: serviceClient(channel, Provider),
    controller: serviceClient(channel, GRPCController),
    health: serviceClient(channel, Health),
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    exited: spawned.exited,
    shutdown: async () => {
      const controller = serviceClient(channel, GRPCController);
      await controller.shutdown({});
      const status = await spawned.exited;
      channel.close();
      return status;
    },
    dispose,
  };
}
