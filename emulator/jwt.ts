import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Claims of an emulator JWT. `exp` and `iat` are in milliseconds, like a real node's. */
export interface JwtClaims {
  sub: string;
  iat: number;
  exp: number;
  /** Token generation: `expireTokens()` bumps it and every older JWT is refused. */
  gen: number;
  jti: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** HMAC-SHA256 JWTs signed with a key that lives only in this process. */
export class JwtSigner {
  private readonly key = randomBytes(32);

  sign(claims: JwtClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = createHmac('sha256', this.key).update(`${HEADER}.${payload}`).digest('base64url');
    return `${HEADER}.${payload}.${signature}`;
  }

  /** The claims when the signature is valid, else undefined (expiry is checked by the caller). */
  verify(jwt: string): JwtClaims | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = createHmac('sha256', this.key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
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
