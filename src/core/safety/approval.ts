// Who approved a merged pull request, as GitHub records it (never as a comment says), and what
// a run may release on that review. Pure.
//
// An approval counts when it is a reviewer's latest verdict, was given on the pull request's
// final head commit (an approval says nothing about commits pushed after it), and comes from
// a person other than the pull request's author (a bot can be made to approve by a workflow
// the pull request itself adds).
import { type IssueComment, reviewedPlans } from '../render/comment.js';
import { compareText } from '../values.js';
import type { ReviewGate } from './review.js';

export interface PullRequestReview {
  /** Login of the reviewer; undefined for a deleted account. */
  author: string | undefined;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING. */
  state: string;
  /** The commit the review was given on. */
  commit: string | undefined;
  /** ISO time; reviews are taken in this order. */
  submittedAt: string | undefined;
}

export interface ReviewedPullRequest {
  number: number;
  author: string | undefined;
  /** The head commit when it was merged. */
  headOid: string;
  reviews: readonly PullRequestReview[];
}

export interface Approvals {
  /** Logins whose approval counts, sorted. */
  approvers: string[];
  /** Reviewers who approved an earlier commit only. */
  stale: string[];
  /** The author's own approval, or one by a bot: never counted. */
  ignored: string[];
}

/** Verdicts that replace a reviewer's earlier one; a comment does not. */
const VERDICTS = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

export function approvalsOf(pr: ReviewedPullRequest): Approvals {
  const latest = new Map<string, PullRequestReview>();
  const ordered = [...pr.reviews].sort((a, b) =>
    compareText(a.submittedAt ?? '', b.submittedAt ?? ''),
  );
  for (const review of ordered) {
    if (review.author === undefined || !VERDICTS.has(review.state)) continue;
    latest.set(review.author, review);
  }
  const out: Approvals = { approvers: [], stale: [], ignored: [] };
  for (const [login, review] of latest) {
    if (review.state !== 'APPROVED') continue;
    if (login === pr.author || login.endsWith('[bot]')) out.ignored.push(login);
    else if (review.commit !== pr.headOid) out.stale.push(login);
    else out.approvers.push(login);
  }
  for (const list of [out.approvers, out.stale, out.ignored]) list.sort();
  return out;
}

/** Why the approvals are not enough, or undefined when they are. */
export function approvalProblem(
  pr: ReviewedPullRequest,
  approvals: Approvals,
  required: number,
): string | undefined {
  if (approvals.approvers.length >= required) return undefined;
  const head = pr.headOid.slice(0, 7);
  const notes: string[] = [];
  if (approvals.stale.length > 0)
    notes.push(`approved before the last push only: ${approvals.stale.join(', ')}`);
  if (approvals.ignored.length > 0)
    notes.push(`not counted (the author or a bot): ${approvals.ignored.join(', ')}`);
  const have = approvals.approvers.length;
  return `pull request #${pr.number} has ${have} approval(s) on its final commit ${head} by someone other than its author, ${required} required${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

export interface GateSettings {
  /** An entry goes only when the merged pull request's plan reviewed it (default true). */
  requirePlan: boolean;
  /** Approvals needed on the final head commit, by people other than the author (0: none). */
  requiredApprovals: number;
  /** The login that writes the tool's comments. */
  bot: string;
}

/**
 * What a run may release, from the merged pull request of the push (undefined: a direct push
 * or a run started by hand, `why` saying which), and who approved it.
 */
export function reviewGate(
  pr: (ReviewedPullRequest & { comments: readonly IssueComment[] }) | undefined,
  why: string,
  settings: GateSettings,
): { gate: ReviewGate; approvers: string[] } {
  if (pr === undefined) {
    const needs = settings.requirePlan
      ? 'no plan was reviewed'
      : settings.requiredApprovals > 0
        ? 'nothing was approved'
        : undefined;
    return {
      gate: {
        requirePlan: settings.requirePlan,
        ...(needs ? { closed: `${why}, so ${needs}` } : {}),
      },
      approvers: [],
    };
  }
  const approvals = approvalsOf(pr);
  const problem =
    settings.requiredApprovals > 0
      ? approvalProblem(pr, approvals, settings.requiredApprovals)
      : undefined;
  const plans = reviewedPlans(pr.comments, settings.bot);
  const gate: ReviewGate = {
    requirePlan: settings.requirePlan,
    reviewedOn: `on PR #${pr.number}`,
    ...(problem ? { closed: problem } : {}),
    ...(plans.plans.size > 0 ? { expected: plans.plans } : {}),
    ...(plans.untrusted.size > 0 ? { missing: plans.untrusted } : {}),
    ...(plans.editors.length > 0
      ? {
          missingNote: `comments of quarantine-release on it were edited by ${plans.editors.join(', ')}`,
        }
      : {}),
  };
  return { gate, approvers: approvals.approvers };
}
