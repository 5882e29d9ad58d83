// Why an entry may not go, in words, and the order refusals are listed in. Pure.
import type { RefusalReason, Refused } from './plan.js';

/** Malicious mail first (it is what a reviewer must see), then in file order. */
export function compareRefusals(a: Refused, b: Refused): number {
  return refusalRank(a) - refusalRank(b) || a.item.request.index - b.item.request.index;
}

function refusalRank(r: Refused): number {
  return r.reason.kind === 'needs-acknowledgement' || r.reason.kind === 'acknowledgement-mismatch'
    ? 0
    : 1;
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
    case 'retry-not-allowed':
      return `retry refused: ${reason.why}`;
    case 'released-since':
      return `Cloudflare's action log shows ${reason.logged} release(s) but this ledger records ${reason.recorded}: released since the last attempt, outside this repository; not sent again`;
    case 'not-reviewed':
      return `not in the plan reviewed ${reason.where} (its disposition or attempt differs, or it was added later)`;
    case 'no-review':
      return `not reviewed: ${reason.why}`;
  }
}
