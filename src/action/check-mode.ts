// On a schedule (or mode: check): the drift check on the default branch. Released messages
// back in quarantine fail the job, and so do entries merged but never applied once they have
// waited `unapplied-after-hours`; unresolved sends are read back and their outcome committed
// to the ledger. Nothing is released.

import { DEFAULT_TIMEOUTS } from '../adapters/cloudflare/client.js';
import { openCloudflareClient } from '../adapters/cloudflare/open.js';
import { GitHubEntryTimes } from '../adapters/github/blame.js';
import { GitHubBranchStore } from '../adapters/github/branch-store.js';
import { GitHubCheckState } from '../adapters/github/check-state.js';
import { GitHubWorkflowRuns } from '../adapters/github/workflow-runs.js';
import { CURSOR_FILE } from '../core/check/cursor.js';
import { checkJsonValue, renderCheckMarkdown, renderCheckText } from '../core/render/check.js';
import { escapeLogText } from '../core/render/escape.js';
import { renderDiagnosticsMarkdown } from '../core/render/plan-markdown.js';
import { check } from '../engine/check.js';
import { systemClock } from '../engine/ports.js';
import { annotate, repoOf, toolkitLogger, writeResultsFile } from './report.js';
import { type KeyedSettings, runUrl } from './settings.js';
import type { ActionDeps } from './toolkit.js';

export async function checkBranch(
  settings: KeyedSettings,
  deps: ActionDeps,
  branch: string,
): Promise<void> {
  const { toolkit } = deps;
  const log = toolkitLogger(toolkit);
  const url = runUrl(settings.runner);
  const gh = deps.github();
  const repo = repoOf(settings);
  const cursorPath = `${settings.ledgerPath}/${CURSOR_FILE}`;
  const store = new GitHubBranchStore(gh, {
    ...repo,
    branch,
    ledgerDir: settings.ledgerPath,
    releasesPath: settings.releasesFile,
    extraFiles: [cursorPath],
    workspace: settings.runner.workspace,
    key: settings.ledgerKey,
    log,
    commitMessage: (_kind, records) =>
      `quarantine-release: drift check resolved ${new Set(records.map((r) => `${r.account_id}/${r.id}`)).size} message(s) [skip ci]\n\n${url ? `Run: ${url}\n` : ''}`,
  });
  const client = await openCloudflareClient(settings.cloudflare);
  try {
    const result = await check(
      {
        releases: () => store.readReleases(),
        releasesPath: settings.releasesFile,
        store,
        api: client,
        clock: systemClock,
        log,
        runs: new GitHubWorkflowRuns(gh, repo, settings.runner.serverUrl),
        entryTimes: new GitHubEntryTimes(gh, repo, {
          path: settings.releasesFile,
          branch,
          commit: () => store.headSha,
        }),
        checkState: new GitHubCheckState(
          store,
          cursorPath,
          `quarantine-release: drift check cursor [skip ci]\n\n${url ? `Run: ${url}\n` : ''}`,
        ),
      },
      {
        concurrency: settings.concurrency,
        pendingScope: 'run',
        inFlightMs: DEFAULT_TIMEOUTS.requestMs,
        settleMs: settings.settleMs,
        accounts: settings.accounts,
        provenance: {
          ...(settings.runner.actor ? { actor: settings.runner.actor } : {}),
          ...(url ? { run: url } : {}),
        },
        lookupBudget: settings.safety.lookupBudget,
        unappliedAfterHours: settings.unappliedAfterHours,
      },
    );
    // What the check found is shown outside any group.
    log.endPhase();
    if (result.kind === 'invalid') {
      annotate(toolkit, result.errors);
      await toolkit.summary(
        renderDiagnosticsMarkdown(result.errors, 'quarantine-release drift check: cannot run', 200),
      );
      toolkit.setFailed(
        `${result.errors.length} problem(s) in ${result.stage === 'ledger' ? 'the ledger' : settings.releasesFile}`,
      );
      return;
    }
    toolkit.info(renderCheckText(result));
    await toolkit.summary(renderCheckMarkdown(result));
    await writeResultsFile(settings, toolkit, checkJsonValue(result));
    toolkit.setOutput('drift', result.drift.length);
    toolkit.setOutput('checked', result.checked);
    toolkit.setOutput('unapplied', result.unapplied.entries.length);
    const failures: string[] = [];
    if (result.drift.length > 0)
      failures.push(
        `${result.drift.length} message(s) recorded as released are back in quarantine`,
      );
    else if (result.released > 0 && result.checked === 0)
      // A check that could check nothing (credentials refused, API down, rate limited) must
      // not pass as "no drift" day after day.
      failures.push(
        `none of the ${result.released} released message(s) could be checked${result.stopped ? ` (${escapeLogText(result.stopped, 200)})` : ''} (see the warnings)`,
      );
    const { overdue, afterHours, basis } = result.unapplied;
    if (overdue > 0)
      failures.push(
        `${overdue} entr${overdue === 1 ? 'y' : 'ies'} of ${escapeLogText(settings.releasesFile, 200)} merged but never applied (not in the ledger at all) ${overdue === 1 ? 'has' : 'have'} waited ${basis === 'unknown' ? 'for a time that cannot be told' : `${afterHours} h or more`}: re-run the apply run of their merge`,
      );
    if (failures.length > 0) toolkit.setFailed(`${failures.join('; ')}; see the job summary`);
  } finally {
    log.endPhase();
    await client.close();
  }
}
