// The drift check's report: text, JSON, markdown. Pure.
import type { UnappliedEntry, UnappliedReport } from '../check/unapplied.js';
import { codeSpan, escapeLogText, escapeMarkdown } from './escape.js';
import { type RunReport, renderRunMarkdown, renderRunText, runJsonValue } from './results.js';

/** How far one account's check got. Positions count messages in the check order (engine/check). */
export interface AccountProgress {
  account_id: string;
  /** Released messages of the account in the ledger. */
  released: number;
  /** Checked this run (found, or found gone). */
  checked: number;
  /** Messages of the pass before where this run started. */
  from: number;
  /** Messages of the pass before where the next run starts (0: from the beginning). */
  to: number;
  /** The next run starts after this message; absent: from the beginning. */
  after?: string;
  /** This run went round the end of the account's messages (a pass ended). */
  wrapped: boolean;
  /** When the pass in progress started, if it spans runs. */
  passStarted?: string;
  /** Messages that could not be checked, with why. */
  errors: readonly { id: string; message: string }[];
}

/** What happened to the check's cursor file. */
export interface CursorStatus {
  path: string;
  /** found; missing (first run); unreadable (all of it); damaged (some lines ignored). */
  read: 'found' | 'missing' | 'unreadable' | 'damaged';
  /** saved; unchanged (nothing moved); failed (the next run starts where this one did). */
  saved: 'saved' | 'unchanged' | 'failed';
  /** Why it was unreadable or damaged. */
  message?: string;
  /** Why it was not saved. */
  saveError?: string;
}

export interface CheckReport {
  resolved: RunReport;
  drift: readonly { account_id: string; id: string; released_at: string }[];
  checked: number;
  released: number;
  accounts: readonly AccountProgress[];
  cursor: CursorStatus;
  requests: { readBack: number; drift: number; budget: number };
  stopped?: string;
  /** Entries of the requests file the ledger does not hold at all (merged, never applied). */
  unapplied?: UnappliedReport;
}

function hasResolutions(r: CheckReport): boolean {
  return (
    r.resolved.results.length > 0 ||
    (r.resolved.deferred?.length ?? 0) > 0 ||
    (r.resolved.unverified?.length ?? 0) > 0
  );
}

function totalLine(r: CheckReport): string {
  return `Checked ${r.checked} of ${r.released} released message(s) this run${r.checked < r.released ? '; the rest on the next runs' : ''}.`;
}

function requestsLine(r: CheckReport): string {
  return `Requests: ${r.requests.readBack} read-back, ${r.requests.drift} drift, of a budget of ${r.requests.budget}.`;
}

/** Where one account's cursor got, in one line (ids and account ids are plain by shape). */
function progressText(a: AccountProgress, code: (s: string) => string): string {
  const pass = a.wrapped ? 'a pass ended this run; ' : '';
  const next =
    a.after === undefined
      ? 'the next run starts from the beginning'
      : `the next run starts at message ${a.to + 1} of ${a.released}, after ${code(a.after)}${a.passStarted ? ` (this pass started ${code(a.passStarted)})` : ''}`;
  return `checked ${a.checked} of ${a.released} from message ${a.from + 1}; ${pass}${next}`;
}

function cursorText(c: CursorStatus, quote: (s: string) => string): string {
  const read = {
    found: '',
    missing: 'none saved before, so this run started from the beginning; ',
    unreadable: `unreadable (${quote(c.message ?? '')}), so this run started from the beginning; `,
    damaged: `partly unreadable (${quote(c.message ?? '')}); `,
  }[c.read];
  const saved = {
    saved: 'saved',
    unchanged: 'not moved, so not written',
    failed: `NOT saved (${quote(c.saveError ?? '')}): the next run starts where this one did`,
  }[c.saved];
  return `${read}${saved}`;
}

/** What to do about entries never applied (the same words in every format). */
const UNAPPLIED_ADVICE =
  'Re-run the apply run of the merge that added them (a workflow_dispatch releases nothing new; with the CLI, run apply), or remove from the file what should not be released.';

