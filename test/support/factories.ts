// Small builders for tests: valid values by default, override what the test is about.
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { type LedgerRecord, scanShard, serializeRecord } from '../../src/core/ledger/record.js';
import {
  emptyLedger,
  foldShard,
  type KeepRecord,
  type Ledger,
  LedgerIndex,
  type ShardText,
} from '../../src/core/ledger/state.js';
import type { ReleaseRequest, ReleasesFile } from '../../src/core/requests/load.js';

export const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
export const OTHER_ACCOUNT = 'aaaabbbbccccddddeeeeffff00001111';

export function messageId(n: number): string {
  const queue = `Q${n.toString(36).toUpperCase().padStart(11, '0')}`;
  return `${queue}-2026-11-0${1 + (n % 9)}T10:00:00-${String(10000000 + n)}`;
}

export function request(overrides: Partial<ReleaseRequest> = {}): ReleaseRequest {
  return {
    account_id: ACCOUNT,
    id: messageId(1),
    reason: 'false positive',
    index: 0,
    line: 1,
    column: 1,
    ...overrides,
  };
}

export function releasesFile(requests: ReleaseRequest[]): ReleasesFile {
  return {
    file: 'releases.yaml',
    version: 1,
    account_id: ACCOUNT,
    releases: requests.map((r, index) => ({ ...r, index, line: 4 + index * 2, column: 9 })),
  };
}

export function record(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    v: 1,
    account_id: ACCOUNT,
    id: messageId(1),
    seq: 1,
    attempt: 1,
    state: 'released',
    at: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}

/** A record with the text it was read from. */
export interface StoredRecord {
  record: LedgerRecord;
  line: string;
  file: string;
  lineNumber: number;
}

export function stored(r: LedgerRecord, file = '2026-11.jsonl', lineNumber = 1): StoredRecord {
  return { record: r, line: serializeRecord(r), file, lineNumber };
}

/** Every record of one shard, and its errors (scanShard, collected). */
export function parseShard(
  text: string,
  file: string,
): { records: StoredRecord[]; errors: Diagnostic[] } {
  const records: StoredRecord[] = [];
  const errors = scanShard(text, file, (record, line, lineNumber) =>
    records.push({ record, line, file, lineNumber }),
  );
  return { records, errors };
}

/** These records folded into `into` (a new index by default). */
export function foldRecords(
  records: Iterable<StoredRecord>,
  into: LedgerIndex = new LedgerIndex(),
): LedgerIndex {
  for (const { record } of records) into.add(record);
  return into;
}

/** Every shard parsed and folded (foldShard, one after the other). */
export function readLedger(shards: Iterable<ShardText>, keep?: KeepRecord): Ledger {
  const ledger = emptyLedger();
  for (const shard of shards) foldShard(ledger, shard, keep);
  return ledger;
}

export function shardText(records: LedgerRecord[]): string {
  return records.map((r) => `${serializeRecord(r)}\n`).join('');
}
