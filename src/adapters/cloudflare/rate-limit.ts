// Pacing requests so a run never trips Cloudflare's account-wide limit (1,200 requests per
// 5 minutes per user; going over blocks the user's dashboard too, for 5 minutes).
//
// The server says how much is left on every answer; the pacer spends at most what is left
// minus a reserve kept for the people using the dashboard, and when that is gone it waits
// for the window to reset. Before the first answer only one request is in flight, to learn
// the limits.
//
// Answers can come back in another order than the server counted their requests (several
// connections, uneven processing times). Only the lowest `remaining` seen in a window is news:
// an answer reporting more was counted earlier, so it never raises the estimate; it only gives
// back the one request it was counted twice for (see learn()).

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
  /** Lowest `remaining` the server reported in the current window: its latest count. */
  private floor: number | undefined;
  /**
   * Requests in flight when `remaining` was last set from `floor`: all were subtracted then,
   * though those the server had counted before are already in `floor`. Each of their answers
   * that proves it (a higher `remaining`) gives one back.
   */
  private credits = 0;
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
      this.floor = undefined;
      this.credits = 0;
      return this.inFlight > 0 ? Math.max(spacing, 5) : spacing;
    }
    const reserve =
      this.limit !== undefined ? Math.max(1, Math.ceil(this.limit * this.reserveShare)) : 1;
    if (this.remaining - reserve >= 1) return spacing;
    // Answers still due may give requests back: look again soon rather than at the reset.
    if (this.credits > 0 && this.inFlight > 0) return Math.max(spacing, 5);
    // Budget spent: wait for the reset (a little after it, so the server has reset too).
    return this.resetAt - now + 50;
  }

  /** Feeds back what an answer said. Call once per acquire(), after the answer (or failure). */
  done(status: number | undefined, info: RateLimitInfo): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const now = this.clock.now();
    if (info.limit !== undefined) this.limit = info.limit;
    if (info.remaining !== undefined)
      this.learn(info.remaining, now + (info.resetMs ?? info.windowMs ?? 60_000));
    // Only requests still in flight can be owed back.
    this.credits = Math.min(this.credits, this.inFlight);
    if (status === 429) {
      this.stats.rateLimited++;
      this.blockedUntil = Math.max(
        this.blockedUntil,
        now + (info.retryAfterMs ?? info.resetMs ?? 60_000),
      );
      this.remaining = 0;
      this.credits = 0;
    }
  }

  /**
   * What one answer's `remaining` (the server's count right after that request) tells.
   *
   * The server counts in arrival order, so within a window a lower `remaining` is a later
   * count. The lowest seen (`floor`) sets the estimate: `floor` minus every request still in
   * flight (any counted after it are among them; those counted before it are subtracted too,
   * which errs on the safe side) and the window's end. An answer reporting `floor` or more was
   * counted before the one that set `floor`, while that one was in flight: it was subtracted
   * for nothing and gives one back (at most as many as were in flight then). Taking its figure
   * instead, as when the last answer wins, counts every request answered in between as unspent.
   *
   * Such an answer may also come from the next window (its end passed while it was in flight);
   * it is not taken as news either: the next window is learnt by one request once this one's
   * announced end has passed. Telling windows apart by the end an answer announces is not
   * safe: a slow answer from early in this window announces a late end too.
   *
   * The end: each answer announces it in whole seconds rounded up, from when it was counted,
   * so each one's arrival plus its `t` is at or after the true end, and the earliest of them is
   * the closest; taking the latest answer's instead waits up to a second too long per window.
   * Answers of the next window only announce later ends, and none of the previous window can
   * arrive here: a window is learnt with nothing else in flight.
   */
  private learn(reported: number, endsAt: number): void {
    if (this.remaining !== undefined && this.floor !== undefined) {
      this.resetAt = Math.min(this.resetAt, endsAt);
      if (reported >= this.floor) {
        if (this.credits > 0) {
          this.credits--;
          this.remaining++;
        }
        return;
      }
    } else this.resetAt = endsAt;
    this.floor = reported;
    // Not clamped at 0: what is given back later starts from the true difference.
    this.remaining = reported - this.inFlight;
    this.credits = this.inFlight;
  }
}
