// Entries merged but never applied (core/check/unapplied): which entries of a plan the ledger
// does not hold, and how long each has waited against the threshold, whatever is known of
// when it was added. An age that cannot be told fails closed.
import { describe, expect, it } from 'vitest';
import {
  appliedSearches,
  linesOf,
  type NotApplied,
  notApplied,
  unappliedReport,
} from '../../src/core/check/unapplied.js';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import { emptyLedger, foldShard } from '../../src/core/ledger/state.js';
import { plan } from '../../src/core/plan/plan.js';
import type { SearchRequest } from '../../src/core/requests/load.js';
import { type SearchSelector, searchText } from '../../src/core/requests/search.js';
import {
  ACCOUNT,
  messageId,
  OTHER_ACCOUNT,
  record,
  releasesFile,
  request,
} from '../support/factories.js';

const NOW = Date.parse('2026-11-24T06:17:00.000Z');
const HOUR = 3_600_000;
const entry = (n: number, line: number, extra: { refused?: string } = {}): NotApplied => ({
  request: request({ id: messageId(n), index: n, line, column: 9 }),
  attempt: 1,
  ...extra,
});

/** A `search:` entry of the file, as the loader gives it. */
function searchEntry(
  index: number,
  line: number,
  extra: Partial<SearchSelector> = {},
  account = ACCOUNT,
  lastLine = line,
): SearchRequest {
  const search: SearchSelector = {
    sender: 'billing@vendor.example',
    start: '2026-11-01T00:00:00Z',
    end: '2026-11-08T00:00:00Z',
    limit: 50,
    ...extra,
  };
  return {
    account_id: account,
    search,
    text: searchText(search),
    reason: 'vendor invoices',
    index,
    line,
    column: 5,
    lastLine,
  };
}

function ledgerOf(records: LedgerRecord[]) {
  const ledger = emptyLedger();
  foldShard(ledger, {
    name: '2026-11.jsonl',
    path: 'l/2026-11.jsonl',
    text: records.map((l) => `${serializeRecord(l)}\n`).join(''),
  });
  return ledger.index;
}

/** What a waiting entry names: the id and attempt, or the search's text. */
const named = (e: NotApplied) =>
  'search' in e ? ['search', e.search.text] : [e.request.id, e.attempt, e.refused !== undefined];

describe('notApplied: the plan’s entries whose attempt the ledger does not hold', () => {
  it('new entries and retries not yet made, in file order; not what the ledger holds, nor a resumed attempt', () => {
    const ledger = emptyLedger();
    const lines = [
      record({ id: messageId(2), state: 'released' }),
      record({ id: messageId(3), state: 'failed' }),
      record({ id: messageId(4), state: 'pending', sent: false }),
      record({ id: messageId(5), state: 'failed' }),
    ];
    foldShard(ledger, {
      name: '2026-11.jsonl',
      path: 'l/2026-11.jsonl',
      text: lines.map((l) => `${serializeRecord(l)}\n`).join(''),
    });
    const file = releasesFile([
      request({ id: messageId(6), index: 0, line: 4, retry: 2 }),
      request({ id: messageId(1), index: 1, line: 7 }),
      request({ id: messageId(2), index: 2, line: 10 }),
      request({ id: messageId(3), index: 3, line: 13, retry: 2 }),
      request({ id: messageId(4), index: 4, line: 16 }),
      request({ id: messageId(5), index: 5, line: 19 }),
    ]);
    const found = notApplied(plan(file, ledger.index));
    expect(found.map(named)).toEqual([
      // retry: 2 of a message this ledger never sent: refused by the planner, in no record.
      [messageId(6), 2, true],
      [messageId(1), 1, false],
      [messageId(3), 2, false],
    ]);
    expect(found[0] && 'refused' in found[0] ? found[0].refused : '').toContain(
      'the ledger has no earlier attempt of this message',
    );
  });

  it('a search counts as applied once the ledger holds a record of its account with its text', () => {
    const released = searchEntry(1, 7);
    const other = searchEntry(2, 14, { subject: 'Invoice, "Q4"' });
    const elsewhere = searchEntry(3, 21, {}, OTHER_ACCOUNT);
    // The same criteria with another limit: another search.
    const widened = searchEntry(4, 28, { limit: 51 });
    const index = ledgerOf([
      // apply's records of a message the first search found: the selector on the pending one.
      record({ id: messageId(7), seq: 1, state: 'pending', selector: released.text }),
      record({ id: messageId(7), seq: 2, state: 'released' }),
    ]);
    const applied = appliedSearches(index);
    expect([...applied]).toEqual([`${ACCOUNT}\t${released.text}`]);
    const file = releasesFile([request({ id: messageId(1), index: 0, line: 4 })]);
    const found = notApplied(plan(file, index), [widened, released, other, elsewhere], applied);
    // In file order among the id entries: not the search the ledger holds, the others whatever
    // their account or limit.
    expect(found.map(named)).toEqual([
      [messageId(1), 1, false],
      ['search', other.text],
      ['search', elsewhere.text],
      ['search', widened.text],
    ]);
  });

  it('a search that released nothing (it found no message, or only messages other entries asked for) stays listed', () => {
    const empty = searchEntry(0, 4);
    // The id entry's records carry no selector, though the search found that message too.
    const index = ledgerOf([record({ id: messageId(1), seq: 1, state: 'released' })]);
    const file = releasesFile([request({ id: messageId(1), index: 1, line: 11 })]);
    const found = notApplied(plan(file, index), [empty], appliedSearches(index));
    expect(found.map(named)).toEqual([['search', empty.text]]);
  });
});

