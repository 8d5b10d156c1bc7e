/**
 * The serving layer in real processes: the fixture provider is bundled with esbuild (as a release
 * would be) and started like Terraform starts a provider (see test-client.ts).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { decodeDynamicValue, encodeDynamicValue, UNKNOWN } from './cty';
import { Diagnostic_Severity } from './gen/tfplugin6_pb';
import { HealthCheckResponse_ServingStatus } from './gen/health_pb';
import { DEMO_PROVIDER_ENTRY, bundlePlugin } from './__fixtures__/build';
import { parseHandshake, runPluginToExit, startPlugin } from './test-client';
import type { PluginConnection, PluginStartOptions } from './test-client';

let dir: string;
let socketDir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'serve-test-'));
  socketDir = join(dir, 'sockets');
  mkdirSync(socketDir);
  bundle = await bundlePlugin(DEMO_PROVIDER_ENTRY, dir, 'terraform-provider-demo');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: PluginConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.dispose();
});

function options(extra: Partial<PluginStartOptions> = {}): PluginStartOptions {
  return {
    command: [process.execPath, bundle],
    ...extra,
    env: { PLUGIN_UNIX_SOCKET_DIR: socketDir, TF_LOG: '', TF_LOG_PROVIDER: '', ...extra.env },
  };
}

async function start(extra: Partial<PluginStartOptions> = {}): Promise<PluginConnection> {
  const c = await startPlugin(options(extra));
  open.push(c);
  return c;
}

describe.each([
  ['with AutoMTLS', true],
  ['with TF_DISABLE_PLUGIN_TLS', false],
])('a plugin start %s', (_name, tls) => {
  test('prints exactly one handshake line and serves the provider until Shutdown', async () => {
    const c = await start({ tls });
    expect(c.handshakeLine).toMatch(/^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]*$/);
    expect(c.handshake.network).toBe('unix');
    expect(c.handshake.address.startsWith(join(socketDir, 'plugin'))).toBe(true);
    expect(existsSync(c.handshake.address)).toBe(true);
    if (tls) {
      expect(c.handshake.serverCert).not.toContain('=');
      const cert = new X509Certificate(Buffer.from(c.handshake.serverCert, 'base64'));
      expect(cert.subjectAltName).toBe('DNS:localhost');
    } else {
      expect(c.handshake.serverCert).toBe('');
    }

    const schema = await c.provider.getProviderSchema({});
    expect(Object.keys(schema.resourceSchemas)).toEqual(['demo_thing']);
    expect(schema.resourceSchemas.demo_thing?.version).toBe(1n);
    expect(
      schema.resourceSchemas.demo_thing?.block?.attributes.map((a) => [a.name, a.required, a.computed]),
    ).toEqual([
      ['id', false, true],
      ['name', true, false],
      ['note', false, false],
      ['code', false, true],
    ]);
    expect(Buffer.from(schema.provider?.block?.attributes[0]?.type ?? []).toString()).toBe('"string"');
    expect(schema.diagnostics).toEqual([]);

    const health = await c.health.check({ service: 'plugin' });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);

    // Shutdown ends the process at once (a plugin without it costs Terraform 2 s per start).
    const before = performance.now();
    const status = await c.shutdown();
    expect(performance.now() - before).toBeLessThan(2000); // Terraform kills the plugin after 2 s
    expect(status).toEqual({ code: 0, signal: null });
    expect(c.stdout()).toBe(`${c.handshakeLine}\n`);
    expect(c.stderr()).toBe('fixture: onShutdown called\n');
    expect(existsSync(c.handshake.address)).toBe(false);
  });
});

test('a resource lifecycle: validate, configure, plan with unknowns, apply, read', async () => {
  const c = await start();
  expect(
    (await c.provider.validateProviderConfig({ config: encodeDynamicValue({ store_path: null }) }))
      .diagnostics,
  ).toEqual([]);
  expect((await c.provider.configureProvider({ terraformVersion: '1.11.4' })).diagnostics).toEqual([]);
  const config = { id: null, name: 'alpha', note: null, code: null };
  const plan = await c.provider.planResourceChange({
    typeName: 'demo_thing',
    priorState: encodeDynamicValue(null),
    proposedNewState: encodeDynamicValue(config),
    config: encodeDynamicValue(config),
  });
  expect(plan.diagnostics).toEqual([]);
  const planned = decodeDynamicValue(plan.plannedState);
  expect(planned).toEqual({ id: UNKNOWN, name: 'alpha', note: null, code: UNKNOWN });
  const applied = await c.provider.applyResourceChange({
    typeName: 'demo_thing',
    priorState: encodeDynamicValue(null),
    plannedState: plan.plannedState,
    config: encodeDynamicValue(config),
  });
  const state = decodeDynamicValue(applied.newState) as Record<string, unknown>;
  expect(state.id).toMatch(/^thing-/);
  const read = await c.provider.readResource({ typeName: 'demo_thing', currentState: applied.newState });
  expect(decodeDynamicValue(read.newState)).toEqual(state);
  const data = await c.provider.readDataSource({
    typeName: 'demo_echo',
    config: encodeDynamicValue({ input: 'hi', output: null }),
  });
  expect(decodeDynamicValue(data.state)).toEqual({ input: 'hi', output: 'HI' });
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
});

test('a throwing handler becomes an ERROR diagnostic and the plugin keeps serving', async () => {
  const c = await start();
  const res = await c.provider.validateResourceConfig({
    typeName: 'demo_thing',
    config: encodeDynamicValue({ id: null, name: 'throw', note: null, code: null }),
  });
  expect(res.diagnostics).toHaveLength(1);
  expect(res.diagnostics[0]).toMatchObject({
    severity: Diagnostic_Severity.ERROR,
    summary: 'validation exploded',
    detail: '',
  });
  const again = await c.provider.validateResourceConfig({
    typeName: 'demo_thing',
    config: encodeDynamicValue({ id: null, name: '', note: null, code: null }),
  });
  expect(again.diagnostics.map((d) => [d.summary, d.attribute?.steps[0]?.selector])).toEqual([
    ['name must not be empty', { case: 'attributeName', value: 'name' }],
  ]);
  expect(c.process.exitCode).toBeNull();
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
});

test('many concurrent calls, as with terraform -parallelism, work without warnings', async () => {
  const c = await start({ env: { FIXTURE_SLOW: '1' } });
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      c.provider.readDataSource({
        typeName: 'demo_echo',
        config: encodeDynamicValue({ input: `x${i}`, output: null }),
      }),
    ),
  );
  expect(results.map((r) => (decodeDynamicValue(r.state) as { output: string }).output)).toEqual(
    Array.from({ length: 40 }, (_, i) => `X${i}`),
  );
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
  expect(c.stderr()).toBe('fixture: onShutdown called\n'); // and no MaxListenersExceededWarning
});

test('StopProvider calls the onStop hook; a throwing hook answers INTERNAL', async () => {
  const c = await start();
  expect((await c.provider.stopProvider({})).Error).toBe('');
  expect(c.stderr()).toContain('fixture: onStop called');
  const failing = await start({ env: { FIXTURE_ONSTOP: 'throw' } });
  await expect(failing.provider.stopProvider({})).rejects.toMatchObject({
    code: grpc.status.INTERNAL,
    details: 'stop exploded',
  });
  const erring = await start({ env: { FIXTURE_ONSTOP: 'error' } });
  expect((await erring.provider.stopProvider({})).Error).toBe('could not stop');
  for (const p of [c, failing, erring]) expect(await p.shutdown()).toEqual({ code: 0, signal: null });
});

test('console.log and raw stdout writes after the handshake go to stderr', async () => {
  const c = await start({ env: { FIXTURE_NOISE: '1' } });
  await c.provider.getProviderSchema({});
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
  expect(c.stdout()).toBe(`${c.handshakeLine}\n`);
  expect(c.stderr()).toContain('noise from console.log');
  expect(c.stderr()).toContain('noise from process.stdout.write');
});

test('SIGINT is ignored (Terraform forwards Ctrl-C, then calls StopProvider)', async () => {
  const c = await start();
  c.process.kill('SIGINT');
  expect((await c.provider.getProviderSchema({})).diagnostics).toEqual([]);
  expect(c.process.exitCode).toBeNull();
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
});

test('logs go to stderr only when TF_LOG is set', async () => {
  const quiet = await start();
  await quiet.provider.getProviderSchema({});
  expect(await quiet.shutdown()).toEqual({ code: 0, signal: null });
  expect(quiet.stderr()).toBe('fixture: onShutdown called\n');
  const loud = await start({ env: { TF_LOG: 'debug' } });
  await loud.provider.getProviderSchema({});
  expect(await loud.shutdown()).toEqual({ code: 0, signal: null });
  expect(loud.stderr()).toMatch(/^\[DEBUG\] provider demo: GetProviderSchema ok in [\d.]+ ms$/m);
  expect(loud.stderr()).toContain('[DEBUG] provider demo: shutting down');
  expect(loud.stdout()).toBe(`${loud.handshakeLine}\n`);
});

test('tcp on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT', async () => {
  const c = await start({
    env: { FIXTURE_NETWORK: 'tcp', PLUGIN_MIN_PORT: '21000', PLUGIN_MAX_PORT: '21999' },
  });
  expect(c.handshake.network).toBe('tcp');
  expect(c.handshake.address).toMatch(/^127\.0\.0\.1:21\d\d\d$/);
  expect((await c.provider.getProviderSchema({})).diagnostics).toEqual([]);
  expect(await c.shutdown()).toEqual({ code: 0, signal: null });
});

test('without the magic cookie: a human message on stderr, nothing on stdout, exit 1', async () => {
  const r = await runPluginToExit(options({ cookie: false }));
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('This binary is a plugin');
  expect(r.stderr).toContain('the demo Terraform provider');
  expect(r.stderr).toContain('Terraform starts it');
});

test('a client that does not offer protocol 6 is refused', async () => {
  const r = await runPluginToExit(options({ env: { PLUGIN_PROTOCOL_VERSIONS: '4,5' } }));
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('protocol 6');
});

test('no socket is left behind', () => {
  expect(readdirSync(socketDir)).toEqual([]);
});

test('parseHandshake rejects malformed lines', () => {
  expect(() => parseHandshake('1|6|unix|/x|grpc')).toThrow(/5 fields/);
  expect(parseHandshake('1|6|tcp|127.0.0.1:1|grpc|\n')).toMatchObject({ coreVersion: 1, protocolVersion: 6 });
});
