// Looking messages up before release, through the real client against the emulator: the
// cost stays a few search pages when hundreds of messages are released, the budget holds,
// and what cannot be checked stays unchecked (never released).
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareClient } from '../../src/adapters/cloudflare/client.js';
import { Pacer } from '../../src/adapters/cloudflare/rate-limit.js';
import { messageKey } from '../../src/core/ids.js';
import { idTime, timeWindows } from '../../src/core/windows.js';
import {
  DEFAULT_TOKEN,
  demoFixtures,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { inspect, searchRanges } from '../../src/engine/inspect.js';
import { type CloudflareApi, systemClock } from '../../src/engine/ports.js';

let emulator: Emulator | undefined;
let client: CloudflareClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  emulator = undefined;
  client = undefined;
});

/** An emulator of `messages` per account, and a client asking for `searchPageSize` per page. */
async function setup(messages: number, searchPageSize?: number) {
  emulator = await startEmulator({ messagesPerAccount: messages });
  client = new CloudflareClient({
    settings: {
      baseUrl: emulator.url,
      credentials: { kind: 'token', token: DEFAULT_TOKEN },
      ...(searchPageSize !== undefined ? { searchPageSize } : {}),
    },
    pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }),
  });
  const account = emulator.accounts[0] as string;
  const quarantined = emulator
    .messages(account)
    .filter((m) => m.details.is_quarantined)
    .map((m) => m.details.id);
  return { e: emulator, c: client, account, quarantined };
}

