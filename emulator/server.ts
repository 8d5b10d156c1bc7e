/**
 * The Exalate node emulator: several nodes in one process over `node:http`, each at
 * `http://127.0.0.1:<port>/nodes/<name>` with its API under `/rest/issuehub/4.0`, honouring the
 * contract of `schemas/exalate-node-api.openapi.yaml`. Every change is durable (`store.ts`)
 * before it is acknowledged.
 *
 * This file wires the parts together, in the order a request meets them: the node in the path
 * (`http.ts`), the body, who is calling (`auth.ts`), the rate limit of that caller
 * (`rate-limit.ts`), injected latency and faults (`faults.ts`), the API itself (`api.ts`), and the
 * commit of what it changed (`store.ts`).
 *
 * Test-only control surface (never part of a real node): the methods of `Emulator` below, and
 * `POST /nodes/<name>/_emulator/connections/<id>/error` (JWT required) to put a connection in ERROR.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isPlatform, PLATFORMS, type Platform } from '../provider/model/platforms';
import { API_BASE, JWT_REQUEST_HEADER, type Connection } from '../provider/api/contract';
import { NodeApiHandlers, PROFILES, error, toWire, type Profile, type Reply } from './api';
import { Authenticator, type Verdict } from './auth';
import { FaultInjector, type FaultSpec } from './faults';
import {
  MAX_BODY,
  RequestLog,
  decodeSegment,
  headerValue,
  nodeUrl,
  readBody,
  send,
  splitNodePath,
  type RequestRecord,
} from './http';
import { RateLimiter } from './rate-limit';
import { Store, type StorageStats, type StoreOptions } from './store';

export type { FaultSpec, FaultKind } from './faults';
export type { Profile } from './api';
export type { RequestRecord } from './http';
export type { CompactionStep, StorageStats } from './store';
export { API_BASE } from '../provider/api/contract';
export { nodeUrl } from './http';

export const EMULATOR_VERSION = 'exalate-iac-emulator/0.1.0';
export const DEFAULT_NODES: Readonly<Record<string, Platform>> = {
  'acme-freshservice': 'freshservice',
  'acme-jira': 'jira-cloud',
};
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface EmulatorOptions {
  /** Folder holding the state (`state.json` and `journal.jsonl`); created when missing. */
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
   * `full` answers the whole contract; `observed` answers reads only as real nodes are observed
   * to (bare connections, one unpaged list, 404 for the modeled reads); writes work in both.
   * @default 'full'
   */
  readonly profile?: Profile;
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
   * Authenticated requests per second per node before answering 429 with Retry-After; 0
   * disables it. Requests without valid credentials never count.
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
  /**
   * How many requests `requests` keeps (the most recent).
   * @default 10000
   */
  readonly requestLogLimit?: number;
  /** Storage tuning and test hooks (see `store.ts`). */
  readonly storage?: StoreOptions;
}

export interface Emulator {
  /** Base URL of the emulator, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** The address and port really bound (e.g. `0.0.0.0:4010` for every interface). */
  readonly boundAddress: string;
  readonly port: number;
  readonly profile: Profile;
  /** Names of the emulated nodes. */
  readonly nodes: readonly string[];
  /** URL of one emulated node (what a config's `nodes.<name>.url` holds). */
  nodeUrl(name: string): string;
  /** The most recent API requests answered (bounded: `requestLogLimit`, 10,000 by default). */
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
  /** What the storage wrote since the start (bytes, compactions). */
  readonly storage: Readonly<StorageStats>;
  close(): Promise<void>;
}

