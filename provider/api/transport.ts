/**
 * The transport: one HTTP call with the JWT, the client-side rate limit, timeouts, retries with
 * exponential backoff and jitter honouring `Retry-After`, and errors mapped to `ExalateError`s
 * with stable codes and redacted messages. Only `provider/api` imports undici.
 *
 * The retry loop is written here rather than with undici's retry interceptor because it must
 * interleave with re-authentication and the token bucket, add jitter, log each retry, and tell
 * ambiguous failures of mutations apart (which the interceptor does not).
 */
import { errors as undiciErrors, request, type Dispatcher } from './undici';
import { JWT_REQUEST_HEADER } from './contract';
import { ShapeError, parseErrorBody, type ApiCall } from './adapter';
import { ExalateError, Redactor, codeForStatus } from './errors';
import type { TokenBucket } from '../util/token-bucket';

/** Where the client reports what it does. Every line is redacted before it gets here. */
export interface ClientLogger {
  debug?(message: string): void;
  warn?(message: string): void;
  /**
   * A wait of the client (rate limit, back-off, Retry-After), for progress lines; `throttled`
   * counts the node's 429 answers so far (present once there was one).
   */
  wait?(event: { reason: 'rate-limit' | 'retry'; ms: number; what: string; throttled?: number }): void;
}

/** The JWT source of a transport (see auth.ts). */
export interface JwtSource {
  current(): Promise<string>;
  /** The node refused this JWT (401): forget it so the next call authenticates again. */
  refused(jwt: string): void;
}