/** `file` as the format shows it (escaped, or in a code span). */
function unappliedHeadline(u: UnappliedReport, file: string): string {
  const n = u.entries.length;
  return `${n} entr${n === 1 ? 'y' : 'ies'} of ${file} ${n === 1 ? 'is' : 'are'} not in the ledger at all (merged, never applied); ${u.overdue} waiting ${u.afterHours} h or more`;
}

/** How long, and since when: "30 h, since 2026-11-24T06:00:00.000Z (commit abc1234)". */
function waited(e: UnappliedEntry, code: (s: string) => string): string {
  if (e.hours === undefined) return 'for a time that cannot be told';
  return `${e.hours} h, since ${code(e.since ?? '')}${e.commit ? ` (commit ${code(e.commit.slice(0, 12))})` : ''}`;
}

function unappliedText(u: UnappliedReport): string[] {
  const first = u.entries[0];
  if (!first) return ['Not applied: none (every entry of the requests file is in the ledger).'];
  const file = escapeLogText(first.file, 300);
  const lines = [`NOT APPLIED: ${unappliedHeadline(u, file)}:`];
  for (const e of u.entries.slice(0, 1000)) {
    // A search's text holds the requester's subject: escaped. An id was validated.
    const [what, detail] =
      e.selector !== undefined
        ? [`search ${escapeLogText(e.selector, 1024)}`, 'no record of it']
        : [e.id, (e.attempt ?? 1) > 1 ? `retry ${e.attempt}` : 'attempt 1'];
    lines.push(
      `  ${file}:${e.line}:${e.column}  ${what}  (account ${e.account_id}, ${detail}): ${waited(e, (s) => s)}${e.overdue ? '  OVERDUE' : ''}${e.refused ? `; apply refuses it: ${escapeLogText(e.refused, 300)}` : ''}`,
    );
  }
  if (u.entries.length > 1000) lines.push(`  … ${u.entries.length - 1000} more`);
  lines.push(`  Since when: ${escapeLogText(u.source, 300)}.`, `  ${UNAPPLIED_ADVICE}`);
  return lines;
}

export function renderCheckText(r: CheckReport): string {
  const lines: string[] = [];
  if (hasResolutions(r))
    lines.push('Unresolved sends, read back:', renderRunText(r.resolved).trimEnd());
  if (r.drift.length === 0) lines.push('No drift: no released message is back in quarantine.');
  else {
    lines.push(
      `DRIFT: ${r.drift.length} message(s) the ledger records as released are back in quarantine:`,
    );
    for (const d of r.drift)
      lines.push(`  ${d.id}  (account ${d.account_id}, released ${d.released_at})`);
  }
  if (r.unapplied) lines.push(...unappliedText(r.unapplied));
  lines.push(totalLine(r));
  for (const a of r.accounts) {
    lines.push(`  account ${a.account_id}: ${progressText(a, (s) => s)}`);
    for (const e of a.errors)
      lines.push(`    could not check ${e.id}: ${escapeLogText(e.message, 200)}`);
  }
  lines.push(
    `Cursor ${escapeLogText(r.cursor.path, 300)}: ${cursorText(r.cursor, (s) => escapeLogText(s, 300))}.`,
  );
  lines.push(requestsLine(r));
  if (r.stopped) lines.push(`Stopped early: ${escapeLogText(r.stopped, 300)}`);
  return `${lines.join('\n')}\n`;
}

