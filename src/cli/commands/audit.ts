import { resolve } from 'node:path';
import { ledgerDirScan } from '../../adapters/ledger/file-store.js';
import type { AuditPeriod } from '../../core/audit/period.js';
import {
  writeAuditCsv,
  writeAuditJson,
  writeAuditMarkdown,
  writeAuditText,
} from '../../core/render/audit.js';
import { renderDiagnosticsText } from '../../core/render/plan-text.js';
import { parseTime } from '../../core/windows.js';
import { audit } from '../../engine/audit.js';
import {
  accountsOption,
  type Command,
  choiceOption,
  EXIT,
  type OptionValues,
  stringOption,
  UsageError,
} from '../command.js';
import { stderrLogger } from '../logger.js';

function timeOption(values: OptionValues, name: string): number | undefined {
  const value = values[name];
  if (typeof value !== 'string') return undefined;
  const ms = parseTime(value);
  if (ms === undefined)
    throw new UsageError(
      `--${name} must be a date (2026-11-01) or an ISO 8601 time (2026-11-01T08:00:00Z), UTC unless it says otherwise`,
    );
  return ms;
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'report every release attempt of a period, from the ledger (CSV, markdown, JSON)',
  options: {
    ledger: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    account: { type: 'string', multiple: true },
    format: { type: 'string' },
    'summary-only': { type: 'boolean' },
  },
  help: `Usage: quarantine-release audit [--ledger DIR] [--since TIME] [--until TIME] [--account ID]...
                                [--format text|csv|markdown|json] [--summary-only]

Reports every release attempt the ledger records in a period, for an audit: one row per
attempt (a message's records of one account, id and attempt), with its outcome, recipients,
error, the message's disposition, the request's reason, ticket, requester, pull request,
approvers, commit, run and actor, the search that asked for it (its selector; empty for an
id entry), and the times of its first and last records. Then a summary: attempts by
outcome, by entry (id or search), by disposition, by requester and by month. Reads the ledger
only; no network, no credentials.

An attempt's outcome is its latest record. What was asked, and by whom, comes from its
latest pending record not marked "sent": false (written just before the request was sent),
or from its latest record when it has none. An attempt belongs to the period of the time of
its first record. The ledger is read line by line, twice; memory grows with the number of
attempts in the period, not with the size of the ledger.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger); it must exist
  --since TIME        attempts whose first record is at or after TIME (inclusive)
  --until TIME        ... and before TIME (exclusive); TIME is a date, 2026-11-01 (midnight
                      UTC), or an ISO 8601 time, 2026-11-01T08:30:00Z; a time without Z or an
                      offset is UTC. Default: from the first record to the last.
  --account ID        only this account (repeatable)
  --format FORMAT     text (default), csv (RFC 4180, the rows only), markdown or json (one line:
                      {period, accounts, summary, rows})
  --summary-only      the summary without the rows (text, markdown, json)
  -h, --help          show this help

CSV cells that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
carriage return) start with an apostrophe. In markdown, every cell is escaped: no mention,
link, HTML or table break gets through.

Exit codes: 0 reported, 1 corrupt ledger or no ledger directory, 2 usage error.
`,
  async run(values, io) {
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(
      values,
      'format',
      ['text', 'csv', 'markdown', 'json'] as const,
      'text',
    );
    const summaryOnly = values['summary-only'] === true;
    if (summaryOnly && format === 'csv')
      throw new UsageError('--summary-only has no CSV form: use --format text, markdown or json');
    const accounts = accountsOption(values);
    const period: AuditPeriod = {};
    const since = timeOption(values, 'since');
    const until = timeOption(values, 'until');
    if (since !== undefined) period.since = since;
    if (until !== undefined) period.until = until;
    if (since !== undefined && until !== undefined && since >= until)
      throw new UsageError('--since must be before --until');

    const scan = ledgerDirScan(resolve(io.cwd, dir), { skip: true, log: stderrLogger(io) });
    const result = await audit(scan, { period, accounts });
    if (result.kind === 'invalid') {
      io.stderr(renderDiagnosticsText(result.errors));
      if (result.more > 0) io.stderr(`... and ${result.more} more problems\n`);
      io.stderr('The ledger cannot be read: nothing is reported until it is repaired.\n');
      return EXIT.invalid;
    }
    const { report } = result;
    if (format === 'csv') writeAuditCsv(report.rows, io.stdout);
    else if (format === 'json') writeAuditJson(report, io.stdout, { summaryOnly });
    else if (format === 'markdown') writeAuditMarkdown(report, io.stdout, summaryOnly);
    else writeAuditText(report, io.stdout, summaryOnly);
    return EXIT.ok;
  },
};
