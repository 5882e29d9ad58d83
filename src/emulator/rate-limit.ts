// Per-credential rate limit, shaped like Cloudflare's: N requests per window; the request
// that goes over is refused and blocks every call of that credential for blockMs.
//
// Window semantics: FIXED windows. A credential's window opens at its first request (or its
// first request after the previous window or a block ended) and lasts windowMs. The headers
// describe exactly that window: `r` is what is left of it and `t` the whole seconds, rounded
// up, until it ends. So a client that stops when r=0 and waits t seconds never trips it.
import type { RateLimitConfig, RateLimitHeaderStyle } from './types.js';

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { limit: 1200, windowMs: 300_000 };

interface Bucket {
  windowStart: number;
  count: number;
  blockedUntil: number;
}

/** A refusal carries `retryAfterSeconds`: whole seconds until calls are accepted again. */
type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; headers: Record<string, string>; retryAfterSeconds: number };

/** One policy's state for a request: what is left, and the seconds until it resets or unblocks. */
interface PolicyState {
  remaining: number;
  reset: number;
  blocked: boolean;
}

/** One policy's windows, per credential. */
class Policy {
  private readonly buckets = new Map<string, Bucket>();
  readonly blockMs: number;

  constructor(
    readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
    blockMs?: number,
  ) {
    this.blockMs = blockMs ?? windowMs;
  }

  /** Counts one request of `key`: what is left and the seconds to the end, or the block. */
  take(key: string, now: number): PolicyState {
    let bucket = this.buckets.get(key);
    if (bucket && bucket.blockedUntil > now) {
      return { remaining: 0, reset: Math.ceil((bucket.blockedUntil - now) / 1000), blocked: true };
    }
    if (!bucket || bucket.blockedUntil > 0 || now >= bucket.windowStart + this.windowMs) {
      bucket = { windowStart: now, count: 0, blockedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    bucket.count++;
    if (bucket.count > this.limit) {
      bucket.blockedUntil = now + this.blockMs;
      return { remaining: 0, reset: Math.max(1, Math.ceil(this.blockMs / 1000)), blocked: true };
    }
    return {
      remaining: this.limit - bucket.count,
      reset: Math.ceil((bucket.windowStart + this.windowMs - now) / 1000),
      blocked: false,
    };
  }

  reset(): void {
    this.buckets.clear();
  }
}

export class RateLimiter {
  /** The `"default"` policy, and a tighter `"burst"` one when configured. */
  private readonly policies: Policy[];

  constructor(
    config: RateLimitConfig | false,
    private readonly style: RateLimitHeaderStyle,
    private readonly now: () => number = Date.now,
  ) {
    this.policies = !config
      ? []
      : [
          ...(config.burst ? [new Policy('burst', config.burst.limit, config.burst.windowMs)] : []),
          new Policy('default', config.limit, config.windowMs, config.blockMs),
        ];
  }

  /**
   * Counts one request of `key` against every policy and says whether it may proceed: going
   * over any one of them refuses it. The headers list every policy, item by item.
   */
  take(key: string): RateDecision {
    if (this.policies.length === 0) return { allowed: true, headers: {} };
    const now = this.now();
    const shown = this.policies.map((p) => ({ p, ...p.take(key, now) }));
    const headers = this.headers(shown);
    const waits = shown.filter((s) => s.blocked).map((s) => s.reset);
    if (waits.length > 0) return { allowed: false, headers, retryAfterSeconds: Math.max(...waits) };
    return { allowed: true, headers };
  }

  reset(): void {
    for (const p of this.policies) p.reset();
  }

  private headers(shown: ({ p: Policy } & PolicyState)[]): Record<string, string> {
    if (this.style === 'none') return {};
    const out: Record<string, string> = {};
    if (this.style === 'ietf' || this.style === 'both') {
      out.Ratelimit = shown.map((s) => `"${s.p.name}";r=${s.remaining};t=${s.reset}`).join(', ');
      out['Ratelimit-Policy'] = shown
        .map((s) => `"${s.p.name}";q=${s.p.limit};w=${Math.ceil(s.p.windowMs / 1000)}`)
        .join(', ');
    }
    if (this.style === 'x' || this.style === 'both') {
      // One policy only in this older form: the default one.
      const d = shown.at(-1) as { p: Policy } & PolicyState;
      out['X-RateLimit-Limit'] = String(d.p.limit);
      out['X-RateLimit-Remaining'] = String(d.remaining);
      // Seconds until the window resets, like `t` (not an epoch time).
      out['X-RateLimit-Reset'] = String(d.reset);
    }
    return out;
  }
}
