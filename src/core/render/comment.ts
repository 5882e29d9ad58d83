// The sticky pull-request comment: one per account, found again by a hidden marker AND its
// author (anyone can paste a marker into their own comment; only ours is updated). Pure.
import type { Diagnostic } from '../diagnostics.js';
import { isAccountId } from '../ids.js';
import type { AccountPlan } from '../plan/plan.js';
import {
  basisOf,
  ENTRY_DIGEST_CHARS,
  type FingerprintBasis,
  MAX_ENTRY_DIGESTS,
  MAX_SEARCH_COUNTS,
  planEntryDigests,
  planFingerprint,
  planSearchCounts,
  type ReviewedPlan,
} from '../safety/review.js';
import { codeSpan, escapeMarkdown } from './escape.js';
import {
  attentionLine,
  COMMENT_MAX_CHARS,
  renderAccountMarkdown,
  renderDiagnosticsMarkdown,
} from './plan-markdown.js';
import { type RunReport, renderRunMarkdown } from './results.js';

const MARKER =
  /^<!-- quarantine-release account=([0-9a-f]{32})(?: plan=([0-9a-f]{32}) basis=(ids|dispositions)(?: entries=([A-Za-z0-9_-]*))?(?: searches=([A-Za-z0-9_.,-]*))?)? -->/;
/** Marks the one comment about a file that could not be read (no account is known then). */
export const FILE_MARKER = '<!-- quarantine-release file -->';
/** The same comment once the file reads again: a marker, so no wording change can break it. */
export const FILE_FIXED_MARKER = '<!-- quarantine-release file fixed -->';

export interface CommentMarker {
  account: string;
  /**
   * The fingerprint of the plan shown, what it covers, and (plans of up to MAX_ENTRY_DIGESTS
   * entries) the digest of each entry, so apply can hold each entry to the review.
   */
  plan?: {
    fingerprint: string;
    basis: FingerprintBasis;
    entries?: readonly string[];
    /** Per search (searchDigest), how many of its messages the plan shown would release. */
    searches?: ReadonlyMap<string, number>;
  };
}

export function markerLine(m: CommentMarker): string {
  const entries = m.plan?.entries ? ` entries=${m.plan.entries.join('')}` : '';
  const searches = m.plan?.searches
    ? ` searches=${[...m.plan.searches].map(([d, n]) => `${d}.${n}`).join(',')}`
    : '';
  const plan = m.plan
    ? ` plan=${m.plan.fingerprint} basis=${m.plan.basis}${entries}${searches}`
    : '';
  return `<!-- quarantine-release account=${m.account}${plan} -->`;
}

export function parseMarker(body: string): CommentMarker | undefined {
  const match = MARKER.exec(body);
  if (!match || !isAccountId(match[1])) return undefined;
  const account = match[1] as string;
  if (!match[2]) return { account };
  const plan: NonNullable<CommentMarker['plan']> = {
    fingerprint: match[2],
    basis: match[3] as FingerprintBasis,
  };
  // A list that is not whole digests is ignored: the whole-plan fingerprint still holds.
  const list = match[4];
  if (
    list !== undefined &&
    list.length % ENTRY_DIGEST_CHARS === 0 &&
    list.length <= MAX_ENTRY_DIGESTS * ENTRY_DIGEST_CHARS
  ) {
    plan.entries = list.match(new RegExp(`.{${ENTRY_DIGEST_CHARS}}`, 'g')) ?? [];
  }
  // Counts that do not read whole are ignored: they only feed a report.
  const counts = (match[5] ?? '')
    .split(',')
    .map((c) => /^([A-Za-z0-9_-]{8})\.([0-9]{1,6})$/.exec(c));
  if (match[5] && counts.length <= MAX_SEARCH_COUNTS && counts.every((c) => c !== null))
    plan.searches = new Map(counts.map((c) => [c?.[1] as string, Number(c?.[2])]));
  return { account, plan };
}

export interface ReviewedPlans {
  /** Per account, the plan our own comment carries: what a person reviewed. */
  plans: Map<string, ReviewedPlan>;
  /** Accounts whose comment cannot stand for a review, and why. */
  untrusted: Map<string, string>;
  /** Logins that edited one of our comments (its marker may be gone with the edit). */
  editors: string[];
}

