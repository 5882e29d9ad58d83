// From ledger lines to each message's current state. Pure and order-independent: the same
// set of lines in any order, split over any shards, folds to the same states, so two copies
// of a ledger merged by a union of lines (git's merge=union) always agree.
import type { Diagnostic } from '../diagnostics.js';
import { messageKey } from '../ids.js';
import {
  type LedgerRecord,
  type LedgerState,
  SHARD_NAME,
  type StoredRecord,
  scanShard,
} from './record.js';

export interface MessageHistory {
  /** The record with the highest seq: the message's state. */
  latest: LedgerRecord;
  /** Its line, kept to break ties between equal records deterministically. */
  latestLine: string;
  /** Number of records seen for this message. */
  records: number;
  /**
   * Sends known to have acted on the message (records ending released or partial): the
   * action log must show at least this many releases; one more means a later send acted.
   */
  acts: number;
}

export type LedgerIndex = Map<string, MessageHistory>;

export interface Ledger {
  index: LedgerIndex;
  errors: Diagnostic[];
  records: number;
}

export interface ShardText {
  /** File name inside the ledger directory, e.g. `2026-11.jsonl`. */
  name: string;
  /** Path to show in errors. */
  path: string;
  text: string;
}

// Equal seq means two writers raced; prefer the record that says more happened, so a
// message is never treated as less released than one copy of the ledger says.
const STATE_RANK: Record<LedgerState, number> = {
  pending: 0,
  unknown: 1,
  failed: 2,
  partial: 3,
  released: 4,
};

/** Total order on one message's records: >0 when a is newer than b. */
export function compareRecords(
  a: LedgerRecord,
  aLine: string,
  b: LedgerRecord,
  bLine: string,
): number {
  return (
    a.seq - b.seq ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    (a.at < b.at ? -1 : a.at > b.at ? 1 : 0) ||
    (aLine < bLine ? -1 : aLine > bLine ? 1 : 0)
  );
}

export function foldRecords(
  records: Iterable<StoredRecord>,
  into: LedgerIndex = new Map(),
): LedgerIndex {
  for (const { record, line } of records) foldRecord(into, record, line);
  return into;
}

function foldRecord(into: LedgerIndex, record: LedgerRecord, line: string): void {
  const key = messageKey(record.account_id, record.id);
  const current = into.get(key);
  const acted = record.state === 'released' || record.state === 'partial' ? 1 : 0;
  if (current === undefined) {
    into.set(key, { latest: record, latestLine: line, records: 1, acts: acted });
    return;
  }
  current.records++;
  current.acts += acted;
  if (compareRecords(record, line, current.latest, current.latestLine) > 0) {
    current.latest = record;
    current.latestLine = line;
  }
}

/** Parses every shard and folds them; any error makes the ledger unusable for planning. */
export function readLedger(shards: readonly ShardText[]): Ledger {
  const index: LedgerIndex = new Map();
  const errors: Diagnostic[] = [];
  let records = 0;
  for (const shard of shards) {
    if (!SHARD_NAME.test(shard.name)) {
      errors.push({
        file: shard.path,
        line: 1,
        column: 1,
        pointer: '',
        message: 'not a ledger shard name: shards are named by UTC month, e.g. 2026-11.jsonl',
      });
      continue;
    }
    // Folded line by line: the index keeps one record per message, not every line read.
    const shardErrors = scanShard(shard.text, shard.path, (record, line) => {
      foldRecord(index, record, line);
      records++;
    });
    for (const error of shardErrors) errors.push(error);
  }
  return { index, errors, records };
}

/** The seq the next record of this message must carry. */
export function nextSeq(index: LedgerIndex, accountId: string, id: string): number {
  return (index.get(messageKey(accountId, id))?.latest.seq ?? 0) + 1;
}
