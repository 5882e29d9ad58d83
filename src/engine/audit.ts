// The audit report: every release attempt of a period, read from a ledger of any size.
import type { AuditReport } from '../core/audit/attempts.js';
import { AttemptCollector, summarize } from '../core/audit/attempts.js';
import type { AuditPeriod } from '../core/audit/period.js';
import { type Diagnostic, sortDiagnostics } from '../core/diagnostics.js';
import type { LedgerScan } from './ports.js';

/** Problems listed at most: a file that is not a ledger at all would give one per line. */
export const MAX_PROBLEMS = 1000;

export type AuditOutcome =
  | { kind: 'report'; report: AuditReport }
  | { kind: 'invalid'; errors: Diagnostic[]; more: number };

export interface AuditQuery {
  period: AuditPeriod;
  /** Only these accounts; empty: all. */
  accounts: readonly string[];
}

/**
 * Reads the ledger twice (see core/audit/attempts for why and what it holds). Any corrupt
 * line or unreadable file makes the report invalid, as for every other command.
 */
export async function audit(ledger: LedgerScan, query: AuditQuery): Promise<AuditOutcome> {
  const collector = new AttemptCollector(query.period, query.accounts);
  const errors: Diagnostic[] = [];
  let more = 0;
  const onProblem = (problem: Diagnostic) => {
    if (errors.length < MAX_PROBLEMS) errors.push(problem);
    else more++;
  };
  await ledger.scan((r) => collector.mark(r), onProblem);
  // A line that changed between the passes is reported too.
  if (errors.length === 0) await ledger.scan((r) => collector.add(r), onProblem);
  if (errors.length > 0) return { kind: 'invalid', errors: sortDiagnostics(errors), more };
  const rows = collector.rows();
  return {
    kind: 'report',
    report: { period: query.period, accounts: query.accounts, rows, summary: summarize(rows) },
  };
}