/**
 * The plans our own comments carry. Comments by anyone else are ignored, whatever marker they
 * paste; so is one of ours that someone else edited since (GitHub records its last editor): a
 * hidden marker or a table row could have been changed after the review. Should two of ours
 * exist for an account (two plan runs racing to create it), the first is the one
 * findStickyComment() keeps updating, so it is the one read: a stale copy never stands for the
 * reviewed plan.
 */
export function reviewedPlans(comments: readonly IssueComment[], author: string): ReviewedPlans {
  const out: ReviewedPlans = { plans: new Map(), untrusted: new Map(), editors: [] };
  const seen = new Set<string>();
  for (const c of comments) {
    if (c.user?.login !== author) continue;
    const editor = c.editor?.login;
    const edited = editor !== undefined && editor !== author;
    if (edited && !out.editors.includes(editor)) out.editors.push(editor);
    const marker = parseMarker(c.body ?? '');
    if (!marker || seen.has(marker.account)) continue;
    seen.add(marker.account);
    if (edited) {
      out.untrusted.set(
        marker.account,
        `the plan comment for account ${marker.account} was edited by ${editor} after quarantine-release wrote it`,
      );
      continue;
    }
    const plan = marker.plan;
    // A sticky comment without a plan (the file was invalid): nothing was reviewed.
    if (!plan) continue;
    out.plans.set(marker.account, {
      ...plan,
      entries: plan.entries ? new Set(plan.entries) : undefined,
    });
  }
  return out;
}

/** Our comment about an unreadable file, if any (marker and author must both match). */
export function findFileComment<C extends IssueComment>(
  comments: readonly C[],
  author: string,
): C | undefined {
  return comments.find((c) => {
    const body = c.body ?? '';
    return (
      c.user?.login === author &&
      (body.startsWith(FILE_MARKER) || body.startsWith(FILE_FIXED_MARKER))
    );
  });
}

/** Whether our file comment already says the file reads again (nothing left to update). */
export function isFixedFileComment(c: IssueComment): boolean {
  return (c.body ?? '').startsWith(FILE_FIXED_MARKER);
}

export interface IssueComment {
  id: number;
  body?: string | null;
  user?: { login: string; type?: string } | null;
  /** Who last edited it (GraphQL `editor`), when known; null: never edited. */
  editor?: { login: string } | null;
}

/** Our comment for this account: the marker and the author must both match. */
export function findStickyComment<C extends IssueComment>(
  comments: readonly C[],
  account: string,
  author: string,
): C | undefined {
  return comments.find(
    (c) => c.user?.login === author && parseMarker(c.body ?? '')?.account === account,
  );
}

export type CommentStatus =
  | { kind: 'planned' }
  | { kind: 'invalid' }
  | { kind: 'applied'; report: RunReport }
  | { kind: 'refused'; reason: string };

export interface CommentContext {
  file: string;
  /** Link to the run, shown in the footer. */
  runUrl?: string;
  /** Hide subjects and addresses (public repositories). */
  redact?: boolean;
  /** `require-reviewed-plan` is off: merging releases the file as it stands, reviewed or not. */
  unreviewed?: boolean;
  /**
   * Set after the merge (apply): per account, the plan reviewed before it. The marker then
   * carries that plan, never the plan shown: a comment rewritten after the merge is nobody's
   * review, and a re-run must not take it for one.
   */
  reviewedBeforeMerge?: ReadonlyMap<string, ReviewedPlan>;
}

const HEADLINE: Record<CommentStatus['kind'], string> = {
  planned: '📋 Plan: nothing is released until this pull request is merged',
  invalid: '❌ releases.yaml is invalid: nothing can be planned',
  applied: '✅ Applied on merge',
  refused: '⛔ Not applied',
};

/**
 * The sticky comment for one account, at most COMMENT_MAX_CHARS long whatever it holds: the
 * marker (bounded: at most MAX_ENTRY_DIGESTS digests), then the results and the plan, each cut
 * to what fits, with a pointer to the job summary.
 */
