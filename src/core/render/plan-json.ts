// The plan and validation results as JSON for scripts. Pure. Snake_case, stable key order.
import type { Diagnostic } from '../diagnostics.js';
import type { LedgerRecord } from '../ledger/record.js';
import { type Plan, planTotals } from '../plan/plan.js';
import { refusalText } from '../plan/refusals.js';
import { searchStatusText } from '../plan/selectors.js';
import type { ReleaseRequest } from '../requests/load.js';
import { basisOf, planFingerprint } from '../safety/review.js';
import { MappedList, writeJson } from './json-stream.js';

export function validationJson(errors: readonly Diagnostic[]): string {
  return `${JSON.stringify({
    valid: errors.length === 0,
    errors: errors.map((d) => ({
      file: d.file,
      line: d.line,
      column: d.column,
      pointer: d.pointer,
      message: d.message,
    })),
  })}\n`;
}

function entry(r: ReleaseRequest) {
  return {
    account_id: r.account_id,
    id: r.id,
    reason: r.reason,
    ticket: r.ticket ?? null,
    requested_by: r.requested_by ?? null,
    selector: r.selector ?? null,
    line: r.line,
    column: r.column,
  };
}

function state(record: LedgerRecord) {
  return {
    state: record.state,
    attempt: record.attempt,
    at: record.at,
    delivered: record.delivered ?? null,
    failed: record.failed ?? null,
    undelivered: record.undelivered ?? null,
    error: record.error ?? null,
  };
}

/** Makes a list of JSON values from plan items: at once, or as they are written. */
type ListOf = <S, T>(source: readonly S[], map: (item: S) => T) => T[];

// planJsonValue() is plain data (the action writes it into its results file); writePlanJson()
// writes the same structure with its long lists as MappedLists, which JSON.stringify and
// writeJson() both write as the arrays they stand for.
const atOnce: ListOf = (source, map) => source.map(map);
const asWritten: ListOf = (source, map) =>
  new MappedList(source, map) as unknown as ReturnType<typeof map>[];

export function planJsonValue(plan: Plan) {
  return planJson(plan, atOnce);
}

function planJson(plan: Plan, list: ListOf) {
  return {
    to_release: list(
      plan.accounts.flatMap((a) => a.to_release.map((i) => [a.account_id, i] as const)),
      ([account_id, i]) => ({ account_id, id: i.request.id }),
    ),
    totals: planTotals(plan),
    accounts: plan.accounts.map((a) => ({
      account_id: a.account_id,
      to_release: list(a.to_release, (i) => ({
        ...entry(i.request),
        attempt: i.attempt,
        resume: i.resume,
        acknowledge: i.request.acknowledge ?? null,
        message: i.message ?? null,
      })),
      refused: list(a.refused ?? [], (r) => ({
        ...entry(r.item.request),
        reason: r.reason,
        explanation: refusalText(r.reason),
        message: r.message ?? null,
      })),
      searches: (a.searches ?? []).map((o) => ({
        selector: o.request.text,
        search: o.request.search,
        reason: o.request.reason,
        acknowledge: o.request.acknowledge ?? null,
        line: o.request.line,
        column: o.request.column,
        status: o.status,
        explanation: searchStatusText(o.status),
      })),
      reviewed: a.checked === true,
      fingerprint: { basis: basisOf(a), value: planFingerprint(a, basisOf(a)) },
      to_verify: list(a.to_verify, (i) => ({
        account_id: i.account_id,
        id: i.id,
        why: i.why,
        in_file: i.request !== undefined,
        line: i.request?.line ?? null,
        ledger: { id: i.record.id, ...state(i.record) },
      })),
      already_released: list(a.already_released, (i) => ({
        ...entry(i.request),
        ledger: state(i.record),
      })),
      held: list(a.held, (i) => ({ ...entry(i.request), why: i.why, ledger: state(i.record) })),
      // Orphans can be most of a long-lived ledger: their state, not their recipients (the
      // ledger has those), so a plan does not repeat every address ever released.
      orphaned: list(a.orphaned, (i) => ({
        account_id: i.account_id,
        id: i.id,
        ledger: { state: i.state, attempt: i.attempt, at: i.at },
      })),
    })),
  };
}

// One line: the form for scripts (a plan of 50,000 messages is half the size and written in
// half the time); `jq .` shows it indented.
const LAYOUT = { indent: 0 };

/** The plan as one line of JSON, handed to `write` in pieces of about a megabyte. */
export function writePlanJson(plan: Plan, write: (chunk: string) => void): void {
  writeJson(planJson(plan, asWritten), write, LAYOUT);
  write('\n');
}