export function checkJsonValue(r: CheckReport) {
  return {
    drift: r.drift,
    checked: r.checked,
    released: r.released,
    accounts: r.accounts.map((a) => ({
      account_id: a.account_id,
      released: a.released,
      checked: a.checked,
      // Positions in the check order: messages of the pass before this run's start, and
      // before the next run's start (0: it starts from the beginning).
      from: a.from,
      to: a.to,
      next_after: a.after ?? null,
      wrapped: a.wrapped,
      pass_started: a.passStarted ?? null,
      errors: a.errors,
    })),
    cursor: {
      path: r.cursor.path,
      read: r.cursor.read,
      saved: r.cursor.saved,
      message: r.cursor.message ?? null,
      save_error: r.cursor.saveError ?? null,
    },
    requests: {
      read_back: r.requests.readBack,
      drift: r.requests.drift,
      budget: r.requests.budget,
    },
    stopped: r.stopped ?? null,
    unapplied: r.unapplied
      ? {
          after_hours: r.unapplied.afterHours,
          basis: r.unapplied.basis,
          source: r.unapplied.source,
          overdue: r.unapplied.overdue,
          entries: r.unapplied.entries.map((e) => ({
            account_id: e.account_id,
            id: e.id ?? null,
            attempt: e.attempt ?? null,
            selector: e.selector ?? null,
            file: e.file,
            line: e.line,
            column: e.column,
            since: e.since ?? null,
            commit: e.commit ?? null,
            hours: e.hours ?? null,
            overdue: e.overdue,
            refused: e.refused ?? null,
          })),
        }
      : undefined,
    resolved: runJsonValue(r.resolved),
  };
}

function unappliedMarkdown(u: UnappliedReport): string[] {
  const first = u.entries[0];
  if (!first) return [];
  const kind = u.overdue > 0 ? 'CAUTION' : 'WARNING';
  const out = [
    `> [!${kind}]\n> ${unappliedHeadline(u, codeSpan(first.file))}.`,
    '',
    '| Entry | Message | Account | Attempt | Waiting |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const e of u.entries.slice(0, 200))
    out.push(
      `| ${codeSpan(`${first.file}:${e.line}:${e.column}`)} | ${e.selector !== undefined ? `search ${escapeMarkdown(e.selector, 1024)}` : codeSpan(e.id ?? '')} | ${codeSpan(e.account_id)} | ${e.attempt ?? '–'} | ${waited(e, codeSpan)}${e.overdue ? ' ⛔' : ''}${e.refused ? `; apply refuses it: ${escapeMarkdown(e.refused, 300)}` : ''} |`,
    );
  if (u.entries.length > 200)
    out.push('', `… ${u.entries.length - 200} more; see the results file.`);
  out.push('', `Since when: ${escapeMarkdown(u.source, 300)}. ${UNAPPLIED_ADVICE}`, '');
  return out;
}

export function renderCheckMarkdown(r: CheckReport): string {
  const out = ['## quarantine-release drift check', ''];
  if (r.drift.length === 0) out.push('✅ No drift: no released message is back in quarantine.', '');
  else {
    out.push(
      `> [!CAUTION]\n> ${r.drift.length} message(s) the ledger records as released are back in quarantine.`,
      '',
    );
    out.push('| Message | Account | Released |', '| --- | --- | --- |');
    for (const d of r.drift.slice(0, 1000))
      out.push(`| ${codeSpan(d.id)} | ${codeSpan(d.account_id)} | ${codeSpan(d.released_at)} |`);
    if (r.drift.length > 1000)
      out.push('', `… ${r.drift.length - 1000} more; see the results file.`);
    out.push('');
  }
  if (r.unapplied) out.push(...unappliedMarkdown(r.unapplied));
  out.push(totalLine(r), '');
  if (r.stopped) out.push(`> [!WARNING]\n> Stopped early: ${escapeMarkdown(r.stopped, 300)}`, '');
  if (r.accounts.length > 0) {
    out.push('| Account | Progress |', '| --- | --- |');
    for (const a of r.accounts.slice(0, 200))
      out.push(`| ${codeSpan(a.account_id)} | ${progressText(a, codeSpan)} |`);
    out.push('');
  }
  const errors = r.accounts.flatMap((a) => a.errors);
  if (errors.length > 0) {
    out.push(`**Could not check** (${errors.length}; checked again by a later run):`, '');
    for (const e of errors.slice(0, 50))
      out.push(`- ${codeSpan(e.id)}: ${escapeMarkdown(e.message, 200)}`);
    out.push('');
  }
  out.push(
    `Cursor ${codeSpan(r.cursor.path)}: ${cursorText(r.cursor, (s) => escapeMarkdown(s, 300))}. ${requestsLine(r)}`,
    '',
  );
  if (hasResolutions(r))
    out.push('### Unresolved sends, read back', '', renderRunMarkdown(r.resolved, 500));
  return out.join('\n');
}