describe('unappliedReport: how long each has waited', () => {
  it('by line: hours since the commit of its line; overdue from the threshold on, exactly', () => {
    const at = new Map([
      [4, { at: new Date(NOW - 30 * HOUR).toISOString(), commit: 'a'.repeat(40) }],
      [7, { at: new Date(NOW - 24 * HOUR).toISOString() }],
      [10, { at: new Date(NOW - 24 * HOUR + 1000).toISOString() }],
    ]);
    const r = unappliedReport(
      [entry(1, 4), entry(2, 7), entry(3, 10)],
      { basis: 'line', source: 'git blame', at },
      'releases.yaml',
      NOW,
      24,
    );
    expect(r.entries.map((e) => [e.line, e.hours, e.overdue])).toEqual([
      [4, 30, true],
      [7, 24, true],
      [10, 23, false],
    ]);
    expect(r.entries[0]).toMatchObject({
      file: 'releases.yaml',
      column: 9,
      since: '2026-11-23T00:17:00.000Z',
      commit: 'a'.repeat(40),
    });
    expect(r).toMatchObject({ afterHours: 24, basis: 'line', source: 'git blame', overdue: 2 });
  });

  it('a line the adapter did not date, or no way to tell at all: overdue (fails closed)', () => {
    const dated = unappliedReport(
      [entry(1, 4), entry(2, 7)],
      {
        basis: 'line',
        source: 'git blame',
        at: new Map([[4, { at: new Date(NOW).toISOString() }]]),
      },
      'releases.yaml',
      NOW,
      24,
    );
    expect(dated.entries.map((e) => [e.hours, e.overdue])).toEqual([
      [0, false],
      [undefined, true],
    ]);
    const unknown = unappliedReport(
      [entry(1, 4)],
      { basis: 'unknown', source: 'could not tell' },
      'releases.yaml',
      NOW,
      8760,
    );
    expect(unknown.entries[0]).toMatchObject({ overdue: true });
    expect(unknown.entries[0]?.since).toBeUndefined();
  });

  it('by file: every entry from its last change; a date ahead of the clock counts as now; 0 fails any', () => {
    const r = unappliedReport(
      [entry(1, 4), entry(2, 7)],
      { basis: 'file', source: 'mtime', at: new Date(NOW + HOUR).toISOString() },
      'releases.yaml',
      NOW,
      1,
    );
    expect(r.entries.map((e) => [e.hours, e.overdue])).toEqual([
      [0, false],
      [0, false],
    ]);
    const zero = unappliedReport(
      [entry(1, 4)],
      { basis: 'file', source: 'mtime', at: new Date(NOW).toISOString() },
      'releases.yaml',
      NOW,
      0,
    );
    expect(zero.overdue).toBe(1);
  });
});

describe('unappliedReport: a search never applied', () => {
  it('named by its text and line, without id or attempt; its age by the line of its search: key', () => {
    const search = searchEntry(2, 10, { subject: 'Invoice, "Q4" @team' });
    const r = unappliedReport(
      [entry(1, 4), { search }],
      {
        basis: 'line',
        source: 'git blame',
        at: new Map([
          [4, { at: new Date(NOW - HOUR).toISOString() }],
          [10, { at: new Date(NOW - 48 * HOUR).toISOString(), commit: 'b'.repeat(40) }],
        ]),
      },
      'releases.yaml',
      NOW,
      24,
    );
    expect(r.entries[1]).toEqual({
      account_id: ACCOUNT,
      selector: search.text,
      file: 'releases.yaml',
      line: 10,
      column: 5,
      since: new Date(NOW - 48 * HOUR).toISOString(),
      commit: 'b'.repeat(40),
      hours: 48,
      overdue: true,
    });
    expect(r.entries[0]).toMatchObject({ id: messageId(1), attempt: 1, overdue: false });
    expect(r.overdue).toBe(1);
  });

  it('a search whose criteria were edited after its search: line is as new as its newest line', () => {
    // search: on line 10, its criteria on 11-13; line 12 (the sender) changed an hour ago.
    const search = searchEntry(0, 10, {}, ACCOUNT, 13);
    const old = { at: new Date(NOW - 72 * HOUR).toISOString(), commit: 'a'.repeat(40) };
    const at = new Map([
      [10, old],
      [11, old],
      [12, { at: new Date(NOW - HOUR).toISOString(), commit: 'c'.repeat(40) }],
      [13, old],
    ]);
    const r = unappliedReport(
      [{ search }],
      { basis: 'line', source: 'git blame', at },
      'f',
      NOW,
      24,
    );
    expect(r.entries[0]).toMatchObject({ hours: 1, commit: 'c'.repeat(40), overdue: false });
    expect(linesOf({ search })).toEqual([10, 11, 12, 13]);
    // One of its lines not dated: its age cannot be told, so it is overdue.
    at.delete(13);
    const unknown = unappliedReport(
      [{ search }],
      { basis: 'line', source: 'git blame', at },
      'f',
      NOW,
      24,
    );
    expect(unknown.entries[0]?.overdue).toBe(true);
    expect(unknown.entries[0]?.hours).toBeUndefined();
  });
});
