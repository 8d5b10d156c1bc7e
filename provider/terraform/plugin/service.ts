/**
 * gRPC glue between grpc-js and the protobuf-es descriptors generated from ./proto:
 *   - grpc-js ServiceDefinitions built from a generated service descriptor (toBinary/fromBinary),
 *   - the typed handler interface of the tfplugin6.Provider service and its server implementation
 *     (a throwing handler becomes an ERROR diagnostic, or gRPC INTERNAL when the response has no
 *     diagnostics; a missing handler answers UNIMPLEMENTED),
 *   - a typed promise-based client for any generated service (used by tests).
 *
 * Responses are protobuf-es messages built with `create(XSchema, {...})`: the object literal
 * passed to create() is excess-property checked, so a misnamed field is a compile error.
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import { create, fromBinary, isMessage, toBinary } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import type * as pb from './gen/tfplugin6_pb';
import { DiagnosticSchema, Diagnostic_Severity, Provider } from './gen/tfplugin6_pb';
import type { Logger } from './log';
import { createLogger } from './log';

export type Awaitable<T> = T | Promise<T>;

/** What a handler gets besides its request. */
export interface HandlerContext {
  /**
   * Aborted when Terraform asks the provider to stop (StopProvider, e.g. on Ctrl-C), when the
   * plugin shuts down, or when this call is cancelled. Pass it to HTTP clients.
   */
  readonly signal: AbortSignal;
  /** The plugin's logger (stderr, only when TF_LOG is set). Never log secrets. */
  readonly logger: Logger;
  /** The RPC name, e.g. "PlanResourceChange". */
  readonly method: string;
}

/**
 * The provider's RPC handlers. Every handler is optional: a missing one answers UNIMPLEMENTED,
 * which Terraform accepts for GetMetadata and for the data source RPCs of a provider that has no
 * data sources (GetProviderSchema, ValidateProviderConfig, ConfigureProvider and the resource
 * RPCs are needed by any provider with resources).
 *
 * Return messages made with `create(XxxSchema, {...})`. StopProvider is not here: it is answered
 * by the serving layer, which aborts {@link HandlerContext.signal} and calls `onStop`.
 */
