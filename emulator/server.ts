/**
 * The Exalate node emulator: several nodes in one process over `node:http`, each at
 * `http://127.0.0.1:<port>/nodes/<name>` with its API under `/rest/issuehub/4.0`, honouring the
 * contract of `schemas/exalate-node-api.openapi.yaml`. State is persisted in `dataDir` before
 * any mutation is acknowledged.
 *
 * Test-only control surface (never part of a real node): the methods of `Emulator` below, and
 * `POST /nodes/<name>/_emulator/connections/<id>/error` (JWT required) to put a connection in ERROR.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isPlatform, PLATFORMS, type Platform } from '../provider/model/platforms';
import type { Connection } from '../provider/api/types';
import { NodeApiHandlers, error, toWire, type Reply } from './api';
import { FaultInjector, type FaultSpec } from './faults';
import { JwtSigner } from './jwt';
import { loadState, saveState, type EmulatorState } from './store';
import { TokenBucket } from '../provider/util/token-bucket';

export type { FaultSpec, FaultKind } from './faults';

export { API_BASE } from '../provider/api/contract';
import { API_BASE } from '../provider/api/contract';
export const EMULATOR_VERSION = 'exalate-iac-emulator/0.1.0';
export const DEFAULT_NODES: Readonly<Record<string, Platform>> = {
  'acme-freshservice': 'freshservice',
  'acme-jira': 'jira-cloud',
};
const MAX_BODY = 2 * 1024 * 1024;

export interface EmulatorOptions {
  /** Folder holding the state (`state.json`); created when missing. */
  readonly dataDir: string;
  /** The API token every emulated node accepts. Never printed. */
  readonly token: string;
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Emulated nodes, name → platform. Nodes found in the state but not listed are kept too.
   * @default DEFAULT_NODES
   */
  readonly nodes?: Readonly<Record<string, Platform>>;
  /**
   * Added before every API answer.
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * Probability (0..1) of a random fault per API request (503, 502, reset, lost response).
   * @default 0
   */
  readonly faultRate?: number;
  /**
   * Seed of the fault-rate PRNG, so a run can be replayed.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Requests per second per node before answering 429 with Retry-After; 0 disables it.
   * @default 0
   */
  readonly rateLimit?: number;
  /**
   * Lifetime of an issued JWT.
   * @default 3600000
   */
  readonly jwtTtlMs?: number;
  /** Clock for timestamps and JWTs, injectable for tests. @default Date.now */
  readonly now?: () => number;
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

export interface Emulator {
  /** Base URL of the emulator, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** The address and port really bound (e.g. `0.0.0.0:4010` for every interface). */
  readonly boundAddress: string;
  readonly port: number;
  /** Names of the emulated nodes. */
  readonly nodes: readonly string[];
  /** URL of one emulated node (what a config's `nodes.<name>.url` holds). */
  nodeUrl(name: string): string;
  /** Every API request answered so far (bounded to the last 10,000). */
  readonly requests: readonly RequestRecord[];
  clearRequests(): void;
  /** Test-only: fail the next matching requests (deterministic fault injection). */
  injectFaults(...faults: FaultSpec[]): void;
  clearFaults(): void;
  /** Scheduled faults not yet triggered. */
  readonly pendingFaults: number;
  /** Test-only: change the random fault rate (and optionally reseed). */
  setFaultRate(rate: number, seed?: number): void;
  setLatency(ms: number): void;
  setRateLimit(requestsPerSecond: number): void;
  /** Test-only: every JWT issued so far is refused from now on (as if expired). */
  expireTokens(): void;
  /** Test-only: put a connection in ERROR with this message. */
  setConnectionError(node: string, id: number, message: string): Connection;
  /** Test-only: the stored connections of a node (wire form, rules and triggers included). */
  connections(node: string): Connection[];
  close(): Promise<void>;
}

