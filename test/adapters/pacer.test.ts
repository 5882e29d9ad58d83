// The Pacer on a fake clock, against a simulated server with fixed windows (as the emulator and
// its headers describe them): it never spends more than the limit minus its reserve, never
// trips a 429, and does not spend less than that either, whatever order the answers come in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Pacer,
  PacingAbortedError,
  RateLimitedError,
  type RateLimitInfo,
} from '../../src/adapters/cloudflare/rate-limit.js';

/** Time that moves only when the test says so; sleeps resolve when it passes their end. */
class FakeClock {
  now = 1_000_000;
  private sleepers: { until: number; resolve: () => void; signal?: AbortSignal }[] = [];

  readonly port = {
    now: () => this.now,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        const sleeper = { until: this.now + ms, resolve, signal };
        this.sleepers.push(sleeper);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };

  /** The earliest end of a pending sleep, if any. */
  nextWake(): number | undefined {
    const ends = this.sleepers.map((s) => s.until);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }

  advanceTo(t: number): void {
    this.now = Math.max(this.now, t);
    const due = this.sleepers.filter((s) => s.until <= this.now);
    this.sleepers = this.sleepers.filter((s) => s.until > this.now);
    for (const s of due) s.resolve();
  }
}

/** Lets every promise chain that can move on do so. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A server with fixed windows that open at their first request, counting in arrival order. */
class FixedWindowServer {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;
  readonly windows: number[] = [];
  /** When each window opened. */
  readonly opened: number[] = [];
  rateLimited = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts a request arriving at `at`; the headers of its answer. */
  take(at: number): { status: number; info: RateLimitInfo } {
    if (at >= this.windowStart + this.windowMs) {
      this.windowStart = at;
      this.count = 0;
      this.windows.push(0);
      this.opened.push(at);
    }
    this.count++;
    this.windows[this.windows.length - 1] = this.count;
    const resetMs = Math.ceil((this.windowStart + this.windowMs - at) / 1000) * 1000;
    if (this.count > this.limit) {
      this.rateLimited++;
      return {
        status: 429,
        info: { limit: this.limit, remaining: 0, resetMs, retryAfterMs: resetMs },
      };
    }
    return {
      status: 200,
      info: {
        limit: this.limit,
        remaining: this.limit - this.count,
        resetMs,
        windowMs: this.windowMs,
      },
    };
  }
}

/** A small seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

interface Simulation {
  requests: number;
  concurrency: number;
  limit: number;
  windowMs: number;
  /** Delay from send to being counted, and from being counted to the answer: [min, max). */
  uplinkMs: [number, number];
  answerMs: [number, number];
  seed: number;
  /** The pacer's cap on request starts per second (default its own). */
  maxPerSecond?: number;
}

/**
 * Runs `requests` requests through the pacer with `concurrency` workers against the server.
 * Every delay is drawn at random, so answers come back in another order than they were
 * counted. Returns the server's record and the fake time taken.
 */
async function simulate(sim: Simulation) {
  const clock = new FakeClock();
  const start = clock.now;
  const pacer = new Pacer(
    clock.port,
    sim.maxPerSecond !== undefined ? { maxPerSecond: sim.maxPerSecond } : {},
  );
  const server = new FixedWindowServer(sim.limit, sim.windowMs);
  const draw = random(sim.seed);
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(draw() * (hi - lo));
  const events: { at: number; run: () => void }[] = [];
  let next = 0;
  let finished = 0;

  const worker = async () => {
    while (next < sim.requests) {
      next++;
      await pacer.acquire();
      const counted = clock.now + between(sim.uplinkMs);
      const answer = await new Promise<{ status: number; info: RateLimitInfo }>((resolve) => {
        events.push({
          at: counted,
          run: () => {
            const reply = server.take(counted);
            events.push({ at: counted + between(sim.answerMs), run: () => resolve(reply) });
          },
        });
      });
      pacer.done(answer.status, answer.info);
      finished++;
    }
  };
  const workers = Array.from({ length: sim.concurrency }, worker);

  for (let steps = 0; finished < sim.requests; steps++) {
    if (steps > 1_000_000) throw new Error('the simulation does not finish');
    await settle();
    const wake = clock.nextWake();
    const event = events.reduce<{ at: number; run: () => void } | undefined>(
      (first, e) => (first === undefined || e.at < first.at ? e : first),
      undefined,
    );
    if (event && (wake === undefined || event.at <= wake)) {
      events.splice(events.indexOf(event), 1);
      clock.advanceTo(event.at);
      event.run();
    } else if (wake !== undefined) clock.advanceTo(wake);
    else if (finished < sim.requests) throw new Error('nothing left to happen, yet not finished');
  }
  await Promise.all(workers);
  return { server, elapsedMs: clock.now - start, pacer };
}