export interface ProviderHandlers {
  getMetadata?(req: pb.GetMetadata_Request, ctx: HandlerContext): Awaitable<pb.GetMetadata_Response>;
  getProviderSchema?(
    req: pb.GetProviderSchema_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.GetProviderSchema_Response>;
  validateProviderConfig?(
    req: pb.ValidateProviderConfig_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ValidateProviderConfig_Response>;
  validateResourceConfig?(
    req: pb.ValidateResourceConfig_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ValidateResourceConfig_Response>;
  validateDataResourceConfig?(
    req: pb.ValidateDataResourceConfig_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ValidateDataResourceConfig_Response>;
  upgradeResourceState?(
    req: pb.UpgradeResourceState_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.UpgradeResourceState_Response>;
  configureProvider?(
    req: pb.ConfigureProvider_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ConfigureProvider_Response>;
  readResource?(req: pb.ReadResource_Request, ctx: HandlerContext): Awaitable<pb.ReadResource_Response>;
  planResourceChange?(
    req: pb.PlanResourceChange_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.PlanResourceChange_Response>;
  applyResourceChange?(
    req: pb.ApplyResourceChange_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ApplyResourceChange_Response>;
  importResourceState?(
    req: pb.ImportResourceState_Request,
    ctx: HandlerContext,
  ): Awaitable<pb.ImportResourceState_Response>;
  readDataSource?(req: pb.ReadDataSource_Request, ctx: HandlerContext): Awaitable<pb.ReadDataSource_Response>;
}

/** Handlers for every unary method of a generated service, keyed by the method's localName. */
export type ServiceHandlers<S extends GenService<GenServiceMethods>> = {
  [K in keyof S['method']]?: (
    req: MessageShape<S['method'][K]['input']>,
    ctx: HandlerContext,
  ) => Awaitable<MessageShape<S['method'][K]['output']>>;
};

// Compile-time proof that ProviderHandlers matches the generated service (minus StopProvider).
type _ProviderHandlersMatch = [ProviderHandlers] extends [
  Omit<ServiceHandlers<typeof Provider>, 'stopProvider'>,
]
  ? [Omit<ServiceHandlers<typeof Provider>, 'stopProvider'>] extends [ProviderHandlers]
    ? true
    : never
  : never;
const _providerHandlersMatch: _ProviderHandlersMatch = true;
void _providerHandlersMatch;

// ---------------------------------------------------------------- service definitions

/** The gRPC path of a method, e.g. "/tfplugin6.Provider/GetProviderSchema". */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function unaryMethods(service: DescService): DescMethod[] {
  for (const m of service.methods) {
    if (m.methodKind !== 'unary') throw new Error(`${methodPath(m)}: only unary methods are supported`);
  }
  return service.methods;
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * A grpc-js ServiceDefinition for a generated service, keyed by method localName, with protobuf-es
 * serialization both ways (what a client needs).
 */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of unaryMethods(service)) {
    def[m.localName] = {
      path: methodPath(m),
      originalName: m.name,
      requestStream: false,
      responseStream: false,
      requestSerialize: (msg) => toBuffer(toBinary(m.input, asMessage(m.input, msg))),
      requestDeserialize: (buf) => fromBinary(m.input, buf),
      responseSerialize: (msg) => toBuffer(toBinary(m.output, asMessage(m.output, msg))),
      responseDeserialize: (buf) => fromBinary(m.output, buf),
    };
  }
  return def;
}

/** The same, except that responses are handed to grpc-js already serialized (see serveUnary). */
function serverServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const def = grpcServiceDefinition(service);
  for (const m of Object.values(def)) m.responseSerialize = (bytes) => bytes as Buffer;
  return def;
}

function asMessage(schema: DescMessage, value: unknown): MessageShape<DescMessage> {
  if (isMessage(value, schema)) return value;
  // A plain init object (possible from untyped callers): complete it.
  return create(schema, value as MessageInitShape<DescMessage>);
}

// ---------------------------------------------------------------- server side

/**
 * Throw this from a handler to answer with a specific gRPC status (e.g. UNIMPLEMENTED, NOT_FOUND)
 * instead of an error diagnostic.
 */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** The summary of an error for a diagnostic: its message only (no stack, no detail). */
export function errorSummary(err: unknown): string {
  if (err instanceof Error) return err.message || err.name || 'Error';
  if (typeof err === 'string' && err !== '') return err;
  return `Unexpected error: ${String(err)}`;
}

/** Whether a response message has `repeated tfplugin6.Diagnostic diagnostics`. */
export function hasDiagnostics(schema: DescMessage): boolean {
  return schema.fields.some(
    (f) =>
      f.localName === 'diagnostics' &&
      f.fieldKind === 'list' &&
      f.message?.typeName === DiagnosticSchema.typeName,
  );
}

export interface ServeUnaryOptions {
  readonly logger: Logger;
  /** Aborted when the plugin is asked to stop or shuts down. */
  readonly stopSignal: AbortSignal;
}

type UnaryImpl = (
  req: MessageShape<DescMessage>,
  ctx: HandlerContext,
) => Awaitable<MessageShape<DescMessage>>;

/** Wraps a handler as a grpc-js unary handler: errors never escape, responses are serialized here. */
function serveUnary(method: DescMethod, impl: UnaryImpl, options: ServeUnaryOptions): grpc.UntypedHandleCall {
  const { logger, stopSignal } = options;
  const withDiagnostics = hasDiagnostics(method.output);
  const handle: grpc.handleUnaryCall<MessageShape<DescMessage>, Buffer> = (call, callback) => {
    const started = performance.now();
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    if (stopSignal.aborted) controller.abort();
    else stopSignal.addEventListener('abort', abort, { once: true });
    call.once('cancelled', abort);
    const ctx: HandlerContext = { signal: controller.signal, logger, method: method.name };
    const done = (): void => {
      stopSignal.removeEventListener('abort', abort);
      call.removeListener('cancelled', abort);
    };
    Promise.resolve()
      .then(() => impl(call.request, ctx))
      .then((response) => toBuffer(toBinary(method.output, asMessage(method.output, response))))
      .then(
        (bytes) => {
          done();
          logger.debug(`${method.name} ok in ${(performance.now() - started).toFixed(1)} ms`);
          callback(null, bytes);
        },
        (err: unknown) => {
          done();
          const summary = errorSummary(err);
          logger.error(`${method.name} failed: ${summary}`);
          if (err instanceof Error && err.stack) logger.trace(err.stack);
          if (err instanceof RpcError || !withDiagnostics) {
            callback({ code: err instanceof RpcError ? err.code : grpc.status.INTERNAL, details: summary });
            return;
          }
          const diagnostic = create(DiagnosticSchema, { severity: Diagnostic_Severity.ERROR, summary });
          const response = create(method.output, { diagnostics: [diagnostic] });
          callback(null, toBuffer(toBinary(method.output, response)));
        },
      );
  };
  return handle as grpc.UntypedHandleCall;
}

/**
 * Adds a generated service to a grpc-js server. Methods without a handler are left to grpc-js,
 * which answers UNIMPLEMENTED.
 */
export function addService<S extends GenService<GenServiceMethods>>(
  server: grpc.Server,
  service: S,
  handlers: ServiceHandlers<S>,
  options: ServeUnaryOptions,
): void {
  const impl: grpc.UntypedServiceImplementation = {};
  const byName = handlers as Record<string, UnaryImpl | undefined>;
  for (const m of unaryMethods(service)) {
    const fn = byName[m.localName];
    if (typeof fn === 'function') impl[m.localName] = serveUnary(m, fn.bind(handlers), options);
  }
  server.addService(serverServiceDefinition(service), impl);
}

/** Adds the tfplugin6.Provider service. */
export function addProviderService(
  server: grpc.Server,
  handlers: ProviderHandlers,
  options: ServeUnaryOptions & {
    /** Answers StopProvider; a returned string is reported to Terraform as the stop error. */
    readonly stopProvider: () => Awaitable<string | void>;
  },
): void {
  const { stopProvider } = options;
  const full: ServiceHandlers<typeof Provider> = {
    ...handlers,
    stopProvider: async (_req, _ctx) => {
      const error = await stopProvider();
      return create(Provider.method.stopProvider.output, { Error: typeof error === 'string' ? error : '' });
    },
  };
  addService(server, Provider, full, options);
}

// ---------------------------------------------------------------- client side

/** A promise-based client for every unary method of a generated service. */
export type ServiceClient<S extends GenService<GenServiceMethods>> = {
  [K in keyof S['method']]: (
    req?: MessageInitShape<S['method'][K]['input']>,
    options?: grpc.CallOptions,
  ) => Promise<MessageShape<S['method'][K]['output']>>;
};

/** Creates a typed client over a grpc-js channel (`new grpc.Client(...)`), one per service or shared. */
export function serviceClient<S extends GenService<GenServiceMethods>>(
  client: grpc.Client,
  service: S,
): ServiceClient<S> {
  const out: Record<string, unknown> = {};
  for (const m of unaryMethods(service)) {
    out[m.localName] = (req: MessageInitShape<DescMessage> = {}, options: grpc.CallOptions = {}) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          methodPath(m),
          (msg: MessageShape<DescMessage>) => toBuffer(toBinary(m.input, msg)),
          (buf: Buffer) => fromBinary(m.output, buf),
          create(m.input, req),
          options,
          (err, res) => (err ? reject(err) : resolve(res)),
        );
      });
  }
  return out as ServiceClient<S>;
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger(undefined);