/** The URL of node `name` on an emulator whose base URL is `baseUrl`. */
export function nodeUrl(baseUrl: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/nodes/${encodeURIComponent(name)}`;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!options.token) throw new Error('startEmulator: token is required');
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const jwtTtlMs = options.jwtTtlMs ?? 3_600_000;
  let latencyMs = options.latencyMs ?? 0;
  let rateLimit = options.rateLimit ?? 0;
  const tokenHash = sha256(options.token);
  const signer = new JwtSigner();
  const faults = new FaultInjector(options.faultRate ?? 0, options.seed ?? 1);
  let generation = 0;
  let requests: RequestRecord[] = [];

  let state: EmulatorState = loadState(options.dataDir);
  const wanted = options.nodes ?? DEFAULT_NODES;
  let initialised = false;
  for (const [name, platform] of Object.entries(wanted)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) throw new Error(`node name '${name}' is not valid`);
    if (!isPlatform(platform))
      throw new Error(`node '${name}': unknown platform '${platform}' (${PLATFORMS.join(', ')})`);
    const existing = state.nodes[name];
    if (!existing) {
      state.nodes[name] = { platform, nextId: 1, connections: [] };
      initialised = true;
    } else if (existing.platform !== platform) {
      existing.platform = platform;
      initialised = true;
    }
  }
  if (initialised) saveState(options.dataDir, state);

  let baseUrl = '';
  const buckets = new Map<string, TokenBucket>();
  const nodeOfUrl = (url: string): string | undefined => {
    try {
      const parsed = new URL(url);
      const m = /^\/nodes\/([^/]+)\/?$/.exec(parsed.pathname);
      if (!m || !m[1]) return undefined;
      // Any loopback host and port: the emulator may have restarted on another port.
      if (
        !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(parsed.hostname) &&
        parsed.origin !== new URL(baseUrl).origin
      ) {
        return undefined;
      }
      const name = decodeURIComponent(m[1]);
      return state.nodes[name] ? name : undefined;
    } catch {
      return undefined;
    }
  };
  const env = {
    get state() {
      return state;
    },
    nodeUrl: (name: string) => nodeUrl(baseUrl, name),
    nodeOfUrl,
    now,
    version: EMULATOR_VERSION,
  };
  const handlers = new NodeApiHandlers(env);

  /** Persist, or roll the in-memory state back to what is on disk. */
  const persist = (): boolean => {
    try {
      saveState(options.dataDir, state);
      return true;
    } catch {
      state = loadState(options.dataDir);
      return false;
    }
  };

  const record = (r: RequestRecord): void => {
    requests.push(r);
    if (requests.length > 10_000) requests = requests.slice(-5_000);
  };

  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = (res: ServerResponse, reply: Reply): void => {
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
  };

  const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      req.on('end', () => resolve(size > MAX_BODY ? 'too-large' : Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const authenticate = (node: string, body: unknown): Reply => {
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { password?: unknown }).password !== 'string'
    ) {
      return error(
        400,
        'BAD_REQUEST',
        'authentication needs {authProtocol, user, password} with the node token as password',
      );
    }
    const given = sha256((body as { password: string }).password);
    if (!timingSafeEqual(given, tokenHash)) return error(401, 'UNAUTHORIZED', 'invalid credentials');
    const iat = now();
    const exp = iat + jwtTtlMs;
    const jwt = signer.sign({ sub: node, iat, exp, gen: generation, jti: randomBytes(8).toString('hex') });
    return { status: 200, headers: { 'X-Exalate-Jwt': jwt }, body: { expiresAt: exp } };
  };

  const authorised = (req: IncomingMessage, node: string): string | undefined => {
    const jwt = headerValue(req, 'x-exalate-jwt');
    if (!jwt) return 'missing X-exalate-jwt header: authenticate first';
    const claims = signer.verify(jwt);
    if (!claims || claims.sub !== node) return 'invalid token';
    if (claims.gen !== generation || claims.exp <= now()) return 'token expired: authenticate again';
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const m = /^\/nodes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const nodeName = m?.[1] ? decodeURIComponent(m[1]) : undefined;
    const rest = m?.[2] ?? '';
    if (!nodeName || !state.nodes[nodeName]) {
      send(
        res,
        error(
          404,
          'NOT_FOUND',
          `no emulated node at ${url.pathname.slice(0, 200)} (nodes: ${Object.keys(state.nodes).join(', ')})`,
        ),
      );
      return;
    }
    const raw = await readBody(req);
    if (raw === 'too-large') {
      send(res, error(413, 'TOO_LARGE', `request body larger than ${MAX_BODY} bytes`));
      return;
    }
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        send(res, error(400, 'BAD_JSON', 'the request body is not valid JSON'));
        return;
      }
    }

    // Test-only control surface.
    const control = /^\/_emulator\/connections\/(\d+)\/error$/.exec(rest);
    if (control && method === 'POST') {
      const why = authorised(req, nodeName);
      if (why) return send(res, error(401, 'UNAUTHORIZED', why));
      const message =
        typeof (body as { message?: unknown })?.message === 'string'
          ? (body as { message: string }).message
          : 'script error';
      try {
        const c = handlers.setError(nodeName, Number(control[1]), message);
        if (!persist()) return send(res, error(500, 'STORAGE', 'could not persist the state'));
        return send(res, { status: 200, body: c });
      } catch {
        return send(res, error(404, 'NOT_FOUND', `connection ${control[1]} not found`));
      }
    }

    if (!rest.startsWith(API_BASE)) {
      send(res, error(404, 'NOT_FOUND', `no such endpoint: ${method} ${url.pathname.slice(0, 200)}`));
      return;
    }
    const apiPath = rest.slice(API_BASE.length) || '/';
    const shown = `${apiPath}${url.search}`;

    if (rateLimit > 0) {
      let bucket = buckets.get(nodeName);
      if (!bucket) {
        bucket = new TokenBucket(rateLimit, Math.max(1, rateLimit), now);
        buckets.set(nodeName, bucket);
      }
      const waitMs = bucket.tryTake();
      const wait = Math.max(1, Math.ceil(waitMs / 1000));
      if (waitMs > 0) {
        record({ node: nodeName, method, path: shown, status: 429, fault: 'rate-limit' });
        send(res, {
          ...error(429, 'RATE_LIMITED', `more than ${rateLimit} requests per second`),
          headers: { 'Retry-After': String(wait) },
        });
        return;
      }
    }

    const fault = faults.pick(nodeName, method, apiPath);
    if (latencyMs > 0) await sleep(latencyMs);
    if (fault?.kind === 'reset') {
      record({ node: nodeName, method, path: shown, status: 0, fault: 'reset' });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status' || fault?.kind === 'rate-limit') {
      const status = fault.kind === 'rate-limit' ? 429 : (fault.status ?? 503);
      const retryAfter = fault.retryAfter ?? (fault.kind === 'rate-limit' ? 1 : undefined);
      record({ node: nodeName, method, path: shown, status, fault: fault.kind });
      send(res, {
        ...error(
          status,
          status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE',
          status === 429 ? 'too many requests' : 'injected fault: the node is unavailable',
        ),
        ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
      });
      return;
    }

    let reply: Reply;
    if (apiPath === '/authenticate') {
      reply =
        method === 'POST'
          ? authenticate(nodeName, body)
          : error(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on /authenticate`);
    } else {
      const why = authorised(req, nodeName);
      if (why) {
        reply = error(401, 'UNAUTHORIZED', why);
      } else {
        try {
          reply = handlers.handle({
            node: nodeName,
            method,
            path: apiPath,
            query: url.searchParams,
            headers: req.headers,
            body,
          });
        } catch {
          state = loadState(options.dataDir);
          reply = error(500, 'INTERNAL', `the emulator failed on ${method} ${apiPath}`);
        }
        if (reply.mutated && !persist()) reply = error(500, 'STORAGE', 'could not persist the state');
      }
    }
    if (fault?.kind === 'lost-response') {
      record({ node: nodeName, method, path: shown, status: 0, fault: 'lost-response' });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 1000);
    record({
      node: nodeName,
      method,
      path: shown,
      status: reply.status,
      ...(fault ? { fault: fault.kind } : {}),
    });
    send(res, reply);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, error(500, 'INTERNAL', 'the emulator failed'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const port = bound.port;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${shownHost}:${port}`;
  // Restarted on another port: links between emulated nodes follow, as a real node's URL is stable.
  let moved = false;
  for (const node of Object.values(state.nodes)) {
    for (const c of node.connections) {
      const target = c.communication.remoteUrl ? nodeOfUrl(c.communication.remoteUrl) : undefined;
      if (target && c.communication.remoteUrl !== nodeUrl(baseUrl, target)) {
        c.communication.remoteUrl = nodeUrl(baseUrl, target);
        moved = true;
      }
    }
  }
  if (moved) saveState(options.dataDir, state);

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    boundAddress: bound.family === 'IPv6' ? `[${bound.address}]:${port}` : `${bound.address}:${port}`,
    port,
    get nodes() {
      return Object.keys(state.nodes);
    },
    nodeUrl: (name) => nodeUrl(baseUrl, name),
    get requests() {
      return requests;
    },
    clearRequests: () => {
      requests = [];
    },
    injectFaults: (...specs) => faults.schedule(specs),
    clearFaults: () => faults.clear(),
    get pendingFaults() {
      return faults.pending;
    },
    setFaultRate: (rate, seed) => {
      faults.rate = rate;
      if (seed !== undefined) faults.reseed(seed);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setRateLimit: (rps) => {
      rateLimit = rps;
      buckets.clear();
    },
    expireTokens: () => {
      generation += 1;
    },
    setConnectionError: (node, id, message) => {
      const c = handlers.setError(node, id, message);
      if (!persist()) throw new Error('could not persist the emulator state');
      return c;
    },
    connections: (node) => {
      const stored = state.nodes[node];
      if (!stored) throw new Error(`node '${node}' is not emulated`);
      return stored.connections.map((c) => toWire(c, new Set(['rules', 'triggers'])));
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
