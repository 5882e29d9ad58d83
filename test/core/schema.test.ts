// The schemas' validators are ajv's standalone code, generated at build time
// (scripts/validators.mjs -> src/core/generated/validators.js). They must be fresh, and must
// answer exactly as ajv compiling the same schema at run time, errors included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import cursorSchema from '../../schema/check-cursor.schema.json' with { type: 'json' };
import ledgerSchema from '../../schema/ledger.schema.json' with { type: 'json' };
import releasesSchema from '../../schema/releases.schema.json' with { type: 'json' };
import { newAjv, staleValidators } from '../../scripts/validators.mjs';
import {
  validateCheckCursor,
  validateLedgerRecord,
  validateReleases,
} from '../../src/core/generated/validators.js';
import { LEDGER_STATES } from '../../src/core/ledger/record.js';
import { ACCOUNT, messageId, record } from '../support/factories.js';

function reference(schema: object) {
  return newAjv().compile(schema);
}

/** Values at and around every kind of bound our schemas use. */
const tricky = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(0, -0, 1, 2, 19, 20, 21, 999, 1000, 1_000_000, 1_000_001, -1, 1.5, 1e21, null),
  fc.constantFrom(
    true,
    false,
    '',
    ' ',
    '\u00a0x',
    'x\n',
    'a\u200bb',
    '__proto__',
    'SPOOF',
    'spoof',
  ),
  fc.constantFrom(ACCOUNT, ACCOUNT.toUpperCase(), `${ACCOUNT}0`, ACCOUNT.slice(1)),
  fc.constantFrom(messageId(3), `${messageId(3)}x`, 'Q1234', 'Q123', 'Q'.repeat(33)),
  fc.constantFrom('2026-11-20T10:00:00.000Z', '2026-11-20T10:00:00Z', '2026-11-20 10:00:00Z'),
  // Lengths around each maxLength, in one- and two-unit characters (code points vs UTF-16).
  fc
    .tuple(
      fc.constantFrom(20, 30, 32, 64, 80, 100, 128, 300, 320, 500),
      fc.constantFrom(-1, 0, 1),
      fc.constantFrom('a', '😀', 'A-'),
    )
    .map(([max, delta, unit]) => unit.repeat(Math.max(0, max + delta)).slice(0, 2 * (max + 1))),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('message', 'status', 'code', 'extra'), fc.jsonValue()),
  fc.record({ message: fc.string(), status: fc.integer({ min: -1, max: 1000 }) }),
);

const ledgerKeys = [...Object.keys(ledgerSchema.properties), '__proto__', 'constructor', 'x'];

const validRecord = fc
  .record({
    n: fc.nat(1000),
    state: fc.constantFrom(...LEDGER_STATES),
    seq: fc.integer({ min: 1, max: 1_000_000 }),
    attempt: fc.integer({ min: 1, max: 20 }),
    extra: fc.subarray([
      ['reason', 'vendor false positive'],
      ['run', 'https://github.com/acme/mail/actions/runs/1'],
      ['delivered', ['a@example.com', 'b@example.com']],
      ['failed', []],
      ['error', { status: 500, message: 'boom' }],
      ['disposition', 'MALICIOUS-BEC'],
      ['sent', false],
      ['via', 'readback'],
      ['commit', 'abcdef1'],
      ['pull_request', 7],
    ] as [string, unknown][]),
  })
  .map(({ n, state, seq, attempt, extra }) => ({
    ...record({ id: messageId(n), state, seq, attempt }),
    ...Object.fromEntries(extra),
  }));

/** A valid value with one key set to something tricky, or removed. */
function mutated<T extends Record<string, unknown>>(
  valid: fc.Arbitrary<T>,
  keys: string[],
): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.constantFrom(...keys), fc.option(tricky, { nil: undefined }))
    .map(([value, key, replacement]) => {
      const copy: Record<string, unknown> = { ...value };
      if (replacement === undefined) delete copy[key];
      else Object.defineProperty(copy, key, { value: replacement, enumerable: true });
      return copy;
    });
}

