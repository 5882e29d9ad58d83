// The job summary of a plan run and of an apply run: what a user reads on the run's page.
// Pure, so its wording is pinned by golden files (test/golden/).
import type { Plan } from '../plan/plan.js';
import { renderPlanMarkdown } from './plan-markdown.js';
import { type RunReport, renderRunMarkdown } from './results.js';

/** GitHub caps a step's summary at 1 MiB; plans in it stay below that. */
export const SUMMARY_PLAN_CHARS = 900_000;
/** Result rows in the summary; every row is in the results file. */
export const SUMMARY_RESULT_ROWS = 2000;

export interface SummaryContext {
  /** The releases file, as the repository names it. */
  file: string;
  /** Hide subjects and addresses (public repositories). */
  redact?: boolean;
  /** `require-reviewed-plan` is off: say so, since merging then releases what the file says. */
  unreviewed?: boolean;
}

function planSection(plan: Plan, ctx: SummaryContext): string {
  return renderPlanMarkdown(plan, {
    file: ctx.file,
    maxChars: SUMMARY_PLAN_CHARS,
    overflowHint: 'the results file',
    redact: ctx.redact ?? false,
  });
}

export function planSummaryMarkdown(plan: Plan, ctx: SummaryContext): string {
  return `## quarantine-release plan\n\n${planSection(plan, ctx)}`;
}

export function applySummaryMarkdown(
  report: RunReport & { plan: Plan },
  ctx: SummaryContext,
): string {
  const unreviewed = ctx.unreviewed
    ? '> ⚠️ `require-reviewed-plan` is off: entries were released as the file says, whether or not a plan reviewed them.\n\n'
    : '';
  return `## quarantine-release${report.dryRun ? ' (dry run)' : ''}\n\n${unreviewed}${renderRunMarkdown(report, SUMMARY_RESULT_ROWS)}\n${planSection(report.plan, ctx)}`;
}
