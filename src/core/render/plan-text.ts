// The plan as a person reads it in a terminal or a CI log. Pure.
import { type Diagnostic, formatDiagnostic } from '../diagnostics.js';
import type { LedgerRecord } from '../ledger/record.js';
import { type AccountPlan, type Plan, planTotals } from '../plan/plan.js';
import { refusalText } from '../plan/refusals.js';
import { isSearchProblem, searchStatusText } from '../plan/selectors.js';
import type { ReleaseRequest } from '../requests/load.js';
import { escapeLogText } from './escape.js';
import { messageLineText } from './message.js';

export interface TextContext {
  /** Path of releases.yaml as the user named it, for file:line references. */
  file: string;
  redact?: boolean;
}

export function renderPlanText(plan: Plan, ctx: TextContext): string {
  const lines: string[] = [];
  if (plan.accounts.length === 0)
    lines.push('Nothing to do: releases.yaml requests no messages and the ledger is empty.');
  // Lines are pushed one by one: a plan can have hundreds of thousands of them, more than a
  // call's arguments may be (push(...lines) overflows the stack).
  for (const account of plan.accounts) {
    accountLines(account, ctx, lines);
    lines.push('');
  }
  const t = planTotals(plan);
  lines.push(
    `Plan: ${t.refused ? `${t.refused} REFUSED, ` : ''}${t.to_release} to release, ${t.to_verify} to verify, ${t.already_released} already released, ${t.held} held, ${t.orphaned} no longer in the file.`,
  );
  if (plan.accounts.length > 0 && plan.accounts.every((a) => !a.checked)) {
    lines.push(
      'Messages were not looked up (no Cloudflare credentials): their dispositions are checked by apply, before anything is released.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Appends the account's lines to `out`. */
function accountLines(account: AccountPlan, ctx: TextContext, out: string[]): void {
  const first = out.length;
  out.push(`Account ${account.account_id}`);
  const where = (r: { line: number; column: number }) => `${ctx.file}:${r.line}:${r.column}`;
  const opts = { redact: ctx.redact ?? false };
  for (const o of account.searches ?? []) {
    const r = o.request;
    const head = isSearchProblem(o.status) ? 'x SEARCH REFUSED' : 's search  ';
    const ack = r.acknowledge ? `  ! ACKNOWLEDGES ${r.acknowledge}` : '';
    out.push(
      `  ${head} ${escapeLogText(r.text, 600)}: ${escapeLogText(searchStatusText(o.status), 300)}${ack}  ${where(r)}`,
    );
  }
  for (const r of account.refused ?? []) {
    out.push(
      `  x REFUSED  ${r.item.request.id}  ${escapeLogText(refusalText(r.reason), 300)}  ${where(r.item.request)}`,
    );
    if (r.message) out.push(`             ${messageLineText(r.message, opts)}`);
  }
  // Released on an acknowledgement of a guarded disposition: first, and said so.
  const releases = [
    ...account.to_release.filter((i) => i.request.acknowledge !== undefined),
    ...account.to_release.filter((i) => i.request.acknowledge === undefined),
  ];
  for (const item of releases) {
    const r = item.request;
    const ack = r.acknowledge ? `  ! ACKNOWLEDGED ${r.acknowledge}` : '';
    const extra = item.resume
      ? ` (attempt ${item.attempt}, resuming: never sent before)`
      : item.attempt > 1
        ? ` (retry, attempt ${item.attempt})`
        : '';
    out.push(`  + release  ${r.id}${extra}${ack}  ${provenance(r)}  ${where(r)}`);
    if (item.message) out.push(`             ${messageLineText(item.message, opts)}`);
  }
  for (const item of account.to_verify) {
    const why =
      item.why === 'alias'
        ? `the ledger has the same message as ${item.record.id} (${item.record.state}); read back before sending`
        : `${item.why} since ${item.record.at}; read back before anything is sent again`;
    const at = item.request ? `  ${where(item.request)}` : '  (no longer in the file)';
    out.push(`  ? verify   ${item.id}  ${why}${at}`);
  }
  for (const item of account.already_released) {
    out.push(
      `  = released ${item.request.id}  on ${item.record.at}${recipients(item.record)}  ${where(item.request)}`,
    );
  }
  for (const item of account.held) {
    const r = item.request;
    const next = item.record.attempt + 1;
    const hint =
      item.why === 'retry-done'
        ? `attempt ${item.record.attempt} already made; set retry: ${next} to try again`
        : `set retry: ${next} on the entry to send again`;
    out.push(
      `  ! held     ${r.id}  ${item.record.state} (attempt ${item.record.attempt})${recipients(item.record)}${errorText(item.record)}; ${hint}  ${where(r)}`,
    );
  }
  for (const item of account.orphaned) {
    out.push(
      `  - gone     ${item.id}  ${item.state} in the ledger, no longer in the file (nothing is undone)`,
    );
  }
  if (out.length === first + 1) out.push('  (nothing)');
}

function provenance(r: ReleaseRequest): string {
  const parts = [`"${escapeLogText(r.reason, 200)}"`];
  if (r.ticket) parts.push(`[${escapeLogText(r.ticket)}]`);
  if (r.requested_by) parts.push(`by ${escapeLogText(r.requested_by)}`);
  return parts.join(' ');
}

function recipients(record: LedgerRecord): string {
  const parts: string[] = [];
  if (record.delivered?.length) parts.push(`${record.delivered.length} delivered`);
  if (record.failed?.length) parts.push(`${record.failed.length} failed`);
  if (record.undelivered?.length) parts.push(`${record.undelivered.length} undelivered`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function errorText(record: LedgerRecord): string {
  if (!record.error) return '';
  const status = record.error.status ? `HTTP ${record.error.status}: ` : '';
  return ` [${status}${escapeLogText(record.error.message, 200)}]`;
}

export function renderDiagnosticsText(errors: readonly Diagnostic[]): string {
  return `${errors.map((d) => escapeLogText(formatDiagnostic(d), 1000)).join('\n')}\n`;
}
