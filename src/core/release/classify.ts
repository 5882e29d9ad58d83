// What one release request did to each message it named. Pure.
//
// The release endpoint has no idempotency key, so an answer is trusted only as far as it
// proves something: a 4xx proves nothing was done (failed), a 429 proves nothing was done
// (not sent), a well-formed 200 names what was delivered; anything else (timeouts, resets,
// 5xx, malformed bodies, success:false, an id missing from the result) is unknown, to be
// resolved later by reading the message back. Never guessed.
import { queueIdOf } from '../ids.js';
import type { RecordError } from '../ledger/record.js';
import { definedOnly, isObject } from '../values.js';

/**
 * The release body: `ids` is the current form, `{"ids": [...]}` (API description of October
 * 2026, SDK cloudflare@7.3.0); `array` the earlier bare array (up to 7.2.0).
 */
export type ReleaseBodyForm = 'ids' | 'array';

/** What came back from one POST, as the HTTP layer saw it. */
export type ReleaseAnswer =
  | {
      kind: 'response';
      status: number;
      /** Parsed JSON body; undefined when the body was not JSON. */
      body: unknown;
      retryAfterSeconds?: number;
    }
  | {
      kind: 'no-response';
      /**
       * Whether the request may have reached the server. False only when the connection
       * was never established (refused, DNS, connect timeout): then nothing was sent.
       */
      maybeSent: boolean;
      message: string;
    };

export type ReleasedState = 'released' | 'partial' | 'failed' | 'unknown';

export interface IdOutcome {
  id: string;
  state: ReleasedState;
  delivered?: string[];
  failed?: string[];
  undelivered?: string[];
  error?: RecordError;
}

export type BatchOutcome =
  /** Each id's outcome. `stop` asks the run to start no further batch (e.g. bad credentials). */
  | { kind: 'outcomes'; outcomes: IdOutcome[]; stop?: string }
  /** Provably nothing was done: the ids stay pending and may be sent later without read-back. */
  | { kind: 'not-sent'; reason: string; retryAfterSeconds?: number };

interface ResultItem {
  id?: unknown;
  postfix_id?: unknown;
  delivered?: unknown;
  failed?: unknown;
  undelivered?: unknown;
}

export function classifyRelease(sent: readonly string[], answer: ReleaseAnswer): BatchOutcome {
  const all = (
    state: ReleasedState,
    error: RecordError,
  ): Extract<BatchOutcome, { kind: 'outcomes' }> => ({
    kind: 'outcomes',
    outcomes: sent.map((id) => ({ id, state, error })),
  });

  if (answer.kind === 'no-response') {
    if (!answer.maybeSent) return { kind: 'not-sent', reason: `not sent: ${answer.message}` };
    return all('unknown', { message: `no answer: ${answer.message}` });
  }

  const { status, body } = answer;
  const detail = envelopeError(body);
  if (status === 429) {
    return {
      kind: 'not-sent',
      reason: `rate limited (HTTP 429${detail ? `: ${detail.message}` : ''})`,
      ...(answer.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: answer.retryAfterSeconds }
        : {}),
    };
  }
  if (status >= 400 && status < 500) {
    const outcome = all('failed', {
      status,
      message: detail?.message ?? `HTTP ${status}`,
      ...definedOnly({ code: detail?.code }),
    });
    // Credentials and permissions do not fix themselves mid-run: stop before the next batch.
    if (refusesCredentials(status, body))
      outcome.stop = `the API refused the credentials (HTTP ${status}${detail?.code !== undefined ? `, code ${detail.code}` : ''})`;
    return outcome;
  }
  if (status < 200 || status >= 300) {
    return all('unknown', {
      status,
      message: detail?.message ?? `HTTP ${status}: the server may have acted`,
    });
  }

  if (!isObject(body) || typeof body.success !== 'boolean') {
    return all('unknown', { status, message: 'the answer is not the expected JSON envelope' });
  }
  if (body.success !== true) {
    return all('unknown', {
      status,
      message: detail ? `success: false: ${detail.message}` : 'success: false without detail',
      ...definedOnly({ code: detail?.code }),
    });
  }
  if (!Array.isArray(body.result)) {
    return all('unknown', { status, message: 'the answer has no result list' });
  }

  const byId = new Map<string, ResultItem>();
  const byPostfix = new Map<string, ResultItem>();
  // A bare queue id sent may come back as the message's long id: match on the queue id,
  // unless two answers share it (then it is not known which one is ours).
  const byQueue = new Map<string, ResultItem | 'ambiguous'>();
  for (const item of body.result as unknown[]) {
    if (!isObject(item)) continue;
    if (typeof item.id === 'string') {
      if (!byId.has(item.id)) byId.set(item.id, item);
      const q = queueIdOf(item.id);
      byQueue.set(q, byQueue.has(q) ? 'ambiguous' : item);
    } else if (
      item.id === undefined &&
      typeof item.postfix_id === 'string' &&
      !byPostfix.has(item.postfix_id)
    ) {
      // `postfix_id` is deprecated; read it only when `id` is absent.
      byPostfix.set(item.postfix_id, item);
    }
  }
  const bareMatch = (id: string): ResultItem | undefined => {
    if (id.includes('-')) return undefined;
    const item = byQueue.get(id);
    return item === 'ambiguous' ? undefined : item;
  };

  return {
    kind: 'outcomes',
    outcomes: sent.map((id): IdOutcome => {
      const item =
        byId.get(id) ?? bareMatch(id) ?? byPostfix.get(id) ?? byPostfix.get(queueIdOf(id));
      if (item === undefined)
        return { id, state: 'unknown', error: { status, message: 'not in the answer' } };
      const delivered = recipients(item.delivered);
      const failed = recipients(item.failed);
      const undelivered = recipients(item.undelivered);
      if (delivered === 'invalid' || failed === 'invalid' || undelivered === 'invalid') {
        return {
          id,
          state: 'unknown',
          error: { status, message: 'recipient lists in the answer are malformed' },
        };
      }
      const outcome: IdOutcome = {
        id,
        state: (failed?.length ?? 0) + (undelivered?.length ?? 0) > 0 ? 'partial' : 'released',
      };
      if (delivered) outcome.delivered = delivered;
      if (failed) outcome.failed = failed;
      if (undelivered) outcome.undelivered = undelivered;
      return outcome;
    }),
  };
}