export interface TransportSettings {
  readonly origin: string;
  /** Path prefix of the API (node path + API base). */
  readonly base: string;
  /** Path prefix of the node (its URL's path), for calls outside the API base. */
  readonly nodeBase: string;
  readonly dispatcher: Dispatcher;
  readonly redactor: Redactor;
  readonly requestMs: number;
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  /** The client's own rate limit: slowed down when the node answers 429, then back up. */
  readonly bucket?: TokenBucket;
  readonly logger?: ClientLogger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** An earlier attempt of this call failed ambiguously (it may have taken effect). */
  ambiguousBefore: boolean;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** Errors after which the request certainly never reached the node. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function header(headers: Response['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class Transport {
  auth?: JwtSource;
  private readonly origin: string;
  private readonly base: string;
  private readonly nodeBase: string;
  private readonly dispatcher: Dispatcher;
  private readonly redactor: Redactor;
  private readonly requestMs: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly bucket?: TokenBucket;
  /** The configured rate, which the bucket climbs back to after slowing down. */
  private readonly fullRate: number;
  private readonly logger?: ClientLogger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private throttledCount = 0;

  constructor(settings: TransportSettings) {
    this.origin = settings.origin;
    this.base = settings.base;
    this.nodeBase = settings.nodeBase;
    this.dispatcher = settings.dispatcher;
    this.redactor = settings.redactor;
    this.requestMs = settings.requestMs;
    this.maxRetries = settings.maxRetries;
    this.baseDelayMs = settings.baseDelayMs;
    this.maxDelayMs = settings.maxDelayMs;
    this.maxRetryAfterMs = settings.maxRetryAfterMs;
    this.bucket = settings.bucket;
    this.fullRate = settings.bucket?.ratePerSecond ?? 0;
    this.logger = settings.logger;
    this.now = settings.now;
    this.sleep = settings.sleep;
    this.random = settings.random;
  }

  get retries(): number {
    return this.maxRetries;
  }

  /** The node's 429 answers so far. */
  get throttled(): number {
    return this.throttledCount;
  }

  /** Requests per second the client allows itself now (undefined without a rate limit). */
  get rate(): number | undefined {
    return this.bucket?.ratePerSecond;
  }

  /**
   * The node answered 429: nothing more is sent before its Retry-After, and the rate is halved
   * (once per refusal, however many requests in flight were refused with it).
   */
  private slowDown(bucket: TokenBucket, holdMs: number): void {
    if (!bucket.held) bucket.setRate(Math.max(this.fullRate / 64, bucket.ratePerSecond / 2));
    bucket.hold(holdMs);
  }

  /** An answer that was not a 429: the rate climbs back, 1/32 of the configured rate at a time. */
  private speedUp(bucket: TokenBucket): void {
    if (bucket.ratePerSecond < this.fullRate)
      bucket.setRate(Math.min(this.fullRate, bucket.ratePerSecond + this.fullRate / 32));
  }

  /** Wait `ms` (back-off), telling the logger when the wait is long enough to notice. */
  async wait(ms: number, what: string): Promise<void> {
    this.logger?.wait?.({ reason: 'retry', ms, what });
    await this.sleep(ms);
  }

  parse<T>(call: ApiCall, parser: (value: unknown) => T, body: unknown): T {
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

  describe(call: ApiCall): string {
    return `${this.origin}${this.prefix(call)}${call.path}`;
  }

  /** Where the call's path starts: below the API base (default), at the node's URL, or at the origin. */
  private prefix(call: ApiCall): string {
    return call.from === 'origin' ? '' : call.from === 'node' ? this.nodeBase : this.base;
  }

  /** Exponential backoff with equal jitter: half fixed, half random. */
  backoff(retry: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** retry);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** One call with auth, rate limit, retries and error mapping. */
  async send(call: ApiCall, operation: string): Promise<Response> {
    let retries = 0;
    let reauthenticated = false;
    let ambiguousBefore = false;
    const what = `${call.method} ${this.describe(call)}`;
    // Bounded: retries plus one re-authentication.
    for (let attempt = 1; attempt <= this.maxRetries + 2; attempt++) {
      if (this.bucket) {
        const ahead = this.bucket.tryTake();
        if (ahead > 0) {
          this.logger?.wait?.({
            reason: 'rate-limit',
            ms: ahead,
            what: `${call.method} ${call.path}`,
            ...(this.throttledCount > 0 ? { throttled: this.throttledCount } : {}),
          });
          await this.bucket.take();
        }
      }
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': 'exalate-iac',
        ...(call.headers ?? {}),
      };
      let jwtUsed: string | undefined;
      if (!call.anonymous) {
        if (!this.auth) throw new Error('transport: no authentication for a JWT call');
        jwtUsed = await this.auth.current();
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
        const res = await request(this.dispatcher, {
          origin: this.origin,
          path: `${this.prefix(call)}${call.path}`,
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
        if (call.text && status < 400) {
          // A document (YAML, HTML…) read as it is; a redirect is handed back to the caller.
          parsed = text;
        } else if (text.length > 0) {
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
          await this.wait(delay, what);
          continue;
        }
        throw failure.error;
      }

      this.logger?.debug?.(this.redactor.redact(`${what} -> ${status}`));
      if (this.bucket && status !== 429) this.speedUp(this.bucket);
      if ((status >= 200 && status < 300) || (call.text && status >= 300 && status < 400)) {
        return { status, headers: responseHeaders, body: parsed, ambiguousBefore };
      }
      if (status === 401 && !call.anonymous && !reauthenticated) {
        reauthenticated = true;
        if (jwtUsed !== undefined) this.auth?.refused(jwtUsed);
        this.logger?.debug?.(`${call.method} ${this.describe(call)}: JWT refused, authenticating again`);
        continue;
      }
      const retryAfter = this.retryAfterMs(header(responseHeaders, 'retry-after'));
      if (status === 429) this.throttledCount++;
      // 429 is refused before any work: safe to repeat even for a create.
      const retryable = RETRY_STATUSES.has(status) && (call.idempotent || status === 429);
      if (status >= 500 && status !== 501) ambiguousBefore = true;
      if (status === 429 && this.bucket && retries < this.maxRetries) {
        // Every request to this node waits, not only this one: the bucket holds and slows down,
        // and this request takes its turn at the top of the loop.
        const hold = Math.min(retryAfter ?? this.backoff(retries), this.maxRetryAfterMs);
        retries++;
        this.slowDown(this.bucket, hold);
        this.logger?.warn?.(
          this.redactor.redact(
            `${what} -> 429 (${this.throttledCount} so far); waiting ${hold} ms, then ${this.bucket.ratePerSecond.toFixed(1)} requests/s`,
          ),
        );
        continue;
      }
      if (retryable && retries < this.maxRetries) {
        const delay = Math.max(this.backoff(retries++), Math.min(retryAfter ?? 0, this.maxRetryAfterMs));
        this.logger?.warn?.(this.redactor.redact(`${what} -> ${status}; retry ${retries} in ${delay} ms`));
        await this.wait(delay, what);
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
    // The node's own words are redacted like everything else, and long opaque runs in them too:
    // a failing node may echo a code this client has never seen.
    const serverMessage =
      server.message !== undefined ? this.redactor.redactServerText(server.message) : undefined;
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
        ...(server.code !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(server.code)
          ? { serverCode: server.code }
          : {}),
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
