import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { derUnsignedInteger, generateCertificate, pemFromBase64Der } from './cert';
import type { PluginCertificate } from './cert';
import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus } from './gen/health_pb';
import { addService, serviceClient, silentLogger } from './service';

/** Walks a DER buffer; calls `onInteger` with the content of every INTEGER, descending into constructed values. */
function walkDer(buf: Buffer, onInteger: (content: Buffer) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const tag = buf[pos++] ?? 0;
    let len = buf[pos++] ?? 0;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (buf[pos++] ?? 0);
    }
    const content = buf.subarray(pos, pos + len);
    if (pos + len > buf.length) throw new Error('truncated DER');
    if (tag === 0x02) onInteger(content);
    else if (tag & 0x20)
      walkDer(content, onInteger); // constructed (SEQUENCE, SET, [n])
    else if (tag === 0x03 && content[0] === 0 && content[1] === 0x30) walkDer(content.subarray(1), onInteger); // signature
    pos += len;
  }
}

function isMinimalInteger(content: Buffer): boolean {
  if (content.length === 0) return false;
  if (content.length === 1) return true;
  const [a = 0, b = 0] = content;
  return !(a === 0x00 && (b & 0x80) === 0) && !(a === 0xff && (b & 0x80) !== 0);
}

describe('derUnsignedInteger', () => {
  test.each<[number[], string]>([
    [[0], '020100'],
    [[0, 0, 0], '020100'],
    [[1], '020101'],
    [[0x7f], '02017f'],
    [[0x80], '02020080'],
    [[0, 0x80], '02020080'],
    [[0, 0, 0x7f, 0xff], '02027fff'],
    [[0xff, 0xff], '020300ffff'],
  ])('%j -> %s', (input, expected) => {
    expect(derUnsignedInteger(Uint8Array.from(input)).toString('hex')).toBe(expected);
  });
});

describe('generateCertificate', () => {
  const COUNT = 3000;

  test(`${COUNT} certificates all parse, name localhost, verify and encode minimally`, () => {
    const serials = new Set<string>();
    const now = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const cert = generateCertificate();
      const x509 = new X509Certificate(cert.der);
      expect(x509.subjectAltName).toBe('DNS:localhost');
      expect(x509.checkHost('localhost')).toBe('localhost');
      expect(x509.ca).toBe(true);
      expect(x509.verify(x509.publicKey)).toBe(true);
      expect(x509.checkPrivateKey(cryptoKey(cert))).toBe(true);
      expect(new Date(x509.validFrom).getTime()).toBeLessThan(now);
      expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now + 20 * 365 * 86400_000);
      expect(cert.handshakeField).not.toContain('=');
      expect(cert.handshakeField).toMatch(/^[A-Za-z0-9+/]+$/);
      expect(Buffer.from(cert.handshakeField, 'base64').equals(cert.der)).toBe(true);
      expect(new X509Certificate(cert.certPem).raw.equals(cert.der)).toBe(true);
      walkDer(cert.der, (content) => {
        if (!isMinimalInteger(content)) throw new Error(`non-minimal INTEGER ${content.toString('hex')}`);
      });
      serials.add(x509.serialNumber);
    }
    expect(serials.size).toBe(COUNT);
  });

  test('extended key usage is serverAuth and clientAuth', () => {
    const x509 = new X509Certificate(generateCertificate().der);
    expect(x509.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(x509.subject).toBe('O=HashiCorp\nCN=localhost');
  });

  test('validity after 2049 uses GeneralizedTime and still parses', () => {
    const cert = generateCertificate({
      notBefore: new Date('2049-06-01T00:00:00Z'),
      notAfter: new Date('2051-01-01T00:00:00Z'),
    });
    const x509 = new X509Certificate(cert.der);
    expect(new Date(x509.validFrom).toISOString()).toBe('2049-06-01T00:00:00.000Z');
    expect(new Date(x509.validTo).toISOString()).toBe('2051-01-01T00:00:00.000Z');
    expect(cert.der.includes(Buffer.from('\x17\x0d490601000000Z', 'latin1'))).toBe(true); // UTCTime
    expect(cert.der.includes(Buffer.from('\x18\x0f20510101000000Z', 'latin1'))).toBe(true); // GeneralizedTime
  });

  test('pemFromBase64Der accepts the unpadded handshake field', () => {
    for (let i = 0; i < 5; i++) {
      const cert = generateCertificate();
      expect(pemFromBase64Der(cert.handshakeField)).toBe(cert.certPem);
    }
  });
});

function cryptoKey(cert: PluginCertificate): import('node:crypto').KeyObject {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a test helper, keeps imports small
  return (require('node:crypto') as typeof import('node:crypto')).createPrivateKey(cert.keyPem);
}

describe('mutual TLS with grpc-js, as go-plugin AutoMTLS uses it', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cert-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function roundTrip(
    server: PluginCertificate,
    trustedClient: PluginCertificate,
    client: PluginCertificate,
  ) {
    const grpcServer = new grpc.Server();
    addService(
      grpcServer,
      Health,
      {
        check: () => create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
      },
      { logger: silentLogger, stopSignal: new AbortController().signal },
    );
    const socket = join(dir, `s${Math.random().toString(36).slice(2)}`);
    const creds = grpc.ServerCredentials.createSsl(
      Buffer.from(trustedClient.certPem),
      [{ private_key: Buffer.from(server.keyPem), cert_chain: Buffer.from(server.certPem) }],
      true,
    );
    await new Promise<void>((resolve, reject) =>
      grpcServer.bindAsync(`unix:${socket}`, creds, (err) => (err ? reject(err) : resolve())),
    );
    const channel = new grpc.Client(
      `unix:${socket}`,
      grpc.credentials.createSsl(
        Buffer.from(pemFromBase64Der(server.handshakeField)),
        Buffer.from(client.keyPem),
        Buffer.from(client.certPem),
      ),
      { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' },
    );
    try {
      const health = serviceClient(channel, Health);
      const deadline = new Date(Date.now() + 5000);
      return await health.check({ service: 'plugin' }, { deadline });
    } finally {
      channel.close();
      grpcServer.forceShutdown();
    }
  }

  test('fresh certificates on both sides connect and call', async () => {
    for (let i = 0; i < 5; i++) {
      const server = generateCertificate();
      const client = generateCertificate();
      const res = await roundTrip(server, client, client);
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
  });

  test('the server rejects a client certificate other than PLUGIN_CLIENT_CERT', async () => {
    const server = generateCertificate();
    await expect(roundTrip(server, generateCertificate(), generateCertificate())).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });
});