describe('inspect', () => {
  it('answers for hundreds of messages with a few search pages, not one request each', async () => {
    const { e, c, account, quarantined } = await setup(1500, 1000);
    const wanted = quarantined.slice(0, 500).map((id) => ({ account_id: account, id }));
    const { inspections, stats } = await inspect(c, wanted, { budget: 300, now: Date.now() });
    expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
    expect(stats.gets).toBe(0);
    const requests = e.truth().requests.length;
    expect(requests).toBe(stats.searches);
    expect(requests / wanted.length).toBeLessThan(0.02);
  });

  it('at the default page size of 100, a page answers for up to 100 messages', async () => {
    const { e, c, account, quarantined } = await setup(1500);
    const wanted = quarantined.slice(0, 500).map((id) => ({ account_id: account, id }));
    const { inspections, stats } = await inspect(c, wanted, { budget: 300, now: Date.now() });
    expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
    const requests = e.truth().requests;
    expect(requests.every((r) => /[?&]per_page=100(&|$)/.test(r.path))).toBe(true);
    // The window holds more quarantined mail than the 500 wanted: a few pages over 5.
    expect(stats.searches + stats.gets).toBeLessThan(wanted.length / 20);
  });

  it('a search answered 400 is asked again for half as many, down to 20, and the size is kept', async () => {
    emulator = await startEmulator({ messagesPerAccount: 600, maxPerPage: 30 });
    const logged: string[] = [];
    client = new CloudflareClient({
      settings: {
        baseUrl: emulator.url,
        credentials: { kind: 'token', token: DEFAULT_TOKEN },
        searchPageSize: 100,
      },
      pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }),
      log: { info: () => {}, warn: (m) => logged.push(m) },
    });
    const account = emulator.accounts[0] as string;
    const quarantined = emulator
      .messages(account)
      .filter((m) => m.details.is_quarantined)
      .map((m) => m.details.id);
    const wanted = quarantined.slice(0, 100).map((id) => ({ account_id: account, id }));
    const { inspections } = await inspect(client, wanted, { budget: 300, now: Date.now() });
    expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
    const sizes = emulator
      .truth()
      .requests.filter((r) => r.path.includes('?'))
      .map((r) => Number(/[?&]per_page=([0-9]+)/.exec(r.path)?.[1]));
    // 100 and 50 refused, 25 answered: kept for every later page.
    expect(sizes.slice(0, 3)).toEqual([100, 50, 25]);
    expect(new Set(sizes.slice(2))).toEqual(new Set([25]));
    expect(
      emulator
        .truth()
        .requests.slice(0, 2)
        .map((r) => r.status),
    ).toEqual([400, 400]);
    expect(client.searchPageSize).toBe(25);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(/refused a search page of 100 .*asking for 50 per page/);
  });

  it('the fall-back stops at 20: a 400 that is not about the size costs a bounded few requests', async () => {
    emulator = await startEmulator({ messagesPerAccount: 60 });
    client = new CloudflareClient({
      settings: { baseUrl: emulator.url, credentials: { kind: 'token', token: DEFAULT_TOKEN } },
      pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }),
      log: { info: () => {}, warn: () => {} },
    });
    const account = emulator.accounts[0] as string;
    const page = await client.search(account, { start: 'yesterday' });
    expect(page.kind).toBe('error');
    // 100, 50, 25, 20: then it gives up and says what the API said.
    expect(emulator.truth().requests.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(client.searchPageSize).toBe(20);
  });

  it('2,000 ids cost a few requests per thousand ids, at any concurrency', async () => {
    const { e, c, account, quarantined } = await setup(3000, 1000);
    expect(quarantined.length).toBeGreaterThan(2000);
    const wanted = quarantined.slice(0, 2000).map((id) => ({ account_id: account, id }));
    for (const concurrency of [1, 2, 4]) {
      e.reset();
      const { inspections, stats } = await inspect(c, wanted, {
        budget: 300,
        now: Date.now(),
        concurrency,
      });
      expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
      const requests = e.truth().requests;
      expect(requests.length).toBe(stats.searches);
      // The mailbox holds about 2,500 quarantined messages in one window: 3 pages of 1,000,
      // and at most one part-filled page more per extra cursor.
      expect(stats.searches, `concurrency ${concurrency}`).toBeLessThanOrEqual(2 + concurrency);
      expect(
        requests.every(
          (r) =>
            r.path.includes('delivery_status=quarantined') &&
            r.path.includes('detections_only=false') &&
            r.path.includes('per_page=1000'),
        ),
      ).toBe(true);
    }
  });

  it('a window crowded with other quarantined mail never costs more than twice the lookups', async () => {
    const { e, c, account, quarantined } = await setup(3000, 50);
    // Every 100th quarantined message: 25 ids in a window of about 2,500, at 50 per page.
    const wanted = quarantined
      .filter((_, i) => i % 100 === 0)
      .slice(0, 25)
      .map((id) => ({ account_id: account, id }));
    const { inspections, stats } = await inspect(c, wanted, { budget: 300, now: Date.now() });
    expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
    // Paging the whole window would take about 50 pages.
    expect(stats.searches).toBeGreaterThan(0);
    expect(stats.searches + stats.gets).toBeLessThanOrEqual(2 * wanted.length);
    expect(e.truth().requests).toHaveLength(stats.searches + stats.gets);
  });

  it('ids dated in the future are looked up one by one, with no search of an empty window', async () => {
    const { e, c, account } = await setup(60);
    const future = Array.from(
      { length: 25 },
      (_, i) => `F${String(i).padStart(9, '0')}-2099-01-0${1 + (i % 9)}T10:00:00-${1000 + i}`,
    );
    const { inspections, stats } = await inspect(
      c,
      future.map((id) => ({ account_id: account, id })),
      { budget: 300, now: Date.now() },
    );
    expect(stats).toEqual({ searches: 0, gets: 25, logs: 0, unchecked: 0 });
    expect([...inspections.values()].every((i) => i.kind === 'not-found')).toBe(true);
    expect(e.truth().requests.every((r) => !r.path.includes('?'))).toBe(true);
  });

  it('looks the rest up one by one, tells missing ids apart, and stops at the budget', async () => {
    const { c, account, quarantined } = await setup(100);
    const missing = demoFixtures(1, account).missing;
    const wanted = [...quarantined.slice(0, 5), ...missing].map((id) => ({
      account_id: account,
      id,
    }));
    const { inspections, stats } = await inspect(c, wanted, {
      budget: 6,
      now: Date.now(),
      searchFrom: 1000,
    });
    const kinds = wanted.map((w) => inspections.get(messageKey(account, w.id))?.kind);
    expect(kinds).toEqual([
      'found',
      'found',
      'found',
      'found',
      'found',
      'not-found',
      'unchecked',
      'unchecked',
    ]);
    expect(stats).toEqual({ searches: 0, gets: 6, logs: 0, unchecked: 2 });
    const last = inspections.get(messageKey(account, missing[2] as string));
    expect(last).toEqual({ kind: 'unchecked', reason: 'lookup budget used up for this run' });
  });

  it('a failed lookup is unchecked, never guessed', async () => {
    const { e, c, account, quarantined } = await setup(60);
    e.setFaults({
      script: [
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
      ],
    });
    const id = quarantined[0] as string;
    const { inspections } = await inspect(c, [{ account_id: account, id }], {
      budget: 10,
      now: Date.now(),
    });
    expect(inspections.get(messageKey(account, id))?.kind).toBe('unchecked');
  });

  it('groups ids into padded time windows that never reach the future', () => {
    expect(idTime('4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678')).toBe(
      Date.parse('2024-01-05T10:00:00Z'),
    );
    expect(idTime('4Njp3P0STMz2c02Q')).toBeUndefined();
    const ids = [
      'A0000001-2026-10-01T10:00:00-1',
      'A0000002-2026-10-01T23:00:00-2',
      'A0000003-2026-10-20T08:00:00-3',
    ];
    const now = Date.parse('2026-10-20T12:00:00Z');
    expect(timeWindows(ids, now)).toEqual([
      { start: '2026-09-30T10:00:00Z', end: '2026-10-02T23:00:00Z', ids: ids.slice(0, 2) },
      { start: '2026-10-19T08:00:00Z', end: '2026-10-20T12:00:00Z', ids: [ids[2]] },
    ]);
    // Padded windows that would overlap or touch are one window: ids two days apart share
    // one, three days apart do not.
    const spaced = [
      'A0000001-2026-03-10T10:00:00-1',
      'A0000002-2026-03-12T10:00:00-2',
      'A0000003-2026-03-14T10:00:00-3',
      'A0000004-2026-03-17T10:00:00-4',
    ];
    expect(timeWindows(spaced, now)).toEqual([
      { start: '2026-03-09T10:00:00Z', end: '2026-03-15T10:00:00Z', ids: spaced.slice(0, 3) },
      { start: '2026-03-16T10:00:00Z', end: '2026-03-18T10:00:00Z', ids: [spaced[3]] },
    ]);
    // A window wholly after now holds nothing to search.
    expect(timeWindows(['A0000005-2026-10-22T13:00:00-5'], now)).toEqual([]);
    expect(timeWindows(['A0000006-2026-10-21T11:00:00-6'], now)).toEqual([
      {
        start: '2026-10-20T11:00:00Z',
        end: '2026-10-20T12:00:00Z',
        ids: ['A0000006-2026-10-21T11:00:00-6'],
      },
    ]);
  });

  it('cuts a big window into parts for parallel cursors, sharing their boundary second', () => {
    const hour = 3_600_000;
    const base = Date.parse('2026-10-01T00:00:00Z');
    const ids = Array.from({ length: 3000 }, (_, i) => {
      const t = new Date(base + Math.floor(i / 10) * hour).toISOString().slice(0, 19);
      return `Q${String(i).padStart(9, '0')}-${t}-${i}`;
    });
    const now = Date.parse('2026-11-01T00:00:00Z');
    expect(searchRanges(ids, now, 1000, 1)).toEqual(timeWindows(ids, now));
    const parts = searchRanges(ids, now, 1000, 2);
    expect(parts).toHaveLength(2);
    const [a, b] = parts as [(typeof parts)[0], (typeof parts)[0]];
    expect(a.start).toBe(timeWindows(ids, now)[0]?.start);
    expect(a.end).toBe(b.start);
    expect(b.end).toBe(timeWindows(ids, now)[0]?.end);
    expect([...a.ids, ...b.ids]).toEqual(ids);
    // Never parts of less than a page of ids.
    expect(searchRanges(ids, now, 1000, 8)).toHaveLength(3);
    expect(searchRanges(ids.slice(0, 1500), now, 1000, 8)).toHaveLength(1);
  });

  it('a failed search is logged with the API text made inert, then messages are looked up', async () => {
    const ids = Array.from(
      { length: 25 },
      (_, i) => `Q${String(i).padStart(9, '0')}-2026-10-01T10:00:00-${i}`,
    );
    const warnings: string[] = [];
    let gets = 0;
    const api: CloudflareApi = {
      release: async () => {
        throw new Error('inspect never releases');
      },
      getMessage: async () => {
        gets++;
        return { kind: 'not-found' };
      },
      getActionLog: async () => ({ kind: 'found', releases: [] }),
      search: async () => ({
        kind: 'error',
        message: 'HTTP 400: bad\n::add-mask::x ##[error]y',
        rateLimited: false,
      }),
    };
    const log = { info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
    const wanted = ids.map((id) => ({ account_id: 'a'.repeat(32), id }));
    await inspect(api, wanted, { budget: 100, now: Date.parse('2026-11-01T00:00:00Z'), log });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    expect(warnings[0]).not.toContain('::');
    expect(warnings[0]).not.toContain('##[');
    expect(gets).toBe(25);
  });
});
