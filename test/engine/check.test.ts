// The drift check's engine with fakes: one budget for read-backs and drift lookups, a cursor
// that carries a big ledger over several runs in order and wraps round, and a cursor file
// that may be missing, damaged or unwritable without stopping anything.
import { describe, expect, it } from 'vitest';
import { compareCheckOrder } from '../../src/core/check/cursor.js';
import type { EntrySince } from '../../src/core/check/unapplied.js';
import type { LedgerRecord } from '../../src/core/ledger/record.js';
import type { ReleaseAnswer } from '../../src/core/release/classify.js';
import type { ActionLogLookup, Lookup } from '../../src/core/release/readback.js';
import { idTime } from '../../src/core/windows.js';
import { type CheckResult, type CheckSettings, check } from '../../src/engine/check.js';
import type { CloudflareApi, SearchPage } from '../../src/engine/ports.js';
import { ACCOUNT, OTHER_ACCOUNT, record } from '../support/factories.js';
import { collectingLogger, fixedClock, MemoryCheckState, MemoryStore } from '../support/memory.js';

const DAY = 86_400_000;
const BASE = Date.parse('2026-09-01T10:00:00Z');

/** An id seen `day` days after BASE (3 days apart: each its own search window). */
function idOn(n: number, day: number): string {
  const iso = new Date(BASE + day * DAY).toISOString().slice(0, 19);
  return `Q${n.toString(36).toUpperCase().padStart(11, '0')}-${iso}-${10000000 + n}`;
}

/** A mailbox for the check: it can be searched and looked up, and must never be released. */
class DriftApi implements CloudflareApi {
  readonly quarantined = new Set<string>();
  readonly released = new Set<string>();
  /** Other quarantined mail, found by searches (makes them cost pages). */
  readonly noise: string[] = [];
  pageSize = 1000;
  readonly gets: string[] = [];
  readonly actionLogs: string[] = [];
  readonly searches: Record<string, string>[] = [];
  readonly failGets = new Set<string>();
  rateLimitGets = false;

  get requests(): number {
    return this.gets.length + this.actionLogs.length + this.searches.length;
  }

  async release(): Promise<ReleaseAnswer> {
    throw new Error('the drift check must never release');
  }

  async getMessage(_account: string, id: string): Promise<Lookup> {
    this.gets.push(id);
    if (this.rateLimitGets) return { kind: 'error', message: 'HTTP 429', rateLimited: true };
    if (this.failGets.has(id)) return { kind: 'error', message: 'HTTP 500', rateLimited: false };
    if (!this.quarantined.has(id) && !this.released.has(id)) return { kind: 'not-found' };
    return {
      kind: 'found',
      message: {
        id,
        quarantined: this.quarantined.has(id),
        releaseRecorded: this.released.has(id),
      },
    };
  }

  async getActionLog(_account: string, id: string): Promise<ActionLogLookup> {
    this.actionLogs.push(id);
    return { kind: 'found', releases: [] };
  }

  async search(_account: string, params: Readonly<Record<string, string>>): Promise<SearchPage> {
    this.searches.push({ ...params });
    const start = Date.parse(params.start as string);
    const end = Date.parse(params.end as string);
    const all = [...this.quarantined, ...this.noise]
      .filter((id) => {
        const t = idTime(id);
        return t !== undefined && t >= start && t <= end;
      })
      .sort();
    const offset = Number(params.cursor ?? 0);
    const next = offset + this.pageSize;
    return {
      kind: 'page',
      messages: all
        .slice(offset, next)
        .map((id) => ({ id, quarantined: true, releaseRecorded: false })),
      ...(next < all.length ? { next: String(next) } : {}),
    };
  }
}

function world(released: string[], opts: { account?: string } = {}) {
  const account = opts.account ?? ACCOUNT;
  const store = new MemoryStore();
  store.seed(
    released.map((id) => record({ account_id: account, id, at: '2026-10-20T10:00:00.000Z' })),
  );
  const api = new DriftApi();
  for (const id of released) api.released.add(id);
  const state = new MemoryCheckState();
  const log = collectingLogger();
  let day = 0;
  const run = async (lookupBudget: number, over: Partial<CheckSettings> = {}) => {
    // Each run a day later, as a daily schedule would.
    const clock = fixedClock(Date.parse('2026-11-24T06:17:00.000Z') + day++ * DAY);
    const result = await check(
      {
        releases: async () => ({
          ok: true as const,
          text: `version: 1\naccount_id: ${ACCOUNT}\nreleases: []\n`,
        }),
        releasesPath: 'releases.yaml',
        store,
        api,
        clock,
        log,
        checkState: state,
      },
      {
        concurrency: 1,
        pendingScope: 'batch',
        inFlightMs: 0,
        settleMs: 0,
        accounts: [],
        provenance: { run: `run-${day}` },
        lookupBudget,
        ...over,
      },
    );
    if (result.kind !== 'done') throw new Error(JSON.stringify(result));
    return result;
  };
  return { store, api, state, log, run };
}

