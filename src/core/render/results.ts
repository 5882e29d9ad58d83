// What an apply run did, for a terminal, for scripts, and for markdown. Pure.
import type { LedgerState, RecordError } from '../ledger/record.js';
import type { Plan, Refused, SearchOutcome } from '../plan/plan.js';
import { refusalText } from '../plan/refusals.js';
import { isSearchProblem, searchStatusText } from '../plan/selectors.js';
import type { RunResult } from '../release/result.js';
import { codeSpan, escapeLogText, escapeMarkdown } from './escape.js';

export interface RunReport {
  results: readonly RunResult[];
  notStarted: readonly { account_id: string; id: string }[];
  /** Sends that may still be in flight: left for a later run (see engine/apply Deferred). */
  deferred?: readonly { account_id: string; id: string; since: string; until?: string }[];
  /** Unresolved sends not read back: the lookup budget was used up (see engine/apply). */
  unverified?: readonly { account_id: string; id: string }[];
  wouldRelease: readonly { account_id: string; id: string; attempt: number }[];
  dryRun: boolean;
  stopped?: string;
  /** Why nothing was released at all (too many messages, a plan other than the reviewed one). */
  blocked?: string;
  /** Added to the file after the pushed commit: left for the run of their own push. */
  later?: readonly { account_id: string; id: string }[];
  /** The reviewed plan: its `refused` entries are reported with the results. */
  plan?: Plan;
}

/** Messages refused by the review, with their account. */
export function refusedOf(report: RunReport): { account_id: string; refused: Refused }[] {
  return (report.plan?.accounts ?? []).flatMap((a) =>
    (a.refused ?? []).map((refused) => ({ account_id: a.account_id, refused })),
  );
}

/** The searches of the run, with their account (none when the file has no `search:`). */
function searchesOf(report: RunReport): SearchOutcome[] {
  return (report.plan?.accounts ?? []).flatMap((a) => a.searches ?? []);
}

/** Searches refused as a whole (over their limit) or not resolved. */
export function refusedSearchesOf(report: RunReport): SearchOutcome[] {
  return searchesOf(report).filter((o) => isSearchProblem(o.status));
}

export type StateCounts = Record<LedgerState, number>;

export function countStates(rows: readonly RunResult[]): StateCounts {
  const counts: StateCounts = { released: 0, partial: 0, failed: 0, unknown: 0, pending: 0 };
  for (const r of rows) counts[r.state]++;
  return counts;
}

/** Why a send was left alone, in one line. */
function deferredWhy(d: { since: string; until?: string }): string {
  return d.until
    ? `sent at ${d.since} and may still be in progress at Cloudflare until ${d.until}; run again after that`
    : `pending since ${d.since} in another run that is still going`;
}

/** True when everything this run set out to do ended released, and nothing was refused. */
export function runSucceeded(report: RunReport): boolean {
  return (
    report.stopped === undefined &&
    report.blocked === undefined &&
    refusedOf(report).length === 0 &&
    refusedSearchesOf(report).length === 0 &&
    report.notStarted.length === 0 &&
    (report.deferred?.length ?? 0) === 0 &&
    (report.unverified?.length ?? 0) === 0 &&
    report.results.every((r) => r.state === 'released')
  );
}

/** How many recipients a send reached, failed or left undelivered: "2 delivered, 1 failed". */
export function recipientText(r: Pick<RunResult, 'delivered' | 'failed' | 'undelivered'>): string {
  const parts: string[] = [];
  if (r.delivered) parts.push(`${r.delivered.length} delivered`);
  if (r.failed?.length) parts.push(`${r.failed.length} failed`);
  if (r.undelivered?.length) parts.push(`${r.undelivered.length} undelivered`);
  return parts.join(', ');
}

export function errorText(e: RecordError | undefined): string {
  if (!e) return '';
  return `${e.status ? `HTTP ${e.status}${e.code ? ` code ${e.code}` : ''}: ` : ''}${e.message}`;
}

const LATER_WHY = 'added after the pushed commit; the run of its own push releases it';

