// The ledger records a run writes, built from plain values. Pure: the time comes in through
// `now`, and each message's seq numbers continue where the ledger (and this run) left them.
import { messageKey } from '../ids.js';
import type { LedgerRecord, LedgerState, Provenance } from '../ledger/record.js';
import { type LedgerIndex, nextSeq } from '../ledger/state.js';
import type { ToRelease } from '../plan/plan.js';
import type { ReleaseRequest } from '../requests/load.js';
import { definedOnly } from '../values.js';
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
    const { actor, commit, run, pull_request, approved_by } = this.provenance;
    const record: LedgerRecord = {
      v: 1,
      account_id: account,
      id,
      seq,
      attempt,
      state,
      at: this.now().toISOString(),
      ...extra,
      ...definedOnly({ actor, commit, run, pull_request }),
    };
    if (approved_by !== undefined) record.approved_by = [...approved_by];
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
    return this.make(account, o.id, attempt, o.state, { via: 'release', ...answered(o) });
  }
}

function requestProvenance(r: ReleaseRequest): Partial<LedgerRecord> {
  const { reason, ticket, requested_by, selector } = r;
  return { reason, ...definedOnly({ ticket, requested_by, selector }) };
}

/** What the answer said of one id: its recipient lists and error, those it gave. */
function answered(o: IdOutcome): Pick<IdOutcome, 'delivered' | 'failed' | 'undelivered' | 'error'> {
  const { delivered, failed, undelivered, error } = o;
  return definedOnly({ delivered, failed, undelivered, error });
}

/** The result a run reports for one id of a release answer. */
export function resultOf(account: string, o: IdOutcome, attempt: number): RunResult {
  return { account_id: account, id: o.id, state: o.state, attempt, via: 'release', ...answered(o) };
}
