// The plan and validation results as JSON for scripts. Pure. Snake_case, stable key order.
import type { Diagnostic } from '../diagnostics.js';
import type { LedgerRecord } from '../ledger/record.js';
import { type Plan, planTotals } from '../plan/plan.js';
import type { ReleaseRequest } from '../releases/load.js';
import { planFingerprint, refusalText } from '../safety/review.js';
import { jsonChunks, writeJson } from './json-stream.js';

export function validationJson(errors: readonly Diagnostic[]): string {
  return `${JSON.stringify(
    {
      valid: errors.length === 0,
      errors: errors.map((d) => ({
        file: d.file,
        line: d.line,
        column: d.column,
        pointer: d.pointer,
        message: d.message,
      })),
    },
    null,
    2,
  )}\n`;
}

function entry(r: ReleaseRequest) {
  return {
    account_id: r.account_id,
    id: r.id,
    reason: r.reason,
    ticket: r.ticket ?? null,
    requested_by: r.requested_by ?? null,
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

export function planJsonValue(plan: Plan) {
  return {
    to_release: plan.accounts.flatMap((a) =>
      a.to_release.map((i) => ({ account_id: a.account_id, id: i.request.id })),
    ),
    totals: planTotals(plan),
    accounts: plan.accounts.map((a) => ({
      account_id: a.account_id,
      to_release: a.to_release.map((i) => ({
        ...entry(i.request),
        attempt: i.attempt,
        resume: i.resume,
        acknowledge: i.request.acknowledge ?? null,
        message: i.message ?? null,
      })),
      refused: (a.refused ?? []).map((r) => ({
        ...entry(r.item.request),
        reason: r.reason,
        explanation: refusalText(r.reason),
        message: r.message ?? null,
      })),
      reviewed: a.refused !== undefined,
      fingerprint: {
        basis: a.refused === undefined ? 'ids' : 'dispositions',
        value: planFingerprint(a, a.refused === undefined ? 'ids' : 'dispositions'),
      },
      to_verify: a.to_verify.map((i) => ({
        account_id: i.account_id,
        id: i.id,
        why: i.why,
        in_file: i.request !== undefined,
        line: i.request?.line ?? null,
        ledger: { id: i.record.id, ...state(i.record) },
      })),
      already_released: a.already_released.map((i) => ({
        ...entry(i.request),
        ledger: state(i.record),
      })),
      held: a.held.map((i) => ({ ...entry(i.request), why: i.why, ledger: state(i.record) })),
      orphaned: a.orphaned.map((i) => ({
        account_id: i.account_id,
        id: i.id,
        ledger: state(i.record),
      })),
    })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${jsonChunks(planJsonValue(plan)).join('')}\n`;
}

/** renderPlanJson() handed to `write` in pieces of about a megabyte, for a large plan. */
export function writePlanJson(plan: Plan, write: (chunk: string) => void): void {
  writeJson(planJsonValue(plan), write);
  write('\n');
}
