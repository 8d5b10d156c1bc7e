/**
 * A token bucket: `ratePerSecond` tokens are added per second up to `burst`; each request takes
 * one and waits when none is left. Waiters are served in order. Shared by the client (which waits,
 * and slows down when the node says so) and the emulator (which answers 429 instead).
 */
export class TokenBucket {
  private tokens: number;
  /** When tokens were last added; in the future while the bucket is held. */
  private last: number;
  private rate: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    checkRate(ratePerSecond);
    if (!(burst >= 1)) throw new Error(`rateLimit.burst must be >= 1, got ${burst}`);
    this.rate = ratePerSecond;
    this.tokens = burst;
    this.last = now();
  }

  /** Tokens added per second now. */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Change the rate from now on (tokens already there stay). */
  setRate(ratePerSecond: number): void {
    checkRate(ratePerSecond);
    this.refill();
    this.rate = ratePerSecond;
  }

  /** Whether `hold` keeps the bucket empty now. */
  get held(): boolean {
    return this.now() < this.last;
  }

  /** No token for the next `ms` (the other side asked to wait): what is left is dropped. */
  hold(ms: number): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
    this.last = Math.max(this.last, this.now() + Math.max(0, ms));
  }

  /**
   * Take a token if one is there: 0 when taken, else the milliseconds until one will be (the
   * caller answers 429 with Retry-After, or waits).
   */
  tryTake(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return this.untilToken();
  }

  /** Resolves when a token has been taken. */
  take(): Promise<void> {
    const next = this.queue.then(() => this.takeNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private untilToken(): number {
    return Math.max(0, this.last - this.now()) + Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }

  private refill(): void {
    const now = this.now();
    if (now <= this.last) return; // held, or no time passed
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  private async takeNow(): Promise<void> {
    this.refill();
    // Bounded: each wait is sized to produce the missing token.
    for (let i = 0; i < 1000 && this.tokens < 1; i++) {
      await this.sleep(this.untilToken());
      this.refill();
    }
    this.tokens -= 1;
  }
}

function checkRate(ratePerSecond: number): void {
  if (!(ratePerSecond > 0)) throw new Error(`rateLimit.requestsPerSecond must be > 0, got ${ratePerSecond}`);
}