/** The ids a run checked one by one or through a search, in order. */
function lookedUp(api: DriftApi, from: number): string[] {
  return api.gets.slice(from);
}

const account = (r: Extract<CheckResult, { kind: 'done' }>, id = ACCOUNT) =>
  r.accounts.find((a) => a.account_id === id);

describe('drift check: cursor across runs', () => {
  it('covers a ledger bigger than the budget over k runs, in order, then wraps round', async () => {
    // 12 messages, 3 days apart: 12 windows of one message, one lookup each.
    const ids = Array.from({ length: 12 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world([...ids].reverse());
    const sorted = [...ids].sort(compareCheckOrder);
    expect(sorted).toEqual(ids);

    const seen: string[][] = [];
    for (let k = 0; k < 3; k++) {
      const before = w.api.gets.length;
      const r = await w.run(5);
      seen.push(lookedUp(w.api, before));
      expect(w.api.requests - before).toBe(5);
      expect(r.requests).toEqual({ readBack: 0, drift: 5, budget: 5 });
      expect(r.checked).toBe(5);
      expect(r.released).toBe(12);
    }
    expect(seen[0]).toEqual(ids.slice(0, 5));
    expect(seen[1]).toEqual(ids.slice(5, 10));
    // The third run finishes the pass and goes on from the beginning.
    expect(seen[2]).toEqual([...ids.slice(10), ...ids.slice(0, 3)]);
    expect(new Set(seen.flat())).toEqual(new Set(ids));

    const third = w.state.lines();
    expect(third).toHaveLength(1);
    expect(third[0]).toMatchObject({ account_id: ACCOUNT, after: ids[2], run: 'run-3' });
    expect(w.state.writes).toBe(3);
  });

  it('reports where the cursor got: positions, the next message, a pass ending', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    const first = await w.run(3);
    expect(account(first)).toMatchObject({
      released: 7,
      checked: 3,
      from: 0,
      to: 3,
      after: ids[2],
      wrapped: false,
    });
    const passStarted = account(first)?.passStarted;
    expect(passStarted).toMatch(/^2026-11-24T06:17/);
    const second = await w.run(3);
    expect(account(second)).toMatchObject({ from: 3, to: 6, after: ids[5], passStarted });
    const third = await w.run(3);
    expect(account(third)).toMatchObject({ from: 6, to: 2, after: ids[1], wrapped: true });
    expect(account(third)?.passStarted).toMatch(/^2026-11-26T06:17/);
    const fourth = await w.run(5);
    // Ends exactly at the end: the next run starts from the beginning.
    expect(account(fourth)).toMatchObject({ from: 2, to: 0, wrapped: true, checked: 5 });
    expect(account(fourth)?.after).toBeUndefined();
    expect(w.state.lines()[0]?.after).toBeUndefined();
  });

  it('a ledger the budget covers whole never writes the cursor', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    for (let k = 0; k < 3; k++) {
      const r = await w.run(10);
      expect(r.checked).toBe(4);
      expect(r.cursor).toMatchObject({ read: 'missing', saved: 'unchanged' });
    }
    expect(w.state.writes).toBe(0);
    expect(w.log.lines.some((l) => l.includes('starting from the beginning'))).toBe(true);
  });

  it('new messages released behind the cursor are checked on the next pass', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => idOn(i + 1, 3 * i + 3));
    const w = world(ids);
    await w.run(3);
    const early = idOn(99, 0);
    w.store.seed([record({ id: early, at: '2026-11-25T10:00:00.000Z' })]);
    w.api.released.add(early);
    const before = w.api.gets.length;
    await w.run(3);
    await w.run(2);
    expect(lookedUp(w.api, before)).toEqual([...ids.slice(3), early, ids[0]]);
  });

  it('finds drift with a search per window: a few pages answer for many messages', async () => {
    // 20 messages within a day of each other: one window.
    const ids = Array.from({ length: 20 }, (_, i) => idOn(i + 1, i * 0.2));
    const w = world(ids);
    for (let i = 0; i < 25; i++) w.api.noise.push(idOn(500 + i, 1));
    w.api.pageSize = 10;
    const back = ids[7] as string;
    w.api.released.delete(back);
    w.api.quarantined.add(back);
    const r = await w.run(10);
    expect(r.drift.map((d) => d.id)).toEqual([back]);
    expect(r.checked).toBe(20);
    expect(w.api.searches).toHaveLength(3);
    expect(w.api.gets).toHaveLength(0);
    expect(w.api.searches[0]).toMatchObject({ delivery_status: 'quarantined' });
  });

  it('a window too busy to search is looked up one by one, so every run moves on', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => idOn(i + 1, i * 0.2));
    const w = world(ids);
    // 200 pages of noise: a search could never finish within the budget.
    for (let i = 0; i < 2000; i++) w.api.noise.push(idOn(1000 + i, 2));
    w.api.pageSize = 10;
    const back = ids[13] as string;
    w.api.released.delete(back);
    w.api.quarantined.add(back);
    const found: string[] = [];
    let covered = 0;
    let from = 0;
    for (let run = 1; covered < ids.length; run++) {
      expect(run).toBeLessThanOrEqual(4);
      const before = { requests: w.api.requests, gets: w.api.gets.length };
      const r = await w.run(10);
      expect(w.api.requests - before.requests).toBeLessThanOrEqual(10);
      // Half the budget on pages that cannot finish, the other half on lookups that can.
      expect(w.api.gets.length - before.gets).toBe(5);
      const a = account(r);
      expect(a?.from).toBe(from);
      expect(a?.checked).toBeGreaterThanOrEqual(5);
      covered += a?.checked ?? 0;
      from = a?.to ?? 0;
      found.push(...r.drift.map((d) => d.id));
    }
    expect(found).toContain(back);
  });

  it('shares the budget between accounts, longest unchecked first', async () => {
    const a = [idOn(1, 0), idOn(2, 3), idOn(3, 6)];
    const b = [idOn(11, 0), idOn(12, 3), idOn(13, 6)];
    const w = world(a);
    w.store.seed(b.map((id) => record({ account_id: OTHER_ACCOUNT, id })));
    for (const id of b) w.api.released.add(id);
    const order: string[] = [];
    for (let k = 0; k < 6; k++) {
      const before = w.api.gets.length;
      await w.run(1);
      order.push(...lookedUp(w.api, before));
    }
    // One lookup per run, the accounts taking turns, each in its own order.
    expect(order).toEqual([a[0], b[0], a[1], b[1], a[2], b[2]].map(String));
    expect(
      w.state
        .lines()
        .map((l) => l.account_id)
        .sort(),
    ).toEqual([ACCOUNT, OTHER_ACCOUNT].sort());
  });

  it('skips one failed lookup (reported), but stops before two in a row', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    w.api.failGets.add(ids[1] as string);
    const first = await w.run(3);
    expect(account(first)?.errors).toEqual([{ id: ids[1], message: 'HTTP 500' }]);
    expect(account(first)).toMatchObject({ checked: 2, to: 3, after: ids[2] });

    w.api.failGets.add(ids[3] as string);
    w.api.failGets.add(ids[4] as string);
    const second = await w.run(3);
    expect(account(second)?.errors.map((e) => e.id)).toEqual([ids[3], ids[4]]);
    // An outage, by the look of it: the cursor stays before the first failure.
    expect(account(second)).toMatchObject({ checked: 0, to: 3, after: ids[2] });
    expect(second.checked).toBeLessThan(second.released);
  });

  it('a rate limit stops the whole check, keeping the cursor', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    await w.run(2);
    w.api.rateLimitGets = true;
    const before = w.api.gets.length;
    const r = await w.run(10);
    expect(w.api.gets.length - before).toBe(1);
    expect(r.stopped).toContain('rate limited');
    expect(account(r)).toMatchObject({ checked: 0, after: ids[1] });
    expect(w.state.lines()[0]?.after).toBe(ids[1]);
  });
});

