import { NodeClient } from '../provider/api/client';
import { TokenBucket } from '../provider/util/token-bucket';
import type { Deps } from '../provider/cli/context';
import { workspace, type Workspace } from './reconcile-helpers';

/** A clock that moves only when the code under test sleeps. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    sleeps,
  };
}

describe('the token bucket', () => {
  test('a hold keeps it empty for that long, then tokens come at the rate, which can change', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket(10, 1, t.now, t.sleep);
    await bucket.take(); // the burst
    bucket.hold(2000);
    expect(bucket.held).toBe(true);
    await bucket.take();
    expect(t.sleeps).toEqual([2100]); // the hold, then one token at 10/s
    bucket.setRate(2);
    await bucket.take();
    expect(t.sleeps).toEqual([2100, 500]);
    expect(bucket.held).toBe(false);
    expect(bucket.tryTake()).toBe(500);
  });
});

describe('the client slows down when a node answers 429', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('it waits Retry-After, halves its rate, counts the 429 and climbs back to its rate', async () => {
    const t = fakeTime();
    const waits: { reason: string; ms: number; throttled?: number }[] = [];
    const client = new NodeClient({
      url: ws.emulator.nodeUrl('acme-freshservice'),
      token: ws.token,
      rateLimit: { requestsPerSecond: 10, burst: 1 },
      now: t.now,
      sleep: t.sleep,
      logger: { wait: (e) => waits.push(e) },
    });
    try {
      await client.info(); // authenticate (the burst) + info (100 ms)
      expect(t.sleeps).toEqual([100]);
      ws.emulator.injectFaults({ kind: 'rate-limit', retryAfter: 2, path: '/info' });
      await client.info();
      // Its turn (100 ms), the 429, then the hold of 2 s and one token at the halved rate (200 ms).
      expect(t.sleeps).toEqual([100, 100, 2200]);
      expect(client.throttled).toBe(1);
      expect(waits.at(-1)).toMatchObject({ reason: 'rate-limit', ms: 2200, throttled: 1 });
      expect(ws.emulator.requests.filter((r) => r.status === 429)).toHaveLength(1);

      // Each answer that is not a 429 gives back 1/32 of the rate: 5/s → 10/s in 16 answers.
      t.sleeps.length = 0;
      for (let i = 0; i < 20; i++) await client.info();
      expect(t.sleeps[0]).toBeGreaterThan(180);
      expect(t.sleeps.slice(-3)).toEqual([100, 100, 100]);
    } finally {
      await client.close();
    }
  });
});

describe('--rate-limit', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws.close();
  });

  /** The waits the clients of one command were asked to make (nothing waits for real). */
  async function waitsOf(argv: string[]): Promise<{ code: number; waits: number[]; stderr: string }> {
    const waits: number[] = [];
    const deps: Deps = {
      clientSettings: {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    };
    const { captureIo } = await import('./helpers');
    const { main } = await import('../provider/cli/main');
    const io = captureIo(ws.dir, ws.env);
    const code = await main(argv, io, deps);
    return { code, waits, stderr: io.stderr() };
  }

  test.each([['plan'], ['drift'], ['apply', '--yes']])(
    '%s spaces its requests to each node at the given rate',
    async (...command) => {
      // Two requests per node (authenticate, list): at 1 request/s the second one waits ~1 s.
      const slow = await waitsOf([...command, '--rate-limit', '1']);
      expect(slow.code).not.toBe(1);
      expect(Math.max(...slow.waits)).toBeGreaterThan(500);
      const fast = await waitsOf([...command, '--rate-limit', '1000']);
      expect(fast.waits.filter((ms) => ms > 10)).toEqual([]);
    },
  );

  test.each([['0'], ['fast'], ['20000']])('--rate-limit %s is a usage error', async (value) => {
    const r = await ws.cli(['plan', '--rate-limit', value]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--rate-limit must be a number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
