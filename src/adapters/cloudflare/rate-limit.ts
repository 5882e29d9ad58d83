// Pacing requests so a run never trips Cloudflare's account-wide limit: reading the
// rate-limit headers (parseRateLimit) and holding each request until the budget allows it
// (Pacer).

import { type BareItem, type Item, parseDictionary, parseList } from 'structured-headers';
import { definedOnly } from '../../core/values.js';
import type { PacingView } from '../../engine/ports.js';

/** What one answer says about one rate-limit policy. All optional: servers send different sets. */
export interface PolicyInfo {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the window resets. */
  resetMs?: number;
  /** Length of the window, from the policy header. */
  windowMs?: number;
}

/**
 * What one answer says about the limit. The fields of PolicyInfo are its only policy; when the
 * headers name policies (`"burst"`, `"default"`), `policies` holds each of them instead.
 */
export interface RateLimitInfo extends PolicyInfo {
  policies?: Record<string, PolicyInfo>;
  /** From Retry-After: wait this long before any request. */
  retryAfterMs?: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A list header sent as several lines is one list (RFC 9110 5.3). */
function listHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function count(value: BareItem | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Seconds until reset: small values are a delta, large ones an epoch time (X-RateLimit-Reset). */
function resetToMs(value: number | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  return value > 1_000_000_000 ? Math.max(0, value * 1000 - nowMs) : value * 1000;
}

/**
 * The items of a structured-field list (RFC 9651), each with its policy name: a string or a
 * token (`"default";r=50;t=30`), or, in the older form `1200;w=300`, a number and no name.
 * The older dictionary form (`limit=100, remaining=50, reset=30`) is one unnamed item.
 * Undefined when the text is neither.
 */
function policyItems(
  text: string,
): { name: string; value?: number; params: Map<string, BareItem> }[] | undefined {
  try {
    return parseList(text).flatMap((member) => {
      if (Array.isArray(member[0])) return []; // an inner list: no policy has that shape
      const [value, params] = member as Item;
      if (typeof value === 'number') return [{ name: '', value, params }];
      return [{ name: String(value), params }];
    });
  } catch {
    try {
      const params = new Map<string, BareItem>();
      for (const [key, member] of parseDictionary(text))
        if (!Array.isArray(member[0])) params.set(key, (member as Item)[0]);
      return [{ name: '', params }];
    } catch {
      return undefined;
    }
  }
}

/**
 * Reads `RateLimit` and `RateLimit-Policy` item by item (several policies may be listed, each
 * on its own), then the older single-value headers (`X-RateLimit-*`, `RateLimit-*`) and
 * Retry-After.
 */
export function parseRateLimit(headers: Headers, nowMs: number): RateLimitInfo {
  const named = new Map<string, PolicyInfo>();
  const policy = (name: string) => {
    const p = named.get(name) ?? {};
    named.set(name, p);
    return p;
  };
  const limits = listHeader(headers, 'ratelimit');
  for (const item of limits ? (policyItems(limits) ?? []) : []) {
    const p = policy(item.name);
    p.remaining ??= count(item.params.get('r') ?? item.params.get('remaining'));
    p.resetMs ??= resetToMs(count(item.params.get('t') ?? item.params.get('reset')), nowMs);
    p.limit ??= count(item.params.get('limit'));
  }
  const policies = listHeader(headers, 'ratelimit-policy');
  for (const item of policies ? (policyItems(policies) ?? []) : []) {
    const p = policy(item.name);
    const quota = count(item.params.get('q')) ?? item.value;
    if (quota !== undefined) p.limit = quota;
    const window = count(item.params.get('w'));
    if (window !== undefined) p.windowMs = window * 1000;
  }
  // Unnamed (older forms): one policy, completed by the single-value headers.
  const single = named.get('') ?? {};
  named.delete('');
  if (named.size === 0) {
    for (const prefix of ['x-ratelimit-', 'ratelimit-']) {
      single.limit ??= num(header(headers, `${prefix}limit`));
      single.remaining ??= num(header(headers, `${prefix}remaining`));
      single.resetMs ??= resetToMs(num(header(headers, `${prefix}reset`)), nowMs);
    }
  }
  const info: RateLimitInfo = named.size > 0 ? {} : definedOnly(single);
  if (named.size > 0) {
    // An unnamed item beside named ones is one more policy.
    if (Object.keys(definedOnly(single)).length > 0) named.set('', single);
    info.policies = Object.fromEntries([...named].map(([name, p]) => [name, definedOnly(p)]));
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
/**
 * Cloudflare's published limit (1,200 requests per 5 minutes per user): the ceiling kept, less
 * the reserve, while no answer has said what the limit is.
 */
export const DEFAULT_STATIC_LIMIT = { limit: 1200, windowMs: 300_000 } as const;

export interface PacerOptions {
  /** Longest single wait the pacer accepts; beyond it acquire() fails instead of blocking. */
  maxWaitMs?: number;
  /** At most this many request starts per second (Cloudflare also limits 200/s per IP). */
  maxPerSecond?: number;
  /** The ceiling while no rate-limit header has arrived; default DEFAULT_STATIC_LIMIT. */
  staticLimit?: { limit: number; windowMs: number };
}

/** A wait for the budget, as reported to onWait() listeners. */
export interface PacingWait {
  ms: number;
  /** Why, for a log line. */
  reason: string;
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

/** What the pacer leaves of `limit` for the people using the dashboard. */
function reserveOf(limit: number): number {
  return Math.max(1, Math.ceil(limit * DEFAULT_RESERVE_SHARE));
}

/**
 * What the server has said about one policy's current window.
 *
 * Answers can come back in another order than the server counted their requests (several
 * connections, uneven processing times). Only the lowest `remaining` seen in a window is news:
 * an answer reporting more was counted earlier, so it never raises the estimate; it only gives
 * back the one request it was counted twice for (see learn()).
 */
class Budget {
  remaining: number | undefined;
  limit: number | undefined;
  windowMs: number | undefined;
  resetAt = 0;
  /** Lowest `remaining` the server reported in the current window: its latest count. */
  floor: number | undefined;
  /**
   * Requests in flight when `remaining` was last set from `floor`: all were subtracted then,
   * though those the server had counted before are already in `floor`. Each of their answers
   * that proves it (a higher `remaining`) gives one back.
   */
  credits = 0;

  constructor(readonly name: string) {}

  /** Forgets the window once its end has passed: what is left is unknown until an answer. */
  expire(now: number): void {
    if (this.remaining !== undefined && this.resetAt <= now) {
      this.remaining = undefined;
      this.floor = undefined;
      this.credits = 0;
    }
  }

  reserve(): number {
    return this.limit !== undefined ? reserveOf(this.limit) : 1;
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
  learn(reported: number, endsAt: number, inFlight: number): void {
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
    this.remaining = reported - inFlight;
    this.credits = inFlight;
  }
}

/**
 * Paces requests so a run never trips Cloudflare's account-wide limit (1,200 requests per
 * 5 minutes per user; going over blocks the user's dashboard too, for 5 minutes).
 *
 * The server says how much is left on every answer, per policy (a `"burst"` and a `"default"`
 * one, say): the pacer keeps a budget per policy and waits as long as the tightest one needs,
 * spending at most what is left minus a reserve kept for the people using the dashboard, and
 * when that is gone it waits for the window to reset. Before the first answer only one
 * request is in flight, to learn the limits. While no answer has carried rate-limit headers
 * at all, it keeps to a static ceiling (1,200 per 300 s less the reserve), counted over a
 * sliding window so it holds whatever windows the server counts in.
 */
export class Pacer implements PacingView {
  private readonly budgets = new Map<string, Budget>();
  private blockedUntil = 0;
  private inFlight = 0;
  private lastStart = 0;
  /** Whether any answer said what the limit is; until then the static ceiling applies. */
  private headersSeen = false;
  /** Start times within the static ceiling's window, oldest first. */
  private readonly starts: number[] = [];
  private waiting: Promise<void> = Promise.resolve();
  private readonly maxWaitMs: number;
  private readonly minIntervalMs: number;
  private readonly ceiling: { limit: number; windowMs: number; own: number };
  private readonly listeners: ((wait: PacingWait) => void)[] = [];
  private budgetWaitedMs = 0;
  /** Requests and waits, for reports and benchmarks. */
  readonly stats = { requests: 0, waits: 0, waitedMs: 0, rateLimited: 0 };

  constructor(
    private readonly clock: PacerClock,
    options: PacerOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 6 * 60_000;
    this.minIntervalMs = 1000 / (options.maxPerSecond ?? DEFAULT_MAX_PER_SECOND);
    const { limit, windowMs } = options.staticLimit ?? DEFAULT_STATIC_LIMIT;
    const own = Math.max(1, limit - reserveOf(limit));
    this.ceiling = { limit, windowMs, own };
  }

  /** Calls `listener` before each wait for the budget (never for the short spacing waits). */
  onWait(listener: (wait: PacingWait) => void): void {
    this.listeners.push(listener);
  }

  /** Time spent waiting for the budget so far (not the short spacing and learning waits), ms. */
  get waitedMs(): number {
    return this.budgetWaitedMs;
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
      const { ms: wait, reason } = this.waitNeeded(now);
      if (wait <= 0) {
        this.inFlight++;
        this.stats.requests++;
        this.lastStart = now;
        for (const b of this.budgets.values()) if (b.remaining !== undefined) b.remaining--;
        this.starts.push(now);
        if (this.starts.length > this.ceiling.own) this.starts.shift();
        return;
      }
      if (wait > this.maxWaitMs) throw new RateLimitedError(wait);
      this.stats.waits++;
      if (reason !== undefined) for (const l of this.listeners) l({ ms: wait, reason });
      await this.clock.sleep(wait, signal);
      const waited = Math.max(0, this.clock.now() - now);
      this.stats.waitedMs += waited;
      if (reason !== undefined) this.budgetWaitedMs += waited;
    }
  }

  /** How long the next request must wait, and why when it is a wait for the budget. */
  private waitNeeded(now: number): { ms: number; reason?: string } {
    if (this.blockedUntil > now)
      return {
        ms: this.blockedUntil - now,
        reason: 'the API answered 429 (rate limited) and asked for a pause',
      };
    const spacing = { ms: this.lastStart + this.minIntervalMs - now };
    let worst = spacing;
    const later = (w: { ms: number; reason?: string }) => {
      if (w.ms > worst.ms) worst = w;
    };
    if (!this.headersSeen) later(this.ceilingWait(now));
    for (const b of this.budgets.values()) b.expire(now);
    if (
      this.budgets.size === 0 ||
      [...this.budgets.values()].some((b) => b.remaining === undefined)
    ) {
      // Nothing known yet (or a window just reset): one request at a time, to learn.
      if (this.inFlight > 0) later({ ms: 5 });
      return worst;
    }
    for (const b of this.budgets.values()) {
      const reserve = b.reserve();
      if ((b.remaining as number) - reserve >= 1) continue;
      // Answers still due may give requests back: look again soon rather than at the reset.
      if (b.credits > 0 && this.inFlight > 0) {
        later({ ms: 5 });
        continue;
      }
      // Budget spent: wait for the reset (a little after it, so the server has reset too).
      later({ ms: b.resetAt - now + 50, reason: this.spentText(b, reserve) });
    }
    return worst;
  }

  private spentText(b: Budget, reserve: number): string {
    const policy = b.name === '' ? 'the window' : `policy "${b.name}"`;
    const spent = b.limit !== undefined ? `${b.limit - reserve} of ${b.limit}` : 'all';
    return `${policy}: ${spent} requests spent (${reserve} kept for the dashboard); waiting for it to reset`;
  }

  /** The static ceiling: at most `own` starts in any `windowMs`. */
  private ceilingWait(now: number): { ms: number; reason?: string } {
    const { windowMs, own, limit } = this.ceiling;
    while (this.starts.length > 0 && (this.starts[0] as number) <= now - windowMs)
      this.starts.shift();
    if (this.starts.length < own) return { ms: 0 };
    return {
      ms: (this.starts[0] as number) + windowMs - now,
      reason: `no rate-limit headers from the API, so at most ${own} requests per ${windowMs / 1000} s (${limit} less the ${Math.round(DEFAULT_RESERVE_SHARE * 100)}% kept for the dashboard)`,
    };
  }

  /** Feeds back what an answer said. Call once per acquire(), after the answer (or failure). */
  done(status: number | undefined, info: RateLimitInfo): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const now = this.clock.now();
    const said = info.policies ?? { '': info };
    for (const [name, p] of Object.entries(said)) {
      if (p.limit === undefined && p.remaining === undefined) continue;
      const b = this.budgets.get(name) ?? new Budget(name);
      this.budgets.set(name, b);
      if (p.limit !== undefined) b.limit = p.limit;
      if (p.windowMs !== undefined) b.windowMs = p.windowMs;
      if (p.remaining !== undefined) {
        this.headersSeen = true;
        b.learn(p.remaining, now + (p.resetMs ?? p.windowMs ?? 60_000), this.inFlight);
      }
    }
    // Only requests still in flight can be owed back.
    for (const b of this.budgets.values()) b.credits = Math.min(b.credits, this.inFlight);
    if (status === 429) {
      this.stats.rateLimited++;
      this.blockedUntil = Math.max(
        this.blockedUntil,
        now + (info.retryAfterMs ?? info.resetMs ?? 60_000),
      );
      for (const b of this.budgets.values()) {
        if (b.remaining !== undefined) b.remaining = 0;
        b.credits = 0;
      }
    }
  }

  /**
   * How long, in all, the pacer expects to wait before `requests` more can start: the pause a
   * 429 asked for, and for each policy (the tightest counts) the resets needed when the budget
   * left in this window does not cover them. Spacing and answer times are not counted.
   */
  expectedWaitMs(requests: number): number {
    const now = this.clock.now();
    let worst = Math.max(0, this.blockedUntil - now);
    if (requests <= 0) return worst;
    for (const b of this.budgets.values()) {
      if (b.remaining === undefined || b.resetAt <= now) continue;
      const reserve = b.reserve();
      const left = Math.max(0, b.remaining - reserve);
      if (requests <= left) continue;
      const perWindow = b.limit !== undefined ? b.limit - reserve : 0;
      const windowMs = b.windowMs ?? b.resetAt - now;
      const more = perWindow > 0 ? Math.ceil((requests - left) / perWindow) - 1 : 0;
      worst = Math.max(worst, b.resetAt - now + more * windowMs);
    }
    if (!this.headersSeen) {
      const { own, windowMs } = this.ceiling;
      const inWindow = this.starts.filter((t) => t > now - windowMs);
      const left = own - inWindow.length;
      if (requests > left) {
        const first = (inWindow[0] ?? now) + windowMs - now;
        worst = Math.max(worst, first + (Math.ceil((requests - left) / own) - 1) * windowMs);
      }
    }
    return worst;
  }
}
