// The audit report as CSV, markdown, text and JSON. Pure. A report may hold hundreds of
// thousands of rows: each is written in pieces to `write`, never made one string.
import type { AuditReport, AuditRow, AuditSummary } from '../audit/attempts.js';
import { OUTCOMES } from '../audit/attempts.js';
import { periodJson, periodText } from '../audit/period.js';
import { codeSpan, escapeLogText, escapeMarkdown } from './escape.js';
import { chunkWriter, MappedList, writeJson } from './json-stream.js';
import { errorText } from './results.js';

type Write = (chunk: string) => void;

/** Writes in strings of about 64 KiB: not one call per cell, nor one string per report. */
const chunked = (write: Write) => chunkWriter(write, 1 << 16);

const numberCell = (n: number | null) => (n === null ? '' : String(n));

/** The columns of the CSV and markdown tables: name, and the cell as text. */
const COLUMNS: readonly (readonly [string, (r: AuditRow) => string])[] = [
  ['first_at', (r) => r.first_at],
  ['last_at', (r) => r.last_at],
  ['account_id', (r) => r.account_id],
  ['id', (r) => r.id],
  ['attempt', (r) => String(r.attempt)],
  ['state', (r) => r.state],
  ['delivered', (r) => numberCell(r.delivered)],
  ['failed', (r) => numberCell(r.failed)],
  ['undelivered', (r) => numberCell(r.undelivered)],
  ['error', (r) => (r.error ? errorText(r.error) : '')],
  ['disposition', (r) => r.disposition ?? ''],
  ['acknowledge', (r) => r.acknowledge ?? ''],
  ['reason', (r) => r.reason ?? ''],
  ['ticket', (r) => r.ticket ?? ''],
  ['requested_by', (r) => r.requested_by ?? ''],
  ['pull_request', (r) => numberCell(r.pull_request)],
  ['approved_by', (r) => (r.approved_by ?? []).join(' ')],
  ['commit', (r) => r.commit ?? ''],
  ['run', (r) => r.run ?? ''],
  ['actor', (r) => r.actor ?? ''],
  // Last, so that the columns before it keep their places in existing spreadsheets.
  ['selector', (r) => r.selector ?? ''],
];

// Cells a spreadsheet would read as a formula (OWASP, "CSV Injection"): a leading apostrophe
// makes them text.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled; a field that would start a formula gets a leading apostrophe first.
 */
