// The drift check's cursor file format and order (core/check/cursor): lines that merge like
// the ledger, a total order on ids, and the run's work split at the wrap.
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import secureMetaSchema from 'ajv/lib/refs/json-schema-secure.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import schema from '../../schema/check-cursor.schema.json' with { type: 'json' };
import {
  type CheckCursor,
  checkUnits,
  compareCheckOrder,
  mergeCursorFile,
  parseCursorFile,
  serializeCursor,
  startIndex,
} from '../../src/core/check/cursor.js';
import { MESSAGE_ID_SOURCE } from '../../src/core/ids.js';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/factories.js';

const cursor = (over: Partial<CheckCursor> = {}): CheckCursor => ({
  v: 1,
  account_id: ACCOUNT,
  after: 'Q00000000001-2026-09-01T10:00:00-1',
  pass_started: '2026-11-01T06:17:00.000Z',
  at: '2026-11-02T06:17:00.000Z',
  ...over,
});

describe('check-cursor.schema.json', () => {
  it('is a valid, strict and secure schema, with the id shape of src/core/ids.ts', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    const isSecure = new Ajv({ strict: false, allErrors: true }).compile(secureMetaSchema);
    expect(isSecure(schema), JSON.stringify(isSecure.errors)).toBe(true);
    expect(schema.properties.after.pattern).toBe(MESSAGE_ID_SOURCE);
    for (const p of Object.values(schema.properties) as { type?: string; maxLength?: number }[])
      if (p.type === 'string') expect(p.maxLength).toEqual(expect.any(Number));
  });
});

describe('the cursor file', () => {
  it('round-trips, one sorted line per account', () => {
    const text = mergeCursorFile(undefined, [cursor({ account_id: OTHER_ACCOUNT }), cursor()], 'f');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => JSON.parse(l).account_id)).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    expect(parseCursorFile(text, 'f')).toEqual({
      cursors: new Map([
        [ACCOUNT, cursor()],
        [OTHER_ACCOUNT, cursor({ account_id: OTHER_ACCOUNT })],
      ]),
      problems: [],
    });
  });

  it('after a union merge (both lines kept), the later line of an account counts', () => {
    const ours = cursor({ after: 'Q0000000000A', at: '2026-11-03T06:17:00.000Z' });
    const theirs = cursor({ after: 'Q0000000000B', at: '2026-11-02T06:17:00.000Z' });
    for (const text of [
      `${serializeCursor(ours)}\n${serializeCursor(theirs)}\n`,
      `${serializeCursor(theirs)}\n${serializeCursor(ours)}\n`,
    ])
      expect(parseCursorFile(text, 'f').cursors.get(ACCOUNT)?.after).toBe('Q0000000000A');
  });

  it('saving keeps other accounts as stored now, and never goes back to an older line', () => {
    const stored = mergeCursorFile(
      undefined,
      [cursor({ account_id: OTHER_ACCOUNT, after: 'Q0000000000Z' })],
      'f',
    );
    const saved = parseCursorFile(mergeCursorFile(stored, [cursor()], 'f'), 'f').cursors;
    expect(saved.get(OTHER_ACCOUNT)?.after).toBe('Q0000000000Z');
    expect(saved.get(ACCOUNT)?.after).toBe(cursor().after);
    const older = cursor({ after: 'Q0000000000Y', at: '2026-10-01T00:00:00.000Z' });
    const kept = parseCursorFile(
      mergeCursorFile(mergeCursorFile(undefined, [cursor()], 'f'), [older], 'f'),
      'f',
    );
    expect(kept.cursors.get(ACCOUNT)?.after).toBe(cursor().after);
  });

  it('reports unreadable lines with their line number, and reads the others', () => {
    const text = [
      '<<<<<<< HEAD',
      serializeCursor(cursor()),
      '=======',
      JSON.stringify({ ...cursor({ account_id: OTHER_ACCOUNT }), extra: 1 }),
      JSON.stringify({ ...cursor({ account_id: OTHER_ACCOUNT }), after: 'not an id!' }),
      '',
    ].join('\n');
    const { cursors, problems } = parseCursorFile(text, 'releases.ledger/check-cursor.ndjson');
    expect([...cursors.keys()]).toEqual([ACCOUNT]);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual([
      'releases.ledger/check-cursor.ndjson:1:1',
      'releases.ledger/check-cursor.ndjson:3:1',
      'releases.ledger/check-cursor.ndjson:4:1',
      'releases.ledger/check-cursor.ndjson:5:1',
    ]);
    expect(problems[3]?.message).toContain('field after');
    // Rewriting drops them.
    expect(mergeCursorFile(text, [], 'f')).toBe(`${serializeCursor(cursor())}\n`);
  });
});

describe('check order', () => {
  const a = 'Zzzzz-2026-09-01T10:00:00-1';
  const b = 'Aaaaa-2026-09-02T10:00:00-1';
  const c = 'Bbbbb-2026-09-02T10:00:00-2';
  const bare1 = 'Aaaaa';
  const bare2 = 'Yyyyy';

  it('by the time in the id, then bare ids, ties by id: a total order', () => {
    expect([bare2, c, bare1, b, a].sort(compareCheckOrder)).toEqual([a, b, c, bare1, bare2]);
  });

  it('starts after the cursor, wherever the cursor id is now, and wraps at the end', () => {
    const sorted = [a, b, c, bare1, bare2];
    expect(startIndex(sorted, undefined)).toEqual({ index: 0, wrapped: false });
    expect(startIndex(sorted, b)).toEqual({ index: 2, wrapped: false });
    // An id no longer in the list keeps its place in the order.
    expect(startIndex(sorted, 'Mmmmm-2026-09-01T12:00:00-1')).toEqual({ index: 1, wrapped: false });
    expect(startIndex(sorted, bare2)).toEqual({ index: 0, wrapped: true });
  });

  it('splits the work at the wrap: windows never straddle it', () => {
    const ids = [a, b, c, bare1];
    const units = checkUnits(ids, 2, Date.parse('2026-11-01T00:00:00Z'));
    expect(units.map((u) => (u.kind === 'window' ? u.ids : u.id))).toEqual([[c], bare1, [a, b]]);
  });
});