export function accountComment(
  account: AccountPlan,
  status: CommentStatus,
  ctx: CommentContext,
): string {
  const marker = markerLine({
    account: account.account_id,
    ...markedPlan(account, ctx.reviewedBeforeMerge),
  });
  // What needs attention is counted above everything else, whatever the plan below can show.
  const attention = attentionLine(account);
  const off = ctx.unreviewed
    ? '> ⚠️ `require-reviewed-plan` is off: on merge, apply releases what the file says, whether or not this plan reviewed it.\n\n'
    : '';
  const title = `${marker}\n## quarantine-release · account ${codeSpan(account.account_id)}\n\n**${HEADLINE[status.kind]}**\n\n${off}${attention ? `${attention}: listed first below.\n\n` : ''}`;
  const head =
    status.kind === 'refused' ? `${title}> ${escapeMarkdown(status.reason, 1000)}\n\n` : title;
  const footer = runLink(ctx.runUrl, ' · the full plan is in the job summary');
  const open = `<details${status.kind === 'planned' ? ' open' : ''}><summary>Plan</summary>\n\n`;
  const close = '\n</details>\n';
  let room = COMMENT_MAX_CHARS - head.length - open.length - close.length - footer.length;
  let results = '';
  if (status.kind === 'applied') {
    const own = (x: { account_id: string }) => x.account_id === account.account_id;
    const { later, plan: reviewed } = status.report;
    const mine: RunReport = {
      ...status.report,
      results: status.report.results.filter(own),
      later: later?.filter(own),
      plan: reviewed ? { accounts: reviewed.accounts.filter(own) } : undefined,
    };
    // The results come first and take at most half: the plan is in the job summary too.
    const share = Math.floor(room / 2);
    results = `${renderRunMarkdown(mine, 300, share)}\n`;
    if (results.length > share) results = `${TOO_LONG('The results')}\n`;
    room -= results.length;
  }
  let plan = renderAccountMarkdown(account, {
    file: ctx.file,
    maxChars: Math.max(0, room),
    overflowHint: 'the job summary',
    redact: ctx.redact ?? false,
  });
  if (plan.length > room) plan = TOO_LONG('The plan');
  const body = `${head}${results}${open}${plan}${close}${footer}`;
  if (body.length <= COMMENT_MAX_CHARS) return body;
  // Only reachable if the parts above misjudged their sizes: the marker, the headline and a
  // pointer, all bounded.
  return `${title}${TOO_LONG('This report')}\n${footer}`;
}

/**
 * Before the merge, the fingerprint of what this comment shows: apply on merge holds the run to
 * it. After, the plan reviewed before the merge, or none.
 */
function markedPlan(
  account: AccountPlan,
  reviewed: ReadonlyMap<string, ReviewedPlan> | undefined,
): Pick<CommentMarker, 'plan'> {
  if (reviewed) {
    const before = reviewed.get(account.account_id);
    if (!before?.basis) return {};
    return {
      plan: {
        fingerprint: before.fingerprint,
        basis: before.basis,
        entries: before.entries ? [...before.entries] : undefined,
        searches: before.searches,
      },
    };
  }
  const basis = basisOf(account);
  return {
    plan: {
      fingerprint: planFingerprint(account, basis),
      basis,
      entries: planEntryDigests(account, basis),
      searches: planSearchCounts(account),
    },
  };
}

const TOO_LONG = (what: string) =>
  `_${what} is too long for a comment: see the job summary of the run._\n`;

/**
 * The comment when nothing can be planned (one per pull request, account unknown): the
 * releases file is invalid, or the ledger is corrupt or was changed by the pull request.
 */
export function invalidComment(
  errors: readonly Diagnostic[],
  ctx: CommentContext,
  stage: 'releases' | 'ledger' = 'releases',
): string {
  const headline =
    stage === 'ledger'
      ? '❌ The ledger was changed outside quarantine-release, or is corrupt: nothing can be planned'
      : HEADLINE.invalid;
  return `${FILE_MARKER}\n## quarantine-release\n\n**${headline}**\n\n${renderDiagnosticsMarkdown(errors, 'Problems', 100)}${runLink(ctx.runUrl, '')}`;
}

/** The same comment once the file reads again. */
export function fixedComment(ctx: CommentContext): string {
  return `${FILE_FIXED_MARKER}\n## quarantine-release\n\n~~releases.yaml is invalid~~ It reads again: the plan is in the comments below.${runLink(ctx.runUrl, '')}`;
}

function runLink(url: string | undefined, extra: string): string {
  // Built from the runner's variables, but checked anyway before it goes into a link.
  if (
    !url ||
    url.length > 500 ||
    !/^https?:\/\/[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$/.test(url) ||
    /[()[\]<>]/.test(url)
  )
    return '';
  return `\n---\n<sub>[Run](${url})${extra}</sub>\n`;
}