const VIA: Record<RunResult['via'], string> = {
  release: 'released by this run',
  readback: 'resolved by read-back',
  'not-sent': 'not sent',
};

export function renderRunText(report: RunReport): string {
  const lines: string[] = [];
  if (report.blocked)
    lines.push(`REFUSED, nothing released: ${escapeLogText(report.blocked, 600)}`);
  for (const o of searchesOf(report))
    lines.push(
      `  ${isSearchProblem(o.status) ? 'search refused' : 'search'}  ${escapeLogText(o.request.text, 600)} (line ${o.request.line}): ${escapeLogText(searchStatusText(o.status), 300)}`,
    );
  for (const { refused } of refusedOf(report)) {
    lines.push(
      `  refused  ${refused.item.request.id}  ${escapeLogText(refusalText(refused.reason), 300)}`,
    );
  }
  if (report.dryRun) {
    lines.push(`Dry run: nothing was sent and nothing was written.`);
    for (const w of report.wouldRelease)
      lines.push(`  would release ${w.id} (account ${w.account_id}, attempt ${w.attempt})`);
    if (report.wouldRelease.length === 0) lines.push('  nothing would be released');
  }
  for (const r of report.results) {
    const details = [recipientText(r), escapeLogText(errorText(r.error), 300)]
      .filter((s) => s !== '')
      .join('; ');
    lines.push(
      `  ${r.state.padEnd(8)} ${r.id}  (${VIA[r.via]}, attempt ${r.attempt})${details ? `  ${details}` : ''}`,
    );
  }
  for (const n of report.notStarted) lines.push(`  not started ${n.id} (account ${n.account_id})`);
  for (const d of report.deferred ?? [])
    lines.push(`  left alone ${d.id} (account ${d.account_id}): ${deferredWhy(d)}`);
  for (const u of report.unverified ?? [])
    lines.push(
      `  not read back ${u.id} (account ${u.account_id}): the lookup budget was used up; a later run resolves it`,
    );
  for (const l of report.later ?? [])
    lines.push(`  left for a later run ${l.id} (account ${l.account_id}): ${LATER_WHY}`);
  const c = countStates(report.results);
  lines.push(
    `Result: ${c.released} released, ${c.partial} partial, ${c.failed} failed, ${c.unknown} unknown, ${c.pending} pending, ${report.notStarted.length} not started, ${refusedOf(report).length} refused.`,
  );
  if (report.stopped) lines.push(`Stopped early: ${escapeLogText(report.stopped, 500)}`);
  if (
    !report.dryRun &&
    report.results.length === 0 &&
    report.notStarted.length === 0 &&
    !report.stopped &&
    !report.blocked &&
    refusedOf(report).length === 0 &&
    (report.later?.length ?? 0) === 0
  ) {
    lines.push('Nothing to release: every requested message is already in the ledger.');
  }
  return `${lines.join('\n')}\n`;
}

export function runJsonValue(report: RunReport) {
  return {
    results: report.results.map((r) => ({
      account_id: r.account_id,
      id: r.id,
      state: r.state,
      attempt: r.attempt,
      via: r.via,
      delivered: r.delivered ?? null,
      failed: r.failed ?? null,
      undelivered: r.undelivered ?? null,
      error: r.error ?? null,
    })),
    counts: countStates(report.results),
    not_started: report.notStarted,
    deferred: report.deferred ?? [],
    unverified: report.unverified ?? [],
    later: report.later ?? [],
    refused: refusedOf(report).map(({ account_id, refused }) => ({
      account_id,
      id: refused.item.request.id,
      reason: refused.reason,
      explanation: refusalText(refused.reason),
      disposition: refused.message?.disposition ?? null,
    })),
    searches: searchesOf(report).map((o) => ({
      account_id: o.request.account_id,
      selector: o.request.text,
      line: o.request.line,
      status: o.status,
      explanation: searchStatusText(o.status),
    })),
    blocked: report.blocked ?? null,
    stopped: report.stopped ?? null,
    dry_run: report.dryRun,
    would_release: report.wouldRelease,
  };
}

