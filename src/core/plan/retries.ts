// Which `retry: N` entries the ledger allows. Pure.
//
// A retry asks for a message to be sent once more, so it must never serve to send a message
// this repository never sent: attempt N goes only when the ledger's latest attempt of that id
// is N-1 and ended partial or failed (or is still being resolved: pending or unknown, which
// apply reads back first). Then Cloudflare's action log must agree (core/safety/review).
import type { MessageHistory } from '../ledger/state.js';
import type { ReleaseRequest } from '../requests/load.js';

/**
 * Why the ledger does not allow this entry's `retry`, or undefined when it does (or the entry
 * asks for no retry). Only what would send an attempt the ledger cannot justify is refused:
 * a retry of a message this ledger never sent, or one that skips attempts. A retry whose
 * earlier attempt released the message, or that was already made, sends nothing anyway.
 */
export function retryProblem(
  request: ReleaseRequest,
  history: Pick<MessageHistory, 'attempt' | 'state'> | undefined,
): string | undefined {
  const n = request.retry;
  if (n === undefined) return undefined;
  const rule = `retry: ${n} sends attempt ${n} of a message whose attempt ${n - 1} this ledger records as partial or failed`;
  if (history === undefined)
    return `the ledger has no earlier attempt of this message in account ${request.account_id}; ${rule}. Remove \`retry\` to ask for a first release`;
  const { attempt, state } = history;
  // Released to everyone (by whichever attempt): nothing is sent, whatever the retry says.
  if (state === 'released') return undefined;
  if (attempt < n - 1)
    return `the ledger's latest attempt of this message is ${attempt} (${state}); the next retry is \`retry: ${attempt + 1}\``;
  return undefined;
}
