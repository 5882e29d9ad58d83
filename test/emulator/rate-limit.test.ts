import { describe, expect, it } from 'vitest';
import { demoFixtures, startEmulator } from '../../src/emulator/index.js';
import { RateLimiter } from '../../src/emulator/rate-limit.js';
import { getMessage, LEGACY, READ_ONLY, release } from './helpers.js';

const fx = demoFixtures();

function parseRatelimit(value: string | undefined): { r: number; t: number } {
  const match = /^"default";r=(\d+);t=(\d+)$/.exec(value ?? '');
  if (!match) throw new Error(`bad Ratelimit header ${value}`);
  return { r: Number(match[1]), t: Number(match[2]) };
}

describe('rate limit (fixed windows, per credential)', () => {
  it('counts down, then refuses with 429 / 971 / Retry-After and blocks every call of that credential', async () => {
    const em = await startEmulator({ rateLimit: { limit: 3, windowMs: 60_000, blockMs: 120_000 } });
    try {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await getMessage(em, fx.bulk);
        expect(answer.status).toBe(200);
        remaining.push(answer.headers.get('ratelimit') ?? '');
        expect(answer.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
      }
      expect(remaining.map((h) => parseRatelimit(h).r)).toEqual([2, 1, 0]);

      const over = await release(em, [fx.bulk]);
      expect(over.status).toBe(429);
      expect(over.json.errors[0]).toEqual({
        code: 971,
        message: 'Please wait and consider throttling your request speed',
      });
      expect(over.headers.get('retry-after')).toBe('120');
      expect(em.truth().releases).toEqual([]);
      // Blocked on every route, not only the one that went over.
      const blocked = await getMessage(em, fx.spam);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(120);
      // Other credentials have their own budget.
      expect((await release(em, [fx.bulk], LEGACY)).status).toBe(200);
      expect((await getMessage(em, fx.bulk)).status).toBe(429);
      em.reset();
      expect((await getMessage(em, fx.bulk)).status).toBe(200);
    } finally {
      await em.close();
    }
  });

  it('opens a new window when the old one ends and the block is over', async () => {
    const em = await startEmulator({ rateLimit: { limit: 1, windowMs: 200 } });
    try {
      expect((await getMessage(em, fx.bulk)).status).toBe(200);
      expect((await getMessage(em, fx.bulk)).status).toBe(429);
      await new Promise((r) => setTimeout(r, 260));
      expect((await getMessage(em, fx.bulk)).status).toBe(200);
    } finally {
      await em.close();
    }
  });

  it('sends the header styles asked for, and none when disabled', async () => {
    const cases = [
      ['ietf', ['ratelimit', 'ratelimit-policy'], ['x-ratelimit-limit']],
      ['x', ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'], ['ratelimit']],
      ['none', [], ['ratelimit', 'x-ratelimit-limit']],
    ] as const;
    for (const [style, present, absent] of cases) {
      const em = await startEmulator({ rateLimitHeaders: style });
      try {
        const answer = await getMessage(em, fx.bulk);
        for (const h of present) expect(answer.headers.get(h), `${style} ${h}`).not.toBeNull();
        for (const h of absent) expect(answer.headers.get(h), `${style} ${h}`).toBeNull();
      } finally {
        await em.close();
      }
    }
    const em = await startEmulator({ rateLimit: false });
    try {
      const answer = await getMessage(em, fx.bulk);
      expect(answer.headers.get('ratelimit')).toBeNull();
      expect((await getMessage(em, fx.bulk)).status).toBe(200);
    } finally {
      await em.close();
    }
  });

  it('x-ratelimit headers agree with the IETF ones', async () => {
    const em = await startEmulator({ rateLimit: { limit: 10, windowMs: 30_000 } });
    try {
      const answer = await release(em, [fx.bulk], READ_ONLY);
      const { r, t } = parseRatelimit(answer.headers.get('ratelimit') ?? '');
      expect(answer.headers.get('x-ratelimit-limit')).toBe('10');
      expect(Number(answer.headers.get('x-ratelimit-remaining'))).toBe(r);
      expect(Number(answer.headers.get('x-ratelimit-reset'))).toBe(t);
      expect(t).toBeLessThanOrEqual(30);
    } finally {
      await em.close();
    }
  });
});

describe('RateLimiter', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('t is the whole seconds, rounded up, to the end of the fixed window', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 5, windowMs: 10_000 }, 'ietf', c.now);
    expect(limiter.take('a').headers.Ratelimit).toBe('"default";r=4;t=10');
    c.advance(2_500);
    expect(limiter.take('a').headers.Ratelimit).toBe('"default";r=3;t=8');
    c.advance(7_499);
    expect(limiter.take('a').headers.Ratelimit).toBe('"default";r=2;t=1');
    c.advance(1);
    expect(limiter.take('a').headers.Ratelimit).toBe('"default";r=4;t=10');
  });

  it('blocks for blockMs from the request that went over', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000, blockMs: 5_000 }, 'both', c.now);
    expect(limiter.take('a').allowed).toBe(true);
    const over = limiter.take('a');
    expect(over).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    c.advance(4_999);
    expect(limiter.take('a')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    c.advance(1);
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('a client that waits t seconds whenever r reaches 0 is never refused', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 7, windowMs: 3_000 }, 'ietf', c.now);
    let refused = 0;
    for (let i = 0; i < 1_000; i++) {
      const decision = limiter.take('pacer');
      if (!decision.allowed) refused++;
      const { r, t } = parseRatelimit(decision.headers.Ratelimit);
      c.advance(r === 0 ? t * 1000 : 37);
    }
    expect(refused).toBe(0);
  });
});
