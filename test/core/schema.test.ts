// The quick check in front of ajv (src/core/schema.ts) may only ever be stricter than the
// schema: whatever it accepts, ajv must accept. Everything it doubts goes to ajv, so the
// validator as a whole answers exactly as ajv does, errors included.
import Ajv2020 from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import ledgerSchema from '../../schema/ledger.schema.json' with { type: 'json' };
import releasesSchema from '../../schema/releases.schema.json' with { type: 'json' };
import { LEDGER_STATES, serializeRecord } from '../../src/core/ledger/record.js';
import { compileSchema, quickAccept } from '../../src/core/schema.js';
import { ACCOUNT, messageId, record } from '../support/factories.js';

function reference(schema: object) {
  const ajv = new Ajv2020({ strict: true, allErrors: true, unicodeRegExp: true });
  return ajv.compile(schema);
}

function quick(schema: object) {
  const check = quickAccept(schema);
  if (!check) throw new Error('no quick check for this schema');
  return check;
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

describe('quick schema checks', () => {
  const cases = [
    {
      name: 'ledger records',
      schema: ledgerSchema,
      values: fc.oneof(validRecord, mutated(validRecord, ledgerKeys)),
    },
    {
      name: 'releases files',
      schema: releasesSchema,
      values: fc.oneof(
        releasesFile(),
        releasesFile().map((file) => ({ ...file, releases: file.releases.map((e) => e) })),
        mutated(releasesFile(), [...Object.keys(releasesSchema.properties), 'extra']),
        fc
          .tuple(releasesFile(), mutated(validEntry, entryKeys))
          .map(([file, entry]) => ({ ...file, releases: [...file.releases, entry] })),
      ),
    },
  ];

  for (const { name, schema, values } of cases) {
    it(`${name}: whatever the quick check accepts, ajv accepts; the validator answers as ajv`, () => {
      const check = quick(schema);
      const ajv = reference(schema);
      const validate = compileSchema(schema);
      let quickYes = 0;
      let ajvYes = 0;
      fc.assert(
        fc.property(values, (value) => {
          const valid = ajv(value);
          if (check(value)) {
            quickYes++;
            expect(valid).toBe(true);
          }
          if (valid) ajvYes++;
          expect(validate(value)).toBe(valid);
          expect(validate.errors ?? null).toEqual(valid ? null : ajv.errors);
        }),
        { numRuns: 2000 },
      );
      // The generators reach both sides, and the quick path takes most valid values.
      expect(quickYes).toBeGreaterThan(200);
      expect(ajvYes - quickYes).toBeGreaterThanOrEqual(0);
      expect(ajvYes).toBeLessThan(2000);
    });
  }

  it('takes every line the ledger writes, however long, without ajv', () => {
    const check = quick(ledgerSchema);
    const long = record({
      state: 'failed',
      reason: 'r'.repeat(5000),
      error: { status: 400, code: 123456789, message: 'm'.repeat(5000) },
      delivered: Array.from({ length: 10_001 }, (_, i) => `${'x'.repeat(400)}${i}`),
    });
    expect(check(JSON.parse(serializeRecord(long)))).toBe(true);
    expect(check(JSON.parse(serializeRecord(record({ state: 'pending', sent: false }))))).toBe(
      true,
    );
  });

  it('leaves strings that fit in code points but not in UTF-16 units to ajv, which accepts them', () => {
    const value = record({ reason: '😀'.repeat(400) });
    expect(quick(ledgerSchema)(value)).toBe(false);
    expect(reference(ledgerSchema)(value)).toBe(true);
    expect(compileSchema(ledgerSchema)(value)).toBe(true);
  });

  it('refuses what the schema refuses even when a value was accepted just before', () => {
    const check = quick(ledgerSchema);
    expect(check(record())).toBe(true);
    expect(check(record({ account_id: ACCOUNT.toUpperCase() }))).toBe(false);
    expect(check(record())).toBe(true);
    expect(check({ ...record(), extra: 1 })).toBe(false);
    expect(check(Object.assign(Object.create({ injected: 1 }), record()))).toBe(false);
    expect(check({ ...record({ delivered: ['a'] }), delivered: Array(2) })).toBe(false);
  });

  it('has no quick check for a schema using a keyword it does not know', () => {
    for (const schema of [
      { type: 'string', format: 'email' },
      { type: ['string', 'null'] },
      { type: 'string', minLength: 1 },
      { type: 'object', additionalProperties: true },
      { $ref: 'https://example.com/other.json' },
      { properties: { a: { oneOf: [{ type: 'string' }] } } },
      { const: { a: 1 } },
      { $defs: { a: { type: 'string' } }, properties: { a: { $defs: {} } } },
    ]) {
      expect(quickAccept(schema), JSON.stringify(schema)).toBeUndefined();
    }
  });
});
