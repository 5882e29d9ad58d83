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

interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Set when refused: whole seconds until calls are accepted again. */
  retryAfterSeconds?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly blockMs: number;

  constructor(
    private readonly config: RateLimitConfig | false,
    private readonly style: RateLimitHeaderStyle,
    private readonly now: () => number = Date.now,
  ) {
    this.blockMs = config ? (config.blockMs ?? config.windowMs) : 0;
  }

  /** Counts one request of `key` and says whether it may proceed. */
  take(key: string): RateDecision {
    const config = this.config;
    if (!config) return { allowed: true, headers: {} };
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket && bucket.blockedUntil > now) {
      const wait = Math.ceil((bucket.blockedUntil - now) / 1000);
      return { allowed: false, headers: this.headers(0, wait), retryAfterSeconds: wait };
    }
    if (!bucket || bucket.blockedUntil > 0 || now >= bucket.windowStart + config.windowMs) {
      bucket = { windowStart: now, count: 0, blockedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    bucket.count++;
    if (bucket.count > config.limit) {
      bucket.blockedUntil = now + this.blockMs;
      const wait = Math.max(1, Math.ceil(this.blockMs / 1000));
      return { allowed: false, headers: this.headers(0, wait), retryAfterSeconds: wait };
    }
    const reset = Math.ceil((bucket.windowStart + config.windowMs - now) / 1000);
    return { allowed: true, headers: this.headers(config.limit - bucket.count, reset) };
  }

  reset(): void {
    this.buckets.clear();
  }

  private headers(remaining: number, resetSeconds: number): Record<string, string> {
    const config = this.config;
    if (!config || this.style === 'none') return {};
    const out: Record<string, string> = {};
    if (this.style === 'ietf' || this.style === 'both') {
      out.Ratelimit = `"default";r=${remaining};t=${resetSeconds}`;
      out['Ratelimit-Policy'] =
        `"default";q=${config.limit};w=${Math.ceil(config.windowMs / 1000)}`;
    }
    if (this.style === 'x' || this.style === 'both') {
      out['X-RateLimit-Limit'] = String(config.limit);
      out['X-RateLimit-Remaining'] = String(remaining);
      // Seconds until the window resets, like `t` (not an epoch time).
      out['X-RateLimit-Reset'] = String(resetSeconds);
    }
    return out;
  }
}
