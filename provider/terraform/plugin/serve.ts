/**
 * Serving a Terraform provider from a Node process: the go-plugin handshake (hashicorp/go-plugin
 * server.go, v1.6 as pinned by Terraform 1.11), AutoMTLS, the tfplugin6.Provider gRPC service,
 * plugin.GRPCController/Shutdown and grpc.health.v1.Health/Check.
 *
 * Contract with Terraform (the go-plugin client):
 *   - TF_PLUGIN_MAGIC_COOKIE must hold the Terraform cookie, else this is not a plugin start;
 *   - PLUGIN_PROTOCOL_VERSIONS lists the protocol versions the client speaks (must include 6);
 *   - PLUGIN_CLIENT_CERT (PEM) asks for AutoMTLS: the server presents a fresh self-signed cert
 *     (6th handshake field) and requires and verifies the client's cert. TF_DISABLE_PLUGIN_TLS
 *     turns TLS off (Terraform then sends no client cert);
 *   - stdout carries exactly one line, `1|6|unix|<socket>|grpc|<cert>`; everything else goes to
 *     stderr (Terraform logs it under TF_LOG);
 *   - GRPCController/Shutdown ends the process (without it Terraform waits 2 s, then kills it);
 *   - SIGINT is ignored (Terraform forwards Ctrl-C and then calls StopProvider).
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { chownSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { generateCertificate } from './cert';
import { EmptySchema, GRPCController } from './gen/goplugin_pb';
import { Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from './gen/health_pb';
import type { Logger } from './log';
import { createLogger, logLevelFromEnv } from './log';
import type { Awaitable, ProviderHandlers } from './service';
import { RpcError, addProviderService, addService } from './service';

/** Handshake constants of Terraform (internal/plugin6/serve.go) and go-plugin. */
export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const CORE_PROTOCOL_VERSION = 1;
export const PROTOCOL_VERSION = 6;
/** The service name go-plugin registers with the health service. */
export const HEALTH_SERVICE_NAME = 'plugin';

export interface ServeOptions {
  /** The provider's type name, e.g. "aws" for terraform-provider-aws: used in messages and logs. */
  readonly name: string;
  /** Called on StopProvider (e.g. Ctrl-C in Terraform); a returned string is reported as the stop error. */
  readonly onStop?: () => Awaitable<string | void>;
  /** Called once before the process exits after GRPCController/Shutdown (at most 1 s is waited for). */
  readonly onShutdown?: () => Awaitable<void>;
  /** "unix" (default, as go-plugin on Linux/macOS) or "tcp" (127.0.0.1, default on Windows). */
  readonly network?: 'unix' | 'tcp';
  /** Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: a stderr logger enabled by TF_LOG / TF_LOG_PROVIDER. */
  readonly logger?: Logger;
}

export type ServeFailureReason =
  'not-a-plugin' | 'unsupported-protocol' | 'bad-client-certificate' | 'listen-failed';

/** Why the plugin could not start; print `message` to stderr and exit 1. */
export interface ServeFailure {
  readonly ok: false;
  readonly reason: ServeFailureReason;
  readonly message: string;
}

/** A running plugin server. The process exits 0 when Terraform calls GRPCController/Shutdown. */
export interface ServeSuccess {
  readonly ok: true;
  /** The line printed on stdout, without the newline. */
  readonly handshake: string;
  readonly network: 'unix' | 'tcp';
  /** Socket path or host:port. */
  readonly address: string;
  readonly tls: boolean;
  /** Stops serving and removes the socket, without exiting. */
  close(): Promise<void>;
}

export type ServeResult = ServeSuccess | ServeFailure;

/** The message for a person who runs the provider executable by hand. */
export function notAPluginMessage(name: string): string {
  return [
    `This binary is a plugin: terraform-provider-${name}, the ${name} Terraform provider.`,
    'It is not meant to be executed directly: Terraform starts it when a configuration uses the',
    `"${name}" provider. Run terraform (init, plan, apply) in your configuration's directory instead.`,
  ].join('\n');
}

