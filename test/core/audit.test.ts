// The audit report's pure core: periods, release attempts from ledger records, the summary.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttemptCollector, type AuditRow, summarize } from '../../src/core/audit/attempts.js';
import {
  type AuditPeriod,
  parseRelativePeriod,
  periodText,
  previousDays,
  previousMonth,
  resolvePeriod,
} from '../../src/core/audit/period.js';
import type { LedgerRecord } from '../../src/core/ledger/record.js';
import { auditRowJson } from '../../src/core/render/audit.js';
import { parseTime } from '../../src/core/windows.js';
import { arbAttemptRecord } from '../support/arbitrary.js';
import { ACCOUNT, messageId, OTHER_ACCOUNT, record } from '../support/factories.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('audit periods', () => {
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T08:30', '2026-11-01T08:30:00.000Z'],
    ['2026-11-01T08:30:15', '2026-11-01T08:30:15.000Z'],
    ['2026-11-01T08:30:15.5Z', '2026-11-01T08:30:15.500Z'],
    ['2026-11-01T08:30:15.123Z', '2026-11-01T08:30:15.123Z'],
    ['2026-11-01T08:30:00+02:00', '2026-11-01T06:30:00.000Z'],
    ['2026-11-01T00:30:00-01:30', '2026-11-01T02:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    expect(iso(parseTime(text))).toBe(expected);
  });

  it.each([
    '',
    '2026-11',
    '2026-13-01',
    '2026-02-29',
    '2026-04-31',
    '0050-01-01',
    '2026-11-01T24:00',
    '2026-11-01T10:60',
    '2026-11-01T10:00:60',
    '2026-11-01T10:00:00.1234Z',
    '2026-11-01T10:00:00+24:00',
    '2026-11-01 10:00',
    'yesterday',
    ' 2026-11-01',
    '1764547200000',
  ])('refuses %j', (text) => {
    expect(parseTime(text)).toBeUndefined();
  });

  it('the previous calendar month, across a year end', () => {
    const p = previousMonth(new Date('2027-01-15T12:00:00Z'));
    expect([iso(p.since), iso(p.until)]).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    const q = previousMonth(new Date('2026-03-01T00:00:00Z'));
    expect([iso(q.since), iso(q.until)]).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
  });

  it('N whole UTC days before the day of the run', () => {
    const p = previousDays(new Date('2026-12-08T17:45:00Z'), 7);
    expect([iso(p.since), iso(p.until)]).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2026-12-08T00:00:00.000Z',
    ]);
  });

  it('reads the action setting: previous-month or <N>d, nothing else', () => {
    expect(parseRelativePeriod('previous-month')).toEqual({ kind: 'previous-month' });
    expect(parseRelativePeriod('30d')).toEqual({ kind: 'days', days: 30 });
    for (const bad of ['0d', '30', 'd', '-1d', '30D', '3661d', 'last-month', ' 7d'])
      expect(parseRelativePeriod(bad), bad).toBeUndefined();
    const now = new Date('2026-12-08T01:00:00Z');
    expect(resolvePeriod({ kind: 'days', days: 1 }, now)).toEqual(previousDays(now, 1));
  });

  it('says which end is inclusive', () => {
    expect(periodText({})).toBe('from the first record to the last record');
    expect(periodText(previousMonth(new Date('2026-12-08T00:00:00Z')))).toBe(
      'from 2026-11-01T00:00:00.000Z (inclusive) to 2026-12-01T00:00:00.000Z (exclusive)',
    );
  });
});

const pending = (o: Partial<LedgerRecord> = {}) =>
  record({
    state: 'pending',
    seq: 1,
    at: '2026-11-20T10:00:00.000Z',
    in_flight_until: '2026-11-20T15:00:00.000Z',
    disposition: 'SPAM',
    reason: 'vendor invoice',
    ticket: 'SEC-1',
    requested_by: 'alice@example.com',
    actor: 'alice',
    commit: 'abcdef1',
    run: 'https://github.com/acme/mail/actions/runs/1',
    pull_request: 7,
    approved_by: ['bob'],
    ...o,
  });
const released = (o: Partial<LedgerRecord> = {}) =>
  record({
    state: 'released',
    seq: 2,
    at: '2026-11-20T10:00:01.000Z',
    via: 'release',
    delivered: ['a@example.com', 'b@example.com'],
    failed: [],
    undelivered: [],
    actor: 'alice',
    commit: 'abcdef1',
    run: 'https://github.com/acme/mail/actions/runs/1',
    pull_request: 7,
    ...o,
  });

function rowsOf(
  records: readonly LedgerRecord[],
  period: AuditPeriod = {},
  accounts: string[] = [],
) {
  const c = new AttemptCollector(period, accounts);
  for (const r of records) c.mark(r);
  for (const r of records) c.add(r);
  return c.rows();
}

