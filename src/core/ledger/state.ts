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

/** What orders one message's records: see compareRecords(). */
type Ordered = Pick<LedgerRecord, 'seq' | 'state' | 'at'>;

/**
 * One message in the ledger. The latest record's seq, state, attempt and time are kept as
 * fields: they are all the fold and most of a plan need. The record itself is read again
 * from its line when asked for, unless it was kept: a ledger of 100,000 lines would otherwise
 * hold every message's whole record from the first read to the end of the run.
 */
export class MessageHistory {
  seq!: number;
  state!: LedgerState;
  attempt!: number;
  at!: string;
  /** The latest record's line, which also breaks ties between equal records deterministically. */
  latestLine!: string;
  /** Number of records seen for this message. */
  records = 1;
  /**
   * Sends known to have acted on the message (records ending released or partial): the
   * action log must show at least this many releases; one more means a later send acted.
   */
  acts = 0;
  private record: LedgerRecord | undefined;

  /** `line` must be the JSON text `record` was parsed from, unless `keep` is true. */
  constructor(record: LedgerRecord, line: string, keep: boolean) {
    this.take(record, line, keep);
    this.count(record);
  }

  /** The record with the highest seq: the message's state. */
  get latest(): LedgerRecord {
    this.record ??= JSON.parse(this.latestLine) as LedgerRecord;
    return this.record;
  }

  /** Folds in one more record of this message. */
  add(record: LedgerRecord, line: string, keep: boolean): void {
    this.records++;
    this.count(record);
    if (compareRecords(record, line, this, this.latestLine) > 0) this.take(record, line, keep);
  }

  private take(record: LedgerRecord, line: string, keep: boolean): void {
    this.seq = record.seq;
    this.state = record.state;
    this.attempt = record.attempt;
    this.at = record.at;
    this.latestLine = line;
    this.record = keep ? record : undefined;
  }

  private count(record: LedgerRecord): void {
    if (record.state === 'released' || record.state === 'partial') this.acts++;
  }
}

/**
 * Each message's history, by account then id. Two levels rather than one map keyed by
 * "account/id": a ledger of 100,000 lines would otherwise build and hash a joined key per line.
 */
export class LedgerIndex {
  private readonly accounts = new Map<string, Map<string, MessageHistory>>();
  private count = 0;

  get(accountId: string, id: string): MessageHistory | undefined {
    return this.accounts.get(accountId)?.get(id);
  }

  /** The messages of one account, by id (insertion order). */
  account(accountId: string): ReadonlyMap<string, MessageHistory> | undefined {
    return this.accounts.get(accountId);
  }

  accountIds(): IterableIterator<string> {
    return this.accounts.keys();
  }

  get size(): number {
    return this.count;
  }

  *values(): IterableIterator<MessageHistory> {
    for (const messages of this.accounts.values()) yield* messages.values();
  }

  /** [messageKey(account, id), history] for every message. */
  *entries(): IterableIterator<[string, MessageHistory]> {
    for (const [account, messages] of this.accounts)
      for (const [id, history] of messages) yield [messageKey(account, id), history];
  }

  [Symbol.iterator](): IterableIterator<[string, MessageHistory]> {
    return this.entries();
  }

  /**
   * Folds one record in: it becomes the message's state if it is newer than the one held.
   * With `keep` false, `line` must be the JSON text the record was parsed from.
   */
  add(record: LedgerRecord, line: string, keep = true): void {
    let messages = this.accounts.get(record.account_id);
    if (messages === undefined) {
      messages = new Map();
      this.accounts.set(record.account_id, messages);
    }
    const current = messages.get(record.id);
    if (current === undefined) {
      messages.set(record.id, new MessageHistory(record, line, keep));
      this.count++;
    } else current.add(record, line, keep);
  }
}

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
export function compareRecords(a: Ordered, aLine: string, b: Ordered, bLine: string): number {
  return (
    a.seq - b.seq ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    (a.at < b.at ? -1 : a.at > b.at ? 1 : 0) ||
    (aLine < bLine ? -1 : aLine > bLine ? 1 : 0)
  );
}

export function foldRecords(
  records: Iterable<StoredRecord>,
  into: LedgerIndex = new LedgerIndex(),
): LedgerIndex {
  for (const { record, line } of records) into.add(record, line);
  return into;
}

/** Parses every shard and folds them; any error makes the ledger unusable for planning. */
export function readLedger(shards: readonly ShardText[]): Ledger {
  const index = new LedgerIndex();
  const errors: Diagnostic[] = [];
  let records = 0;
  for (const shard of shards) {
    const badName = shardNameProblem(shard.name, shard.path);
    if (badName) {
      errors.push(badName);
      continue;
    }
    // Folded line by line: the index keeps one line per message, not every record read.
    const shardErrors = scanShard(shard.text, shard.path, (record, line) => {
      index.add(record, line, false);
      records++;
    });
    for (const error of shardErrors) errors.push(error);
  }
  return { index, errors, records };
}

/** A `.jsonl` file in the ledger directory that is not named as a shard is refused. */
export function shardNameProblem(name: string, path: string): Diagnostic | undefined {
  if (SHARD_NAME.test(name)) return undefined;
  return {
    file: path,
    line: 1,
    column: 1,
    pointer: '',
    message: 'not a ledger shard name: shards are named by UTC month, e.g. 2026-11.jsonl',
  };
}

/** The seq the next record of this message must carry. */
export function nextSeq(index: LedgerIndex, accountId: string, id: string): number {
  return (index.get(accountId, id)?.latest.seq ?? 0) + 1;
}
