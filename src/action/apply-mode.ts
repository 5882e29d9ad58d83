// On a push to the default branch (or workflow_dispatch): release what the plan says, at
// most once, committing the ledger to the branch before and after, and report on the merged
// pull request.

import { DEFAULT_TIMEOUTS } from '../adapters/cloudflare/client.js';
import { openCloudflareClient } from '../adapters/cloudflare/open.js';
import { GitHubBranchStore } from '../adapters/github/branch-store.js';
import type { MergedPullRequest } from '../adapters/github/pull-request.js';
import { GitHubWorkflowRuns } from '../adapters/github/workflow-runs.js';
import type { LedgerRecord } from '../core/ledger/record.js';
import { escapeLogText } from '../core/render/escape.js';
import { planJsonValue } from '../core/render/plan-json.js';
import { renderDiagnosticsMarkdown } from '../core/render/plan-markdown.js';
import {
  countStates,
  type RunReport,
  refusedOf,
  renderRunText,
  runJsonValue,
  runSucceeded,
} from '../core/render/results.js';
import { applySummaryMarkdown } from '../core/render/summary.js';
import { reviewGate } from '../core/safety/approval.js';
import { apply } from '../engine/apply.js';
import { systemClock } from '../engine/ports.js';
import { awaitEarly, type Early } from './early.js';
import { annotate, repoOf, toolkitLogger, updateComments, writeResultsFile } from './report.js';
import { type KeyedSettings, runUrl } from './settings.js';
import type { ActionDeps } from './toolkit.js';

export async function applyOnBranch(
  settings: KeyedSettings,
  deps: ActionDeps,
  branch: string,
  /** The merged pull request of the pushed commit, requested before this module loaded. */
  mergedPr: Early<MergedPullRequest | undefined> | undefined,
  redact: boolean,
): Promise<void> {
  const { toolkit } = deps;
  const log = toolkitLogger(toolkit);
  const gh = deps.github();
  const repo = repoOf(settings);
  const url = runUrl(settings.runner);
  const store = new GitHubBranchStore(gh, {
    ...repo,
    branch,
    ledgerDir: settings.ledgerPath,
    releasesPath: settings.releasesFile,
    workspace: settings.runner.workspace,
    key: settings.ledgerKey,
    log,
    commitMessage: (kind, records) => commitMessage(kind, records, url),
  });
  const sha = /^[0-9a-f]{40}$/.test(settings.runner.sha) ? settings.runner.sha : undefined;
  const merged = mergedPr ? awaitEarly(mergedPr) : undefined;
  const pr = merged?.number;
  // What people reviewed and approved on the merged pull request: without it, nothing new goes.
  const { gate, approvers } = reviewGate(
    merged,
    settings.runner.eventName === 'workflow_dispatch'
      ? 'the run was started by hand (workflow_dispatch), not by a merge'
      : 'the push has no merged pull request (a direct push)',
    {
      requirePlan: settings.requireReviewedPlan,
      requiredApprovals: settings.requiredApprovals,
      bot: settings.commentAuthor,
    },
  );
  if (gate.closed)
    toolkit.warning(`Nothing new will be released: ${escapeLogText(gate.closed, 500)}.`);
  if (!settings.requireReviewedPlan)
    toolkit.warning(
      'require-reviewed-plan is off: entries are released as the file says, whether or not a plan reviewed them.',
    );
  const comments = merged?.comments ?? [];
  const client = await openCloudflareClient(settings.cloudflare, {
    connections: settings.concurrency + 1,
    log,
  });
  const controller = new AbortController();
  // The runner cancels with SIGINT, then SIGTERM 7.5 s later: stop starting batches at once.
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const result = await apply(
      {
        releases: () => store.readReleases(),
        releasesPath: settings.releasesFile,
        // The head may hold entries merged after the pushed commit: those wait for their own run.
        ...(sha ? { pushedReleases: () => store.readReleasesAt(sha) } : {}),
        store,
        api: client,
        clock: systemClock,
        log,
        runs: new GitHubWorkflowRuns(gh, repo, settings.runner.serverUrl),
      },
      {
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        dryRun: settings.dryRun,
        pendingScope: 'run',
        inFlightMs: DEFAULT_TIMEOUTS.requestMs,
        settleMs: settings.settleMs,
        accounts: settings.accounts,
        provenance: {
          ...(settings.runner.actor ? { actor: settings.runner.actor } : {}),
          ...(sha ? { commit: sha } : {}),
          ...(url ? { run: url } : {}),
          ...(pr !== undefined ? { pull_request: pr } : {}),
          ...(merged ? { approved_by: approvers } : {}),
        },
        signal: controller.signal,
        deadline: Date.now() + 5 * 60 * 60_000,
        safety: { ...settings.safety, gate },
      },
    );
    // What the run did is shown outside any group.
    log.endPhase();
    if (result.kind === 'invalid') {
      annotate(toolkit, result.errors);
      await toolkit.summary(
        renderDiagnosticsMarkdown(result.errors, 'quarantine-release: nothing was released', 200),
      );
      toolkit.setFailed(
        `${result.errors.length} problem(s) in ${result.stage === 'ledger' ? 'the ledger' : settings.releasesFile}: nothing was released`,
      );
      return;
    }

    toolkit.info(renderRunText(result));
    const counts = countStates(result.results);
    for (const [state, n] of Object.entries(counts)) toolkit.setOutput(state, n);
    toolkit.setOutput('not-started', result.notStarted.length);
    toolkit.setOutput('deferred', result.deferred?.length ?? 0);
    toolkit.setOutput('refused', refusedOf(result).length);
    toolkit.setOutput('later', result.later.length);
    await writeResultsFile(settings, toolkit, {
      ...runJsonValue(result),
      plan: planJsonValue(result.plan),
    });
    await toolkit.summary(
      applySummaryMarkdown(result, {
        file: settings.releasesFile,
        redact,
        unreviewed: !settings.requireReviewedPlan,
      }),
    );

    if (settings.comment && !result.dryRun) {
      if (pr === undefined)
        toolkit.info('Pushed without a pull request: results are in the job summary.');
      else {
        const ctx = {
          file: settings.releasesFile,
          redact,
          ...(url ? { runUrl: url } : {}),
          ...(settings.requireReviewedPlan ? {} : { unreviewed: true }),
          reviewedBeforeMerge: gate.expected ?? new Map(),
        };
        // A refused run shows why and the plan as it is now; its marker keeps what was
        // reviewed before the merge, so a re-run is held to the same review. Releasing the
        // plan as it is now takes a new pull request, reviewed and approved.
        const status = result.blocked
          ? { kind: 'refused' as const, reason: result.blocked }
          : { kind: 'applied' as const, report: result };
        await updateComments(
          toolkit,
          gh,
          settings,
          pr,
          comments,
          result.plan,
          status,
          ctx,
          result.blocked ? undefined : touched(result),
        );
      }
    }
    // A dry run fails where the real run would refuse (as the CLI's exit 1 does); what it
    // leaves unsent is the point of a dry run.
    if (result.dryRun) {
      const refused = refusedOf(result).length;
      if (result.blocked)
        toolkit.setFailed(
          `dry run: nothing would be released: ${escapeLogText(result.blocked, 500)}`,
        );
      else if (refused > 0)
        toolkit.setFailed(
          `dry run: ${refused} message(s) would be refused (see the job summary); nothing was sent`,
        );
    } else if (!runSucceeded(result)) {
      toolkit.setFailed(failureSummary(result));
    }
  } finally {
    log.endPhase();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client.close();
  }
}