const json = (rows: readonly AuditRow[]) => rows.map(auditRowJson);

describe('release attempts', () => {
  it('one row per attempt: the outcome from the latest record, the request from the pending one', () => {
    expect(json(rowsOf([released(), pending()]))).toEqual([
      {
        first_at: '2026-11-20T10:00:00.000Z',
        last_at: '2026-11-20T10:00:01.000Z',
        account_id: ACCOUNT,
        id: messageId(1),
        attempt: 1,
        state: 'released',
        delivered: 2,
        failed: 0,
        undelivered: 0,
        error: null,
        disposition: 'SPAM',
        acknowledge: null,
        reason: 'vendor invoice',
        ticket: 'SEC-1',
        requested_by: 'alice@example.com',
        pull_request: 7,
        approved_by: ['bob'],
        commit: 'abcdef1',
        run: 'https://github.com/acme/mail/actions/runs/1',
        actor: 'alice',
        selector: null,
      },
    ]);
  });

  it('an attempt asked for by a search carries its selector, from the request record', () => {
    const selector =
      'sender=billing@vendor.example subject="Invoice, \\"Q4\\"" start=2026-11-01T00:00:00Z end=2026-11-08T00:00:00Z limit=50';
    const rows = rowsOf([pending({ selector }), released(), pending({ id: messageId(2) })]);
    expect(rows.map((r) => [r.id, r.selector])).toEqual([
      [messageId(1), selector],
      [messageId(2), null],
    ]);
    expect(auditRowJson(rows[0] as AuditRow).selector).toBe(selector);
    expect(summarize(rows).by_entry).toEqual({ id: 1, search: 1 });
  });

  it('a retry is its own row; accounts and messages are kept apart', () => {
    const rows = rowsOf([
      pending(),
      released({ state: 'partial', failed: ['c@example.com'] }),
      pending({ seq: 3, attempt: 2, at: '2026-11-22T09:00:00.000Z', reason: 'retry' }),
      released({ seq: 4, attempt: 2, at: '2026-11-22T09:00:01.000Z' }),
      pending({ account_id: OTHER_ACCOUNT }),
      pending({ id: messageId(2), at: '2026-11-21T00:00:00.000Z' }),
    ]);
    expect(rows.map((r) => [r.account_id === ACCOUNT, r.id, r.attempt, r.state, r.reason])).toEqual(
      [
        [true, messageId(1), 1, 'partial', 'vendor invoice'],
        [false, messageId(1), 1, 'pending', 'vendor invoice'],
        [true, messageId(2), 1, 'pending', 'vendor invoice'],
        [true, messageId(1), 2, 'released', 'retry'],
      ],
    );
    expect(rows[0]?.failed).toBe(1);
    expect(rows[1]?.delivered).toBeNull();
  });

  it('the request is the latest pending record actually sent, not a later "sent: false" one', () => {
    // Sent once without an answer, read back as never released, sent again by another run.
    const rows = rowsOf([
      pending({ run: 'run-1', actor: 'alice' }),
      record({ seq: 2, state: 'unknown', at: '2026-11-20T10:03:00.000Z', run: 'run-1' }),
      record({
        seq: 3,
        state: 'pending',
        sent: false,
        via: 'readback',
        at: '2026-11-21T10:00:00.000Z',
        run: 'run-2',
      }),
      pending({ seq: 4, at: '2026-11-21T10:00:05.000Z', run: 'run-2', actor: 'carol' }),
      released({ seq: 5, at: '2026-11-21T10:00:06.000Z', run: 'run-2' }),
      record({
        seq: 6,
        state: 'pending',
        sent: false,
        at: '2026-11-21T10:00:07.000Z',
        error: { message: 'stopped' },
      }),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      state: 'pending',
      run: 'run-2',
      actor: 'carol',
      first_at: '2026-11-20T10:00:00.000Z',
      last_at: '2026-11-21T10:00:07.000Z',
      error: { message: 'stopped' },
    });
  });

  it('an attempt with no pending record takes its facts from its latest record; no disposition is null', () => {
    const rows = rowsOf([
      record({
        seq: 2,
        state: 'failed',
        at: '2026-11-20T10:00:02.000Z',
        run: 'late',
        error: { status: 400, message: 'no' },
      }),
      record({ seq: 1, state: 'unknown', at: '2026-11-20T10:00:01.000Z', run: 'early' }),
    ]);
    expect(rows[0]).toMatchObject({
      state: 'failed',
      run: 'late',
      disposition: null,
      approved_by: null,
    });
  });

  it('older records without approved_by give null approvers', () => {
    const { approved_by: _, ...old } = pending();
    expect(rowsOf([old as LedgerRecord])[0]?.approved_by).toBeNull();
  });

  it('an attempt belongs to the period of its first record, its outcome wherever it falls', () => {
    const period: AuditPeriod = {
      since: Date.parse('2026-11-01T00:00:00Z'),
      until: Date.parse('2026-12-01T00:00:00Z'),
    };
    const rows = rowsOf(
      [
        // Began before the period, resolved in it: not in the report.
        pending({ id: messageId(1), at: '2026-10-31T23:59:59.999Z' }),
        released({ id: messageId(1), at: '2026-11-02T00:00:00.000Z' }),
        // Began in the period, resolved after it: in the report, resolved.
        pending({ id: messageId(2), at: '2026-11-30T23:59:59.999Z' }),
        released({ id: messageId(2), at: '2026-12-03T00:00:00.000Z' }),
        // since is inclusive, until exclusive.
        pending({ id: messageId(3), at: '2026-11-01T00:00:00Z' }),
        pending({ id: messageId(4), at: '2026-12-01T00:00:00.000Z' }),
        // Microseconds, as the schema allows.
        pending({ id: messageId(5), at: '2026-11-15T00:00:00.000001Z' }),
      ],
      period,
    );
    expect(rows.map((r) => [r.id, r.state, r.last_at])).toEqual([
      [messageId(3), 'pending', '2026-11-01T00:00:00Z'],
      [messageId(5), 'pending', '2026-11-15T00:00:00.000001Z'],
      [messageId(2), 'released', '2026-12-03T00:00:00.000Z'],
    ]);
  });

  it('leaves out attempts that began before the period, and other accounts', () => {
    const c = new AttemptCollector({ since: Date.parse('2026-11-01T00:00:00Z') }, [OTHER_ACCOUNT]);
    const records = [
      pending({ at: '2026-10-01T00:00:00.000Z', account_id: OTHER_ACCOUNT }),
      pending({ at: '2026-11-05T00:00:00.000Z' }),
    ];
    for (const r of records) c.mark(r);
    for (const r of records) c.add(r);
    expect(c.rows()).toEqual([]);
  });

  it('equal seq (two writers raced): the record that says more happened, as the ledger fold decides', () => {
    const rows = rowsOf([
      released({
        state: 'unknown',
        delivered: undefined,
        failed: undefined,
        undelivered: undefined,
      }),
      released(),
      pending(),
    ]);
    expect(rows[0]?.state).toBe('released');
  });
});

