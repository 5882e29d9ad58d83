import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEDGER_STATES, type LedgerRecord } from '../../src/core/ledger/record.js';
import { plan, planTotals } from '../../src/core/plan/plan.js';
import type { ValueOf } from '../support/arbitrary.js';
import {
  ACCOUNT,
  foldRecords,
  messageId,
  OTHER_ACCOUNT,
  record,
  releasesFile,
  request,
  stored,
} from '../support/factories.js';

const ledgerOf = (records: LedgerRecord[]) => foldRecords(records.map((r) => stored(r)));

describe('plan', () => {
  it('releases what the file asks for and the ledger does not know, in file order', () => {
    const file = releasesFile([3, 1, 2].map((n) => request({ id: messageId(n) })));
    const p = plan(file, ledgerOf([]));
    expect(p.accounts).toHaveLength(1);
    expect(p.accounts[0]?.to_release.map((i) => i.request.id)).toEqual([3, 1, 2].map(messageId));
    expect(p.accounts[0]?.to_release.every((i) => i.attempt === 1 && !i.resume)).toBe(true);
  });

  it('sorts every ledger state into its bucket', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const file = releasesFile(ids.map((n) => request({ id: messageId(n) })));
    const ledger = ledgerOf([
      record({ id: messageId(1), state: 'released' }),
      record({ id: messageId(2), state: 'pending' }),
      record({ id: messageId(3), state: 'unknown' }),
      record({ id: messageId(4), state: 'partial' }),
      record({ id: messageId(5), state: 'failed' }),
      record({ id: messageId(6), state: 'pending', sent: false }),
      record({ id: messageId(8), state: 'released' }),
    ]);
    const a = plan(file, ledger).accounts[0];
    expect(a?.already_released.map((i) => i.request.id)).toEqual([messageId(1)]);
    expect(a?.to_verify.map((i) => [i.id, i.why])).toEqual([
      [messageId(2), 'pending'],
      [messageId(3), 'unknown'],
    ]);
    expect(a?.held.map((i) => [i.request.id, i.why])).toEqual([
      [messageId(4), 'no-retry'],
      [messageId(5), 'no-retry'],
    ]);
    // Proven never sent (rate limited): resumed as the same attempt, no read-back needed.
    expect(a?.to_release.map((i) => [i.request.id, i.attempt, i.resume])).toEqual([
      [messageId(6), 1, true],
      [messageId(7), 1, false],
    ]);
    expect(a?.orphaned.map((i) => i.id)).toEqual([messageId(8)]);
  });

  it('lists orphans by account then id, whatever the ledger order and account lengths', () => {
    const ids = ['Q000000000012', 'Q00000000001', 'Q0000000000-2026-11-01T10:00:00-1', 'Q00000'];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          [ACCOUNT, OTHER_ACCOUNT, 'short', 'shor', 'short-', 'short0'].flatMap((account) =>
            ids.map((id) => record({ account_id: account, id })),
          ),
          { minLength: 1 },
        ),
        (records) => {
          const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
          const expected = records
            .map((r): [string, string] => [r.account_id, r.id])
            .sort(([a, x], [b, y]) => byText(a, b) || byText(x, y));
          const accounts = plan(releasesFile([]), ledgerOf(records)).accounts;
          expect(accounts.map((a) => a.account_id)).toEqual([
            ...new Set(expected.map(([account]) => account)),
          ]);
          for (const a of accounts) {
            const own = expected.filter(([account]) => account === a.account_id);
            expect(a.orphaned.map((o) => [o.account_id, o.id])).toEqual(own);
          }
        },
      ),
    );
  });

  it('retries a partial or failed message exactly once per attempt number asked for', () => {
    const partial = record({ id: messageId(1), state: 'partial', attempt: 1 });
    const ask = (retry?: number) =>
      plan(releasesFile([request({ id: messageId(1), retry })]), ledgerOf([partial]));
    expect(ask(undefined).accounts[0]?.held[0]?.why).toBe('no-retry');
    expect(ask(2).accounts[0]?.to_release.map((i) => i.attempt)).toEqual([2]);
    // Attempt 2 made and again partial: `retry: 2` does not send a third time.
    const again = record({ id: messageId(1), state: 'partial', attempt: 2, seq: 3 });
    const p = plan(
      releasesFile([request({ id: messageId(1), retry: 2 })]),
      ledgerOf([partial, again]),
    );
    expect(p.accounts[0]?.held.map((i) => i.why)).toEqual(['retry-done']);
    expect(p.accounts[0]?.to_release).toEqual([]);
  });

  it('never retries a released message, even when asked', () => {
    const p = plan(
      releasesFile([request({ id: messageId(1), retry: 3 })]),
      ledgerOf([record({ id: messageId(1), state: 'released' })]),
    );
    expect(p.accounts[0]?.to_release).toEqual([]);
    expect(p.accounts[0]?.already_released).toHaveLength(1);
  });

  it('verifies instead of sending when the ledger knows the same message under its other id form', () => {
    const long = messageId(1);
    const bare = long.split('-')[0] as string;
    const p = plan(
      releasesFile([request({ id: long })]),
      ledgerOf([record({ id: bare, state: 'released' })]),
    );
    expect(p.accounts[0]?.to_release).toEqual([]);
    expect(p.accounts[0]?.to_verify.map((i) => [i.id, i.why, i.record.id])).toEqual([
      [long, 'alias', bare],
    ]);
  });

  it('resolves unresolved sends even when their entry left the file, and undoes nothing', () => {
    const p = plan(
      releasesFile([]),
      ledgerOf([
        record({ id: messageId(1), state: 'unknown' }),
        record({ id: messageId(2), state: 'released' }),
        record({ id: messageId(3), state: 'pending', sent: false }),
      ]),
    );
    const a = p.accounts[0];
    expect(a?.orphaned.map((i) => i.id)).toEqual([1, 2, 3].map(messageId));
    expect(a?.to_verify.map((i) => [i.id, i.request])).toEqual([[messageId(1), undefined]]);
    expect(a?.to_release).toEqual([]);
  });

  it('plans accounts apart and can be limited to some of them', () => {
    const file = releasesFile([
      request({ id: messageId(1), account_id: OTHER_ACCOUNT }),
      request({ id: messageId(1) }),
    ]);
    const ledger = ledgerOf([record({ id: messageId(1), state: 'released' })]);
    const p = plan(file, ledger);
    expect(
      p.accounts.map((a) => [a.account_id, a.to_release.length, a.already_released.length]),
    ).toEqual([
      [OTHER_ACCOUNT, 1, 0],
      [ACCOUNT, 0, 1],
    ]);
    const only = plan(file, ledger, { accounts: [ACCOUNT] });
    expect(only.accounts.map((a) => a.account_id)).toEqual([ACCOUNT]);
    expect(planTotals(only)).toEqual({
      to_release: 0,
      refused: 0,
      to_verify: 0,
      already_released: 1,
      held: 0,
      orphaned: 0,
    });
  });

  describe('properties', () => {
    const arbCase = fc.record({
      requested: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 25 }),
      retries: fc.array(fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }), {
        minLength: 25,
        maxLength: 25,
      }),
      history: fc.array(
        fc.record({
          n: fc.integer({ min: 1, max: 30 }),
          seq: fc.integer({ min: 1, max: 5 }),
          attempt: fc.integer({ min: 1, max: 4 }),
          state: fc.constantFrom(...LEDGER_STATES),
          unsent: fc.boolean(),
        }),
        { maxLength: 40 },
      ),
    });
    const build = (c: ValueOf<typeof arbCase>) => ({
      file: releasesFile(
        c.requested.map((n, i) => request({ id: messageId(n), retry: c.retries[i] })),
      ),
      records: c.history.map((h) =>
        record({
          id: messageId(h.n),
          seq: h.seq,
          attempt: h.attempt,
          state: h.state,
          ...(h.state === 'pending' && h.unsent ? { sent: false as const } : {}),
        }),
      ),
    });

    it('never schedules a message the ledger shows released, or pending/unknown without proof it was never sent', () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const { file, records } = build(c);
          const ledger = ledgerOf(records);
          for (const a of plan(file, ledger).accounts) {
            for (const item of a.to_release) {
              const latest = ledger.get(a.account_id, item.request.id)?.latest;
              if (!latest) continue;
              expect(latest.state).not.toBe('released');
              expect(latest.state).not.toBe('unknown');
              if (latest.state === 'pending') expect(latest.sent).toBe(false);
              if (latest.state === 'partial' || latest.state === 'failed') {
                // Only an explicit, not yet made attempt.
                expect(item.attempt).toBe(item.request.retry);
                expect(item.attempt).toBeGreaterThan(latest.attempt);
              }
            }
          }
        }),
        { numRuns: 500 },
      );
    });

    it('does not depend on the order of ledger lines, and places every requested message exactly once', () => {
      fc.assert(
        fc.property(arbCase, fc.integer(), (c, seed) => {
          const { file, records } = build(c);
          const shuffled = [...records].sort(
            (x, y) =>
              ((JSON.stringify(x).length * 31 + seed) % 7) -
              ((JSON.stringify(y).length * 17 + seed) % 7),
          );
          const a = plan(file, ledgerOf(records));
          const b = plan(file, ledgerOf(shuffled.reverse()));
          expect(b).toEqual(a);
          const placed = a.accounts.flatMap((x) => [
            ...x.to_release.map((i) => i.request.id),
            ...x.to_verify.filter((i) => i.request).map((i) => i.id),
            ...x.already_released.map((i) => i.request.id),
            ...x.held.map((i) => i.request.id),
            // A retry the ledger does not allow is refused by the planner itself.
            ...(x.refused ?? []).map((r) => r.item.request.id),
          ]);
          expect(placed.sort()).toEqual(file.releases.map((r) => r.id).sort());
        }),
        { numRuns: 300 },
      );
    });
  });
});
