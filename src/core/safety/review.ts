// Reviewing a plan against what Cloudflare says about each message, before anything is
// sent. Pure. A message is released only when it is known to exist, to still be in
// quarantine, and its disposition is not one that needs an acknowledgement, or the entry
// acknowledges exactly that disposition. Anything that cannot be established is refused.
import { createHash } from 'node:crypto';
import { messageKey } from '../ids.js';
import type { AccountPlan, Plan, RefusalReason, Refused, ToRelease } from '../plan/plan.js';
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

export type { RefusalReason, Refused } from '../plan/plan.js';

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
      return { ...account, to_release: allowed, refused, checked: true };
    }),
  };
}

function rank(r: Refused): number {
  return r.reason.kind === 'needs-acknowledgement' || r.reason.kind === 'acknowledgement-mismatch'
    ? 0
    : 1;
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
): { refusal?: RefusalReason } {
  if (inspection.kind === 'unchecked')
    return { refusal: { kind: 'unchecked', reason: inspection.reason } };
  if (inspection.kind === 'not-found') return { refusal: { kind: 'not-found' } };
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
        refusal: {
          kind: 'unchecked',
          reason:
            'its action log was not read, so a release since the last attempt cannot be ruled out',
        },
      };
    if (logged > item.priorActs)
      return { refusal: { kind: 'released-since', logged, recorded: item.priorActs } };
    if (logged < item.priorActs)
      return {
        refusal: {
          kind: 'unchecked',
          reason: `its action log shows ${logged} release(s) but this ledger records ${item.priorActs}`,
        },
      };
    // Nothing reached anyone yet: it must still be held.
    if (item.priorActs === 0 && !m.quarantined)
      return { refusal: { kind: 'not-quarantined', releasedElsewhere: false } };
  } else if (!m.quarantined || m.releaseRecorded) {
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

export type FingerprintBasis = 'ids' | 'dispositions';

/** The basis a plan's fingerprint has: dispositions once it was reviewed against Cloudflare. */
export function basisOf(account: AccountPlan): FingerprintBasis {
  return account.checked ? 'dispositions' : 'ids';
}

function entryLine(item: ToRelease, basis: FingerprintBasis): string {
  return [
    item.request.id,
    item.attempt,
    basis === 'dispositions' ? (item.message?.disposition ?? '?') : '',
  ].join('\t');
}

/**
 * A hash of what an account's plan would release: ids and attempts, and with basis
 * 'dispositions' each message's disposition too. The basis is part of the hashed text, so
 * fingerprints of the two bases never collide. A reviewed plan's fingerprint travels in the
 * pull-request comment (or is passed to the CLI); apply recomputes it and refuses a
 * different plan.
 */
export function planFingerprint(account: AccountPlan, basis: FingerprintBasis): string {
  const lines = account.to_release.map((i) => entryLine(i, basis)).sort();
  return createHash('sha256')
    .update(`v1\n${basis}\n${account.account_id}\n${lines.join('\n')}`)
    .digest('hex')
    .slice(0, 32);
}

/** Characters of one entry digest: 48 bits in base64url (as many as 12 hex characters). */
export const ENTRY_DIGEST_CHARS = 8;
/** Plans with more entries carry only the whole-plan fingerprint (the comment must stay small). */
export const MAX_ENTRY_DIGESTS = 2000;

/**
 * A short hash of one entry of a plan (id, attempt, and with basis 'dispositions' the
 * disposition), so apply can release the reviewed entries of a plan that has grown since.
 * 48 bits: a chance collision among 2,000 reviewed entries is about 1 in 10^11.
 */
export function entryDigest(account_id: string, item: ToRelease, basis: FingerprintBasis): string {
  return createHash('sha256')
    .update(`e1\n${basis}\n${account_id}\n${entryLine(item, basis)}`)
    .digest()
    .subarray(0, 6)
    .toString('base64url');
}

/** The digest of every entry the plan would release, or undefined when there are too many. */
export function planEntryDigests(
  account: AccountPlan,
  basis: FingerprintBasis,
): string[] | undefined {
  if (account.to_release.length > MAX_ENTRY_DIGESTS) return undefined;
  return account.to_release.map((i) => entryDigest(account.account_id, i, basis)).sort();
}

/** What a person reviewed for one account. */
export interface ReviewedPlan {
  fingerprint: string;
  /** Undefined: either basis matches (a fingerprint given to the CLI, printed by plan). */
  basis?: FingerprintBasis;
  /** Digests of each reviewed entry (see entryDigest), when the plan was small enough. */
  entries?: ReadonlySet<string>;
}

/** True when the account's plan is exactly the reviewed one (under its basis, or either). */
export function matchesFingerprint(account: AccountPlan, reviewed: ReviewedPlan): boolean {
  const bases: FingerprintBasis[] = reviewed.basis ? [reviewed.basis] : ['dispositions', 'ids'];
  return bases.some((b) => planFingerprint(account, b) === reviewed.fingerprint);
}

/** What people reviewed, as far as a run may release it. */
export interface ReviewGate {
  /** Why no new entry may go at all (no pull request, approvals missing); unset when they may. */
  closed?: string;
  /** Per account (or `*`, the plan's only account): the plan a person reviewed. */
  expected?: ReadonlyMap<string, ReviewedPlan>;
  /** Where the expected plans were reviewed, for messages (e.g. "on PR #12"). */
  reviewedOn?: string;
  /**
   * True (the default): an account without a reviewed plan releases nothing new. False: what
   * the file says is released (an explicit opt-out).
   */
  requirePlan: boolean;
  /** Why an account has no reviewed plan, when known (e.g. its comment was edited by someone). */
  missing?: ReadonlyMap<string, string>;
  /** Added to the reason of an account with no reviewed plan and no known cause. */
  missingNote?: string;
}

/**
 * Keeps to release only what was reviewed: with entry digests, the entries the reviewed plan
 * had (same id, attempt and, with basis 'dispositions', disposition); with none and a plan
 * required, nothing new. An attempt being resumed (recorded pending before, by a run that
 * passed its own review, and provably never sent) goes on whatever this run's review says.
 * Plans reviewed by fingerprint only are held as a whole by the caller (matchesFingerprint).
 */
export function holdToReview(account: AccountPlan, gate: ReviewGate): AccountPlan {
  const expected = gate.expected?.get(account.account_id) ?? gate.expected?.get('*');
  if (gate.closed === undefined && expected && !expected.entries) return account;
  if (gate.closed === undefined && !expected && !gate.requirePlan) return account;
  const basis = expected?.basis ?? 'dispositions';
  const where = gate.reviewedOn ?? 'before';
  const allowed: ToRelease[] = [];
  const refused: Refused[] = [...(account.refused ?? [])];
  for (const item of account.to_release) {
    let reason: RefusalReason | undefined;
    if (item.resume) reason = undefined;
    else if (gate.closed !== undefined) reason = { kind: 'no-review', why: gate.closed };
    else if (expected?.entries) {
      if (!expected.entries.has(entryDigest(account.account_id, item, basis)))
        reason = { kind: 'not-reviewed', where };
    } else
      reason = {
        kind: 'no-review',
        why:
          gate.missing?.get(account.account_id) ??
          `no plan for account ${account.account_id} was reviewed ${where}${gate.missingNote ? ` (${gate.missingNote})` : ''}`,
      };
    if (reason === undefined) allowed.push(item);
    else refused.push({ item, reason, ...(item.message ? { message: item.message } : {}) });
  }
  refused.sort((a, b) => rank(a) - rank(b) || a.item.request.index - b.item.request.index);
  return { ...account, to_release: allowed, refused };
}
