// The human review of a plan: what a person saw (a fingerprint of the plan, a digest of each
// entry, carried in the pull request comment's marker) and holding a run to it. Not to be
// confused with screening each message against Cloudflare (screen.ts). Pure.
import { createHash } from 'node:crypto';
import type { AccountPlan, RefusalReason, Refused, ToRelease } from '../plan/plan.js';
import { compareRefusals } from '../plan/refusals.js';

export type FingerprintBasis = 'ids' | 'dispositions';

/** The basis a plan's fingerprint has: dispositions once it was screened with Cloudflare. */
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
  return shortDigest(`e1\n${basis}\n${account_id}\n${entryLine(item, basis)}`);
}

/** The first 48 bits of the text's sha256, in base64url (ENTRY_DIGEST_CHARS characters). */
function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 6).toString('base64url');
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
  /**
   * How many messages of each search (searchDigest) the reviewed plan would release: apply
   * says how many of them its own search no longer finds.
   */
  searches?: ReadonlyMap<string, number>;
}

/** Plans with more searches carry no per-search counts (the marker must stay small). */
export const MAX_SEARCH_COUNTS = 100;

/** A short hash naming one search of an account (its canonical text), as entryDigest does. */
export function searchDigest(account_id: string, text: string): string {
  return shortDigest(`s1\n${account_id}\n${text}`);
}

/** How many messages each resolved search of the plan would release, by searchDigest. */
export function planSearchCounts(account: AccountPlan): Map<string, number> | undefined {
  const resolved = (account.searches ?? []).filter((o) => o.status.kind === 'resolved');
  if (resolved.length === 0 || resolved.length > MAX_SEARCH_COUNTS) return undefined;
  const counts = new Map(resolved.map((o) => [o.request.text, 0]));
  for (const item of account.to_release) {
    const text = item.request.selector;
    if (text !== undefined && counts.has(text)) counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return new Map([...counts].map(([text, n]) => [searchDigest(account.account_id, text), n]));
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
  refused.sort(compareRefusals);
  const held: AccountPlan = { ...account, to_release: allowed, refused };
  if (expected?.searches && account.searches)
    held.searches = account.searches.map((o) => {
      if (o.status.kind !== 'resolved') return o;
      const reviewed = expected.searches?.get(searchDigest(account.account_id, o.request.text));
      if (reviewed === undefined) return o;
      // The reviewed messages this run's search found again (and may release).
      const again = allowed.filter((i) => i.request.selector === o.request.text).length;
      return { ...o, status: { ...o.status, reviewed, missing: Math.max(0, reviewed - again) } };
    });
  return held;
}
