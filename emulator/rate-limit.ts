/**
 * The emulated nodes' rate limit: one token bucket (the shared `TokenBucket`, `tryTake()`) per
 * authenticated principal, `rate` requests per second with a burst of `max(1, rate)`.
 *
 * It is applied after authentication: a request without valid credentials is answered 401 and
 * never takes a token, so a flood of anonymous or forged requests cannot use up the budget of the
 * client that holds the token. The principal is the node a credential was verified for (the JWT
 * subject, or the node of a `POST /authenticate` with the right token): every JWT of a node
 * shares one budget, so authenticating again does not refill it.
 */
import { TokenBucket } from '../provider/util/token-bucket';

export class RateLimiter {
  private buckets = new Map<string, TokenBucket>();
  private perSecond: number;

  constructor(
    perSecond: number,
    private readonly now: () => number,
  ) {
    this.perSecond = perSecond;
  }

  /** Requests per second per principal; 0 turns the limit off. Every bucket starts full again. */
  get rate(): number {
    return this.perSecond;
  }

  set rate(perSecond: number) {
    this.perSecond = perSecond;
    this.buckets = new Map();
  }

  /** 0 when the request may go on, else the seconds to send in `Retry-After` (at least 1). */
  take(principal: string): number {
    if (!(this.perSecond > 0)) return 0;
    let bucket = this.buckets.get(principal);
    if (!bucket) {
      bucket = new TokenBucket(this.perSecond, Math.max(1, this.perSecond), this.now);
      this.buckets.set(principal, bucket);
    }
    const waitMs = bucket.tryTake();
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }
}
