/**
 * Authentication of the emulated nodes: the node token exchanged for a JWT (`POST /authenticate`),
 * and the JWT checked on every later call. The token is compared by its SHA-256 in constant time
 * and never kept or echoed; JWTs are HMAC-SHA256 with a key that lives only in this process.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Claims of an emulator JWT. `exp` and `iat` are in milliseconds, like a real node's. */
export interface JwtClaims {
  /** The node the token was exchanged on: a JWT is valid on that node only. */
  sub: string;
  iat: number;
  exp: number;
  /** Token generation: `expireAll()` bumps it and every older JWT is refused. */
  gen: number;
  jti: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Equal strings, in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HMAC-SHA256 JWTs signed with a key that lives only in this process. */
export class JwtSigner {
  private readonly key = randomBytes(32);
  /** JWTs already verified, by their exact text: a client sends the same one on every call. */
  private readonly verified = new Map<string, JwtClaims>();

  private signature(header: string, payload: string): string {
    return createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url');
  }

  sign(claims: JwtClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${HEADER}.${payload}.${this.signature(HEADER, payload)}`;
  }

  /**
   * The claims when the JWT is exactly one this signer issued, else undefined (expiry is checked
   * by the caller). The signature is compared as text: the one base64url encoding (no padding),
   * so a signature re-encoded in standard base64 or padded is refused, and only our header is
   * accepted (no `alg` substitution).
   */
  verify(jwt: string): JwtClaims | undefined {
    const known = this.verified.get(jwt);
    if (known) return known;
    const claims = this.check(jwt);
    if (claims) {
      if (this.verified.size >= 1000) this.verified.clear();
      this.verified.set(jwt, claims);
    }
    return claims;
  }

  private check(jwt: string): JwtClaims | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    if (header !== HEADER) return undefined;
    if (!sameText(signature, this.signature(header, payload))) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<JwtClaims>;
      if (
        typeof claims.sub !== 'string' ||
        typeof claims.exp !== 'number' ||
        typeof claims.gen !== 'number'
      ) {
        return undefined;
      }
      return claims as JwtClaims;
    } catch {
      return undefined;
    }
  }
}

/** Who a request comes from, or why it is refused. */
export type Verdict = { ok: true; principal: string } | { ok: false; status: 400 | 401; reason: string };

export class Authenticator {
  private readonly tokenHash: Buffer;
  private readonly signer = new JwtSigner();
  private generation = 0;

  constructor(
    token: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.tokenHash = sha256(token);
  }

  /** The body of `POST /authenticate`: does it carry the node token? */
  checkCredentials(node: string, body: unknown): Verdict {
    const password =
      typeof body === 'object' && body !== null ? (body as { password?: unknown }).password : undefined;
    if (typeof password !== 'string') {
      return {
        ok: false,
        status: 400,
        reason: 'authentication needs {authProtocol, user, password} with the node token as password',
      };
    }
    if (!timingSafeEqual(sha256(password), this.tokenHash)) {
      return { ok: false, status: 401, reason: 'invalid credentials' };
    }
    return { ok: true, principal: node };
  }

  /** A JWT for `node` (call after `checkCredentials` said yes). */
  issue(node: string): { jwt: string; expiresAt: number } {
    const iat = this.now();
    const exp = iat + this.ttlMs;
    const jwt = this.signer.sign({
      sub: node,
      iat,
      exp,
      gen: this.generation,
      jti: randomBytes(8).toString('hex'),
    });
    return { jwt, expiresAt: exp };
  }

  /** The `X-exalate-jwt` of a call to `node`. */
  checkJwt(node: string, jwt: string | undefined): Verdict {
    if (!jwt) return { ok: false, status: 401, reason: 'missing X-exalate-jwt header: authenticate first' };
    const claims = this.signer.verify(jwt);
    if (!claims || claims.sub !== node) return { ok: false, status: 401, reason: 'invalid token' };
    if (claims.gen !== this.generation || claims.exp <= this.now()) {
      return { ok: false, status: 401, reason: 'token expired: authenticate again' };
    }
    return { ok: true, principal: claims.sub };
  }

  /** Every JWT issued so far is refused from now on (as if expired). */
  expireAll(): void {
    this.generation += 1;
  }
}
