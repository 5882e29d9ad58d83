// Checks an explicit mailbox (a JSON array of SeedMessage, e.g. from `--messages FILE`) and
// turns it into message specs. Every problem is reported with its place, so a hand-written
// file can be fixed in one go.
import { isAccountId, queueIdOf } from '../core/ids.js';
import { isObject } from '../core/values.js';
import { idTime } from '../core/windows.js';
import type { MessageSpec } from './mailbox.js';
import { LONG_ID } from './mailbox.js';
import { DISPOSITIONS, type Disposition, type SeedMessage } from './types.js';

const KEYS = new Set([
  'account_id',
  'id',
  'to',
  'subject',
  'from',
  'from_name',
  'final_disposition',
  'scanned_at',
  'released',
]);
const MAX_MESSAGES = 500_000;
const MAX_RECIPIENTS = 100;
const MAX_TEXT = 2000;
const MAX_ERRORS = 20;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,255}$/;
const RFC3339 =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$/;

export type SeedMessagesResult =
  | { ok: true; messages: SeedMessage[] }
  | { ok: false; errors: string[] };

/** Validates `value` as a list of SeedMessage. Errors read `[3].to[0]: must be ...`. */
export function parseSeedMessages(value: unknown): SeedMessagesResult {
  if (!Array.isArray(value)) return { ok: false, errors: ['must be a JSON array of messages'] };
  if (value.length > MAX_MESSAGES) {
    return { ok: false, errors: [`has ${value.length} messages; at most ${MAX_MESSAGES}`] };
  }
  const errors: string[] = [];
  const seen = new Map<string, number>();
  const messages: SeedMessage[] = [];
  for (const [index, item] of value.entries()) {
    if (errors.length >= MAX_ERRORS) break;
    const at = `[${index}]`;
    const before = errors.length;
    const fail = (field: string, message: string) => errors.push(`${at}${field}: ${message}`);
    if (!isObject(item)) {
      fail('', 'must be an object');
      continue;
    }
    for (const key of Object.keys(item)) {
      if (!KEYS.has(key)) fail('', `unknown field ${JSON.stringify(key)}`);
    }
    if (item.account_id !== undefined && !isAccountId(item.account_id)) {
      fail('.account_id', 'must be 32 lowercase hexadecimal characters');
    }
    if (typeof item.id !== 'string' || item.id.length > 80 || !LONG_ID.test(item.id)) {
      fail('.id', 'must be a long message id like 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678');
    } else if (item.scanned_at === undefined && idTime(item.id) === undefined) {
      fail('.id', 'holds no valid date; fix it or give scanned_at');
    } else {
      const key = `${String(item.account_id ?? '')}/${queueIdOf(item.id)}`;
      const first = seen.get(key);
      if (first !== undefined) fail('.id', `same queue id as message [${first}]`);
      else seen.set(key, index);
    }
    if (!Array.isArray(item.to) || item.to.length === 0 || item.to.length > MAX_RECIPIENTS) {
      fail('.to', `must be a list of 1 to ${MAX_RECIPIENTS} e-mail addresses`);
    } else {
      for (const [i, r] of item.to.entries()) {
        if (typeof r !== 'string' || !EMAIL.test(r)) fail(`.to[${i}]`, 'must be an e-mail address');
      }
    }
    for (const field of ['subject', 'from', 'from_name'] as const) {
      const text = item[field];
      if (text !== undefined && (typeof text !== 'string' || text.length > MAX_TEXT)) {
        fail(`.${field}`, `must be a string of at most ${MAX_TEXT} characters`);
      }
    }
    const disposition = item.final_disposition;
    if (disposition !== undefined && !DISPOSITIONS.includes(disposition as Disposition)) {
      fail('.final_disposition', `must be one of ${DISPOSITIONS.join(', ')}`);
    }
    const scanned = item.scanned_at;
    if (
      scanned !== undefined &&
      (typeof scanned !== 'string' || !RFC3339.test(scanned) || Number.isNaN(Date.parse(scanned)))
    ) {
      fail('.scanned_at', 'must be an RFC 3339 date-time such as 2026-10-20T09:30:00Z');
    }
    if (item.released !== undefined && typeof item.released !== 'boolean') {
      fail('.released', 'must be true or false');
    }
    if (errors.length === before) messages.push(item as unknown as SeedMessage);
  }
  if (errors.length >= MAX_ERRORS) errors.push('(more errors not shown)');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, messages };
}

/** The accounts an explicit mailbox needs: those its messages name, else the default one. */
export function accountsOf(messages: readonly SeedMessage[], fallback: string): string[] {
  const accounts = new Set<string>();
  for (const m of messages) accounts.add(m.account_id ?? fallback);
  return accounts.size > 0 ? [...accounts] : [fallback];
}

/** A checked SeedMessage as a spec; messages without an account go to `defaultAccount`. */
export function specOf(message: SeedMessage, defaultAccount: string): MessageSpec {
  const stamp = LONG_ID.exec(message.id)?.[1] as string;
  const from = message.from ?? 'sender@unknown.example.net';
  return {
    account_id: message.account_id ?? defaultAccount,
    id: message.id,
    to: [...message.to],
    subject: message.subject ?? '(no subject)',
    from,
    from_name: message.from_name ?? from,
    final_disposition: message.final_disposition ?? 'SPAM',
    scanned_at: message.scanned_at ?? `${stamp}Z`,
    released: message.released ?? false,
  };
}