export function renderRunJson(report: RunReport): string {
  return `${JSON.stringify(runJsonValue(report))}\n`;
}

/**
 * Results as markdown (PR comments, job summaries). Rows beyond `maxRows`, or beyond what fits
 * in `maxChars`, are counted, not shown; the notes above the rows are bounded on their own.
 */
export function renderRunMarkdown(
  report: RunReport,
  maxRows: number,
  maxChars = Number.POSITIVE_INFINITY,
): string {
  const c = countStates(report.results);
  const refused = refusedOf(report);
  const out = [
    `**Result:** ${c.released} released · ${c.partial} partial · ${c.failed} failed · ${c.unknown} unknown · ${c.pending} pending · ${report.notStarted.length} not started · ${refused.length} refused`,
    '',
  ];
  if (report.blocked)
    out.push(`> [!CAUTION]\n> Nothing was released: ${escapeMarkdown(report.blocked, 800)}`, '');
  if (report.stopped)
    out.push(`> [!WARNING]\n> Stopped early: ${escapeMarkdown(report.stopped, 500)}`, '');
  if (report.deferred?.length) {
    const later = report.deferred.reduce((m, d) => (d.until && d.until > m ? d.until : m), '');
    out.push(
      `> [!NOTE]\n> ${report.deferred.length} message(s) whose last send may still be in flight (another run still going, or sent too recently to tell) were left alone; a later run${later ? ` after ${codeSpan(later)}` : ''} resolves them.`,
      '',
    );
  }
  if (report.unverified?.length) {
    out.push(
      `> [!NOTE]\n> ${report.unverified.length} message(s) whose last send has no known outcome were not read back: the lookup budget was used up; the next runs resolve them.`,
      '',
    );
  }
  if (report.later?.length) {
    out.push(
      `> [!NOTE]\n> ${report.later.length} message(s) left for a later run: added after the pushed commit, the run of their own push releases them: ${firstIds(report.later.map((l) => l.id))}`,
      '',
    );
  }
  for (const o of searchesOf(report)) {
    if (o.status.kind !== 'resolved' || !o.status.missing) continue;
    out.push(
      `> [!NOTE]\n> Search at line ${o.request.line}: ${escapeMarkdown(searchStatusText(o.status), 400)}`,
      '',
    );
  }
  for (const o of refusedSearchesOf(report).slice(0, 5))
    out.push(
      `> [!WARNING]\n> Search at line ${o.request.line} (${escapeMarkdown(o.request.text, 400)}): ${escapeMarkdown(searchStatusText(o.status), 400)}`,
      '',
    );
  if (refused.length > 0) {
    out.push(
      `> [!WARNING]\n> ${refused.length} message(s) refused (see the plan): ${firstIds(refused.map((r) => r.refused.item.request.id))}`,
      '',
    );
  }
  // Problems first: they are what a reader must act on.
  const order: Record<LedgerState, number> = {
    unknown: 0,
    failed: 1,
    partial: 2,
    pending: 3,
    released: 4,
  };
  const rows = [...report.results].sort((a, b) => order[a.state] - order[b.state]);
  if (rows.length > 0) {
    out.push('| Message | State | How | Recipients | Error |', '| --- | --- | --- | --- | --- |');
    // Room for the line counting the rows not shown.
    let length = out.join('\n').length + 100;
    let shown = 0;
    for (const r of rows.slice(0, maxRows)) {
      const line = `| ${codeSpan(r.id)} | ${r.state} | ${VIA[r.via]} | ${recipientText(r)} | ${escapeMarkdown(errorText(r.error), 300)} |`;
      if (length + line.length + 1 > maxChars) break;
      out.push(line);
      length += line.length + 1;
      shown++;
    }
    if (rows.length > shown)
      out.push('', `… ${rows.length - shown} more rows; see the job summary or the ledger.`);
    out.push('');
  }
  return out.join('\n');
}

/** The first five ids as code, and an ellipsis when there are more. */
function firstIds(ids: readonly string[]): string {
  return `${ids.slice(0, 5).map(codeSpan).join(', ')}${ids.length > 5 ? ', …' : ''}`;
}