const ownBudget = (limit: number) => limit - Math.max(1, Math.ceil(limit * 0.1));

/**
 * Asks for a turn and lets fake time run for up to `ms`: true if granted. If not, the request
 * stays queued (waiting for a reset far away), which is all these tests need.
 */
async function acquireWithin(pacer: Pacer, clock: FakeClock, ms: number): Promise<boolean> {
  let granted = false;
  void pacer.acquire().then(() => {
    granted = true;
  });
  const end = clock.now + ms;
  for (;;) {
    await settle();
    if (granted) return true;
    const wake = clock.nextWake();
    if (wake === undefined || wake > end) return false;
    clock.advanceTo(wake);
  }
}

describe('Pacer', () => {
  it('sends one request until the first answer says what the limit is', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port);
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    let second = false;
    void pacer.acquire().then(() => {
      second = true;
    });
    // It looks again every 5 ms, and waits as long as the first is unanswered.
    for (let i = 0; i < 40; i++) {
      await settle();
      clock.advanceTo(clock.nextWake() ?? clock.now);
    }
    await settle();
    expect(second).toBe(false);
    pacer.done(200, { limit: 10, remaining: 9, resetMs: 60_000 });
    clock.advanceTo(clock.nextWake() ?? clock.now);
    await settle();
    expect(second).toBe(true);
  });

  it('spends the limit minus the reserve, then waits for the announced reset and probes again', async () => {
    const { server, elapsedMs } = await simulate({
      requests: 40,
      concurrency: 1,
      limit: 20,
      windowMs: 10_000,
      uplinkMs: [0, 1],
      answerMs: [10, 11],
      seed: 1,
    });
    // 18 (= 20 - a reserve of 2) per window, no more, no fewer.
    expect(server.windows).toEqual([18, 18, 4]);
    expect(server.rateLimited).toBe(0);
    // Each wait ends just after its window: at most the whole-second rounding of `t`, the
    // answer time and 50 ms later; then 4 requests 20 ms apart (50 per second at most).
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * 10_000);
    expect(elapsedMs).toBeLessThanOrEqual(2 * (10_000 + 1_000 + 11 + 50) + 4 * 20 + 11);
  });

  it('starts the next window soon after the true end, not a rounded-up second later', async () => {
    // 18 requests about 100 ms apart: their answers announce the end rounded up from many
    // points of a second, so the earliest of them is within one spacing of the true end.
    for (const seed of [1, 2, 3, 4, 5]) {
      const { server } = await simulate({
        requests: 40,
        concurrency: 1,
        limit: 20,
        windowMs: 10_000,
        uplinkMs: [0, 1],
        answerMs: [10, 20],
        seed,
        maxPerSecond: 10,
      });
      expect(server.windows).toEqual([18, 18, 4]);
      expect(server.rateLimited).toBe(0);
      for (let w = 1; w < server.opened.length; w++) {
        const late = (server.opened[w] as number) - ((server.opened[w - 1] as number) + 10_000);
        expect(late, `seed ${seed}, window ${w}`).toBeGreaterThanOrEqual(0);
        // The spacing, the answer time and the pacer's 50 ms margin at most.
        expect(late, `seed ${seed}, window ${w}`).toBeLessThanOrEqual(100 + 20 + 50);
      }
    }
  });

  it('keeps the reserve when answers come back in the reverse order of their counting', async () => {
    // Three in flight, each round answered last-counted first. Taking each answer's figure as
    // it comes (the last answer wins) counts the round's later requests as unspent: that sent
    // 20 of 20 here, the whole reserve, and with more in flight it goes over the limit.
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, { maxPerSecond: 1_000 });
    const server = new FixedWindowServer(20, 60_000);
    let sent = 0;
    const send = () => {
      sent++;
      return server.take(clock.now);
    };
    expect(await acquireWithin(pacer, clock, 10)).toBe(true);
    const probe = send();
    pacer.done(probe.status, probe.info);
    for (let round = 0; round < 20; round++) {
      const answers: { status: number; info: RateLimitInfo }[] = [];
      while (answers.length < 3 && (await acquireWithin(pacer, clock, 10))) answers.push(send());
      for (const a of answers.reverse()) pacer.done(a.status, a.info);
      if (answers.length < 3) break;
    }
    expect(sent).toBe(ownBudget(20));
    expect(server.rateLimited).toBe(0);
  });

  it('never goes over the limit minus the reserve, nor spends less, whatever the order of answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 12, max: 150 }),
          concurrency: fc.integer({ min: 1, max: 16 }),
          windowS: fc.integer({ min: 2, max: 120 }),
          seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
          answerMax: fc.integer({ min: 2, max: 3_000 }),
        }),
        async ({ limit, concurrency, windowS, seed, answerMax }) => {
          const own = ownBudget(limit);
          const sim: Simulation = {
            requests: 2 * own + 5,
            concurrency,
            limit,
            windowMs: windowS * 1000,
            uplinkMs: [0, 50],
            answerMs: [1, answerMax],
            seed,
          };
          const { server } = await simulate(sim);
          expect(server.rateLimited).toBe(0);
          expect(Math.max(...server.windows)).toBeLessThanOrEqual(own);
          // When a window is long enough to spend its budget one request at a time, every
          // window but the last is used to the full budget the pacer allows itself.
          if (sim.windowMs > own * (50 + answerMax + 20) + 2_000) {
            const full = server.windows.slice(0, -1);
            expect(full).toEqual(full.map(() => own));
          }
        },
      ),
      { numRuns: 80, seed: 20_261_124 },
    );
  });

  it('after the announced end, learns the next window with one request, then goes on at full speed', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, { maxPerSecond: 1_000 });
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    pacer.done(200, { limit: 100, remaining: 99, resetMs: 2_000 });
    clock.advanceTo(clock.now + 2_000);
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    expect(await acquireWithin(pacer, clock, 100)).toBe(false);
    pacer.done(200, { limit: 100, remaining: 99, resetMs: 60_000 });
    await settle();
    clock.advanceTo(clock.nextWake() ?? clock.now);
    await settle();
    expect(pacer.stats.requests).toBe(3);
    for (let i = 0; i < 3; i++) expect(await acquireWithin(pacer, clock, 1)).toBe(true);
  });

  it('is not misled by a slow answer from early in the window announcing a later end', async () => {
    // Counted early (so `remaining` is high) but answered late (so the end it announces is
    // late): taking it as a new window would count everything since as unspent.
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, { maxPerSecond: 1_000 });
    const server = new FixedWindowServer(20, 10_000);
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    const probe = server.take(clock.now);
    pacer.done(probe.status, probe.info);
    expect(await acquireWithin(pacer, clock, 1)).toBe(true);
    const slow = server.take(clock.now); // answered only at the end
    let sent = 2;
    const answers: { status: number; info: RateLimitInfo }[] = [];
    while (await acquireWithin(pacer, clock, 1)) {
      sent++;
      answers.push(server.take(clock.now));
      const a = answers.shift();
      if (a) pacer.done(a.status, a.info);
    }
    for (const a of answers) pacer.done(a.status, a.info);
    // Refused so far only because the slow one, counted before, was subtracted twice.
    expect(sent).toBe(ownBudget(20) - 1);
    clock.advanceTo(clock.now + 6_000);
    pacer.done(slow.status, slow.info);
    await settle();
    clock.advanceTo(clock.nextWake() ?? clock.now);
    await settle();
    // The one it gives back goes to the request that was waiting, and no more go before the
    // window ends.
    expect(pacer.stats.requests).toBe(ownBudget(20));
    expect(await acquireWithin(pacer, clock, 1_000)).toBe(false);
  });

  it('waits for Retry-After after a 429', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port);
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    pacer.done(429, { retryAfterMs: 30_000 });
    expect(await acquireWithin(pacer, clock, 29_000)).toBe(false);
    clock.advanceTo(clock.now + 1_000);
    await settle();
    clock.advanceTo(clock.nextWake() ?? clock.now);
    await settle();
    expect(pacer.stats.requests).toBe(2);
    expect(pacer.stats.rateLimited).toBe(1);
  });

  it('refuses a wait longer than maxWaitMs, and stops waiting when the run stops', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, { maxWaitMs: 10_000 });
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    pacer.done(429, { retryAfterMs: 300_000 });
    await expect(pacer.acquire()).rejects.toBeInstanceOf(RateLimitedError);

    const other = new Pacer(clock.port);
    expect(await acquireWithin(other, clock, 0)).toBe(true);
    other.done(429, { retryAfterMs: 5_000 });
    const stop = new AbortController();
    const turn = other.acquire(stop.signal);
    await settle();
    stop.abort();
    await expect(turn).rejects.toBeInstanceOf(PacingAbortedError);
  });

  it('keeps a budget per listed policy: the tightest one binds, and the wait says which', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, { maxPerSecond: 1_000 });
    const waits: string[] = [];
    pacer.onWait((w) => waits.push(w.reason));
    expect(await acquireWithin(pacer, clock, 0)).toBe(true);
    pacer.done(200, {
      policies: {
        burst: { limit: 10, remaining: 9, resetMs: 10_000, windowMs: 10_000 },
        default: { limit: 1000, remaining: 999, resetMs: 300_000, windowMs: 300_000 },
      },
    });
    // The burst policy allows 9 (10 less a reserve of 1): 8 more in this window.
    let granted = 1;
    while (await acquireWithin(pacer, clock, 1)) granted++;
    expect(granted).toBe(9);
    expect(waits.at(-1)).toMatch(/policy "burst": 9 of 10 requests spent/);
    // The default policy's window is far away; the burst one is what the wait is for.
    expect(pacer.expectedWaitMs(1)).toBeGreaterThan(9_000);
    expect(pacer.expectedWaitMs(1)).toBeLessThanOrEqual(10_000);
    expect(pacer.expectedWaitMs(19)).toBeGreaterThan(19_000);
  });

  it('with no rate-limit header at all, keeps to the static ceiling less the reserve', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(clock.port, {
      maxPerSecond: 1_000,
      staticLimit: { limit: 20, windowMs: 10_000 },
    });
    const waits: string[] = [];
    pacer.onWait((w) => waits.push(w.reason));
    let granted = 0;
    while (await acquireWithin(pacer, clock, 100)) {
      granted++;
      pacer.done(200, {});
    }
    expect(granted).toBe(18);
    expect(waits.at(-1)).toMatch(/no rate-limit headers.*at most 18 requests per 10 s/);
    expect(pacer.expectedWaitMs(1)).toBeGreaterThan(9_000);
    // Once a window has passed, the next 18 may go.
    clock.advanceTo(clock.now + 10_000);
    await settle();
    expect(pacer.waitedMs).toBeGreaterThan(0);
  });
});