/** A recipient list: absent and null both mean "not reported". */
function recipients(value: unknown): string[] | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return 'invalid';
  return value as string[];
}

/**
 * Cloudflare's codes for credentials it refuses, whatever the status (a malformed
 * Authorization header is a 400 with 6003 and 6111 in its chain).
 */
export const AUTH_ERROR_CODES: ReadonlySet<number> = new Set([6003, 6111, 9103, 9106, 9109, 10000]);

/**
 * A 400 whose error is about the shape of the body (not the credentials): the API refused the
 * request before doing anything, so the same ids may be sent once more in the other body form.
 * An assumption (the real API's codes are undocumented): the message names the body, its JSON,
 * an array or the ids.
 */
export function rejectsReleaseBody(answer: ReleaseAnswer): boolean {
  if (answer.kind !== 'response' || answer.status !== 400) return false;
  const errors = errorsOf(answer.body);
  if (errors.length === 0) return false;
  if (errors.some((e) => isAuthCode(e.code))) return false;
  return errors.some((e) => /\b(body|json|array|ids)\b/i.test(e.message));
}

/**
 * Whether an answer refuses the credentials: 401 or 403, or any status with an auth code (a
 * malformed token is a 400 with 6003 and 6111). Nothing else of the run can succeed then.
 */
export function refusesCredentials(status: number, body: unknown): boolean {
  return status === 401 || status === 403 || errorsOf(body).some((e) => isAuthCode(e.code));
}

function isAuthCode(code: number | undefined): boolean {
  return code !== undefined && AUTH_ERROR_CODES.has(code);
}

/** Every error of a Cloudflare envelope, nested chains included. */
function errorsOf(body: unknown): { code?: number; message: string }[] {
  if (!isObject(body) || !Array.isArray(body.errors)) return [];
  const out: { code?: number; message: string }[] = [];
  const walk = (list: unknown[], depth: number) => {
    for (const e of list) {
      if (!isObject(e)) continue;
      out.push({
        ...(typeof e.code === 'number' ? { code: e.code } : {}),
        message: typeof e.message === 'string' ? e.message : '',
      });
      if (depth < 4 && Array.isArray(e.error_chain)) walk(e.error_chain, depth + 1);
    }
  };
  walk(body.errors, 0);
  return out;
}

/** The first error of a Cloudflare envelope, if the body is one. */
export function envelopeError(body: unknown): { code?: number; message: string } | undefined {
  if (!isObject(body) || !Array.isArray(body.errors)) return undefined;
  const first = body.errors[0] as unknown;
  if (!isObject(first)) return undefined;
  const message = typeof first.message === 'string' ? first.message : 'error without message';
  return typeof first.code === 'number' ? { code: first.code, message } : { message };
}
