// The sticky pull-request comment: one per account, found again by a hidden marker AND its
// author (anyone can paste a marker into their own comment; only ours is updated). Pure.
import type { Diagnostic } from '../diagnostics.js';
import { isAccountId } from '../ids.js';
import type { AccountPlan } from '../plan/plan.js';
import { type FingerprintBasis, planFingerprint } from '../safety/review.js';
import { codeSpan, escapeMarkdown } from './escape.js';
import {
  COMMENT_MAX_CHARS,
  renderAccountMarkdown,
  renderDiagnosticsMarkdown,
} from './plan-markdown.js';
import { type RunReport, renderRunMarkdown } from './results.js';

const MARKER =
  /^<!-- quarantine-release account=([0-9a-f]{32})(?: plan=([0-9a-f]{32}) basis=(ids|dispositions))? -->/;
/** Marks the one comment about a file that could not be read (no account is known then). */
export const FILE_MARKER = '<!-- quarantine-release file -->';

export interface CommentMarker {
  account: string;
  /** The fingerprint of the plan shown, and what it covers. */
  plan?: { fingerprint: string; basis: FingerprintBasis };
}

export function markerLine(m: CommentMarker): string {
  const plan = m.plan ? ` plan=${m.plan.fingerprint} basis=${m.plan.basis}` : '';
  return `<!-- quarantine-release account=${m.account}${plan} -->`;
}

export function parseMarker(body: string): CommentMarker | undefined {
  const match = MARKER.exec(body);
  if (!match || !isAccountId(match[1])) return undefined;
  const account = match[1] as string;
  return match[2]
    ? { account, plan: { fingerprint: match[2], basis: match[3] as FingerprintBasis } }
    : { account };
}

/** Our comment about an unreadable file, if any (marker and author must both match). */
export function findFileComment<C extends IssueComment>(
  comments: readonly C[],
  author: string,
): C | undefined {
  return comments.find((c) => c.user?.login === author && (c.body ?? '').startsWith(FILE_MARKER));
}

export interface IssueComment {
  id: number;
  body?: string | null;
  user?: { login: string; type?: string } | null;
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
}

const HEADLINE: Record<CommentStatus['kind'], string> = {
  planned: '📋 Plan: nothing is released until this pull request is merged',
  invalid: '❌ releases.yaml is invalid: nothing can be planned',
  applied: '✅ Applied on merge',
  refused: '⛔ Not applied',
};

export function accountComment(
  account: AccountPlan,
  status: CommentStatus,
  ctx: CommentContext,
): string {
  // The fingerprint of what this comment shows: apply on merge holds the run to it.
  const basis: FingerprintBasis = account.refused === undefined ? 'ids' : 'dispositions';
  const marker = markerLine({
    account: account.account_id,
    plan: { fingerprint: planFingerprint(account, basis), basis },
  });
  const parts = [
    marker,
    `## quarantine-release · account ${codeSpan(account.account_id)}`,
    '',
    `**${HEADLINE[status.kind]}**`,
    '',
  ];
  if (status.kind === 'refused') parts.push(`> ${escapeMarkdown(status.reason, 1000)}`, '');
  if (status.kind === 'applied') {
    const mine: RunReport = {
      ...status.report,
      results: status.report.results.filter((r) => r.account_id === account.account_id),
    };
    parts.push(renderRunMarkdown(mine, 300));
  }
  const footer = runLink(ctx.runUrl, ' · the full plan is in the job summary');
  const head = `${parts.join('\n')}\n`;
  const budget = COMMENT_MAX_CHARS - head.length - footer.length;
  const plan = renderAccountMarkdown(account, {
    file: ctx.file,
    maxChars: Math.max(1000, budget),
    overflowHint: 'the job summary',
    redact: ctx.redact ?? false,
  });
  return `${head}<details${status.kind === 'planned' ? ' open' : ''}><summary>Plan</summary>\n\n${plan}\n</details>\n${footer}`;
}

/** The comment when the file cannot be read at all (one per pull request, account unknown). */
export function invalidComment(errors: readonly Diagnostic[], ctx: CommentContext): string {
  return `${FILE_MARKER}\n## quarantine-release\n\n**${HEADLINE.invalid}**\n\n${renderDiagnosticsMarkdown(errors, 'Problems', 100)}${runLink(ctx.runUrl, '')}`;
}

/** The same comment once the file reads again. */
export function fixedComment(ctx: CommentContext): string {
  return `${FILE_MARKER}\n## quarantine-release\n\n~~releases.yaml is invalid~~ It reads again: the plan is in the comments below.${runLink(ctx.runUrl, '')}`;
}

function runLink(url: string | undefined, extra: string): string {
  // Built from the runner's variables, but checked anyway before it goes into a link.
  if (!url || !/^https?:\/\/[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$/.test(url) || /[()[\]<>]/.test(url))
    return '';
  return `\n---\n<sub>[Run](${url})${extra}</sub>\n`;
}
