/**
 * NodeClient: the project's one client for an Exalate node (and the emulator). Operations here;
 * the URL policy in `model/url.ts`, authentication in `auth.ts`, retries, rate limit and error
 * mapping in `transport.ts`, every path and payload in `adapter.ts`.
 *
 * - a create is never retried blindly: after an ambiguous failure the name is looked up first;
 * - errors are `ExalateError`s with stable codes, and never contain the token, a JWT or an
 *   invitation code.
 */
import { Pool, type Dispatcher } from './undici';
import {
  apiDescriptionLinks,
  calls,
  parseApiDescription,
  parseConnection,
  parseCreated,
  parseInfo,
  parseInvitation,
  parsePage,
  parseRules,
  parseTriggers,
  type ApiCall,
} from './adapter';
import { API_BASE, MAX_PAGE_SIZE, MAX_RULE_BYTES, acceptedWithCode } from './contract';
import { JwtAuth } from './auth';
import { ExalateError, Redactor } from './errors';
import { Transport, type ClientLogger } from './transport';
import { TokenBucket } from '../util/token-bucket';
import { nodeUrlProblem } from '../model/url';
import type {
  AcceptConnectionRequest,
  AcceptInvitationRequest,
  ApiDescriptionResult,
  Connection,
  CreateConnectionRequest,
  CreatedConnection,
  Invitation,
  ListingProbe,
  ListOptions,
  NodeApi,
  NodeInfo,
  Rules,
  Trigger,
  UpdateConnectionRequest,
} from './types';

export type { ClientLogger } from './transport';
export { jwtExpiry } from './auth';

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
   * Requests allowed at once before the rate applies. Half the rate by default: a node whose own
   * limit is the same rate (and burst) keeps the other half as slack, so requests that arrive
   * bunched (a slow first connection, a busy network) are not refused.
   * @default 10
   */
  readonly burst?: number;
}

