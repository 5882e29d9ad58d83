// Reviewing a plan against what Cloudflare says about each message, before anything is
// sent. Pure. A message is released only when it is known to exist, to still be in
// quarantine, and its disposition is not one that needs an acknowledgement, or the entry
// acknowledges exactly that disposition. Anything that cannot be established is refused.
import { createHash } from 'node:crypto';
import { messageKey } from '../ids.js';
import type { AccountPlan, Plan, ToRelease } from '../plan/plan.js';
import type { MessageView } from '../release/readback.js';

/** What a lookup established about one message. */
export type Inspection =
  | { kind: 'found'; message: MessageView }
  | { kind: 'not-found' }
  /** Not looked up, or the lookup failed: the disposition is unknown. */
  | { kind: 'unchecked'; reason: string };

/** Dispositions that need `acknowledge: <disposition>` on the entry, by default. */
export const DEFAULT_GUARDED_DISPOSITIONS = ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'] as const;

export type RefusalReason =
  | { kind: 'not-found' }
  | { kind: 'not-quarantined'; releasedElsewhere: boolean }
  | { kind: 'needs-acknowledgement'; disposition: string }
  | { kind: 'acknowledgement-mismatch'; disposition: string; acknowledged: string }
  | { kind: 'unchecked'; reason: string };

export interface Refused {
  item: ToRelease;
  reason: RefusalReason;
  message?: MessageView;
}

export interface ReviewOptions {
  guarded: readonly string[];
}

/**
 * The plan with each message to release looked at: `to_release` keeps what may be sent (with
 * its details), `refused` lists what may not and why, guarded dispositions first.
 */
export function reviewPlan(
  plan: Plan,
  inspections: ReadonlyMap<string, Inspection>,
  options: ReviewOptions,
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
        const verdict = judge(item, inspection, guarded);
        if (verdict.refusal) {
          const r: Refused = { item, reason: verdict.refusal };
          if (inspection.kind === 'found') r.message = inspection.message;
          refused.push(r);
        } else
          allowed.push({
            ...item,
            ...(inspection.kind === 'found' ? { message: inspection.message } : {}),
          });
      }
      // Malicious mail first: it is what a reviewer must see.
      refused.sort((a, b) => rank(a) - rank(b) || a.item.request.index - b.item.request.index);
      return { ...account, to_release: allowed, refused };
    }),
  };
}

function rank(r: Refused): number {
  return r.reason.kind === 'needs-acknowledgement' || r.reason.kind === 'acknowledgement-mismatch'
    ? 0
    : 1;
}

function judge(
  item: ToRelease,
  inspection: Inspection,
  guarded: ReadonlySet<string>,
): { refusal?: RefusalReason } {
  if (inspection.kind === 'unchecked')
    return { refusal: { kind: 'unchecked', reason: inspection.reason } };
  if (inspection.kind === 'not-found') return { refusal: { kind: 'not-found' } };
  const m = inspection.message;
  // A retry (attempt 2 or more, only ever asked by `retry:`) asks again for a message this
  // repository already released in part: a recorded release (ours) or leaving quarantine is
  // expected then, not a reason to refuse. That holds when the retry itself was interrupted
  // and resumed too, whatever the previous record says.
  const retry =
    item.attempt > 1 || item.previous?.state === 'partial' || item.previous?.state === 'failed';
  if (!retry && (!m.quarantined || m.releaseRecorded)) {
    return { refusal: { kind: 'not-quarantined', releasedElsewhere: m.releaseRecorded } };
  }
  const disposition = m.disposition;
  if (disposition === undefined)
    return { refusal: { kind: 'unchecked', reason: 'the answer has no disposition' } };
  if (guarded.has(disposition)) {
    const ack = item.request.acknowledge;
    if (ack === undefined) return { refusal: { kind: 'needs-acknowledgement', disposition } };
    if (ack !== disposition)
      return { refusal: { kind: 'acknowledgement-mismatch', disposition, acknowledged: ack } };
  }
  return {};
}

/** Short, human reason for a refusal (callers escape it for their medium). */
export function refusalText(reason: RefusalReason): string {
  switch (reason.kind) {
    case 'not-found':
      return 'no such message in this account';
    case 'not-quarantined':
      return reason.releasedElsewhere
        ? 'already released outside this repository'
        : 'no longer in quarantine';
    case 'needs-acknowledgement':
      return `final disposition ${reason.disposition}: add \`acknowledge: ${reason.disposition}\` to the entry, with a reason, to release it`;
    case 'acknowledgement-mismatch':
      return `final disposition ${reason.disposition}, but the entry acknowledges ${reason.acknowledged}`;
    case 'unchecked':
      return `disposition not established (${reason.reason}): refused until it can be checked`;
  }
}

export type FingerprintBasis = 'ids' | 'dispositions';

/**
 * A hash of what an account's plan would release: ids and attempts, and with basis
 * 'dispositions' each message's disposition too. A reviewed plan's fingerprint travels in
 * the pull-request comment; apply recomputes it and refuses to release a different plan.
 */
export function planFingerprint(account: AccountPlan, basis: FingerprintBasis): string {
  const lines = account.to_release
    .map((i) =>
      [
        i.request.id,
        i.attempt,
        basis === 'dispositions' ? (i.message?.disposition ?? '?') : '',
      ].join('\t'),
    )
    .sort();
  return createHash('sha256')
    .update(`v1\n${basis}\n${account.account_id}\n${lines.join('\n')}`)
    .digest('hex')
    .slice(0, 32);
}
