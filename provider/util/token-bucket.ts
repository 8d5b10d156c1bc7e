/**
 * A token bucket: `ratePerSecond` tokens are added per second up to `burst`; each request takes
 * one and waits when none is left. Waiters are served in order. Shared by the client (which waits)
 * and the emulator (which answers 429 instead).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(ratePerSecond > 0))
      throw new Error(`rateLimit.requestsPerSecond must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new Error(`rateLimit.burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.last = now();
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
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  /** Resolves when a token has been taken. */
  take(): Promise<void> {
    const next = this.queue.then(() => this.takeNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }

  private async takeNow(): Promise<void> {
    this.refill();
    // Bounded: each wait is sized to produce the missing token.
    for (let i = 0; i < 1000 && this.tokens < 1; i++) {
      await this.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
      this.refill();
    }
    this.tokens -= 1;
  }
}