describe('the summary', () => {
  it('counts by outcome, disposition (unknown when absent), requester and month', () => {
    const rows = rowsOf([
      pending({ id: messageId(1) }),
      released({ id: messageId(1) }),
      pending({ id: messageId(2), requested_by: 'bob', disposition: 'BULK' }),
      released({ id: messageId(2), state: 'failed', delivered: undefined }),
      pending({ id: messageId(3), at: '2026-12-01T00:00:00.000Z', requested_by: undefined }),
      record({ id: messageId(4), state: 'unknown', at: '2026-12-02T00:00:00.000Z' }),
      pending({ id: messageId(5), requested_by: '__proto__', at: '2026-12-03T00:00:00.000Z' }),
      pending({ id: messageId(6), requested_by: 'bob', disposition: 'BULK' }),
    ]);
    expect(summarize(rows)).toEqual({
      attempts: 6,
      by_outcome: { released: 1, partial: 0, failed: 1, unknown: 1, pending: 3 },
      by_entry: { id: 6, search: 0 },
      by_disposition: { SPAM: 3, BULK: 2, unknown: 1 },
      // Most first; not recorded (null) last among equals; __proto__ stays a name.
      by_requester: [
        { requested_by: 'bob', attempts: 2 },
        { requested_by: null, attempts: 2 },
        { requested_by: '__proto__', attempts: 1 },
        { requested_by: 'alice@example.com', attempts: 1 },
      ],
      by_month: { '2026-11': 3, '2026-12': 3 },
    });
    expect(summarize([]).by_requester).toEqual([]);
  });
});

describe('order independence', () => {
  it('gives the same rows and summary whatever the order of the records', () => {
    fc.assert(
      fc.property(
        fc
          .array(arbAttemptRecord, { maxLength: 40 })
          .chain((list) =>
            fc.tuple(
              fc.constant(list),
              fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
            ),
          ),
        fc.constantFrom<AuditPeriod>(
          {},
          { since: Date.parse('2026-11-10T00:00:00Z') },
          { since: Date.parse('2026-11-05T00:00:00Z'), until: Date.parse('2026-12-20T00:00:00Z') },
        ),
        ([list, shuffled], period) => {
          const a = rowsOf(list, period);
          const b = rowsOf(shuffled, period);
          expect(json(b)).toEqual(json(a));
          expect(summarize(b)).toEqual(summarize(a));
        },
      ),
      { numRuns: 300 },
    );
  });
});
