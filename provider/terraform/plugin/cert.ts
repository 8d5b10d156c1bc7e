/**
 * Self-signed certificate for go-plugin AutoMTLS, built with node:crypto only.
 *
 * Node can parse X.509 but not create it, so the DER is assembled here. The certificate mirrors
 * hashicorp/go-plugin mtls.go generateCert() (which uses P-521; P-256 is used here, it is faster
 * and equally accepted): CN=localhost, O=HashiCorp, SAN DNS:localhost (the Go client verifies the
 * server name "localhost"; a CN alone is rejected), CA:TRUE, key usage digitalSignature |
 * keyEncipherment | keyAgreement | keyCertSign, extended key usage serverAuth + clientAuth,
 * valid from 30 seconds ago for 30 years.
 *
 * Every DER INTEGER must be minimal: a needless leading 0x00 (e.g. in a random serial) makes
 * OpenSSL reject about one certificate in 256 ("illegal padding"), which Terraform reports as
 * "Unrecognized remote plugin message".
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A certificate and its key, in the forms go-plugin and grpc-js need. */
export interface PluginCertificate {
  /** The certificate, DER. */
  readonly der: Buffer;
  /** The certificate, PEM. */
  readonly certPem: string;
  /** The private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** The DER in standard base64 without `=` padding (Go's RawStdEncoding): the handshake's 6th field. */
  readonly handshakeField: string;
}

export interface CertificateOptions {
  /** Start of validity; default 30 s before now (clock skew). */
  readonly notBefore?: Date;
  /** End of validity; default 30 years after notBefore. */
  readonly notAfter?: Date;
  /** Host name for CN and SAN; default "localhost" (what the go-plugin client verifies). */
  readonly host?: string;
}

// ---------------------------------------------------------------- minimal DER writer

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bits = (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const out = [40 * first + second];
  for (const arc of rest) {
    const b = [arc & 0x7f];
    for (let x = Math.floor(arc / 128); x > 0; x = Math.floor(x / 128)) b.unshift(0x80 | (x & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

/**
 * The minimal DER INTEGER of a non-negative big-endian magnitude: redundant leading zero bytes
 * dropped, one 0x00 added only when the top bit is set (else the number would read as negative).
 */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = Buffer.from(magnitude.subarray(start));
  if (trimmed.length === 0) return tlv(0x02, Buffer.from([0]));
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5), whole seconds, "Z". */
function derTime(d: Date): Buffer {
  const digits = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

// ---------------------------------------------------------------- certificate

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** A random, positive, non-zero 128-bit serial number, minimally encoded. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[15] = (bytes[15] ?? 0) | 0x01; // never zero
  return derUnsignedInteger(bytes);
}

/** Generates a fresh self-signed ECDSA P-256 certificate (about 2 ms). */
export function generateCertificate(options: CertificateOptions = {}): PluginCertificate {
  const host = options.host ?? 'localhost';
  const notBefore = options.notBefore ?? new Date(Date.now() - 30_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 30 * YEAR_MS);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const signatureAlgorithm = seq(oid(ECDSA_WITH_SHA256));
  const name = seq(set(seq(oid('2.5.4.10'), utf8('HashiCorp'))), set(seq(oid('2.5.4.3'), utf8(host))));
  const extensions = seq(
    extension('2.5.29.19', true, seq(bool(true))), // basicConstraints: CA
    // keyUsage bits 0 digitalSignature, 2 keyEncipherment, 4 keyAgreement, 5 keyCertSign: 1010 1100, 2 unused
    extension('2.5.29.15', true, bits(Buffer.from([0xac]), 2)),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))), // serverAuth, clientAuth
    extension('2.5.29.17', false, seq(tlv(0x82, Buffer.from(host, 'ascii')))), // subjectAltName dNSName
  );
  const tbs = seq(
    tlv(0xa0, derUnsignedInteger(Buffer.from([2]))), // version v3
    serialNumber(),
    signatureAlgorithm,
    name, // issuer
    seq(derTime(notBefore), derTime(notAfter)),
    name, // subject
    spki,
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, signatureAlgorithm, bits(signature));
  return {
    der,
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    handshakeField: der.toString('base64').replace(/=+$/, ''),
  };
}

/** PEM of a certificate given as base64 DER with or without padding (the handshake's 6th field). */
export function pemFromBase64Der(base64: string): string {
  return pem('CERTIFICATE', Buffer.from(base64, 'base64'));
}