export interface NodeClientOptions {
  /** The node's URL (`https://…`); the API lives at `<url>/rest/issuehub/4.0`. */
  readonly url: string;
  /** The node's API token (the tracker's credential: a PAT, a node token…); exchanged for a JWT and never logged. */
  readonly token: string;
  /**
   * The user sent with the token, for nodes that take a user and password (ServiceNow).
   * @default ""
   */
  readonly user?: string;
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
   * Pages of a listing fetched at once, once the first page tells the total.
   * @default 8
   */
  readonly pageConcurrency?: number;
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

/** Requests `apiDescription` makes at most (the page, a redirect, its script, the document…). */
const MAX_DOCUMENT_FETCHES = 5;
/** Rules over the node's size limit are refused before anything is sent (the node would refuse them). */
function checkRuleSize(rules: Rules | undefined, what: string): void {
  if (!rules) return;
  for (const direction of ['outgoing', 'incoming'] as const) {
    const bytes = Buffer.byteLength(rules[direction] ?? '', 'utf8');
    if (bytes > MAX_RULE_BYTES)
      throw new ExalateError(
        'EXALATE_BAD_REQUEST',
        `${what}: the ${direction} rules are ${bytes} bytes; the limit is ${MAX_RULE_BYTES} (nothing was sent)`,
      );
  }
}

function sameTriggers(a: Trigger[], b: Trigger[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class NodeClient implements NodeApi {
  /** The node URL this client talks to (no trailing slash). */
  readonly url: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly redactor = new Redactor();
  private readonly transport: Transport;
  private readonly logger?: ClientLogger;
  private readonly pageConcurrency: number;

  constructor(options: NodeClientOptions) {
    const problem = nodeUrlProblem(options.url, { allowInsecureHttp: options.allowInsecureHttp === true });
    if (problem) {
      throw new ExalateError(
        problem.kind === 'not-a-url' ? 'EXALATE_BAD_REQUEST' : 'EXALATE_INSECURE_URL',
        `node URL: ${problem.message}`,
      );
    }
    const parsed = new URL(options.url);
    if (!options.token)
      throw new ExalateError('EXALATE_UNAUTHORIZED', `no API token given for ${parsed.origin}`);
    const prefix = parsed.pathname.replace(/\/+$/, '');
    this.url = `${parsed.origin}${prefix}`;
    this.redactor.add(options.token);
    this.logger = options.logger;
    this.pageConcurrency = options.pageConcurrency ?? 8;
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const connectMs = options.timeouts?.connectMs ?? 10_000;
    const requestMs = options.timeouts?.requestMs ?? 30_000;
    let bucket: TokenBucket | undefined;
    if (options.rateLimit !== false) {
      const rate = options.rateLimit?.requestsPerSecond ?? 20;
      bucket = new TokenBucket(
        rate,
        options.rateLimit?.burst ?? Math.max(1, Math.ceil(rate / 2)),
        now,
        sleep,
      );
    }
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(parsed.origin, {
        connections: options.connections ?? 8,
        keepAliveTimeout: 30_000,
        // TLS certificates are always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says.
        connect: { timeout: connectMs, rejectUnauthorized: true },
        headersTimeout: requestMs,
        bodyTimeout: requestMs,
      });
      this.ownsDispatcher = true;
    }
    this.transport = new Transport({
      origin: parsed.origin,
      base: `${prefix}${API_BASE}`,
      nodeBase: prefix,
      dispatcher: this.dispatcher,
      redactor: this.redactor,
      requestMs,
      maxRetries: options.retries?.maxRetries ?? 4,
      baseDelayMs: options.retries?.baseDelayMs ?? 250,
      maxDelayMs: options.retries?.maxDelayMs ?? 10_000,
      maxRetryAfterMs: options.retries?.maxRetryAfterMs ?? 60_000,
      bucket,
      logger: options.logger,
      now,
      sleep,
      random: options.random ?? Math.random,
    });
    this.transport.auth = new JwtAuth(
      this.transport,
      { user: options.user ?? '', password: options.token },
      this.redactor,
      `${this.url}${API_BASE}`,
      options.jwtRefreshMarginMs ?? 30_000,
      now,
      options.logger,
    );
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
    checkRuleSize(create.rules, `createConnection '${create.name}'`);
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
        const found = await this.findConnectionByName(create.name, { expand: ['rules', 'triggers'] });
        if (found) return this.adopt(found);
        if (attempt >= this.transport.retries) throw error;
        await this.transport.wait(this.transport.backoff(attempt), `createConnection ${create.name}`);
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

  redactSecret(value: string): void {
    this.redactor.add(value);
  }

  async acceptInvitation(accept: AcceptInvitationRequest): Promise<Connection> {
    this.redactor.add(accept.invitationCode);
    return this.accept(calls.acceptInvitation(accept), 'acceptInvitation');
  }

  async acceptConnectionRequest(accept: AcceptConnectionRequest): Promise<Connection> {
    return this.accept(calls.acceptConnectionRequest(accept), 'acceptConnectionRequest');
  }

  async getRules(id: number): Promise<Rules> {
    const call = calls.getRules(id);
    return this.parse(call, parseRules, (await this.send(call, 'getRules')).body);
  }

  async putRules(id: number, rules: Rules, expectedVersion?: number): Promise<Connection> {
    checkRuleSize(rules, `putRules ${id}`);
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

  /**
   * The node's own API description: `<node-url>/swagger`, and when that is a Swagger UI page, the
   * document it names (same origin only: the JWT never goes to another host). At most
   * `MAX_DOCUMENT_FETCHES` requests, redirects included. Read-only.
   */
  async apiDescription(): Promise<ApiDescriptionResult> {
    const start = calls.swagger();
    const startUrl = this.transport.describe(start);
    const origin = new URL(startUrl).origin;
    const queue: { call: ApiCall; url: string }[] = [{ call: start, url: startUrl }];
    const seen = new Set<string>();
    let reason = `GET ${startUrl} gave no API description`;
    const follow = (link: string, from: string): void => {
      let target: URL;
      try {
        target = new URL(link, from);
      } catch {
        return;
      }
      if (target.origin !== origin) {
        reason = `${from} names an API description on another host (${target.origin}): not followed`;
        return;
      }
      target.hash = '';
      if (seen.has(target.href)) return;
      seen.add(target.href);
      queue.push({ call: calls.document(`${target.pathname}${target.search}`), url: target.href });
    };
    seen.add(startUrl);
    for (let fetched = 0; fetched < MAX_DOCUMENT_FETCHES; fetched++) {
      const next = queue.shift();
      if (!next) break;
      let response;
      try {
        response = await this.send(next.call, 'apiDescription');
      } catch (error) {
        if (!ExalateError.isExalateError(error)) throw error;
        reason =
          error.status !== undefined
            ? `GET ${next.url} answered ${error.status}${error.serverMessage ? ` (${error.serverMessage.slice(0, 200)})` : ''}`
            : error.message;
        continue;
      }
      if (response.status >= 300) {
        const location = response.headers.location;
        const to = Array.isArray(location) ? location[0] : location;
        if (to) follow(to, next.url);
        else reason = `GET ${next.url} answered ${response.status} without a Location`;
        continue;
      }
      const text = typeof response.body === 'string' ? response.body : '';
      const description = parseApiDescription(text);
      if (description) return { found: true, url: next.url, description };
      const links = apiDescriptionLinks(text);
      reason = `${next.url} is neither an OpenAPI nor a Swagger document${links.length === 0 ? ' and names none' : ''}`;
      for (const link of links) follow(link, next.url);
    }
    return { found: false, url: startUrl, reason: this.redactor.redact(reason) };
  }

  /**
   * Lists every connection (with `expand=rules,triggers`), then tries the modeled refinements
   * on small reads: two pages of one, and a `name=` lookup. Read-only; a handful of requests.
   */
  async probeListing(): Promise<ListingProbe> {
    const connections: Connection[] = [];
    for await (const c of this.pages({ expand: ['rules', 'triggers'] })) connections.push(c);
    const page = async (offset: number, limit: number, name?: string) => {
      const call = calls.listConnections(offset, limit, [], name);
      return this.parse(call, parsePage, (await this.send(call, 'listConnections')).body).results;
    };
    let paging: ListingProbe['paging'] = 'cannot tell';
    let nameFilter: ListingProbe['nameFilter'] = 'cannot tell';
    if (connections.length >= 2) {
      const [first, second] = await Promise.all([page(0, 1), page(1, 1)]);
      paging =
        first.length === 1 && second.length === 1 && first[0]?.id !== second[0]?.id ? 'honoured' : 'ignored';
      const name = (connections[connections.length - 1] as Connection).name;
      const named = await page(0, MAX_PAGE_SIZE, name);
      nameFilter = named.length > 0 && named.every((c) => c.name === name) ? 'honoured' : 'ignored';
    }
    const expand =
      connections.length === 0
        ? 'cannot tell'
        : connections.every((c) => c.triggers !== undefined)
          ? 'honoured'
          : 'ignored';
    return { connections, paging, expand, nameFilter };
  }

  /** The node's 429 answers so far (the client slowed down after each). */
  get throttled(): number {
    return this.transport.throttled;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /**
   * Every page of the listing. Once the first page tells `total`, the other pages are fetched
   * `pageConcurrency` at a time (a new one as soon as one arrives) and handed on in order. A node
   * that ignores paging (observed nodes answer everything at once) is detected from the answer:
   * results beyond the page size, or a page that repeats connections already seen.
   */
  private async *pages(options: ListOptions, name?: string): AsyncGenerator<Connection> {
    const limit = Math.max(1, Math.min(options.limit ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE));
    const expand = options.expand ?? [];
    const fetchPage = async (offset: number) => {
      const call = calls.listConnections(offset, limit, expand, name);
      return this.parse(call, parsePage, (await this.send(call, 'listConnections')).body);
    };
    const seen = new Set<number>();
    const fresh = (results: Connection[]): Connection[] => {
      const out = results.filter((c) => !seen.has(c.id));
      for (const c of out) seen.add(c.id);
      return out;
    };
    const first = await fetchPage(0);
    yield* fresh(first.results);
    // Paging ignored (everything at once), or nothing more to read.
    if (first.results.length === 0 || first.results.length > limit || seen.size >= first.total) return;

    // Bounded: a node claiming a huge total is read at most this many pages.
    const end = Math.min(first.total, first.results.length + 100_000 * limit);
    let next = first.results.length;
    let stopped = false;
    const inFlight: Promise<Awaited<ReturnType<typeof fetchPage>>>[] = [];
    const launch = (): void => {
      if (stopped || next >= end) return;
      const page = fetchPage(next);
      next += limit;
      inFlight.push(page);
      // The next page goes out when this one is answered, whatever the order they are handed on in.
      page.then(launch, () => undefined);
    };
    for (let i = 0; i < Math.max(1, this.pageConcurrency); i++) launch();
    try {
      while (inFlight.length > 0) {
        const news = fresh((await inFlight.shift()!).results);
        if (news.length === 0) {
          // The node repeats what it already answered: it ignores `offset`.
          if (seen.size < first.total)
            throw new ExalateError(
              'EXALATE_BAD_RESPONSE',
              `GET ${this.url}/connections: the node ignores paging (offset) and answered ${seen.size} of ${first.total} connections`,
            );
          return;
        }
        yield* news;
      }
    } finally {
      stopped = true;
      // Pages nobody will read: their failures are not errors of this listing.
      for (const page of inFlight) page.catch(() => undefined);
    }
  }

  /**
   * A connection found after an ambiguous create: its invitation code is fetched when pending
   * (a Visual one has none).
   */
  private async adopt(found: Connection): Promise<CreatedConnection> {
    if (
      found.status === 'PENDING' &&
      found.communication.type !== 'LOCAL' &&
      acceptedWithCode(found.configurationType)
    ) {
      const invitation = await this.getInvitation(found.id);
      return { connection: found, invitationCode: invitation.invitationCode };
    }
    return { connection: found };
  }

  /**
   * An acceptance (of a code, or of a request without one), retried once at most: the node itself
   * refuses a second acceptance of the same thing, and names the connection it made (modeled) when
   * the replay comes to the node that accepted it, so a lost answer is recovered, never doubled.
   */
  private async accept(call: ApiCall, operation: string): Promise<Connection> {
    let ambiguous: ExalateError | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const response = await this.send(call, operation);
        return this.parse(call, parseConnection, response.body);
      } catch (error) {
        if (!ExalateError.isExalateError(error)) throw error;
        if (ambiguous && error.code === 'EXALATE_CONFLICT') {
          if (error.connectionId !== undefined) return this.getConnection(error.connectionId);
          throw ambiguous;
        }
        if (!error.ambiguous || attempt > 0) throw error;
        ambiguous = error;
        await this.transport.wait(this.transport.backoff(0), operation);
      }
    }
    throw ambiguous ?? new ExalateError('EXALATE_NETWORK', `${operation} failed`);
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
  private send(call: ApiCall, operation: string) {
    return this.transport.send(call, operation);
  }

  private parse<T>(call: ApiCall, parser: (value: unknown) => T, body: unknown): T {
    return this.transport.parse(call, parser, body);
  }
}
