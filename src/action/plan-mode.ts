// On a pull request: validate, plan, and show the plan (summary, annotations, one comment per
// account). Never needs Cloudflare write credentials; a fork's read-only token is fine.

import { join } from 'node:path';
import { openCloudflareClient } from '../adapters/cloudflare/open.js';
import { readTextFile } from '../adapters/files/read-input.js';
import { ledgerSnapshots, shardsOf } from '../adapters/github/branch-store.js';
import { PullRequestLedger } from '../adapters/github/pull-request-ledger.js';
import { type Plan, plan, planTotals } from '../core/plan/plan.js';
import { refusalText } from '../core/plan/refusals.js';
import { searchProblems, searchStatusText, withSearches } from '../core/plan/selectors.js';
import {
  findFileComment,
  fixedComment,
  type IssueComment,
  invalidComment,
  isFixedFileComment,
} from '../core/render/comment.js';
import { planJsonValue } from '../core/render/plan-json.js';
import { renderDiagnosticsMarkdown } from '../core/render/plan-markdown.js';
import { renderPlanText } from '../core/render/plan-text.js';
import { planSummaryMarkdown } from '../core/render/summary.js';
import { loadInputs } from '../engine/inputs.js';
import { screenWithCloudflare } from '../engine/screen.js';
import { resolveSearches } from '../engine/searches.js';
import { awaitEarly, type Early } from './early.js';
import {
  annotate,
  errorAt,
  repoOf,
  toolkitLogger,
  updateComments,
  writeComment,
  writeResultsFile,
} from './report.js';
import { type ActionSettings, runUrl } from './settings.js';
import type { ActionDeps } from './toolkit.js';

export async function planOnPullRequest(
  settings: ActionSettings,
  deps: ActionDeps,
  d: { pr?: number; fork: boolean; base?: { sha: string; ref: string } },
  /** The pull request's comments, requested before this module loaded; undefined: no comment. */
  comments: Early<IssueComment[]> | undefined,
  redact: boolean,
): Promise<void> {
  const { toolkit } = deps;
  const log = toolkitLogger(toolkit);
  const { workspace } = settings.runner;
  const base = d.base;
  // The base branch's ledger, read through the API (from the checkout when identical).
  const baseLedger = base
    ? {
        name: `${settings.ledgerPath} on ${base.ref}`,
        shards: async () => {
          const snapshots = ledgerSnapshots(deps.github(), {
            ...repoOf(settings),
            ledgerDir: settings.ledgerPath,
            workspace,
          });
          return shardsOf(snapshots, await snapshots.at(base.sha), settings.ledgerPath);
        },
      }
    : undefined;
  log.phase?.('Load');
  const now = Date.now();
  const inputs = await loadInputs(
    () => readTextFile(join(workspace, settings.releasesFile)),
    settings.releasesFile,
    new PullRequestLedger(join(workspace, settings.ledgerPath), settings.ledgerPath, baseLedger),
    now,
  );
  // What the run found is shown outside any group.
  log.endPhase();
  const url = runUrl(settings.runner);
  const ctx = {
    file: settings.releasesFile,
    redact,
    ...(url ? { runUrl: url } : {}),
    ...(settings.requireReviewedPlan ? {} : { unreviewed: true }),
  };
  if (d.fork)
    toolkit.info(
      'Pull request from a fork: the token is read-only, so the plan goes to the job summary only.',
    );

  if (!inputs.ok) {
    annotate(toolkit, inputs.errors);
    const what =
      inputs.stage === 'ledger' ? 'the ledger is corrupt' : `${settings.releasesFile} is invalid`;
    await toolkit.summary(
      renderDiagnosticsMarkdown(inputs.errors, `quarantine-release: ${what}`, 200),
    );
    if (comments && d.pr !== undefined) {
      const existing = findFileComment(awaitEarly(comments), settings.commentAuthor);
      const comment = invalidComment(inputs.errors, ctx, inputs.stage);
      await writeComment(toolkit, deps.github(), settings, d.pr, existing, comment);
    }
    toolkit.setOutput('to-release', 0);
    toolkit.setFailed(
      `${inputs.errors.length} problem(s) in ${inputs.stage === 'ledger' ? 'the ledger' : settings.releasesFile}; nothing can be planned`,
    );
    return;
  }

  // With a Cloudflare token the plan shows each message and refuses what may not go;
  // without one (forks, or by choice) apply checks every message on merge.
  const client = settings.cloudflare ? await openCloudflareClient(settings.cloudflare) : undefined;
  let thePlan: Plan;
  try {
    const { accounts } = settings;
    // Each search is resolved to the messages it finds now: the plan lists and pins them.
    if (inputs.file.searches && client) log.phase?.('Search');
    const searched = await resolveSearches(inputs.file, client, { accounts, log });
    const planned = plan(searched.file, inputs.ledger.index, { accounts });
    thePlan = await screenWithCloudflare(
      withSearches(planned, searched.outcomes, accounts),
      client,
      {
        lookupBudget: settings.safety.lookupBudget,
        guarded: settings.safety.guarded,
        now,
        log,
        known: searched.views,
      },
    );
  } finally {
    log.endPhase();
    await client?.close();
  }
  toolkit.info(renderPlanText(thePlan, { file: settings.releasesFile, redact }));
  await toolkit.summary(planSummaryMarkdown(thePlan, { file: settings.releasesFile, redact }));
  await writeResultsFile(settings, toolkit, { plan: planJsonValue(thePlan) });
  const totals = planTotals(thePlan);
  toolkit.setOutput('to-release', totals.to_release);
  toolkit.setOutput('refused', totals.refused);
  // Each refusal on its entry's line, where the pull request's diff shows it.
  const file = settings.releasesFile;
  for (const account of thePlan.accounts)
    for (const { item, reason } of account.refused ?? [])
      errorAt(toolkit, `${item.request.id}: refused: ${refusalText(reason)}`, file, item.request);
  const searchRefusals = searchProblems(thePlan);
  for (const { outcome } of searchRefusals)
    errorAt(toolkit, `search: ${searchStatusText(outcome.status)}`, file, outcome.request);
  if (!settings.requireReviewedPlan)
    toolkit.warning(
      'require-reviewed-plan is off: on merge, apply releases what the file says, whether or not this plan reviewed it.',
    );

  if (comments && d.pr !== undefined) {
    const gh = deps.github();
    const list = awaitEarly(comments);
    await updateComments(toolkit, gh, settings, d.pr, list, thePlan, { kind: 'planned' }, ctx);
    const stale = findFileComment(list, settings.commentAuthor);
    if (stale && !isFixedFileComment(stale))
      await writeComment(toolkit, gh, settings, d.pr, stale, fixedComment(ctx));
  }
  if (totals.refused > 0) {
    toolkit.setFailed(
      `${totals.refused} message(s) refused (see the plan): they will not be released as the file stands`,
    );
  } else if (searchRefusals.length > 0) {
    toolkit.setFailed(
      `${searchRefusals.length} search(es) refused or not resolved (see the plan): nothing they find will be released as the file stands`,
    );
  }
}