const isLoopback = (hostname: string): boolean => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(hostname);

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!options.token) throw new Error('startEmulator: token is required');
  const profile = options.profile ?? 'full';
  if (!PROFILES.includes(profile)) {
    throw new Error(`unknown profile '${String(profile)}' (${PROFILES.join(', ')})`);
  }
  const wanted = options.nodes ?? DEFAULT_NODES;
  for (const [name, platform] of Object.entries(wanted)) {
    if (!NODE_NAME.test(name)) throw new Error(`node name '${name}' is not valid`);
    if (!isPlatform(platform))
      throw new Error(`node '${name}': unknown platform '${platform}' (${PLATFORMS.join(', ')})`);
  }
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  let latencyMs = options.latencyMs ?? 0;
  const auth = new Authenticator(options.token, options.jwtTtlMs ?? 3_600_000, now);
  const limiter = new RateLimiter(options.rateLimit ?? 0, now);
  const faults = new FaultInjector(options.faultRate ?? 0, options.seed ?? 1);
  const log = new RequestLog(options.requestLogLimit ?? 10_000);

  const store = Store.open(options.dataDir, options.storage ?? {});
  try {
    for (const [name, platform] of Object.entries(wanted)) {
      if (store.state.nodes.get(name)?.platform !== platform) store.setNode(name, platform);
    }
    store.commit();
  } catch (e) {
    store.close();
    throw e;
  }

  let baseUrl = '';
  const nodeOfUrl = (url: string): string | undefined => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    // Any loopback host and port: the emulator may have restarted on another port.
    if (!isLoopback(parsed.hostname) && parsed.origin !== new URL(baseUrl).origin) return undefined;
    const m = /^\/nodes\/([^/]+)\/?$/.exec(parsed.pathname);
    const name = m?.[1] === undefined ? undefined : decodeSegment(m[1]);
    return name !== undefined && store.state.nodes.has(name) ? name : undefined;
  };
  const handlers = new NodeApiHandlers({
    store,
    profile,
    nodeUrl: (name: string) => nodeUrl(baseUrl, name),
    nodeOfUrl,
    now,
    version: EMULATOR_VERSION,
  });

  /**
   * Resolves true once every change staged so far is on disk, false when writing them failed
   * (whichever flush wrote them: this one, or a `commit()` before it).
   */
  let flushing: Promise<void> | undefined;
  const durable = async (): Promise<boolean> => {
    const failedBefore = store.failedFlushes;
    await (flushing ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        flushing = undefined;
        try {
          store.flush();
        } catch {
          // counted in failedFlushes
        }
        resolve();
      }),
    ));
    return store.failedFlushes === failedBefore;
  };

  /** Make the handler's changes durable; false (and the state as on disk) when that failed. */
  const commit = (): boolean => {
    try {
      store.commit();
      return true;
    } catch {
      return false;
    }
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

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.invalid');
    } catch {
      send(res, error(400, 'BAD_REQUEST', 'the request target is not a valid path'));
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const split = splitNodePath(url.pathname);
    if (split === 'malformed') {
      send(res, error(400, 'BAD_REQUEST', 'the node name in the path is not valid percent-encoding'));
      return;
    }
    if (!split || !store.state.nodes.has(split.node)) {
      send(
        res,
        error(
          404,
          'NOT_FOUND',
          `no emulated node at ${url.pathname.slice(0, 200)} (nodes: ${[...store.state.nodes.keys()].join(', ')})`,
        ),
      );
      return;
    }
    const { node, rest } = split;
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
    const jwt = headerValue(req, JWT_REQUEST_HEADER.toLowerCase());

    // Test-only control surface.
    const control = /^\/_emulator\/connections\/(\d+)\/error$/.exec(rest);
    if (control && method === 'POST') {
      const who = auth.checkJwt(node, jwt);
      if (!who.ok) return send(res, error(401, 'UNAUTHORIZED', who.reason));
      const message =
        typeof (body as { message?: unknown })?.message === 'string'
          ? (body as { message: string }).message
          : 'script error';
      let c: Connection;
      try {
        c = handlers.setError(node, Number(control[1]), message);
      } catch {
        return send(res, error(404, 'NOT_FOUND', `connection ${control[1]} not found`));
      }
      if (!commit()) return send(res, error(500, 'STORAGE', 'could not persist the state'));
      return send(res, { status: 200, body: c });
    }

    if (!rest.startsWith(API_BASE)) {
      send(res, error(404, 'NOT_FOUND', `no such endpoint: ${method} ${url.pathname.slice(0, 200)}`));
      return;
    }
    const apiPath = rest.slice(API_BASE.length) || '/';
    const shown = `${apiPath}${url.search}`;
    const record = (status: number, fault?: string): void =>
      log.add({ node, method, path: shown, status, ...(fault ? { fault } : {}) });

    // Who is calling decides the rate-limit budget; without valid credentials there is none to use.
    const authenticating = apiPath === '/authenticate';
    const who: Verdict =
      authenticating && method === 'POST' ? auth.checkCredentials(node, body) : auth.checkJwt(node, jwt);
    if (who.ok) {
      const retryAfter = limiter.take(who.principal);
      if (retryAfter > 0) {
        record(429, 'rate-limit');
        send(res, {
          ...error(429, 'RATE_LIMITED', `more than ${limiter.rate} requests per second`),
          headers: { 'Retry-After': String(retryAfter) },
        });
        return;
      }
    }

    const fault = faults.pick(node, method, apiPath);
    if (latencyMs > 0) await sleep(latencyMs);
    if (fault?.kind === 'reset') {
      record(0, 'reset');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status' || fault?.kind === 'rate-limit') {
      const status = fault.kind === 'rate-limit' ? 429 : (fault.status ?? 503);
      const retryAfter = fault.retryAfter ?? (fault.kind === 'rate-limit' ? 1 : undefined);
      record(status, fault.kind);
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
    if (authenticating) {
      if (method !== 'POST') {
        reply = error(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on /authenticate`);
      } else if (!who.ok) {
        reply = error(who.status, who.status === 400 ? 'BAD_REQUEST' : 'UNAUTHORIZED', who.reason);
      } else {
        const issued = auth.issue(node);
        reply = {
          status: 200,
          headers: { 'X-Exalate-Jwt': issued.jwt },
          body: { expiresAt: issued.expiresAt },
        };
      }
    } else if (!who.ok) {
      reply = error(401, 'UNAUTHORIZED', who.reason);
    } else {
      try {
        reply = handlers.handle({
          node,
          method,
          path: apiPath,
          query: url.searchParams,
          headers: req.headers,
          body,
        });
      } catch {
        store.discard();
        reply = error(500, 'INTERNAL', `the emulator failed on ${method} ${apiPath}`);
      }
      if (store.dirty && reply.status >= 400) store.discard(); // a refusal changes nothing
      if (store.dirty) store.stage();
    }
    // No answer before what it shows is on disk: the changes of every request handled in this
    // turn of the event loop are written together, with one fdatasync (group commit).
    if (store.unflushed && !(await durable())) reply = error(500, 'STORAGE', 'could not persist the state');
    if (fault?.kind === 'lost-response') {
      record(0, 'lost-response');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 1000);
    record(reply.status, fault?.kind);
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

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    store.close();
    throw e;
  }
  const bound = server.address() as AddressInfo;
  const port = bound.port;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${shownHost}:${port}`;
  // Restarted on another port: links between emulated nodes follow, as a real node's URL is stable.
  for (const [name, stored] of store.state.nodes) {
    for (const c of stored.connections.values()) {
      const target = c.communication.remoteUrl ? nodeOfUrl(c.communication.remoteUrl) : undefined;
      if (target && c.communication.remoteUrl !== nodeUrl(baseUrl, target)) {
        c.communication.remoteUrl = nodeUrl(baseUrl, target);
        store.put(name, c);
      }
    }
  }
  store.commit();

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    boundAddress: bound.family === 'IPv6' ? `[${bound.address}]:${port}` : `${bound.address}:${port}`,
    port,
    profile,
    get nodes() {
      return [...store.state.nodes.keys()];
    },
    nodeUrl: (name) => nodeUrl(baseUrl, name),
    get requests() {
      return log.records;
    },
    clearRequests: () => log.clear(),
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
      limiter.rate = rps;
    },
    expireTokens: () => auth.expireAll(),
    setConnectionError: (node, id, message) => {
      const c = handlers.setError(node, id, message);
      if (!commit()) throw new Error('could not persist the emulator state');
      return c;
    },
    connections: (node) => {
      const stored = store.state.nodes.get(node);
      if (!stored) throw new Error(`node '${node}' is not emulated`);
      return [...stored.connections.values()].map((c) => toWire(c, new Set(['rules', 'triggers'])));
    },
    get storage() {
      return { ...store.stats };
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => {
          store.close();
          resolve();
        });
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
