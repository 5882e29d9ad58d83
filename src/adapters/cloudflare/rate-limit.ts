// Pacing requests so a run never trips Cloudflare's account-wide limit (1,200 requests per
// 5 minutes per user; going over blocks the user's dashboard too, for 5 minutes).
//
// The server says how much is left on every answer; the pacer spends at most what is left
// minus a reserve kept for the people using the dashboard, and when that is gone it waits
// for the window to reset. Before the first answer only one request is in flight, to learn
// the limits.

/** What one answer says about the limit. All fields optional: servers send different sets. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the window resets. */
  resetMs?: number;
  /** Length of the window, from the policy header. */
  windowMs?: number;
  /** From Retry-After: wait this long before any request. */
  retryAfterMs?: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `"default";r=50;t=30` (structured) or `limit=100, remaining=50, reset=30` (older drafts). */
function params(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq > 0)
      out.set(
        part.slice(0, eq).trim().toLowerCase(),
        part
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
  }
  return out;
}

/** Seconds until reset: small values are a delta, large ones an epoch time (X-RateLimit-Reset). */
function resetToMs(value: number | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  return value > 1_000_000_000 ? Math.max(0, value * 1000 - nowMs) : value * 1000;
}

export function parseRateLimit(headers: Headers, nowMs: number): RateLimitInfo {
  const info: RateLimitInfo = {};
  const ietf = header(headers, 'ratelimit');
  if (ietf) {
    const p = params(ietf);
    info.remaining = num(p.get('r') ?? p.get('remaining'));
    info.resetMs = resetToMs(num(p.get('t') ?? p.get('reset')), nowMs);
    const limit = num(p.get('limit'));
    if (limit !== undefined) info.limit = limit;
  }
  const policy = header(headers, 'ratelimit-policy');
  if (policy) {
    const p = params(policy);
    // `"default";q=1200;w=300` or `1200;w=300`.
    const quota = num(p.get('q')) ?? num(policy.split(/[;,]/)[0]);
    const window = num(p.get('w'));
    if (quota !== undefined) info.limit = quota;
    if (window !== undefined) info.windowMs = window * 1000;
  }
  for (const prefix of ['x-ratelimit-', 'ratelimit-']) {
    info.limit ??= num(header(headers, `${prefix}limit`));
    info.remaining ??= num(header(headers, `${prefix}remaining`));
    info.resetMs ??= resetToMs(num(header(headers, `${prefix}reset`)), nowMs);
  }
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = num(retryAfter);
    if (seconds !== undefined) info.retryAfterMs = seconds * 1000;
    else {
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) info.retryAfterMs = Math.max(0, date - nowMs);
    }
  }
  for (const key of Object.keys(info) as (keyof RateLimitInfo)[])
    if (info[key] === undefined) delete info[key];
  return info;
}

export interface PacerClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Share of the limit the pacer leaves for the people using the dashboard. */
export const DEFAULT_RESERVE_SHARE = 0.1;
/** Request starts per second at most (Cloudflare also limits 200/s per IP). */
export const DEFAULT_MAX_PER_SECOND = 50;

export interface PacerOptions {
  /** Share of the limit left for others (people in the dashboard). Default 0.1. */
  reserveShare?: number;
  /** Longest single wait the pacer accepts; beyond it acquire() fails instead of blocking. */
  maxWaitMs?: number;
  /** At most this many request starts per second (Cloudflare also limits 200/s per IP). */
  maxPerSecond?: number;
}

/** The run stopped while this request waited for its turn: it was never sent. */
export class PacingAbortedError extends Error {
  constructor() {
    super('stopped before sending');
  }
}

export class RateLimitedError extends Error {
  constructor(readonly waitMs: number) {
    super(
      `the API rate limit needs a wait of ${Math.ceil(waitMs / 1000)} s, longer than this run accepts`,
    );
  }
}

export class Pacer {
  private remaining: number | undefined;
  private limit: number | undefined;
  private resetAt = 0;
  private blockedUntil = 0;
  private inFlight = 0;
  private lastStart = 0;
  private waiting: Promise<void> = Promise.resolve();
  private readonly reserveShare: number;
  private readonly maxWaitMs: number;
  private readonly minIntervalMs: number;
  /** Requests and waits, for reports and benchmarks. */
  readonly stats = { requests: 0, waits: 0, waitedMs: 0, rateLimited: 0 };

  constructor(
    private readonly clock: PacerClock,
    options: PacerOptions = {},
  ) {
    this.reserveShare = options.reserveShare ?? DEFAULT_RESERVE_SHARE;
    this.maxWaitMs = options.maxWaitMs ?? 6 * 60_000;
    this.minIntervalMs = 1000 / (options.maxPerSecond ?? DEFAULT_MAX_PER_SECOND);
  }

  /**
   * Waits until a request may start; callers must then call done() once it has finished.
   * Rejects with PacingAbortedError (and no done() is owed) when `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    // Serialised, so concurrent callers see each other's reservations in order.
    const turn = this.waiting.then(() => this.reserve(signal));
    this.waiting = turn.catch(() => undefined);
    return turn;
  }

  private async reserve(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new PacingAbortedError();
      const now = this.clock.now();
      const wait = this.waitNeeded(now);
      if (wait <= 0) {
        this.inFlight++;
        this.stats.requests++;
        this.lastStart = now;
        if (this.remaining !== undefined) this.remaining--;
        return;
      }
      if (wait > this.maxWaitMs) throw new RateLimitedError(wait);
      this.stats.waits++;
      this.stats.waitedMs += wait;
      await this.clock.sleep(wait, signal);
    }
  }

  private waitNeeded(now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now;
    const spacing = this.lastStart + this.minIntervalMs - now;
    if (this.remaining === undefined) {
      // Nothing known yet (or a window just reset): one request at a time, to learn.
      return this.inFlight > 0 ? Math.max(spacing, 5) : spacing;
    }
    if (this.resetAt <= now) {
      // The window has reset; what is left is unknown until the next answer.
      this.remaining = undefined;
      return this.inFlight > 0 ? Math.max(spacing, 5) : spacing;
    }
    const reserve =
      this.limit !== undefined ? Math.max(1, Math.ceil(this.limit * this.reserveShare)) : 1;
    if (this.remaining - reserve >= 1) return spacing;
    // Budget spent: wait for the reset (a little after it, so the server has reset too).
    return this.resetAt - now + 50;
  }

  /** Feeds back what an answer said. Call once per acquire(), after the answer (or failure). */
  done(status: number | undefined, info: RateLimitInfo): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const now = this.clock.now();
    if (info.limit !== undefined) this.limit = info.limit;
    if (info.remaining !== undefined) {
      // Answers can arrive out of order; requests started since count against it too.
      this.remaining = Math.max(0, info.remaining - this.inFlight);
      this.resetAt = now + (info.resetMs ?? info.windowMs ?? 60_000);
    }
    if (status === 429) {
      this.stats.rateLimited++;
      this.blockedUntil = Math.max(
        this.blockedUntil,
        now + (info.retryAfterMs ?? info.resetMs ?? 60_000),
      );
      this.remaining = 0;
    }
  }
}
