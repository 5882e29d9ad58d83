// The action's use cases: plan on a pull request, apply on the default branch.
// Settings are read elsewhere; adapters are passed in; this file decides and reports.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudflareClient } from '../adapters/cloudflare/client.js';
import { Pacer } from '../adapters/cloudflare/rate-limit.js';
import { readTextFile } from '../adapters/files/read-input.js';
import {
  listComments,
  mergedPullRequestOf,
  type Repo,
  upsertComment,
} from '../adapters/github/comments.js';
import { GitHubLedgerStore } from '../adapters/github/ledger-store.js';
import type { GitHubClient } from '../adapters/github/octokit.js';
import { FileLedgerStore } from '../adapters/ledger/file-store.js';
import { type Diagnostic, formatDiagnostic } from '../core/diagnostics.js';
import type { LedgerRecord } from '../core/ledger/record.js';
import { type Plan, plan, planTotals } from '../core/plan/plan.js';
import {
  accountComment,
  type CommentStatus,
  findFileComment,
  findStickyComment,
  fixedComment,
  type IssueComment,
  invalidComment,
} from '../core/render/comment.js';
import { escapeLogText } from '../core/render/escape.js';
import { planJsonValue } from '../core/render/plan-json.js';
import { renderDiagnosticsMarkdown, renderPlanMarkdown } from '../core/render/plan-markdown.js';
import { renderPlanText } from '../core/render/plan-text.js';
import {
  countStates,
  type RunReport,
  renderRunMarkdown,
  renderRunText,
  runJsonValue,
  runSucceeded,
} from '../core/render/results.js';
import { apply } from '../engine/apply.js';
import { loadInputs } from '../engine/inputs.js';
import { type Logger, systemClock } from '../engine/ports.js';
import { type ActionSettings, runUrl } from './settings.js';
import type { Toolkit } from './toolkit.js';

export interface ActionDeps {
  toolkit: Toolkit;
  github: () => GitHubClient;
}

interface EventPayload {
  pull_request?: {
    number?: number;
    head?: { repo?: { full_name?: string } | null };
    base?: { repo?: { full_name?: string } };
  };
  repository?: { default_branch?: string };
  ref?: string;
}

type Decision =
  | { kind: 'plan'; pr?: number; fork: boolean }
  | { kind: 'apply'; branch: string }
  | { kind: 'none'; why: string };

const SUMMARY_PLAN_CHARS = 900_000;

export async function runAction(settings: ActionSettings, deps: ActionDeps): Promise<void> {
  const { toolkit } = deps;
  const event = await readEvent(settings.runner.eventPath);
  const decision = decide(settings, event);
  toolkit.setOutput('mode', decision.kind);
  if (decision.kind === 'none') {
    toolkit.info(`quarantine-release: ${decision.why}`);
    return;
  }
  if (decision.kind === 'plan') await planOnPullRequest(settings, deps, decision);
  else await applyOnBranch(settings, deps, decision.branch);
}

/** Which use case an event calls for. Releases happen only on the default branch. */
export function decide(settings: ActionSettings, event: EventPayload): Decision {
  const { eventName, ref } = settings.runner;
  const defaultBranch = event.repository?.default_branch;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const isPr = eventName === 'pull_request' || eventName === 'pull_request_target';
  const pr = event.pull_request?.number;
  const fork =
    isPr &&
    event.pull_request?.head?.repo?.full_name !== undefined &&
    event.pull_request.head.repo.full_name !== event.pull_request.base?.repo?.full_name;

  if (settings.mode === 'plan') return { kind: 'plan', ...(pr !== undefined ? { pr } : {}), fork };
  if (settings.mode === 'apply') {
    if (isPr)
      return {
        kind: 'none',
        why: 'mode `apply` is refused on a pull request: messages are released only after a merge',
      };
    if (!branch)
      return {
        kind: 'none',
        why: `mode \`apply\` needs a branch, but the ref is ${escapeLogText(ref, 100)}`,
      };
    return { kind: 'apply', branch };
  }
  if (isPr) return { kind: 'plan', ...(pr !== undefined ? { pr } : {}), fork };
  if (eventName === 'push' || eventName === 'workflow_dispatch') {
    if (branch && defaultBranch && branch === defaultBranch) return { kind: 'apply', branch };
    return {
      kind: 'none',
      why: `${eventName} on ${escapeLogText(ref, 100)}, not the default branch: nothing is released (set mode: plan to see the plan)`,
    };
  }
  return {
    kind: 'none',
    why: `the ${escapeLogText(eventName, 50)} event does not plan or apply releases; use pull_request (plan) and push to the default branch or workflow_dispatch (apply)`,
  };
}

