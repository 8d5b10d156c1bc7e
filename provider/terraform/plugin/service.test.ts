import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { decodeDynamicValue, encodeDynamicValue } from './cty';
import * as pb from './gen/tfplugin6_pb';
import type { HandlerContext, ProviderHandlers } from './service';
import {
  RpcError,
  addProviderService,
  errorSummary,
  grpcServiceDefinition,
  hasDiagnostics,
  methodPath,
  serviceClient,
  silentLogger,
} from './service';

describe('service definitions', () => {
  test('paths and names follow the protocol', () => {
    const def = grpcServiceDefinition(pb.Provider);
    expect(Object.keys(def).sort()).toEqual(
      [
        'applyResourceChange',
        'configureProvider',
        'getMetadata',
        'getProviderSchema',
        'importResourceState',
        'planResourceChange',
        'readDataSource',
        'readResource',
        'stopProvider',
        'upgradeResourceState',
        'validateDataResourceConfig',
        'validateProviderConfig',
        'validateResourceConfig',
      ].sort(),
    );
    expect(def.getProviderSchema?.path).toBe('/tfplugin6.Provider/GetProviderSchema');
    expect(methodPath(pb.Provider.method.stopProvider)).toBe('/tfplugin6.Provider/StopProvider');
  });

  test('which responses carry diagnostics', () => {
    const withDiagnostics = pb.Provider.methods.filter((m) => hasDiagnostics(m.output)).map((m) => m.name);
    expect(withDiagnostics).not.toContain('StopProvider');
    expect(withDiagnostics).toHaveLength(pb.Provider.methods.length - 1);
  });

  test('errorSummary uses the message only', () => {
    const err = new Error('bad thing');
    expect(errorSummary(err)).toBe('bad thing');
    expect(errorSummary('plain')).toBe('plain');
    expect(errorSummary(42)).toBe('Unexpected error: 42');
    expect(errorSummary(new TypeError(''))).toBe('TypeError');
  });
});

describe('provider service over grpc-js', () => {
  let dir: string;
  let server: grpc.Server;
  let channel: grpc.Client;
  let provider: ReturnType<typeof serviceClient<typeof pb.Provider>>;
  const stop = new AbortController();
  let stopResult: () => string | void = () => undefined;
  let seenSignal: AbortSignal | undefined;

  const handlers: ProviderHandlers = {
    getProviderSchema: () =>
      create(pb.GetProviderSchema_ResponseSchema, {
        resourceSchemas: {
          x_thing: { version: 2n, block: { attributes: [{ name: 'id', computed: true }] } },
        },
      }),
    validateResourceConfig: async (req) => {
      await new Promise((r) => setImmediate(r));
      throw new Error(`no good: ${req.typeName}`);
    },
    validateProviderConfig: () => {
      throw 'a string';
    },
    readResource: (req, ctx: HandlerContext) => {
      seenSignal = ctx.signal;
      expect(ctx.method).toBe('ReadResource');
      return create(pb.ReadResource_ResponseSchema, { newState: req.currentState, private: req.private });
    },
    importResourceState: () => {
      throw new RpcError(grpc.status.FAILED_PRECONDITION, 'not now');
    },
    // A response built without create(): still serialized (untyped callers).
    configureProvider: () => ({}) as pb.ConfigureProvider_Response,
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'service-test-'));
    server = new grpc.Server();
    addProviderService(server, handlers, {
      logger: silentLogger,
      stopSignal: stop.signal,
      stopProvider: () => stopResult(),
    });
    const socket = join(dir, 'sock');
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    channel = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
    provider = serviceClient(channel, pb.Provider);
  });

  afterAll(() => {
    channel.close();
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a response round-trips', async () => {
    const res = await provider.getProviderSchema();
    expect(res.resourceSchemas.x_thing?.version).toBe(2n);
    expect(res.resourceSchemas.x_thing?.block?.attributes[0]?.name).toBe('id');
    expect(res.diagnostics).toEqual([]);
  });

  test('request values reach the handler', async () => {
    const res = await provider.readResource({
      typeName: 'x_thing',
      currentState: encodeDynamicValue({ id: 'a' }),
      private: new Uint8Array([1, 2]),
    });
    expect(decodeDynamicValue(res.newState)).toEqual({ id: 'a' });
    expect([...res.private]).toEqual([1, 2]);
    expect(seenSignal?.aborted).toBe(false);
  });

  test('a throwing handler answers with one ERROR diagnostic: message as summary, no detail', async () => {
    const res = await provider.validateResourceConfig({ typeName: 'x_thing' });
    expect(res.diagnostics).toHaveLength(1);
    expect(res.diagnostics[0]).toMatchObject({
      severity: pb.Diagnostic_Severity.ERROR,
      summary: 'no good: x_thing',
      detail: '',
    });
    expect(res.diagnostics[0]?.attribute).toBeUndefined();
  });

  test('a thrown non-Error becomes a diagnostic too', async () => {
    const res = await provider.validateProviderConfig({});
    expect(res.diagnostics.map((d) => d.summary)).toEqual(['a string']);
  });

  test('RpcError answers with its gRPC status', async () => {
    await expect(provider.importResourceState({ typeName: 'x', id: '1' })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'not now',
    });
  });

  test('a handler returning a plain init object still answers', async () => {
    const res = await provider.configureProvider({});
    expect(res.diagnostics).toEqual([]);
  });

  test('a missing handler answers UNIMPLEMENTED', async () => {
    await expect(provider.planResourceChange({ typeName: 'x' })).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
    });
    await expect(provider.getMetadata({})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  test('an RPC outside the subset (e.g. GetFunctions) answers UNIMPLEMENTED', async () => {
    const call = new Promise((resolve, reject) =>
      channel.makeUnaryRequest(
        '/tfplugin6.Provider/GetFunctions',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    await expect(call).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  test('StopProvider: the hook result is the Error field; a throwing hook is INTERNAL', async () => {
    stopResult = () => undefined;
    expect((await provider.stopProvider({})).Error).toBe('');
    stopResult = () => 'cannot stop';
    expect((await provider.stopProvider({})).Error).toBe('cannot stop');
    stopResult = () => {
      throw new Error('stop exploded');
    };
    await expect(provider.stopProvider({})).rejects.toMatchObject({
      code: grpc.status.INTERNAL,
      details: 'stop exploded',
    });
  });

  test('the handler signal follows the stop signal', async () => {
    stop.abort();
    await provider.readResource({ typeName: 'x', currentState: encodeDynamicValue(null) });
    expect(seenSignal?.aborted).toBe(true);
  });

  test('requests with fields outside the subset are accepted (kept as unknown fields)', async () => {
    // GetProviderSchema.Request has no fields; send field 9 (varint 1) as a newer Terraform might.
    const extra = Buffer.from([0x48, 0x01]);
    const res = await new Promise<Buffer>((resolve, reject) =>
      channel.makeUnaryRequest(
        '/tfplugin6.Provider/GetProviderSchema',
        (b: Buffer) => b,
        (b: Buffer) => b,
        extra,
        (err, r) => (err || !r ? reject(err) : resolve(r)),
      ),
    );
    expect(res.length).toBeGreaterThan(0);
    expect(
      toBinary(pb.GetProviderSchema_RequestSchema, create(pb.GetProviderSchema_RequestSchema)).length,
    ).toBe(0);
  });
});
