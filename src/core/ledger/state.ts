// From ledger lines to each message's current state. Pure and order-independent: the same
// set of lines in any order, split over any shards, folds to the same states, so two copies
// of a ledger merged by a union of lines (git's merge=union) always agree.
import { type Diagnostic, lineProblem } from '../diagnostics.js';
import { messageKey } from '../ids.js';
import { compareText, isObject } from '../values.js';
import { type LedgerRecord, type LedgerState, SHARD_NAME, scanShard } from './record.js';

/** What orders one message's records: see compareRecords(). */
type Ordered = Pick<LedgerRecord, 'seq' | 'state' | 'at' | 'attempt'>;

/**
 * Whether a reader keeps a message's latest record whole, for `latest` (see foldShard). The
 * answer must depend only on the message and the record's state, so that records which tie
 * in seq, state, time and attempt get the same answer.
 */
export type KeepRecord = (record: LedgerRecord) => boolean;

/**
 * One message in the ledger. The latest record's seq, state, attempt and time are kept as
 * fields: they are all the fold and most of a plan need. The whole record is kept only when
 * the reader asks for it (KeepRecord): a ledger of 1,000,000 lines would otherwise hold half
 * a million records, or the text of every shard, for messages the run never looks at.
 */
export class MessageHistory {
  seq!: number;
  state!: LedgerState;
  attempt!: number;
  at!: string;
  /**
   * Sends known to have acted on the message (records ending released or partial): the
   * action log must show at least this many releases; one more means a later send acted.
   */
  acts = 0;
  /** The searches (`selector`) whose entries asked for this message, when any did. */
  selectors: Set<string> | undefined;
  private record: LedgerRecord | undefined;

  constructor(record: LedgerRecord, keep: boolean, at: string) {
    this.take(record, keep, at);
    this.count(record);
  }

  /** The record with the highest seq: the message's state. */
  get latest(): LedgerRecord {
    if (this.record === undefined)
      throw new Error(
        `the ledger was read without this message's record (seq ${this.seq}, ${this.state}): read it with a KeepRecord that keeps it`,
      );
    return this.record;
  }

  /** Folds in one more record of this message. */
  add(record: LedgerRecord, keep: boolean, at: string): void {
    this.count(record);
    if (compareRecords(record, this.record ?? this) > 0) this.take(record, keep, at);
  }

  /** `at` is record.at, or a string equal to it. */
  private take(record: LedgerRecord, keep: boolean, at: string): void {
    this.seq = record.seq;
    this.state = record.state;
    this.attempt = record.attempt;
    this.at = at;
    this.record = keep ? record : undefined;
  }

  private count(record: LedgerRecord): void {
    if (record.state === 'released' || record.state === 'partial') this.acts++;
    if (record.selector === undefined) return;
    this.selectors ??= new Set();
    this.selectors.add(record.selector);
  }
}

/**
 * Each message's history, by account then id. Two levels rather than one map keyed by
 * "account/id": a ledger of 100,000 lines would otherwise build and hash a joined key per line.
 */
export class LedgerIndex {
  private readonly accounts = new Map<string, Map<string, MessageHistory>>();
  /**
   * The time of the record added last. The records of one send are written together, one
   * line after another, and share their time: holding one copy of it, not one per message,
   * saves a fifth of the index's memory at a million records.
   */
  private lastAt = '';

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

  /** [messageKey(account, id), history] for every message. */
  *entries(): IterableIterator<[string, MessageHistory]> {
    for (const [account, messages] of this.accounts)
      for (const [id, history] of messages) yield [messageKey(account, id), history];
  }

  [Symbol.iterator](): IterableIterator<[string, MessageHistory]> {
    return this.entries();
  }

  /**
   * Folds one record in: it becomes the message's state if it is newer than the one held,
   * and is kept whole for `latest` when `keep` is true.
   */
  add(record: LedgerRecord, keep = true): void {
    let messages = this.accounts.get(record.account_id);
    if (messages === undefined) {
      messages = new Map();
      this.accounts.set(record.account_id, messages);
    }
    if (record.at !== this.lastAt) this.lastAt = record.at;
    const at = this.lastAt;
    const current = messages.get(record.id);
    if (current === undefined) messages.set(record.id, new MessageHistory(record, keep, at));
    else current.add(record, keep, at);
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

/**
 * Total order on one message's records: >0 when a is newer than b. By seq, then state, time
 * and attempt; two records equal in all of those (racing writers) are ordered by their
 * content, when both are whole records. Where one is not (a history that kept only the
 * fields), both say the same seq, state, time and attempt: either is the same state.
 */
export function compareRecords(a: Ordered, b: Ordered): number {
  return (
    a.seq - b.seq ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    compareText(a.at, b.at) ||
    a.attempt - b.attempt ||
    (isRecord(a) && isRecord(b) ? compareText(canonical(a), canonical(b)) : 0)
  );
}

function isRecord(value: Ordered): value is LedgerRecord {
  return 'v' in value;
}

/** A record's JSON with every object's keys sorted: the same text for the same content. */
function canonical(record: LedgerRecord): string {
  return JSON.stringify(record, (_key, value: unknown) =>
    isObject(value)
      ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => compareText(x, y)))
      : value,
  );
}

/** An empty ledger, to fold shards into one at a time (foldShard). */
export function emptyLedger(): Ledger {
  return { index: new LedgerIndex(), errors: [], records: 0 };
}

/**
 * Parses one shard and folds it into `ledger`; any error makes the ledger unusable for
 * planning. Records are kept whole as `keep` says (all of them by default). Nothing refers to
 * the shard's text afterwards, so a reader that folds shard by shard never holds them all.
 */
export function foldShard(ledger: Ledger, shard: ShardText, keep?: KeepRecord): void {
  // Folded line by line: the index keeps one entry per message, not every record read.
  const shardErrors = scanNamedShard(shard, (record) => {
    ledger.index.add(record, keep === undefined || keep(record));
    ledger.records++;
  });
  for (const error of shardErrors) ledger.errors.push(error);
}

/**
 * The checks every reader of a shard makes: its name, then each line, each valid record handed
 * to `onRecord` with its line number. Returns the problems found.
 */
export function scanNamedShard(
  shard: ShardText,
  onRecord: (record: LedgerRecord, lineNumber: number) => void,
): Diagnostic[] {
  const badName = shardNameProblem(shard.name, shard.path);
  if (badName) return [badName];
  return scanShard(shard.text, shard.path, (record, _line, lineNumber) =>
    onRecord(record, lineNumber),
  );
}

/** A `.jsonl` file in the ledger directory that is not named as a shard is refused. */
export function shardNameProblem(name: string, path: string): Diagnostic | undefined {
  if (SHARD_NAME.test(name)) return undefined;
  return lineProblem(
    path,
    1,
    'not a ledger shard name: shards are named by UTC month, e.g. 2026-11.jsonl',
  );
}

/** The seq the next record of this message must carry. */
export function nextSeq(index: LedgerIndex, accountId: string, id: string): number {
  return (index.get(accountId, id)?.seq ?? 0) + 1;
}