// --- plan ---------------------------------------------------------------------------------

async function planOnPullRequest(
  settings: ActionSettings,
  deps: ActionDeps,
  d: { pr?: number; fork: boolean },
): Promise<void> {
  const { toolkit } = deps;
  const { workspace } = settings.runner;
  const log = toolkitLogger(toolkit);
  const inputs = await loadInputs(
    () => readTextFile(join(workspace, settings.releasesFile)),
    settings.releasesFile,
    new FileLedgerStore(join(workspace, settings.ledgerPath), log),
  );
  const ctx = {
    file: settings.releasesFile,
    ...(runUrl(settings.runner) ? { runUrl: runUrl(settings.runner) as string } : {}),
  };
  const canComment = settings.comment && d.pr !== undefined && !d.fork;
  if (d.fork)
    toolkit.info(
      'Pull request from a fork: the token is read-only, so the plan goes to the job summary only.',
    );

  if (!inputs.ok) {
    annotate(toolkit, inputs.errors);
    await toolkit.summary(
      renderDiagnosticsMarkdown(
        inputs.errors,
        `quarantine-release: ${inputs.stage === 'ledger' ? 'the ledger is corrupt' : `${settings.releasesFile} is invalid`}`,
        200,
      ),
    );
    if (canComment && d.pr !== undefined) {
      const gh = deps.github();
      const repo = repoOf(settings);
      const comments = await listComments(gh, repo, d.pr);
      await report(
        toolkit,
        await upsertComment(
          gh,
          repo,
          d.pr,
          findFileComment(comments, settings.commentAuthor),
          invalidComment(inputs.errors, ctx),
        ),
      );
    }
    toolkit.setOutput('to-release', 0);
    toolkit.setFailed(
      `${inputs.errors.length} problem(s) in ${inputs.stage === 'ledger' ? 'the ledger' : settings.releasesFile}; nothing can be planned`,
    );
    return;
  }

  const thePlan = plan(inputs.file, inputs.ledger.index, { accounts: settings.accounts });
  toolkit.info(renderPlanText(thePlan, { file: settings.releasesFile }));
  await toolkit.summary(
    `## quarantine-release plan\n\n${renderPlanMarkdown(thePlan, { file: settings.releasesFile, maxChars: SUMMARY_PLAN_CHARS, overflowHint: 'the results file' })}`,
  );
  await writeResultsFile(settings, toolkit, { plan: planJsonValue(thePlan) });
  toolkit.setOutput('to-release', planTotals(thePlan).to_release);

  if (canComment && d.pr !== undefined) {
    const gh = deps.github();
    const repo = repoOf(settings);
    const comments = await listComments(gh, repo, d.pr);
    await updateComments(
      toolkit,
      gh,
      repo,
      d.pr,
      comments,
      settings,
      thePlan,
      { kind: 'planned' },
      ctx,
    );
    const stale = findFileComment(comments, settings.commentAuthor);
    if (stale && !stale.body?.includes('It reads again'))
      await report(toolkit, await upsertComment(gh, repo, d.pr, stale, fixedComment(ctx)));
  }
}

// --- apply --------------------------------------------------------------------------------