describe('drift check: the cursor file', () => {
  it('a corrupt file does not stop the check: it starts from the beginning, says so, and rewrites it', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    w.state.text = '<<<<<<< HEAD\n{"v":1,"account_id":"nope"}\nnot json\n';
    const r = await w.run(2);
    expect(r.cursor).toMatchObject({ read: 'damaged', saved: 'saved' });
    expect(r.cursor.message).toContain('3 line(s) ignored');
    expect(account(r)).toMatchObject({ from: 0, checked: 2, after: ids[1] });
    expect(
      w.log.lines.some((l) => l.startsWith('warn: check cursor mem/check-cursor.ndjson')),
    ).toBe(true);
    // Rewritten clean: only readable lines remain.
    expect(w.state.text?.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect((await w.run(2)).accounts[0]).toMatchObject({ from: 2 });
  });

  it('an unreadable file (not UTF-8, a link, too big) also means from the beginning', async () => {
    const ids = Array.from({ length: 3 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    w.state.unreadable = 'is a symbolic link: refused, it must be a plain file';
    const r = await w.run(1);
    expect(r.cursor).toMatchObject({ read: 'unreadable', saved: 'saved' });
    expect(account(r)).toMatchObject({ from: 0, after: ids[0] });
  });

  it('a cursor it cannot save is only a warning: the next run starts where this one did', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(ids);
    await w.run(2);
    w.state.failNextWrite = new Error('branch protection refused the commit');
    const r = await w.run(1);
    expect(r.cursor).toMatchObject({ saved: 'failed' });
    expect(r.cursor.saveError).toContain('branch protection');
    expect(w.log.lines.some((l) => l.includes('the next run starts where this one did'))).toBe(
      true,
    );
    // Not saved: the next run does the same message again.
    const again = await w.run(1);
    expect(account(again)).toMatchObject({ from: 2, after: ids[2] });
  });
});

describe('drift check: one budget with the read-backs', () => {
  function unresolved(w: ReturnType<typeof world>, ids: string[]) {
    // Sent by an earlier run that is over; still quarantined: each read-back costs two.
    const records: LedgerRecord[] = ids.map((id) =>
      record({ id, state: 'unknown', at: '2026-11-20T10:00:00.000Z', run: 'old-run' }),
    );
    w.store.seed(records);
    for (const id of ids) w.api.quarantined.add(id);
  }

  it('read-backs come first and count; the rest are left for the next runs', async () => {
    const done = Array.from({ length: 3 }, (_, i) => idOn(i + 1, 3 * i));
    const w = world(done);
    const open = [idOn(50, 1), idOn(51, 4), idOn(52, 7)];
    unresolved(w, open);
    const first = await w.run(5);
    expect(w.api.requests).toBe(5);
    expect(first.requests).toEqual({ readBack: 4, drift: 1, budget: 5 });
    expect(first.resolved.results.map((x) => x.id)).toEqual(open.slice(0, 2));
    expect(first.resolved.unverified.map((u) => u.id)).toEqual([open[2]]);
    expect(first.checked).toBe(1);

    const second = await w.run(5);
    expect(second.resolved.results.map((x) => x.id)).toEqual([open[2]]);
    expect(second.resolved.unverified).toEqual([]);
    // The drift lookups go on, and round the end of the three released messages.
    expect(second.requests).toEqual({ readBack: 2, drift: 3, budget: 5 });
    expect(w.api.requests).toBe(10);
    // Proven never released and no longer requested: closed as not sent.
    expect(w.store.recordsFor(open[2] as string).at(-1)).toMatchObject({
      state: 'pending',
      sent: false,
    });
  });

  it('a budget of one cannot read anything back and says so', async () => {
    const w = world([idOn(1, 0)]);
    unresolved(w, [idOn(50, 1)]);
    const r = await w.run(1);
    expect(w.api.actionLogs).toEqual([]);
    expect(r.resolved.unverified).toHaveLength(1);
    expect(r.requests).toEqual({ readBack: 0, drift: 1, budget: 1 });
  });
});

describe('drift check: entries merged but never applied', () => {
  const NOW = Date.parse('2026-11-24T06:17:00.000Z');
  const HOUR = 3_600_000;
  const yaml = (entries: { id: string; account?: string; retry?: number }[]) =>
    `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n${entries
      .map(
        (e) =>
          `  - id: ${e.id}\n    reason: false positive\n${e.account ? `    account_id: ${e.account}\n` : ''}${e.retry ? `    retry: ${e.retry}\n` : ''}`,
      )
      .join('')}`;

  /** A check over this file and ledger; `times` answers for the entry times (or throws). */
  async function checkWith(
    text: string,
    seed: LedgerRecord[],
    options: {
      times?: (lines: readonly number[]) => Promise<EntrySince>;
      settings?: Partial<CheckSettings>;
    } = {},
  ) {
    const store = new MemoryStore();
    store.seed(seed);
    const api = new DriftApi();
    for (const r of seed) if (r.state === 'released') api.released.add(r.id);
    const asked: number[][] = [];
    const log = collectingLogger();
    const result = await check(
      {
        releases: async () => ({ ok: true as const, text }),
        releasesPath: 'releases.yaml',
        store,
        api,
        clock: fixedClock(NOW),
        log,
        checkState: new MemoryCheckState(),
        ...(options.times
          ? {
              entryTimes: {
                since: (lines: readonly number[]) => {
                  asked.push([...lines]);
                  return (options.times as (l: readonly number[]) => Promise<EntrySince>)(lines);
                },
              },
            }
          : {}),
      },
      {
        concurrency: 1,
        pendingScope: 'batch',
        inFlightMs: 0,
        settleMs: 0,
        accounts: [],
        provenance: {},
        lookupBudget: 50,
        ...options.settings,
      },
    );
    if (result.kind !== 'done') throw new Error(JSON.stringify(result));
    return { result, api, asked, log };
  }

  it('lists the entries the ledger does not hold, by line, with their age; overdue from 24 h by default; no request spent on them', async () => {
    const [done, fresh, old, retried] = [idOn(1, 0), idOn(2, 3), idOn(3, 6), idOn(4, 9)];
    const { result, api, asked } = await checkWith(
      yaml([{ id: done }, { id: fresh }, { id: old }, { id: retried, retry: 2 }]),
      [
        record({ id: done, state: 'released', at: '2026-11-20T10:00:00.000Z' }),
        record({ id: retried, state: 'failed', at: '2026-11-20T10:00:00.000Z' }),
      ],
      {
        times: async (lines) =>
          ({
            basis: 'line',
            source: 'blame',
            at: new Map(
              lines.map((line) => [
                line,
                {
                  at: new Date(NOW - (line === 6 ? 2 : 40) * HOUR).toISOString(),
                  commit: `c${line}`,
                },
              ]),
            ),
          }) as EntrySince,
      },
    );
    // Lines of the ids: fresh at 6, old at 8, the retry at 10.
    expect(asked).toEqual([[6, 8, 10]]);
    expect(
      result.unapplied.entries.map((e) => [e.id, e.line, e.attempt, e.hours, e.overdue, e.commit]),
    ).toEqual([
      [fresh, 6, 1, 2, false, 'c6'],
      [old, 8, 1, 40, true, 'c8'],
      [retried, 10, 2, 40, true, 'c10'],
    ]);
    expect(result.unapplied).toMatchObject({ afterHours: 24, basis: 'line', overdue: 2 });
    // The drift lookups are for the released message only.
    expect(api.gets).toEqual([done]);
  });

  it('the threshold is a setting; only the accounts checked count', async () => {
    const [a, b] = [idOn(1, 0), idOn(2, 3)];
    const text = yaml([{ id: a }, { id: b, account: OTHER_ACCOUNT }]);
    const times = async () =>
      ({ basis: 'file', source: 'mtime', at: new Date(NOW - 3 * HOUR).toISOString() }) as const;
    const loose = await checkWith(text, [], { times, settings: { unappliedAfterHours: 4 } });
    expect(loose.result.unapplied.overdue).toBe(0);
    const strict = await checkWith(text, [], {
      times,
      settings: { unappliedAfterHours: 3, accounts: [OTHER_ACCOUNT] },
    });
    expect(strict.result.unapplied.entries.map((e) => [e.id, e.overdue])).toEqual([[b, true]]);
  });

  it('an age that cannot be told (the adapter failed, or there is none) fails closed, and says why', async () => {
    const text = yaml([{ id: idOn(1, 0) }]);
    const failed = await checkWith(text, [], {
      times: async () => {
        throw new Error('GraphQL: blame timed out');
      },
      settings: { unappliedAfterHours: 8760 },
    });
    expect(failed.result.unapplied).toMatchObject({
      basis: 'unknown',
      source: 'could not tell when they were added (GraphQL: blame timed out)',
      overdue: 1,
    });
    expect(failed.log.lines.join('\n')).toContain(
      'could not tell when the entries not in the ledger were added to releases.yaml (GraphQL: blame timed out): they count as waiting too long',
    );
    const none = await checkWith(text, []);
    expect(none.result.unapplied).toMatchObject({ basis: 'unknown', overdue: 1 });
  });

  it('nothing unapplied: the entry times are not asked for', async () => {
    const id = idOn(1, 0);
    const { result, asked } = await checkWith(yaml([{ id }]), [record({ id, state: 'released' })], {
      times: async () => {
        throw new Error('not to be called');
      },
    });
    expect(asked).toEqual([]);
    expect(result.unapplied).toMatchObject({ entries: [], overdue: 0 });
  });
});
