/**
 * Authentication: the node token is exchanged for a JWT (`POST /authenticate`, observed), cached
 * until shortly before its `exp` (milliseconds), renewed once when the node answers 401, and
 * shared by concurrent callers (single flight).
 */
import { calls, jwtFrom } from './adapter';
import { ExalateError, type Redactor } from './errors';
import type { ClientLogger, JwtSource, Transport } from './transport';

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

export class JwtAuth implements JwtSource {
  private jwt?: { value: string; exp?: number };
  private authenticating?: Promise<string>;

  constructor(
    private readonly transport: Transport,
    private readonly credentials: { user: string; password: string },
    private readonly redactor: Redactor,
    private readonly where: string,
    private readonly refreshMarginMs: number,
    private readonly now: () => number,
    private readonly logger?: ClientLogger,
  ) {}

  async current(): Promise<string> {
    const cached = this.jwt;
    if (cached && (cached.exp === undefined || this.now() < cached.exp - this.refreshMarginMs)) {
      return cached.value;
    }
    return this.authenticate();
  }

  refused(jwt: string): void {
    if (this.jwt?.value === jwt) this.jwt = undefined;
  }

  /** Single flight: concurrent callers share one authentication. */
  private authenticate(): Promise<string> {
    if (!this.authenticating) {
      this.authenticating = (async () => {
        try {
          const response = await this.transport.send(calls.authenticate(this.credentials), 'authenticate');
          const jwt = jwtFrom(response.headers, response.body);
          if (!jwt) {
            throw new ExalateError(
              'EXALATE_BAD_RESPONSE',
              `POST ${this.where}/authenticate: the node returned no JWT (neither the X-Exalate-Jwt header nor the body)`,
              { method: 'POST', path: '/authenticate', status: response.status },
            );
          }
          this.redactor.add(jwt);
          this.jwt = { value: jwt, exp: jwtExpiry(jwt) };
          this.logger?.debug?.(`authenticated to ${this.where}`);
          return jwt;
        } finally {
          this.authenticating = undefined;
        }
      })();
    }
    return this.authenticating;
  }
}
