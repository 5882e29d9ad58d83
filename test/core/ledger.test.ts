import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LEDGER_STATES,
  type LedgerRecord,
  serializeRecord,
  shardNameFor,
} from '../../src/core/ledger/record.js';
import { compareRecords, nextSeq } from '../../src/core/ledger/state.js';
import type { ValueOf } from '../support/arbitrary.js';
import {
  ACCOUNT,
  foldRecords,
  messageId,
  OTHER_ACCOUNT,
  parseShard,
  readLedger,
  record,
  shardText,
  stored,
} from '../support/factories.js';

describe('ledger records', () => {
  it('serialises with a fixed key order and reads back the same record', () => {
    const r = record({
      state: 'partial',
      delivered: ['a@example.com'],
      failed: ['b@example.com'],
      reason: 'vendor',
      pull_request: 12,
      commit: 'abcdef1',
    });
    const line = serializeRecord(r);
    expect(line.startsWith('{"v":1,"account_id":')).toBe(true);
    const parsed = parseShard(`${line}\n`, '2026-11.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records[0]?.record).toEqual(r);
  });

  it('clips API and user text to the schema bounds so a written record is always readable', () => {
    const r = record({
      state: 'failed',
      error: { status: 400, code: 1234, message: 'x'.repeat(5000) },
      delivered: Array.from({ length: 20_000 }, (_, i) => `${'r'.repeat(400)}${i}@example.com`),
      reason: 'y'.repeat(900),
    });
    const parsed = parseShard(`${serializeRecord(r)}\n`, 's.jsonl');
    expect(parsed.errors).toEqual([]);
    const back = parsed.records[0]?.record;
    expect(back?.error?.message.length).toBe(500);
    expect(back?.delivered?.length).toBe(10_000);
    expect(back?.delivered?.[0]?.length).toBe(320);
    expect(back?.reason?.length).toBe(500);
  });

  it('names shards by UTC month', () => {
    expect(shardNameFor('2026-11-30T23:59:59.999Z')).toBe('2026-11.jsonl');
    expect(shardNameFor('2026-12-01T00:00:00.000Z')).toBe('2026-12.jsonl');
  });

  it('reports every corrupt line with its file and line number', () => {
    const good = serializeRecord(record());
    const text = [
      good,
      '{not json',
      JSON.stringify({ ...record(), state: 'exploded' }),
      JSON.stringify({ ...record(), v: 2 }),
      JSON.stringify({ ...record(), extra: 1 }),
      JSON.stringify({ ...record(), account_id: 'ABC' }),
      '',
      good,
      '{"v":1,"account_id":"023e1', // torn last line, no newline
    ].join('\n');
    const parsed = parseShard(text, 'releases.ledger/2026-11.jsonl');
    expect(parsed.records).toHaveLength(2);
    expect(parsed.errors.map((e) => [e.file, e.line, e.message])).toEqual([
      ['releases.ledger/2026-11.jsonl', 2, 'not a JSON record'],
      [
        'releases.ledger/2026-11.jsonl',
        3,
        'unknown state "exploded"; expected one of pending, released, partial, failed, unknown',
      ],
      [
        'releases.ledger/2026-11.jsonl',
        4,
        'record format v=2 is not supported by this version of quarantine-release',
      ],
      ['releases.ledger/2026-11.jsonl', 5, 'unknown field "extra" in record'],
      ['releases.ledger/2026-11.jsonl', 6, expect.stringContaining('account_id')],
      ['releases.ledger/2026-11.jsonl', 9, expect.stringContaining('incomplete last line')],
    ]);
  });

  it('accepts CRLF line ends and a BOM (a ledger edited on Windows)', () => {
    const text = `\uFEFF${serializeRecord(record())}\r\n${serializeRecord(record({ id: messageId(2) }))}\r\n`;
    const parsed = parseShard(text, 's.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records).toHaveLength(2);
  });

  it('refuses files in the ledger directory that are not month shards', () => {
    const ledger = readLedger([
      { name: '2026-11.jsonl', path: 'l/2026-11.jsonl', text: shardText([record()]) },
      { name: 'notes.jsonl', path: 'l/notes.jsonl', text: '' },
      { name: '2026-13.jsonl', path: 'l/2026-13.jsonl', text: '' },
    ]);
    expect(ledger.errors.map((e) => e.file)).toEqual(['l/notes.jsonl', 'l/2026-13.jsonl']);
    expect(ledger.records).toBe(1);
  });
});

describe('folding records into states', () => {
  it('takes the record with the highest seq as the state, whatever the line order', () => {
    const pending = record({ seq: 1, state: 'pending', at: '2026-11-20T10:00:00.000Z' });
    const released = record({ seq: 2, state: 'released', at: '2026-11-20T09:00:00.000Z' });
    for (const order of [
      [pending, released],
      [released, pending],
    ]) {
      const index = foldRecords(order.map((r) => stored(r)));
      expect(index.get(ACCOUNT, messageId(1))?.latest.state).toBe('released');
    }
  });

  it('keeps accounts apart: the same id in two accounts is two messages', () => {
    const index = foldRecords([
      stored(record({ state: 'released' })),
      stored(record({ account_id: OTHER_ACCOUNT, state: 'failed' })),
    ]);
    expect([...index].length).toBe(2);
    expect(nextSeq(index, ACCOUNT, messageId(1))).toBe(2);
    expect(nextSeq(index, ACCOUNT, messageId(9))).toBe(1);
  });

  it('breaks a tie of equal seq (two racing writers) towards the state that says more happened', () => {
    const a = record({ seq: 3, state: 'pending' });
    const b = record({ seq: 3, state: 'released' });
    expect(compareRecords(b, a)).toBeGreaterThan(0);
  });

  const arbRecord = fc.record({
    idn: fc.integer({ min: 1, max: 5 }),
    account: fc.constantFrom(ACCOUNT, OTHER_ACCOUNT),
    seq: fc.integer({ min: 1, max: 6 }),
    attempt: fc.integer({ min: 1, max: 3 }),
    state: fc.constantFrom(...LEDGER_STATES),
    minute: fc.integer({ min: 0, max: 59 }),
  });
  const toRecord = (a: ValueOf<typeof arbRecord>): LedgerRecord =>
    record({
      id: messageId(a.idn),
      account_id: a.account,
      seq: a.seq,
      attempt: a.attempt,
      state: a.state,
      at: `2026-11-20T10:${String(a.minute).padStart(2, '0')}:00.000Z`,
    });
  const summary = (records: LedgerRecord[]) =>
    [...foldRecords(records.map((r) => stored(r))).entries()]
      .map(([k, v]) => `${k}=${serializeRecord(v.latest)}`)
      .sort();

  it('is order-independent: any permutation of the lines folds to the same states', () => {
    fc.assert(
      fc.property(
        fc
          .array(arbRecord, { maxLength: 40 })
          .chain((list) =>
            fc.tuple(
              fc.constant(list),
              fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
            ),
          ),
        ([list, shuffled]) => {
          expect(summary(shuffled.map(toRecord))).toEqual(summary(list.map(toRecord)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('merges like git merge=union: the union of two copies folds to the newest record of each', () => {
    fc.assert(
      fc.property(
        fc.array(arbRecord, { maxLength: 30 }),
        fc.array(arbRecord, { maxLength: 30 }),
        (a, b) => {
          const left = a.map(toRecord);
          const right = b.map(toRecord);
          // Union of lines, duplicates kept once, in either order.
          const union = [
            ...new Map([...left, ...right].map((r) => [serializeRecord(r), r])).values(),
          ];
          const reversed = [
            ...new Map([...right, ...left].map((r) => [serializeRecord(r), r])).values(),
          ];
          expect(summary(union)).toEqual(summary(reversed));
          // And each message's state is never older than in either copy.
          const merged = foldRecords(union.map((r) => stored(r)));
          for (const side of [left, right]) {
            for (const [, v] of foldRecords(side.map((r) => stored(r)))) {
              const m = merged.get(v.latest.account_id, v.latest.id);
              expect(m).toBeDefined();
              expect(m && compareRecords(m.latest, v.latest)).toBeGreaterThanOrEqual(0);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads a shard to the same states as folding its records', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 40 }), fc.boolean(), (list, crlf) => {
        const records = list.map(toRecord);
        const text = records.map((r) => `${serializeRecord(r)}${crlf ? '\r\n' : '\n'}`).join('');
        const read = readLedger([{ name: '2026-11.jsonl', path: 'l/2026-11.jsonl', text }]);
        expect(read.errors).toEqual([]);
        const folded = foldRecords(records.map((r) => stored(r)));
        expect([...read.index].length).toBe([...folded].length);
        for (const [key, h] of folded) {
          const got = read.index.get(h.latest.account_id, h.latest.id);
          expect(got?.latest, key).toStrictEqual(h.latest);
          expect([got?.seq, got?.state, got?.attempt, got?.at]).toEqual([
            h.latest.seq,
            h.latest.state,
            h.latest.attempt,
            h.latest.at,
          ]);
          expect(got?.acts).toEqual(h.acts);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('a reader that keeps only some records whole', () => {
  const arb = fc.record({
    idn: fc.integer({ min: 1, max: 6 }),
    seq: fc.integer({ min: 1, max: 4 }),
    attempt: fc.integer({ min: 1, max: 2 }),
    state: fc.constantFrom(...LEDGER_STATES),
    minute: fc.integer({ min: 0, max: 2 }),
    run: fc.constantFrom('a', 'b'),
  });
  const toRecord = (a: ValueOf<typeof arb>): LedgerRecord =>
    record({
      id: messageId(a.idn),
      seq: a.seq,
      attempt: a.attempt,
      state: a.state,
      at: `2026-11-20T10:0${a.minute}:00.000Z`,
      run: a.run,
    });
  const shard = (records: LedgerRecord[]) => [
    { name: '2026-11.jsonl', path: 'l/2026-11.jsonl', text: shardText(records) },
  ];
  // As a plan keeps them: some messages, and every unresolved send.
  const keep = (r: LedgerRecord) =>
    r.id === messageId(1) ||
    r.id === messageId(2) ||
    r.state === 'pending' ||
    r.state === 'unknown';

  it('folds to the same states, and keeps whole exactly the records asked for', () => {
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 30 }), (list) => {
        const records = list.map(toRecord);
        const all = readLedger(shard(records));
        const some = readLedger(shard(records), keep);
        expect(some.errors).toEqual([]);
        expect(some.records).toBe(all.records);
        for (const [key, h] of all.index) {
          const got = some.index.get(h.latest.account_id, h.latest.id);
          expect([got?.seq, got?.state, got?.attempt, got?.at, got?.acts], key).toEqual([
            h.seq,
            h.state,
            h.attempt,
            h.at,
            h.acts,
          ]);
          if (keep(h.latest)) expect(got?.latest, key).toStrictEqual(h.latest);
          else expect(() => got?.latest, key).toThrow(/read without this message's record/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('orders records equal in seq, state, time and attempt by their content, in any order', () => {
    const a = record({ seq: 2, run: 'a', delivered: ['x@example.com'] });
    const b = record({ seq: 2, run: 'b' });
    const c = record({ seq: 2, run: 'a', delivered: ['y@example.com'] });
    const latest = (list: LedgerRecord[]) =>
      readLedger(shard(list)).index.get(ACCOUNT, messageId(1))?.latest;
    const first = latest([a, b, c]);
    for (const order of [
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ]) {
      expect(latest(order)).toStrictEqual(first);
    }
    // The same content with its keys in another order is the same record.
    const reordered = { ...Object.fromEntries(Object.entries(b).reverse()) } as LedgerRecord;
    expect(compareRecords(b, reordered)).toBe(0);
  });
});
