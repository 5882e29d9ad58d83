import { describe, expect, it } from 'vitest';
import { closest } from '../../src/core/suggest.js';

const KEYS = ['id', 'reason', 'ticket', 'requested_by', 'account_id', 'retry', 'acknowledge'];

describe('closest', () => {
  it.each([
    ['acount_id', 'account_id'],
    ['reasn', 'reason'],
    ['raeson', 'reason'],
    ['tiket', 'ticket'],
    ['Reason', 'reason'],
    ['requested-by', 'requested_by'],
    ['requestedby', 'requested_by'],
    ['acknowlege', 'acknowledge'],
    ['retyr', 'retry'],
    ['ids', 'id'],
  ])('%s: did you mean %s', (typed, meant) => {
    expect(closest(typed, KEYS)).toBe(meant);
  });

  it.each(['reviewer', 'color', 'x', 'retries', 'account', 'requester'])(
    '%s: nothing close enough',
    (typed) => {
      expect(closest(typed, KEYS)).toBeUndefined();
    },
  );

  it('allows one edit in a short word and two in a longer one', () => {
    expect(closest('rsn', ['reason'])).toBeUndefined();
    expect(closest('resn', ['reason'])).toBeUndefined();
    expect(closest('acont_id', ['account_id'])).toBe('account_id');
    expect(closest('acnt_id', ['account_id'])).toBeUndefined();
  });
});