function failureSummary(r: RunReport): string {
  if (r.blocked) return `nothing was released: ${escapeLogText(r.blocked, 500)}`;
  const refused = refusedOf(r).length;
  const c = countStates(r.results);
  const parts = [
    `${c.partial} partial`,
    `${c.failed} failed`,
    `${c.unknown} unknown`,
    `${c.pending} pending`,
    `${r.notStarted.length} not started`,
    `${r.deferred?.length ?? 0} left alone (their last send may still be in flight)`,
    `${refused} refused`,
  ];
  return `not every message was released (${parts.join(', ')})${r.stopped ? `; stopped: ${escapeLogText(r.stopped, 300)}` : ''}. The ledger records each outcome; see the job summary.`;
}

/** Accounts this run did something for: only their comments change on merge. */
function touched(r: RunReport): Set<string> {
  return new Set([...r.results, ...r.notStarted, ...refusedOf(r)].map((x) => x.account_id));
}

function commitMessage(
  kind: 'pending' | 'outcomes',
  records: readonly LedgerRecord[],
  url: string | undefined,
): string {
  const ids = new Set(records.map((r) => `${r.account_id}/${r.id}`)).size;
  let title: string;
  if (kind === 'pending') title = `quarantine-release: pending release of ${ids} message(s)`;
  else {
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    title = `quarantine-release: outcomes of ${ids} message(s): ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
  }
  const prs = [...new Set(records.map((r) => r.pull_request).filter((n) => n !== undefined))];
  const lines = [`${title} [skip ci]`, ''];
  if (url) lines.push(`Run: ${url}`);
  if (prs.length > 0) lines.push(`Pull request: ${prs.map((n) => `#${n}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
