import fc from 'fast-check';
import { LEDGER_STATES, type LedgerRecord } from '../../src/core/ledger/record.js';
import { ACCOUNT, messageId, OTHER_ACCOUNT, record } from './factories.js';

/** The type of the values an arbitrary generates. */
export type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/**
 * Ledger records of a few messages, accounts and attempts, from October to December 2026,
 * in any state (pending ones sometimes `sent: false`), with colliding seqs and times: the
 * cases where grouping them into release attempts could depend on their order.
 */
export const arbAttemptRecord: fc.Arbitrary<LedgerRecord> = fc
  .record({
    idn: fc.integer({ min: 1, max: 5 }),
    account: fc.constantFrom(ACCOUNT, OTHER_ACCOUNT),
    seq: fc.integer({ min: 1, max: 5 }),
    attempt: fc.integer({ min: 1, max: 2 }),
    state: fc.constantFrom(...LEDGER_STATES),
    sent: fc.boolean(),
    month: fc.integer({ min: 10, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    minute: fc.integer({ min: 0, max: 2 }),
    requester: fc.constantFrom('alice', 'bob', undefined),
    reason: fc.constantFrom('vendor', '=HYPERLINK("x")', 'a\nb', undefined),
    delivered: fc.integer({ min: 0, max: 2 }),
  })
  .map((a) =>
    record({
      account_id: a.account,
      id: messageId(a.idn),
      seq: a.seq,
      attempt: a.attempt,
      state: a.state,
      at: `2026-${a.month}-${String(a.day).padStart(2, '0')}T10:0${a.minute}:00.000Z`,
      ...(a.state === 'pending' && !a.sent ? { sent: false } : {}),
      ...(a.requester ? { requested_by: a.requester } : {}),
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.state === 'released'
        ? { delivered: Array.from({ length: a.delivered }, (_, i) => `r${i}@example.com`) }
        : {}),
    }),
  );
