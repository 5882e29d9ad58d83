// The ledger records a run writes, built from plain values. Pure: the time comes in through
// `now`, and each message's seq numbers continue where the ledger (and this run) left them.
import { messageKey } from '../ids.js';
import type { LedgerRecord, LedgerState, Provenance } from '../ledger/record.js';
import { type LedgerIndex, nextSeq } from '../ledger/state.js';
import type { ToRelease } from '../plan/plan.js';
import type { ReleaseRequest } from '../releases/load.js';
import type { IdOutcome } from './classify.js';
import type { RunResult } from './result.js';

/** Who and what ran, on every record (the request's own provenance is on pending records). */
export type RunProvenance = Omit<Provenance, 'reason' | 'requested_by' | 'ticket'>;

export class RecordMaker {
  /** The next seq of each message this run has written for. */
  private readonly seqs = new Map<string, number>();

  constructor(
    private readonly index: LedgerIndex,
    private readonly provenance: RunProvenance,
    private readonly now: () => Date,
  ) {}

  /** The next record of a message: seq after the ledger's latest (and this run's own). */
  make(
    account: string,
    id: string,
    attempt: number,
    state: LedgerState,
    extra: Partial<LedgerRecord>,
  ): LedgerRecord {
    const key = messageKey(account, id);
    const seq = this.seqs.get(key) ?? nextSeq(this.index, account, id);
    this.seqs.set(key, seq + 1);
    const p = this.provenance;
    const record: LedgerRecord = {
      v: 1,
      account_id: account,
      id,
      seq,
      attempt,
      state,
      at: this.now().toISOString(),
      ...extra,
    };
    if (p.actor !== undefined) record.actor = p.actor;
    if (p.commit !== undefined) record.commit = p.commit;
    if (p.run !== undefined) record.run = p.run;
    if (p.pull_request !== undefined) record.pull_request = p.pull_request;
    if (p.approved_by !== undefined) record.approved_by = [...p.approved_by];
    return record;
  }

  /**
   * The record written before an item is sent: until `until` a request in its name may still
   * be sent or awaited; it carries the request's reason and what the check found.
   */
  pending(account: string, item: ToRelease, until: string): LedgerRecord {
    return this.make(account, item.request.id, item.attempt, 'pending', {
      in_flight_until: until,
      ...requestProvenance(item.request),
      ...(item.message?.disposition ? { disposition: item.message.disposition } : {}),
      ...(item.request.acknowledge ? { acknowledge: item.request.acknowledge } : {}),
    });
  }

  /** What one release answer said of one id. */
  outcome(account: string, o: IdOutcome, attempt: number): LedgerRecord {
    const extra: Partial<LedgerRecord> = { via: 'release' };
    if (o.delivered) extra.delivered = o.delivered;
    if (o.failed) extra.failed = o.failed;
    if (o.undelivered) extra.undelivered = o.undelivered;
    if (o.error) extra.error = o.error;
    return this.make(account, o.id, attempt, o.state, extra);
  }
}

function requestProvenance(r: ReleaseRequest): Partial<LedgerRecord> {
  const p: Partial<LedgerRecord> = { reason: r.reason };
  if (r.ticket !== undefined) p.ticket = r.ticket;
  if (r.requested_by !== undefined) p.requested_by = r.requested_by;
  return p;
}

/** The result a run reports for one id of a release answer. */
export function resultOf(account: string, o: IdOutcome, attempt: number): RunResult {
  const r: RunResult = { account_id: account, id: o.id, state: o.state, attempt, via: 'release' };
  if (o.delivered) r.delivered = o.delivered;
  if (o.failed) r.failed = o.failed;
  if (o.undelivered) r.undelivered = o.undelivered;
  if (o.error) r.error = o.error;
  return r;
}