const entryKeys = [...Object.keys(releasesSchema.$defs.release.properties), 'extra', '<<'];

const validEntry = fc
  .record({
    n: fc.nat(1000),
    reason: fc.constantFrom('vendor newsletter', '  spaced out  ', 'x'),
    extra: fc.subarray([
      ['ticket', 'SEC-1234'],
      ['requested_by', 'alice@example.com'],
      ['account_id', ACCOUNT],
      ['retry', 2],
      ['acknowledge', 'MALICIOUS'],
    ] as [string, unknown][]),
  })
  .map(({ n, reason, extra }) => ({ id: messageId(n), reason, ...Object.fromEntries(extra) }));

function releasesFile() {
  return fc
    .record({
      withAccount: fc.boolean(),
      releases: fc.array(validEntry, { maxLength: 4 }),
    })
    .map(({ withAccount, releases }) => ({
      version: 1,
      ...(withAccount ? { account_id: ACCOUNT } : {}),
      releases,
    }));
}

const validCursor = fc
  .record({
    after: fc.option(fc.nat(1000).map(messageId), { nil: undefined }),
    run: fc.option(fc.constant('https://github.com/acme/mail/actions/runs/1'), { nil: undefined }),
  })
  .map(({ after, run }) => ({
    v: 1,
    account_id: ACCOUNT,
    pass_started: '2026-11-20T10:00:00.000Z',
    at: '2026-11-21T10:00:00.000Z',
    ...(after === undefined ? {} : { after }),
    ...(run === undefined ? {} : { run }),
  }));

describe('generated validators', () => {
  it('are fresh: generating them again from schema/ gives the committed files', async () => {
    expect(await staleValidators()).toEqual([]);
  });

  const cases = [
    {
      name: 'ledger records',
      schema: ledgerSchema,
      generated: validateLedgerRecord,
      values: fc.oneof(validRecord, mutated(validRecord, ledgerKeys)),
    },
    {
      name: 'releases files',
      schema: releasesSchema,
      generated: validateReleases,
      values: fc.oneof(
        releasesFile(),
        mutated(releasesFile(), [...Object.keys(releasesSchema.properties), 'extra']),
        fc
          .tuple(releasesFile(), mutated(validEntry, entryKeys))
          .map(([file, entry]) => ({ ...file, releases: [...file.releases, entry] })),
      ),
    },
    {
      name: 'check cursors',
      schema: cursorSchema,
      generated: validateCheckCursor,
      values: fc.oneof(
        validCursor,
        mutated(validCursor, [...Object.keys(cursorSchema.properties), 'extra']),
      ),
    },
  ];

  for (const { name, schema, generated, values } of cases) {
    it(`${name}: answer as ajv compiling the schema at run time, errors included`, () => {
      const ajv = reference(schema);
      let valid = 0;
      fc.assert(
        fc.property(values, (value) => {
          const expected = ajv(value);
          if (expected) valid++;
          expect(generated(value)).toBe(expected);
          expect(generated.errors ?? null).toEqual(expected ? null : ajv.errors);
        }),
        { numRuns: 1000 },
      );
      // The generators reach both answers.
      expect(valid).toBeGreaterThan(50);
      expect(valid).toBeLessThan(1000);
    });
  }

  it('count string lengths in code points, as JSON Schema does', () => {
    // 400 two-unit characters: 800 UTF-16 units, 400 code points, within maxLength 500.
    expect(validateLedgerRecord(record({ reason: '😀'.repeat(400) }))).toBe(true);
    expect(validateLedgerRecord(record({ reason: '😀'.repeat(501) }))).toBe(false);
  });

  it('refuse inherited and prototype-polluting keys as ajv does', () => {
    expect(validateLedgerRecord(record())).toBe(true);
    expect(validateLedgerRecord({ ...record(), extra: 1 })).toBe(false);
    expect(validateLedgerRecord(Object.assign(Object.create({ injected: 1 }), record()))).toBe(
      false,
    );
    expect(validateLedgerRecord({ ...record({ delivered: ['a'] }), delivered: Array(2) })).toBe(
      false,
    );
  });
});