function fail(reason: ServeFailureReason, message: string): ServeFailure {
  return { ok: false, reason, message };
}

/** Checks the environment Terraform sets; undefined when this is a genuine plugin start. */
export function checkPluginEnvironment(env: NodeJS.ProcessEnv, name: string): ServeFailure | undefined {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return fail('not-a-plugin', notAPluginMessage(name));
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  // go-plugin: no list means a legacy client that uses the plugin's default version.
  if (offered.length > 0 && !offered.includes(String(PROTOCOL_VERSION))) {
    return fail(
      'unsupported-protocol',
      `terraform-provider-${name} speaks Terraform plugin protocol ${PROTOCOL_VERSION}, but this Terraform ` +
        `offers only ${offered.join(', ')}. Use Terraform 1.0 or later.`,
    );
  }
  return undefined;
}

/**
 * From here on, console.log/info/debug write to stderr: stdout belongs to the handshake.
 * Returns a function that also sends raw process.stdout writes to stderr (used after the handshake).
 */
function guardStdout(): () => void {
  const toStderr = (...args: unknown[]): void => void process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  return () => {
    const stderrWrite = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
    process.stdout.write = stderrWrite;
  };
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

interface Listening {
  readonly network: 'unix' | 'tcp';
  readonly address: string;
  readonly cleanup: () => void;
}

async function listenUnix(
  server: grpc.Server,
  creds: grpc.ServerCredentials,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Listening> {
  const dir = env.PLUGIN_UNIX_SOCKET_DIR || tmpdir();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Like go-plugin: a fresh name in the directory (os.CreateTemp(dir, "plugin")).
    const path = join(dir, `plugin${randomBytes(6).toString('hex')}`);
    try {
      await bind(server, `unix:${path}`, creds);
    } catch (err) {
      lastError = err;
      continue;
    }
    const group = env.PLUGIN_UNIX_SOCKET_GROUP;
    if (group) {
      // go-plugin also accepts group names; Node has no group lookup, so only numeric ids here.
      if (/^\d+$/.test(group)) chownSync(path, -1, Number(group));
      else logger.warn(`PLUGIN_UNIX_SOCKET_GROUP=${group} ignored: only numeric group ids are supported`);
    }
    return { network: 'unix', address: path, cleanup: () => rmSync(path, { force: true }) };
  }
  throw lastError;
}

async function listenTcp(
  server: grpc.Server,
  creds: grpc.ServerCredentials,
  env: NodeJS.ProcessEnv,
): Promise<Listening> {
  const min = Number(env.PLUGIN_MIN_PORT || 0);
  const max = Number(env.PLUGIN_MAX_PORT || 0);
  if (!(min > 0 && max >= min)) {
    const port = await bind(server, '127.0.0.1:0', creds);
    return { network: 'tcp', address: `127.0.0.1:${port}`, cleanup: () => undefined };
  }
  let lastError: unknown = new Error(`no free port in ${min}-${max}`);
  for (let port = min; port <= max; port++) {
    try {
      await bind(server, `127.0.0.1:${port}`, creds);
      return { network: 'tcp', address: `127.0.0.1:${port}`, cleanup: () => undefined };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

/**
 * Serves the provider: checks the environment, listens, prints the handshake line. Resolves once
 * the handshake is printed (ok: true) or when the plugin cannot start (ok: false; nothing was
 * printed on stdout). See {@link servePluginOrExit} for the usual entry point.
 */
export async function servePlugin(handlers: ProviderHandlers, options: ServeOptions): Promise<ServeResult> {
  const env = options.env ?? process.env;
  const failure = checkPluginEnvironment(env, options.name);
  if (failure) return failure;

  const guardRawStdout = guardStdout();
  const logger = options.logger ?? createLogger(logLevelFromEnv(env), { name: `provider ${options.name}` });

  let creds = grpc.ServerCredentials.createInsecure();
  let certField = '';
  const clientCert = env.PLUGIN_CLIENT_CERT;
  const tls = Boolean(clientCert) && !env.TF_DISABLE_PLUGIN_TLS;
  if (tls && clientCert) {
    try {
      new X509Certificate(clientCert); // fail early and clearly on a malformed client cert
    } catch (err) {
      return fail('bad-client-certificate', `PLUGIN_CLIENT_CERT is not a PEM certificate: ${String(err)}`);
    }
    const cert = generateCertificate();
    certField = cert.handshakeField;
    creds = grpc.ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true, // require and verify the client certificate
    );
  }

  const stopController = new AbortController();
  // Every in-flight RPC listens to this signal; Terraform runs up to 10 operations at once (more
  // with -parallelism), which would otherwise print a MaxListenersExceededWarning.
  setMaxListeners(0, stopController.signal);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 << 20,
    'grpc.max_send_message_length': 256 << 20,
  });
  const serviceOptions = { logger, stopSignal: stopController.signal };

  let listening: Listening | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      stopController.abort();
      const forced = setTimeout(() => server.forceShutdown(), 500);
      server.tryShutdown(() => {
        clearTimeout(forced);
        resolve();
      });
    }).finally(() => listening?.cleanup());
    return closing;
  };
  let shuttingDown = false;
  const shutdownAndExit = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.debug('shutting down');
    if (options.onShutdown) await withTimeout(Promise.resolve().then(options.onShutdown), 1000);
    await close();
    process.exit(0);
  };

  addProviderService(server, handlers, {
    ...serviceOptions,
    stopProvider: async () => {
      logger.info('StopProvider: stopping in-flight operations');
      stopController.abort();
      return options.onStop ? await options.onStop() : undefined;
    },
  });
  addService(
    server,
    GRPCController,
    {
      shutdown: () => {
        setImmediate(() => void shutdownAndExit());
        return create(EmptySchema);
      },
    },
    serviceOptions,
  );
  addService(
    server,
    Health,
    {
      check: (req) => {
        if (req.service !== '' && req.service !== HEALTH_SERVICE_NAME) {
          throw new RpcError(grpc.status.NOT_FOUND, `unknown service ${req.service}`);
        }
        return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
      },
    },
    serviceOptions,
  );

  const network = options.network ?? (process.platform === 'win32' ? 'tcp' : 'unix');
  try {
    listening =
      network === 'unix' ? await listenUnix(server, creds, env, logger) : await listenTcp(server, creds, env);
  } catch (err) {
    server.forceShutdown();
    return fail('listen-failed', `terraform-provider-${options.name}: cannot listen: ${String(err)}`);
  }
  const cleanup = listening.cleanup;
  process.once('exit', () => {
    try {
      cleanup();
    } catch {
      // best effort: the process is exiting
    }
  });
  // go-plugin servers ignore interrupts: Terraform forwards Ctrl-C and calls StopProvider instead.
  process.on('SIGINT', () => logger.debug('SIGINT ignored (Terraform calls StopProvider)'));
  process.once('SIGTERM', () => void close().then(() => process.exit(143)));
  process.on('unhandledRejection', (reason) =>
    logger.error(`unhandled promise rejection: ${String(reason)}`),
  );

  const handshake = [
    CORE_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    listening.network,
    listening.address,
    'grpc',
    certField,
  ].join('|');
  process.stdout.write(`${handshake}\n`);
  guardRawStdout();
  logger.debug(`serving on ${listening.network} ${listening.address}${tls ? ' with mTLS' : ' without TLS'}`);
  return { ok: true, handshake, network: listening.network, address: listening.address, tls, close };
}

/**
 * The usual `main` of a provider executable: serves, or prints why it cannot to stderr and
 * exits 1 (e.g. when run by hand rather than by Terraform).
 */
export async function servePluginOrExit(
  handlers: ProviderHandlers,
  options: ServeOptions,
): Promise<ServeSuccess> {
  const result = await servePlugin(handlers, options);
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    process.exit(1);
  }
  return result;
}
