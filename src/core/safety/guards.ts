// The checks a run makes as a whole, once each message has been checked: too many releases,
// or a plan other than the one a person reviewed (when it was reviewed by its fingerprint
// only). Pure: the reason nothing may be released, or undefined.
import type { Plan } from '../plan/plan.js';
import { matchesFingerprint, planFingerprint, type ReviewGate } from './review.js';

export interface RunLimits {
  /** More releases than this in one run are refused unless `force`. */
  maxReleases: number;
  force: boolean;
  gate: ReviewGate;
}

export function runGuard(plan: Plan, limits: RunLimits): string | undefined {
  const total = plan.accounts.reduce((n, a) => n + a.to_release.length, 0);
  if (total > limits.maxReleases && !limits.force)
    return `${total} messages would be released, more than the limit of ${limits.maxReleases} per run: nothing was released. Check the plan, then raise the limit or force it`;
  const { gate } = limits;
  if (gate.expected?.has('*') && plan.accounts.length > 1)
    return 'a fingerprint without an account needs a plan with a single account: name the account (ACCOUNT:FINGERPRINT)';
  for (const account of plan.accounts) {
    const expected = gate.expected?.get(account.account_id) ?? gate.expected?.get('*');
    // Held entry by entry already (holdToReview); nothing to release, nothing to hold.
    if (!expected || expected.entries || account.to_release.length === 0) continue;
    if (!matchesFingerprint(account, expected)) {
      const actual = planFingerprint(account, expected.basis ?? 'dispositions');
      const reviewed = gate.reviewedOn
        ? `the one reviewed ${gate.reviewedOn}`
        : 'the plan whose fingerprint was given';
      const next = gate.reviewedOn
        ? 'Open a pull request so that the plan as it is now is reviewed and approved: its merge releases it'
        : 'Review the new plan, then run again with its fingerprint';
      return `the plan for account ${account.account_id} differs from ${reviewed} (fingerprint ${actual.slice(0, 12)} instead of ${expected.fingerprint.slice(0, 12)}): nothing was released. ${next}`;
    }
  }
  return undefined;
}