async function applyOnBranch(
  settings: ActionSettings,
  deps: ActionDeps,
  branch: string,
): Promise<void> {
  const { toolkit } = deps;
  if (!settings.cloudflare) {
    toolkit.setFailed(
      'no Cloudflare credentials: set the input `api-token` (or `api-email` and `api-key`) from a secret',
    );
    return;
  }
  const log = toolkitLogger(toolkit);
  const gh = deps.github();
  const repo = repoOf(settings);
  const url = runUrl(settings.runner);
  const store = new GitHubLedgerStore(gh, {
    ...repo,
    branch,
    ledgerDir: settings.ledgerPath,
    releasesPath: settings.releasesFile,
    workspace: settings.runner.workspace,
    log,
    commitMessage: (kind, records) => commitMessage(kind, records, url),
  });
  // The merged pull request of the pushed commit: recorded in the ledger, and its comment updated.
  const sha = /^[0-9a-f]{40}$/.test(settings.runner.sha) ? settings.runner.sha : undefined;
  const pr = sha ? await mergedPullRequestOf(gh, repo, sha, branch) : undefined;
  const pacer = new Pacer({ now: () => Date.now(), sleep: (ms) => systemClock.sleep(ms) });
  const client = new CloudflareClient({
    settings: settings.cloudflare,
    pacer,
    connections: settings.concurrency + 1,
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
        store,
        api: client,
        clock: systemClock,
        log,
      },
      {
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        dryRun: settings.dryRun,
        pendingScope: 'run',
        accounts: settings.accounts,
        provenance: {
          ...(settings.runner.actor ? { actor: settings.runner.actor } : {}),
          ...(sha ? { commit: sha } : {}),
          ...(url ? { run: url } : {}),
          ...(pr !== undefined ? { pull_request: pr } : {}),
        },
        signal: controller.signal,
        deadline: Date.now() + 5 * 60 * 60_000,
      },
    );
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
    await writeResultsFile(settings, toolkit, {
      ...runJsonValue(result),
      plan: planJsonValue(result.plan),
    });
    await toolkit.summary(
      `## quarantine-release${result.dryRun ? ' (dry run)' : ''}\n\n${renderRunMarkdown(result, 2000)}\n${renderPlanMarkdown(result.plan, { file: settings.releasesFile, maxChars: SUMMARY_PLAN_CHARS, overflowHint: 'the results file' })}`,
    );

    if (settings.comment && !result.dryRun) {
      if (pr === undefined)
        toolkit.info('Pushed without a pull request: results are in the job summary.');
      else {
        const comments = await listComments(gh, repo, pr);
        const ctx = { file: settings.releasesFile, ...(url ? { runUrl: url } : {}) };
        await updateComments(
          toolkit,
          gh,
          repo,
          pr,
          comments,
          settings,
          result.plan,
          { kind: 'applied', report: result },
          ctx,
          touched(result),
        );
      }
    }
    if (!result.dryRun && !runSucceeded(result)) {
      toolkit.setFailed(failureSummary(result));
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client.close();
  }
}

function failureSummary(r: RunReport): string {
  const c = countStates(r.results);
  const parts = [
    `${c.partial} partial`,
    `${c.failed} failed`,
    `${c.unknown} unknown`,
    `${c.pending} pending`,
    `${r.notStarted.length} not started`,
  ];
  return `not every message was released (${parts.join(', ')})${r.stopped ? `; stopped: ${escapeLogText(r.stopped, 300)}` : ''}. The ledger records each outcome; see the job summary.`;
}

/** Accounts this run did something for: only their comments change on merge. */
function touched(r: RunReport): Set<string> {
  return new Set([...r.results, ...r.notStarted].map((x) => x.account_id));
}

async function updateComments(
  toolkit: Toolkit,
  gh: GitHubClient,
  repo: Repo,
  pr: number,
  comments: IssueComment[],
  settings: ActionSettings,
  thePlan: Plan,
  status: CommentStatus,
  ctx: { file: string; runUrl?: string },
  only?: Set<string>,
): Promise<void> {
  for (const account of thePlan.accounts) {
    if (only && !only.has(account.account_id)) continue;
    const existing = findStickyComment(comments, account.account_id, settings.commentAuthor);
    // A plan with nothing for an account that never had a comment: stay quiet.
    const empty = account.to_release.length + account.to_verify.length + account.held.length === 0;
    if (!existing && empty && status.kind === 'planned') continue;
    await report(
      toolkit,
      await upsertComment(gh, repo, pr, existing, accountComment(account, status, ctx)),
    );
  }
}

async function report(
  toolkit: Toolkit,
  outcome: Awaited<ReturnType<typeof upsertComment>>,
): Promise<void> {
  if (outcome === 'forbidden') {
    toolkit.warning(
      'The token may not write comments (read-only token?): the plan is in the job summary.',
    );
  }
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

function annotate(toolkit: Toolkit, errors: readonly Diagnostic[]): void {
  // The runner shows a limited number of annotations per step; the rest are in the log.
  errors.forEach((d, i) => {
    const message = escapeLogText(d.message, 500);
    if (i < 50)
      toolkit.error(message, {
        file: d.file,
        line: d.line,
        column: d.column,
        title: 'quarantine-release',
      });
    else toolkit.info(escapeLogText(formatDiagnostic(d), 600));
  });
}

async function writeResultsFile(
  settings: ActionSettings,
  toolkit: Toolkit,
  value: unknown,
): Promise<void> {
  const dir = settings.runner.runnerTemp ?? settings.runner.workspace;
  const path = join(dir, 'quarantine-release-results.json');
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  toolkit.setOutput('results-file', path);
}

async function readEvent(path: string | undefined): Promise<EventPayload> {
  if (!path) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as EventPayload;
  } catch {
    return {};
  }
}

function repoOf(settings: ActionSettings): Repo {
  return { owner: settings.runner.owner, repo: settings.runner.repo };
}

function toolkitLogger(toolkit: Toolkit): Logger {
  return {
    info: (m) => toolkit.info(m),
    warn: (m) => toolkit.warning(m),
    error: (m) => toolkit.error(m),
  };
}
