/**
 * NodeClient: the project's one HTTP client for an Exalate node (and the emulator). Only this
 * folder imports undici.
 *
 * - auth: the node token is exchanged for a JWT (`POST /authenticate`), cached until shortly before
 *   its `exp` (milliseconds), and refreshed once when the node answers 401;
 * - resilience: one keep-alive pool per node, connect and request timeouts, retries with
 *   exponential backoff and jitter for idempotent calls (429, 502, 503, 504, resets, timeouts)
 *   honouring `Retry-After`, a client-side token bucket;
 * - a create is never retried blindly: after an ambiguous failure the name is looked up first;
 * - errors are `ExalateError`s with stable codes, and never contain the token, a JWT or an
 *   invitation code.
 *
 * The retry loop is written here rather than with undici's retry interceptor because it must
 * interleave with re-authentication and the token bucket, add jitter, log each retry, and tell
 * ambiguous failures of mutations apart (which the interceptor does not).
 */
import { Pool, errors as undiciErrors, request, type Dispatcher } from 'undici';
import {
  API_BASE,
  JWT_REQUEST_HEADER,
  MAX_PAGE_SIZE,
  ShapeError,
  calls,
  jwtFrom,
  parseConnection,
  parseCreated,
  parseErrorBody,
  parseInfo,
  parseInvitation,
  parsePage,
  parseRules,
  parseTriggers,
  type ApiCall,
} from './adapter';
import { ExalateError, Redactor, codeForStatus } from './errors';
import { TokenBucket } from './token-bucket';
import type {
  AcceptInvitationRequest,
  Connection,
  CreateConnectionRequest,
  CreatedConnection,
  Invitation,
  ListOptions,
  NodeApi,
  NodeInfo,
  Rules,
  Trigger,
  UpdateConnectionRequest,
} from './types';

/** Where the client reports what it does. Every line is redacted before it gets here. */
export interface ClientLogger {
  debug?(message: string): void;
  warn?(message: string): void;
}

export interface ClientTimeouts {
  /**
   * Time allowed to open a TCP/TLS connection.
   * @default 10000
   */
  readonly connectMs?: number;
  /**
   * Time allowed for the response headers, and again for the body, of one attempt.
   * @default 30000
   */
  readonly requestMs?: number;
}

export interface ClientRetries {
  /**
   * Retries after the first attempt (0 disables retrying).
   * @default 4
   */
  readonly maxRetries?: number;
  /**
   * First backoff delay; doubled on each retry, with jitter.
   * @default 250
   */
  readonly baseDelayMs?: number;
  /**
   * Ceiling of one backoff delay.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * Ceiling of a wait asked for by `Retry-After`.
   * @default 60000
   */
  readonly maxRetryAfterMs?: number;
}

export interface ClientRateLimit {
  /**
   * Sustained requests per second to this node.
   * @default 20
   */
  readonly requestsPerSecond?: number;
  /**
   * Requests allowed at once before the rate applies.
   * @default 20
   */
  readonly burst?: number;
}

export interface NodeClientOptions {
  /** The node's URL (`https://…`); the API lives at `<url>/rest/issuehub/4.0`. */
  readonly url: string;
  /** The node's API token; exchanged for a JWT and never logged. */
  readonly token: string;
  /**
   * Allow plain `http://` to a host that is not loopback. TLS verification is always on.
   * @default false
   */
  readonly allowInsecureHttp?: boolean;
  readonly timeouts?: ClientTimeouts;
  readonly retries?: ClientRetries;
  /** Client-side rate limit; `false` disables it. */
  readonly rateLimit?: ClientRateLimit | false;
  readonly logger?: ClientLogger;
  /** A dispatcher to use instead of the client's own keep-alive pool (not closed by `close()`). */
  readonly dispatcher?: Dispatcher;
  /**
   * Sockets in the keep-alive pool.
   * @default 8
   */
  readonly connections?: number;
  /**
   * Re-authenticate this long before the JWT's `exp`.
   * @default 30000
   */
  readonly jwtRefreshMarginMs?: number;
  /** Clock, sleep and randomness, injectable for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** An earlier attempt of this call failed ambiguously (it may have taken effect). */
  ambiguousBefore: boolean;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** Errors after which the request certainly never reached the node. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function header(headers: Response['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `exp` of a JWT in milliseconds (seconds are converted), or undefined when unreadable. */
export function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof claims.exp !== 'number') return undefined;
    // The node's exp is in milliseconds; a value in seconds would be before 2001 in ms.
    return claims.exp < 1e12 ? claims.exp * 1000 : claims.exp;
  } catch {
    return undefined;
  }
}

