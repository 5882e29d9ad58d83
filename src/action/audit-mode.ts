// mode: audit (on a schedule, say monthly): the audit report of the ledger in the checkout.
// The summary goes to the job summary and the log, every row to the results file. Reads
// files only: no Cloudflare credentials, no GitHub call, nothing written to the repository.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ledgerDirScan } from '../adapters/ledger/file-store.js';
import { resolvePeriod } from '../core/audit/period.js';
import {
  renderAuditSummaryMarkdown,
  renderAuditSummaryText,
  writeAuditJson,
} from '../core/render/audit.js';
import { renderDiagnosticsMarkdown } from '../core/render/plan-markdown.js';
import { audit } from '../engine/audit.js';
import { annotate } from './report.js';
import type { ActionSettings } from './settings.js';
import type { ActionDeps } from './toolkit.js';

/** Requesters listed in the job summary (GitHub caps it at 1 MiB); all are in the results file. */
const SUMMARY_REQUESTERS = 100;

export async function auditCheckout(
  settings: ActionSettings,
  deps: ActionDeps,
  now: Date = new Date(),
): Promise<void> {
  const { toolkit } = deps;
  const workspace = settings.runner.workspace;
  const period = resolvePeriod(settings.auditPeriod, now);
  const result = await audit(ledgerDirScan(join(workspace, settings.ledgerPath), { skip: false }), {
    period,
    accounts: settings.accounts,
  });
  if (result.kind === 'invalid') {
    // Annotations and the summary name files as the repository does.
    const errors = result.errors.map((e) => ({ ...e, file: relative(workspace, e.file) }));
    annotate(toolkit, errors);
    await toolkit.summary(
      renderDiagnosticsMarkdown(errors, 'quarantine-release audit: cannot read the ledger', 200),
    );
    toolkit.setFailed(
      `${errors.length + result.more} problem(s) in the ledger (${settings.ledgerPath}); nothing is reported until it is repaired`,
    );
    return;
  }
  const { report } = result;
  toolkit.info(renderAuditSummaryText(report));
  await toolkit.summary(renderAuditSummaryMarkdown(report, { maxRequesters: SUMMARY_REQUESTERS }));
  // Written in pieces: a report of a busy year is hundreds of megabytes of JSON.
  const path = join(settings.runner.runnerTemp ?? workspace, 'quarantine-release-results.json');
  const fd = openSync(path, 'w');
  try {
    writeAuditJson(report, (chunk) => writeSync(fd, chunk), { indent: 2 });
  } finally {
    closeSync(fd);
  }
  toolkit.setOutput('results-file', path);
  toolkit.setOutput('attempts', report.summary.attempts);
}