export function csvCell(text: string): string {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The rows as CSV: a header line, then one line per attempt, each ended by CRLF. */
export function writeAuditCsv(rows: readonly AuditRow[], write: Write): void {
  const out = chunked(write);
  out.push(`${COLUMNS.map(([name]) => name).join(',')}\r\n`);
  for (const row of rows)
    out.push(`${COLUMNS.map(([, cell]) => csvCell(cell(row))).join(',')}\r\n`);
  out.end();
}

// Markdown cells: identifiers and times we validated as code spans, everything else escaped.
const CODE = new Set([
  'first_at',
  'last_at',
  'account_id',
  'id',
  'disposition',
  'acknowledge',
  'commit',
  'run',
]);

function markdownCell(name: string, text: string): string {
  if (text === '') return '';
  // A selector may be 1,024 characters (the ledger schema's bound): shown whole.
  return CODE.has(name) ? codeSpan(text) : escapeMarkdown(text, name === 'selector' ? 1024 : 600);
}

function periodLine(report: Pick<AuditReport, 'period' | 'accounts' | 'summary'>): string {
  const { since, until } = periodJson(report.period);
  const accounts =
    report.accounts.length > 0
      ? `, account${report.accounts.length === 1 ? '' : 's'} ${report.accounts.map(codeSpan).join(', ')}`
      : '';
  return `Release attempts from ${since === null ? 'the first record' : `${codeSpan(since)} (inclusive)`} to ${until === null ? 'the last record' : `${codeSpan(until)} (exclusive)`}${accounts}: **${report.summary.attempts}**.`;
}

function countTable(title: string, entries: [string, number][]): string[] {
  if (entries.length === 0) return [];
  return [
    '',
    `| ${title} | attempts |`,
    '| --- | ---: |',
    ...entries.map(([key, n]) => `| ${key} | ${n} |`),
  ];
}

export interface SummaryLimits {
  /** Requesters listed at most (a job summary is capped at 1 MiB); the rest are counted. */
  maxRequesters?: number;
}

/** The summary as markdown: what the action writes to the job summary. */
export function renderAuditSummaryMarkdown(
  report: Pick<AuditReport, 'period' | 'accounts' | 'summary'>,
  limits: SummaryLimits = {},
): string {
  const s: AuditSummary = report.summary;
  const requesters = s.by_requester.slice(0, limits.maxRequesters ?? s.by_requester.length);
  const left = s.by_requester.length - requesters.length;
  const lines = [
    '### quarantine-release audit',
    '',
    periodLine(report),
    ...countTable(
      'outcome',
      OUTCOMES.map((state) => [state, s.by_outcome[state]]),
    ),
    ...countTable('entry', [
      ['`id`', s.by_entry.id],
      ['`search`', s.by_entry.search],
    ]),
    ...countTable(
      'disposition',
      Object.entries(s.by_disposition).map(([d, n]) => [
        d === 'unknown' ? '_unknown_' : codeSpan(d),
        n,
      ]),
    ),
    ...countTable(
      'requested by',
      requesters.map((r) => [
        r.requested_by === null ? '_not recorded_' : escapeMarkdown(r.requested_by, 200),
        r.attempts,
      ]),
    ),
    ...(left > 0
      ? ['', `… and ${left} more requesters (all of them are in the JSON report).`]
      : []),
    ...countTable(
      'month (UTC)',
      Object.entries(s.by_month).map(([m, n]) => [codeSpan(m), n]),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The summary, then (unless `summaryOnly`) one table row per attempt. */
export function writeAuditMarkdown(report: AuditReport, write: Write, summaryOnly: boolean): void {
  const out = chunked(write);
  out.push(renderAuditSummaryMarkdown(report));
  if (!summaryOnly && report.rows.length > 0) {
    out.push('\n');
    out.push(`| ${COLUMNS.map(([name]) => name).join(' | ')} |\n`);
    out.push(`|${COLUMNS.map(() => ' --- |').join('')}\n`);
    for (const row of report.rows)
      out.push(`| ${COLUMNS.map(([name, cell]) => markdownCell(name, cell(row))).join(' | ')} |\n`);
  }
  out.end();
}

/** The summary for a terminal. */
export function renderAuditSummaryText(
  report: Pick<AuditReport, 'period' | 'accounts' | 'summary'>,
): string {
  const s = report.summary;
  const list = (entries: [string, number][]) =>
    entries.length === 0 ? '-' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [
    `quarantine-release audit, ${periodText(report.period)}${report.accounts.length > 0 ? `, accounts ${report.accounts.join(', ')}` : ''}: ${s.attempts} release attempt${s.attempts === 1 ? '' : 's'}`,
    `  outcome:      ${list(OUTCOMES.map((state) => [state, s.by_outcome[state]]))}`,
    `  entry:        id ${s.by_entry.id}, search ${s.by_entry.search}`,
    `  disposition:  ${list(Object.entries(s.by_disposition))}`,
    `  month (UTC):  ${list(Object.entries(s.by_month))}`,
    `  requested by:${s.by_requester.length === 0 ? ' -' : ''}`,
    ...s.by_requester.map(
      (r) =>
        `    ${String(r.attempts).padStart(6)}  ${r.requested_by === null ? '(not recorded)' : escapeLogText(r.requested_by, 200)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** One line per attempt, user text escaped. */
function textRow(r: AuditRow): string {
  const parts = [
    `${r.first_at}  ${r.state.padEnd(8)} ${r.account_id} ${r.id} (attempt ${r.attempt})`,
  ];
  const recipients = [
    r.delivered === null ? '' : `${r.delivered} delivered`,
    r.failed ? `${r.failed} failed` : '',
    r.undelivered ? `${r.undelivered} undelivered` : '',
  ].filter((p) => p !== '');
  if (recipients.length > 0) parts.push(recipients.join(', '));
  if (r.error) parts.push(escapeLogText(errorText(r.error), 300));
  if (r.disposition) parts.push(r.disposition);
  if (r.requested_by !== null) parts.push(`requested by ${escapeLogText(r.requested_by, 100)}`);
  if (r.pull_request !== null) parts.push(`PR #${r.pull_request}`);
  if (r.approved_by && r.approved_by.length > 0)
    parts.push(`approved by ${escapeLogText(r.approved_by.join(' '), 600)}`);
  if (r.reason !== null) parts.push(`reason: ${escapeLogText(r.reason, 500)}`);
  if (r.selector !== null) parts.push(`search: ${escapeLogText(r.selector, 1024)}`);
  return `  ${parts.join('; ')}\n`;
}

/** The summary, then (unless `summaryOnly`) one line per attempt. */
export function writeAuditText(report: AuditReport, write: Write, summaryOnly: boolean): void {
  const out = chunked(write);
  out.push(renderAuditSummaryText(report));
  if (!summaryOnly) for (const row of report.rows) out.push(textRow(row));
  out.end();
}

/** A row as JSON: every field, null where the ledger has nothing. */
export function auditRowJson(r: AuditRow) {
  return {
    first_at: r.first_at,
    last_at: r.last_at,
    account_id: r.account_id,
    id: r.id,
    attempt: r.attempt,
    state: r.state,
    delivered: r.delivered,
    failed: r.failed,
    undelivered: r.undelivered,
    error: r.error,
    disposition: r.disposition,
    acknowledge: r.acknowledge,
    reason: r.reason,
    ticket: r.ticket,
    requested_by: r.requested_by,
    pull_request: r.pull_request,
    approved_by: r.approved_by,
    commit: r.commit,
    run: r.run,
    actor: r.actor,
    selector: r.selector,
  };
}

/** {period, accounts, summary, rows} (no rows when `summaryOnly`), in pieces. */
export function writeAuditJson(
  report: AuditReport,
  write: Write,
  { summaryOnly = false, indent = 0 }: { summaryOnly?: boolean; indent?: number } = {},
): void {
  const value = {
    period: periodJson(report.period),
    accounts: report.accounts,
    summary: report.summary,
    ...(summaryOnly ? {} : { rows: new MappedList(report.rows, auditRowJson) }),
  };
  writeJson(value, write, { indent, depth: 2 });
  write('\n');
}