function sameTriggers(a: Trigger[], b: Trigger[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class NodeClient implements NodeApi {
  /** The node URL this client talks to (no trailing slash). */
  readonly url: string;
  private readonly origin: string;
  private readonly base: string;
  private readonly token: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly bucket?: TokenBucket;
  private readonly redactor = new Redactor();
  private readonly connectMs: number;
  private readonly requestMs: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly refreshMarginMs: number;
  private readonly logger?: ClientLogger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private jwt?: { value: string; exp?: number };
  private authenticating?: Promise<string>;

  constructor(options: NodeClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      // The value is not repeated: a token put where the URL belongs must not be echoed.
      throw new ExalateError(
        'EXALATE_BAD_REQUEST',
        'the node URL is not a valid URL (expected https://host/…)',
      );
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ExalateError(
        'EXALATE_INSECURE_URL',
        `node URL '${parsed.origin}' must use https:// (got ${parsed.protocol})`,
      );
    }
    if (parsed.protocol === 'http:' && !LOOPBACK.test(parsed.hostname) && !options.allowInsecureHttp) {
      throw new ExalateError(
        'EXALATE_INSECURE_URL',
        `refusing plain http:// to ${parsed.host}: the token would travel unencrypted; use https:// ` +
          '(on a trusted network: the allowInsecureHttp option, EXALATE_ALLOW_INSECURE_HTTP=1 for the CLI)',
      );
    }
    if (parsed.username || parsed.password) {
      throw new ExalateError('EXALATE_INSECURE_URL', 'node URL must not contain credentials');
    }
    if (!options.token)
      throw new ExalateError('EXALATE_UNAUTHORIZED', `no API token given for ${parsed.origin}`);
    this.origin = parsed.origin;
    const prefix = parsed.pathname.replace(/\/+$/, '');
    this.url = `${parsed.origin}${prefix}`;
    this.base = `${prefix}${API_BASE}`;
    this.token = options.token;
    this.redactor.add(options.token);
    this.connectMs = options.timeouts?.connectMs ?? 10_000;
    this.requestMs = options.timeouts?.requestMs ?? 30_000;
    this.maxRetries = options.retries?.maxRetries ?? 4;
    this.baseDelayMs = options.retries?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retries?.maxDelayMs ?? 10_000;
    this.maxRetryAfterMs = options.retries?.maxRetryAfterMs ?? 60_000;
    this.refreshMarginMs = options.jwtRefreshMarginMs ?? 30_000;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    if (options.rateLimit !== false) {
      const rate = options.rateLimit?.requestsPerSecond ?? 20;
      this.bucket = new TokenBucket(
        rate,
        options.rateLimit?.burst ?? Math.max(1, rate),
        this.now,
        this.sleep,
      );
    }
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(this.origin, {
        connections: options.connections ?? 8,
        keepAliveTimeout: 30_000,
        // TLS certificates are always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says.
        connect: { timeout: this.connectMs, rejectUnauthorized: true },
        headersTimeout: this.requestMs,
        bodyTimeout: this.requestMs,
      });
      this.ownsDispatcher = true;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  async info(): Promise<NodeInfo> {
    return this.parse(calls.info(), parseInfo, (await this.send(calls.info(), 'info')).body);
  }

  async *listConnections(options: ListOptions = {}): AsyncIterable<Connection> {
    yield* this.pages(options);
  }

  async getConnection(id: number): Promise<Connection> {
    const call = calls.getConnection(id);
    return this.parse(call, parseConnection, (await this.send(call, 'getConnection')).body);
  }

  async findConnectionByName(name: string, options: ListOptions = {}): Promise<Connection | undefined> {
    // The `name` filter is modeled; results are still checked, so a node ignoring it only costs pages.
    for await (const connection of this.pages(options, name)) {
      if (connection.name === name) return connection;
    }
    return undefined;
  }

  async createConnection(create: CreateConnectionRequest): Promise<CreatedConnection> {
    const call = calls.createConnection(create);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.send(call, 'createConnection');
        const created = this.parse(call, parseCreated, response.body);
        this.redactor.add(created.invitationCode);
        return created;
      } catch (error) {
        if (!ExalateError.isExalateError(error) || !error.ambiguous) throw error;
        // The create may have happened: look before trying again.
        this.logger?.warn?.(
          this.redactor.redact(
            `createConnection '${create.name}' failed ambiguously (${error.code}); looking the name up`,
          ),
        );
        const found = await this.findConnectionByName(create.name);
        if (found) return this.adopt(found);
        if (attempt >= this.maxRetries) throw error;
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  async updateConnection(
    id: number,
    patch: UpdateConnectionRequest,
    expectedVersion?: number,
  ): Promise<Connection> {
    const call = calls.updateConnection(id, patch, expectedVersion);
    return this.mutate(call, 'updateConnection', id, (c) => {
      return (
        (patch.description === undefined || c.description === patch.description) &&
        (patch.status === undefined || c.status === patch.status)
      );
    });
  }

  async deleteConnection(id: number, expectedVersion?: number): Promise<void> {
    try {
      await this.send(calls.deleteConnection(id, expectedVersion), 'deleteConnection');
    } catch (error) {
      // Already gone (or gone by an earlier attempt whose answer was lost): that is success.
      if (ExalateError.isExalateError(error) && error.code === 'EXALATE_NOT_FOUND') return;
      throw error;
    }
  }

  async getInvitation(id: number): Promise<Invitation> {
    const call = calls.getInvitation(id);
    const invitation = this.parse(call, parseInvitation, (await this.send(call, 'getInvitation')).body);
    this.redactor.add(invitation.invitationCode);
    return invitation;
  }

  async regenerateInvitation(id: number): Promise<Invitation> {
    const call = calls.regenerateInvitation(id);
    const invitation = this.parse(
      call,
      parseInvitation,
      (await this.send(call, 'regenerateInvitation')).body,
    );
    this.redactor.add(invitation.invitationCode);
    return invitation;
  }

  async acceptInvitation(accept: AcceptInvitationRequest): Promise<Connection> {
    this.redactor.add(accept.invitationCode);
    const call = calls.acceptInvitation(accept);
    let ambiguous: ExalateError | undefined;
    // One retry at most: a code is single-use, so the node itself refuses a second acceptance.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const response = await this.send(call, 'acceptInvitation');
        return this.parse(call, parseConnection, response.body);
      } catch (error) {
        if (!ExalateError.isExalateError(error)) throw error;
        if (ambiguous && error.code === 'EXALATE_CONFLICT') {
          // Modeled: replaying a code on the node that accepted it names the connection it made.
          if (error.connectionId !== undefined) return this.getConnection(error.connectionId);
          throw ambiguous;
        }
        if (!error.ambiguous || attempt > 0) throw error;
        ambiguous = error;
        await this.sleep(this.backoff(0));
      }
    }
    throw ambiguous ?? new ExalateError('EXALATE_NETWORK', 'acceptInvitation failed');
  }

  async getRules(id: number): Promise<Rules> {
    const call = calls.getRules(id);
    return this.parse(call, parseRules, (await this.send(call, 'getRules')).body);
  }

  async putRules(id: number, rules: Rules, expectedVersion?: number): Promise<Connection> {
    return this.mutate(calls.putRules(id, rules, expectedVersion), 'putRules', id, async () => {
      const current = await this.getRules(id);
      return current.outgoing === rules.outgoing && current.incoming === rules.incoming;
    });
  }

  async getTriggers(id: number): Promise<Trigger[]> {
    const call = calls.getTriggers(id);
    return this.parse(call, parseTriggers, (await this.send(call, 'getTriggers')).body);
  }

  async putTriggers(id: number, triggers: Trigger[], expectedVersion?: number): Promise<Connection> {
    return this.mutate(calls.putTriggers(id, triggers, expectedVersion), 'putTriggers', id, async () =>
      sameTriggers(await this.getTriggers(id), parseTriggers(triggers)),
    );
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private async *pages(options: ListOptions, name?: string): AsyncGenerator<Connection> {
    const limit = Math.max(1, Math.min(options.limit ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE));
    let offset = 0;
    // Bounded: a node that keeps answering full pages beyond `total` is cut off.
    for (let page = 0; page < 1_000_000; page++) {
      const call = calls.listConnections(offset, limit, options.expand ?? [], name);
      const result = this.parse(call, parsePage, (await this.send(call, 'listConnections')).body);
      for (const connection of result.results) yield connection;
      offset += result.results.length;
      if (result.results.length === 0 || offset >= result.total) return;
    }
  }

  /** A connection found after an ambiguous create: its invitation code is fetched when pending. */
  private async adopt(found: Connection): Promise<CreatedConnection> {
    if (found.status === 'PENDING' && found.communication.type !== 'LOCAL') {
      const invitation = await this.getInvitation(found.id);
      return { connection: found, invitationCode: invitation.invitationCode };
    }
    return { connection: found };
  }

  /**
   * An idempotent mutation with `If-Match`: when an earlier attempt was lost and the retry meets
   * 412 (the lost attempt bumped the version), the change is checked and, if it is there, the
   * connection is returned instead of the error.
   */
  private async mutate(
    call: ApiCall,
    operation: string,
    id: number,
    applied: (c: Connection) => boolean | Promise<boolean>,
  ): Promise<Connection> {
    try {
      return this.parse(call, parseConnection, (await this.send(call, operation)).body);
    } catch (error) {
      if (
        ExalateError.isExalateError(error) &&
        error.code === 'EXALATE_PRECONDITION_FAILED' &&
        error.earlierAttemptAmbiguous
      ) {
        const current = await this.getConnection(id);
        if (await applied(current)) return current;
      }
      throw error;
    }
  }

  private parse<T>(call: ApiCall, parser: (value: unknown) => T, body: unknown): T {
    try {
      return parser(body);
    } catch (error) {
      if (error instanceof ShapeError) {
        throw new ExalateError(
          'EXALATE_BAD_RESPONSE',
          this.redactor.redact(`${call.method} ${this.describe(call)}: unexpected answer: ${error.message}`),
          { method: call.method, path: call.path },
        );
      }
      throw error;
    }
  }

  private describe(call: ApiCall): string {
    return `${this.origin}${this.base}${call.path}`;
  }

  /** Exponential backoff with equal jitter: half fixed, half random. */
  private backoff(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** retry);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private async currentJwt(): Promise<string> {
    const cached = this.jwt;
    if (cached && (cached.exp === undefined || this.now() < cached.exp - this.refreshMarginMs)) {
      return cached.value;
    }
    return this.authenticate();
  }

  /** Single flight: concurrent callers share one authentication. */
  private authenticate(): Promise<string> {
    if (!this.authenticating) {
      this.authenticating = (async () => {
        try {
          const response = await this.send(calls.authenticate(this.token), 'authenticate');
          const jwt = jwtFrom(response.headers, response.body);
          if (!jwt) {
            throw new ExalateError(
              'EXALATE_BAD_RESPONSE',
              `POST ${this.origin}${this.base}/authenticate: the node returned no JWT`,
              { method: 'POST', path: '/authenticate', status: response.status },
            );
          }
          this.redactor.add(jwt);
          this.jwt = { value: jwt, exp: jwtExpiry(jwt) };
          this.logger?.debug?.(`authenticated to ${this.url}`);
          return jwt;
        } finally {
          this.authenticating = undefined;
        }
      })();
    }
    return this.authenticating;
  }

  /** One call with auth, rate limit, retries and error mapping. */
  private async send(call: ApiCall, operation: string): Promise<Response> {
    let retries = 0;
    let reauthenticated = false;
    let ambiguousBefore = false;
    const what = `${call.method} ${this.describe(call)}`;
    // Bounded: retries plus one re-authentication.
    for (let attempt = 1; attempt <= this.maxRetries + 2; attempt++) {
      if (this.bucket) await this.bucket.take();
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': 'exalate-iac',
        ...(call.headers ?? {}),
      };
      let jwtUsed: string | undefined;
      if (!call.anonymous) {
        jwtUsed = await this.currentJwt();
        headers[JWT_REQUEST_HEADER] = jwtUsed;
      }
      let body: string | undefined;
      if (call.body !== undefined) {
        body = JSON.stringify(call.body);
        headers['content-type'] = 'application/json';
      }

      let status: number;
      let responseHeaders: Response['headers'];
      let parsed: unknown;
      try {
        const res = await request(`${this.origin}${this.base}${call.path}`, {
          dispatcher: this.dispatcher,
          method: call.method,
          headers,
          body,
          headersTimeout: this.requestMs,
          bodyTimeout: this.requestMs,
        });
        status = res.statusCode;
        responseHeaders = res.headers;
        const text = await res.body.text();
        parsed = undefined;
        if (text.length > 0) {
          try {
            parsed = JSON.parse(text) as unknown;
          } catch {
            parsed = status >= 400 ? { message: text.slice(0, 500) } : undefined;
            if (status < 400) {
              throw new ExalateError(
                'EXALATE_BAD_RESPONSE',
                this.redactor.redact(`${what}: the answer (${status}) is not JSON`),
                { method: call.method, path: call.path, status },
              );
            }
          }
        }
      } catch (error) {
        if (ExalateError.isExalateError(error)) throw error;
        const failure = this.transportError(error, call, what, attempt);
        if (failure.ambiguous) ambiguousBefore = true;
        if ((call.idempotent || !failure.ambiguous) && retries < this.maxRetries && failure.retryable) {
          const delay = this.backoff(retries++);
          this.logger?.warn?.(
            this.redactor.redact(`${what} failed (${failure.error.code}); retry ${retries} in ${delay} ms`),
          );
          await this.sleep(delay);
          continue;
        }
        throw failure.error;
      }

      this.logger?.debug?.(this.redactor.redact(`${what} -> ${status}`));
      if (status >= 200 && status < 300) {
        return { status, headers: responseHeaders, body: parsed, ambiguousBefore };
      }
      if (status === 401 && !call.anonymous && !reauthenticated) {
        reauthenticated = true;
        if (this.jwt?.value === jwtUsed) this.jwt = undefined;
        this.logger?.debug?.(`${call.method} ${this.describe(call)}: JWT refused, authenticating again`);
        continue;
      }
      const retryAfter = this.retryAfterMs(header(responseHeaders, 'retry-after'));
      // 429 is refused before any work: safe to repeat even for a create.
      const retryable = RETRY_STATUSES.has(status) && (call.idempotent || status === 429);
      if (status >= 500 && status !== 501) ambiguousBefore = true;
      if (retryable && retries < this.maxRetries) {
        const delay = Math.max(this.backoff(retries++), Math.min(retryAfter ?? 0, this.maxRetryAfterMs));
        this.logger?.warn?.(this.redactor.redact(`${what} -> ${status}; retry ${retries} in ${delay} ms`));
        await this.sleep(delay);
        continue;
      }
      throw this.httpError(call, what, status, parsed, retryAfter, attempt, ambiguousBefore, operation);
    }
    throw new ExalateError('EXALATE_NETWORK', this.redactor.redact(`${what}: gave up`), {
      method: call.method,
      path: call.path,
    });
  }

  private retryAfterMs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - this.now());
  }

  private httpError(
    call: ApiCall,
    what: string,
    status: number,
    body: unknown,
    retryAfterMs: number | undefined,
    attempts: number,
    ambiguousBefore: boolean,
    operation: string,
  ): ExalateError {
    const server = parseErrorBody(body);
    const serverMessage = server.message !== undefined ? this.redactor.redact(server.message) : undefined;
    // A 5xx may hide a change that happened; for idempotent calls repeating is harmless anyway.
    const ambiguous = status >= 500 && status !== 501;
    const error = new ExalateError(
      codeForStatus(status),
      this.redactor.redact(
        `${operation}: ${what} returned ${status}${serverMessage ? `: ${serverMessage}` : ''}`,
      ),
      {
        status,
        method: call.method,
        path: call.path,
        serverMessage,
        serverCode: server.code,
        retryAfterSeconds: retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
        ambiguous,
        attempts,
        earlierAttemptAmbiguous: ambiguousBefore,
        connectionId: server.connectionId,
      },
    );
    return error;
  }

  private transportError(
    error: unknown,
    call: ApiCall,
    what: string,
    attempt: number,
  ): { error: ExalateError; ambiguous: boolean; retryable: boolean } {
    const code = (error as { code?: unknown } | null)?.code;
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    const details = { method: call.method, path: call.path, attempts: attempt };
    const message = this.redactor.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof undiciErrors.ConnectTimeoutError) {
      return {
        error: new ExalateError('EXALATE_TIMEOUT', `${what}: connecting timed out (${message})`, details),
        ambiguous: false,
        retryable: true,
      };
    }
    if (
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      (error instanceof Error && error.name === 'TimeoutError')
    ) {
      return {
        error: new ExalateError('EXALATE_TIMEOUT', `${what}: no answer in time (${message})`, {
          ...details,
          ambiguous: true,
        }),
        ambiguous: true,
        retryable: true,
      };
    }
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) {
      return {
        error: new ExalateError('EXALATE_NETWORK', `${what}: cannot connect (${code})`, details),
        ambiguous: false,
        retryable: true,
      };
    }
    if (
      error instanceof undiciErrors.SocketError ||
      code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      cause === 'ECONNRESET' ||
      code === 'UND_ERR_SOCKET'
    ) {
      return {
        error: new ExalateError('EXALATE_NETWORK', `${what}: connection reset (${message})`, {
          ...details,
          ambiguous: true,
        }),
        ambiguous: true,
        retryable: true,
      };
    }
    if (
      error instanceof undiciErrors.ClientClosedError ||
      error instanceof undiciErrors.ClientDestroyedError
    ) {
      return {
        error: new ExalateError('EXALATE_NETWORK', `${what}: the client is closed`, details),
        ambiguous: false,
        retryable: false,
      };
    }
    return {
      error: new ExalateError('EXALATE_NETWORK', `${what}: ${message}`, { ...details, ambiguous: true }),
      ambiguous: true,
      retryable: true,
    };
  }
}
