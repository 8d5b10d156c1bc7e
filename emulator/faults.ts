/** Fault injection for the emulator: scheduled faults (deterministic) and a seeded fault rate. */

export type FaultKind =
  /** Answer with an error status without doing anything (default 503). */
  | 'status'
  /** Close the connection without doing anything. */
  | 'reset'
  /** Do the work, persist it, then close the connection: the answer is lost. */
  | 'lost-response'
  /** Do the work, then hold the answer for `delayMs` (longer than a client timeout: ambiguous). */
  | 'slow'
  /** Answer 429 with `Retry-After` without doing anything. */
  | 'rate-limit';

export interface FaultSpec {
  readonly kind: FaultKind;
  /** For `status`. @default 503 */
  readonly status?: number;
  /** For `slow`. @default 1000 */
  readonly delayMs?: number;
  /** Seconds sent in `Retry-After` (`rate-limit`, and `status` when given). @default 1 for rate-limit */
  readonly retryAfter?: number;
  /** Only requests to this node. */
  readonly node?: string;
  /** Only requests with this method. */
  readonly method?: string;
  /** Only requests whose API path (below the base, without query) matches. */
  readonly path?: string | RegExp;
  /**
   * How many matching requests it hits.
   * @default 1
   */
  readonly times?: number;
}

interface Scheduled {
  spec: FaultSpec;
  left: number;
}

/** mulberry32: a small seeded PRNG, so a fault rate replays identically for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RANDOM_KINDS: readonly FaultSpec[] = [
  { kind: 'status', status: 503 },
  { kind: 'status', status: 502 },
  { kind: 'reset' },
  { kind: 'lost-response' },
];

export class FaultInjector {
  private scheduled: Scheduled[] = [];
  private random: () => number;

  constructor(
    public rate: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  schedule(specs: readonly FaultSpec[]): void {
    for (const spec of specs) this.scheduled.push({ spec, left: spec.times ?? 1 });
  }

  clear(): void {
    this.scheduled = [];
  }

  get pending(): number {
    return this.scheduled.reduce((n, s) => n + s.left, 0);
  }

  /** The fault for this request, if any (scheduled ones first, then the random rate). */
  pick(node: string, method: string, path: string): FaultSpec | undefined {
    const hit = this.scheduled.find(({ spec }) => {
      if (spec.node !== undefined && spec.node !== node) return false;
      if (spec.method !== undefined && spec.method.toUpperCase() !== method) return false;
      if (spec.path !== undefined) {
        if (typeof spec.path === 'string' ? spec.path !== path : !spec.path.test(path)) return false;
      }
      return true;
    });
    if (hit) {
      hit.left -= 1;
      if (hit.left <= 0) this.scheduled = this.scheduled.filter((s) => s !== hit);
      return hit.spec;
    }
    if (this.rate > 0 && this.random() < this.rate) {
      return RANDOM_KINDS[Math.floor(this.random() * RANDOM_KINDS.length)];
    }
    return undefined;
  }
}
