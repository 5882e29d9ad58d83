// Screening a plan: holding each message to what Cloudflare says about it, at plan time and
// again before anything is sent (not to be confused with the human review of the plan,
// review.ts). Pure. A message is released only when it is known to exist, to still be in
// quarantine, and its disposition is not one that needs an acknowledgement, or the entry
// acknowledges exactly that disposition. Anything that cannot be established is refused.
import { messageKey } from '../ids.js';
import type { AccountPlan, Plan, RefusalReason, Refused, ToRelease } from '../plan/plan.js';
import { compareRefusals } from '../plan/refusals.js';
import type { MessageView } from '../release/readback.js';

/** What a lookup established about one message. */
export type Inspection =
  | {
      kind: 'found';
      message: MessageView;
      /**
       * Releases in the message's action log, when it was read (for retries): more than the
       * ledger's own acts means it was released since the attempt being retried.
       */
      releases?: number;
    }
  | { kind: 'not-found' }
  /** Not looked up, or the lookup failed: the disposition is unknown. */
  | { kind: 'unchecked'; reason: string };

/** Dispositions that need `acknowledge: <disposition>` on the entry, by default. */
export const DEFAULT_GUARDED_DISPOSITIONS = ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'] as const;

/** Every final disposition Cloudflare reports. */
export const DISPOSITIONS = [
  'MALICIOUS',
  'MALICIOUS-BEC',
  'SUSPICIOUS',
  'SPOOF',
  'SPAM',
  'BULK',
  'ENCRYPTED',
  'EXTERNAL',
  'UNKNOWN',
  'NONE',
] as const;

/**
 * What an entry's `acknowledge` may name (the releases schema's enum). Only these can be
 * guarded: guarding any other disposition would make its messages impossible to release.
 */
export const ACKNOWLEDGEABLE_DISPOSITIONS = [
  'MALICIOUS',
  'MALICIOUS-BEC',
  'SPOOF',
  'SUSPICIOUS',
] as const;

/**
 * Checks a list of guarded dispositions (already upper-cased). Returns what is wrong with it,
 * phrased to follow the option's name ("--require-ack must include ..."), or undefined.
 */
export function guardedListProblem(list: readonly string[]): string | undefined {
  const known: readonly string[] = DISPOSITIONS;
  const ackable: readonly string[] = ACKNOWLEDGEABLE_DISPOSITIONS;
  const allowed = ACKNOWLEDGEABLE_DISPOSITIONS.join(', ');
  if (!list.includes('MALICIOUS') || !list.includes('MALICIOUS-BEC'))
    return 'must include MALICIOUS and MALICIOUS-BEC';
  for (const d of list) {
    if (!known.includes(d))
      return `names an unknown disposition ${JSON.stringify(d.slice(0, 30))} (allowed: ${allowed})`;
    if (!ackable.includes(d))
      return `names ${d}, which no entry can acknowledge, so its messages could never be released (allowed: ${allowed})`;
  }
  return undefined;
}

export interface ScreenOptions {
  guarded: readonly string[];
}

/**
 * The plan with each message to release looked at: `to_release` keeps what may be sent (with
 * its details), `refused` lists what may not and why, guarded dispositions first.
 */
export function screenPlan(
  plan: Plan,
  inspections: ReadonlyMap<string, Inspection>,
  options: ScreenOptions,
): Plan {
  const guarded = new Set(options.guarded);
  return {
    accounts: plan.accounts.map((account): AccountPlan => {
      const allowed: ToRelease[] = [];
      const refused: Refused[] = [...(account.refused ?? [])];
      for (const item of account.to_release) {
        const inspection = inspections.get(messageKey(account.account_id, item.request.id)) ?? {
          kind: 'unchecked' as const,
          reason: 'not looked up',
        };
        const reason = judge(item, inspection, guarded);
        const details = inspection.kind === 'found' ? { message: inspection.message } : {};
        if (reason) refused.push({ item, reason, ...details });
        else allowed.push({ ...item, ...details });
      }
      refused.sort(compareRefusals);
      return { ...account, to_release: allowed, refused, checked: true };
    }),
  };
}

/** Whether an item asks again for a message this repository already sent (see judge). */
export function isRetry(item: ToRelease): boolean {
  return (
    item.attempt > 1 || item.previous?.state === 'partial' || item.previous?.state === 'failed'
  );
}

/** The messages (messageKey) of a plan whose action log its review needs: the retries. */
export function retriesOf(plan: Plan): Set<string> {
  const keys = new Set<string>();
  for (const a of plan.accounts)
    for (const item of a.to_release)
      if (isRetry(item)) keys.add(messageKey(a.account_id, item.request.id));
  return keys;
}

function judge(
  item: ToRelease,
  inspection: Inspection,
  guarded: ReadonlySet<string>,
): RefusalReason | undefined {
  if (inspection.kind === 'unchecked') return { kind: 'unchecked', reason: inspection.reason };
  if (inspection.kind === 'not-found') return { kind: 'not-found' };
  const m = inspection.message;
  // A retry (attempt 2 or more, only ever asked by `retry:`, which the ledger must allow) asks
  // again for a message this repository already sent: a recorded release (ours) or leaving
  // quarantine is expected then. What must not be is a release the ledger does not know of:
  // the action log must show exactly the releases the ledger records. That holds when the
  // retry itself was interrupted and resumed too, whatever the previous record says.
  if (isRetry(item)) {
    const logged = inspection.releases;
    if (logged === undefined)
      return {
        kind: 'unchecked',
        reason:
          'its action log was not read, so a release since the last attempt cannot be ruled out',
      };
    if (logged > item.priorActs)
      return { kind: 'released-since', logged, recorded: item.priorActs };
    if (logged < item.priorActs)
      return {
        kind: 'unchecked',
        reason: `its action log shows ${logged} release(s) but this ledger records ${item.priorActs}`,
      };
    // Nothing reached anyone yet: it must still be held.
    if (item.priorActs === 0 && !m.quarantined)
      return { kind: 'not-quarantined', releasedElsewhere: false };
  } else if (!m.quarantined || m.releaseRecorded) {
    return { kind: 'not-quarantined', releasedElsewhere: m.releaseRecorded };
  }
  const disposition = m.disposition;
  if (disposition === undefined)
    return { kind: 'unchecked', reason: 'the answer has no disposition' };
  if (guarded.has(disposition)) {
    const ack = item.request.acknowledge;
    if (ack === undefined) return { kind: 'needs-acknowledgement', disposition };
    if (ack !== disposition)
      return { kind: 'acknowledgement-mismatch', disposition, acknowledged: ack };
  }
  return undefined;
}
