/**
 * HTTP plumbing of the emulator: which node a path names, reading a bounded body, sending a reply,
 * and the bounded log of requests answered. Nothing here knows the API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './api';

/** Largest request body read; larger ones answer 413. */
export const MAX_BODY = 2 * 1024 * 1024;

/** The URL of node `name` on an emulator whose base URL is `baseUrl`. */
export function nodeUrl(baseUrl: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/nodes/${encodeURIComponent(name)}`;
}

/** A path segment decoded, or undefined when its percent-encoding is malformed (`%E0%A4%A`). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** `/nodes/<name><rest>`: the node name (decoded) and the rest of the path; 'malformed' for bad encoding. */
export function splitNodePath(pathname: string): { node: string; rest: string } | 'malformed' | undefined {
  const m = /^\/nodes\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m?.[1]) return undefined;
  const node = decodeSegment(m[1]);
  if (node === undefined) return 'malformed';
  return { node, rest: m[2] ?? '' };
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request body, or 'too-large' past `max` bytes (the rest is read and dropped). */
export function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export interface RequestRecord {
  node: string;
  method: string;
  /** API path below the base, query included. */
  path: string;
  /** Status sent, or 0 when the connection was dropped. */
  status: number;
  fault?: string;
}

/** The last `limit` requests answered, oldest first. */
export class RequestLog {
  private items: RequestRecord[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`the request log needs room for at least 1 request, got ${limit}`);
  }

  get records(): readonly RequestRecord[] {
    return this.items;
  }

  add(record: RequestRecord): void {
    this.items.push(record);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
  }

  clear(): void {
    this.items = [];
  }
}
