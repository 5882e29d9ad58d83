// In-memory doubles for engine tests: a ledger store and a scriptable Cloudflare API.
import { type CheckCursor, mergeCursorFile } from '../../src/core/check/cursor.js';
import { type LedgerRecord, serializeRecord, shardNameFor } from '../../src/core/ledger/record.js';
import type { ShardText } from '../../src/core/ledger/state.js';
import type { ReleaseAnswer } from '../../src/core/release/classify.js';
import type { ActionLogLookup, Lookup } from '../../src/core/release/readback.js';
import type {
  CheckStateRead,
  CheckStateStore,
  Clock,
  CloudflareApi,
  LedgerStore,
  Logger,
  SearchPage,
} from '../../src/engine/ports.js';

export class MemoryStore implements LedgerStore {
  readonly lines = new Map<string, string[]>();
  readonly writes: { kind: 'writeAhead' | 'append'; records: LedgerRecord[] }[] = [];
  /** Makes the next write-ahead fail with this error. */
  failNextWriteAhead: Error | undefined;

  async read() {
    const shards: ShardText[] = [...this.lines.entries()].map(([name, lines]) => ({
      name,
      path: `mem/${name}`,
      text: lines.map((l) => `${l}\n`).join(''),
    }));
    return { shards, errors: [] };
  }

  async writeAhead(records: readonly LedgerRecord[]) {
    if (this.failNextWriteAhead) {
      const e = this.failNextWriteAhead;
      this.failNextWriteAhead = undefined;
      throw e;
    }
    this.add('writeAhead', records);
  }

  async append(records: readonly LedgerRecord[]) {
    this.add('append', records);
  }

  async flush() {}

  seed(records: LedgerRecord[]) {
    for (const r of records) this.push(r);
  }

  all(): LedgerRecord[] {
    return [...this.lines.values()].flat().map((l) => JSON.parse(l) as LedgerRecord);
  }

  recordsFor(id: string): LedgerRecord[] {
    return this.all()
      .filter((r) => r.id === id)
      .sort((a, b) => a.seq - b.seq);
  }

  private add(kind: 'writeAhead' | 'append', records: readonly LedgerRecord[]) {
    this.writes.push({ kind, records: [...records] });
    for (const r of records) this.push(r);
  }

  private push(r: LedgerRecord) {
    const name = shardNameFor(r.at);
    const list = this.lines.get(name) ?? [];
    list.push(serializeRecord(r));
    this.lines.set(name, list);
  }
}

/** The drift check's cursor file in memory; `text` undefined: no file yet. */
export class MemoryCheckState implements CheckStateStore {
  readonly path = 'mem/check-cursor.ndjson';
  text: string | undefined;
  writes = 0;
  /** Makes reads answer this instead of the text. */
  unreadable: string | undefined;
  /** Makes the next write fail with this error. */
  failNextWrite: Error | undefined;

  async read(): Promise<CheckStateRead> {
    if (this.unreadable !== undefined) return { kind: 'unreadable', message: this.unreadable };
    return this.text === undefined ? { kind: 'missing' } : { kind: 'text', text: this.text };
  }

  async write(cursors: readonly CheckCursor[]): Promise<void> {
    if (this.failNextWrite) {
      const e = this.failNextWrite;
      this.failNextWrite = undefined;
      throw e;
    }
    this.writes++;
    this.text = mergeCursorFile(
      this.unreadable === undefined ? this.text : undefined,
      cursors,
      this.path,
    );
    this.unreadable = undefined;
  }

  /** Every line, parsed. */
  lines(): CheckCursor[] {
    return (this.text ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CheckCursor);
  }
}

type Fault =
  | 'timeout'
  | 'reset-after'
  | 'refused'
  | '429'
  | '401'
  | '500'
  | 'malformed'
  | 'partial'
  | 'drop-first';

/**
 * A toy mailbox: messages are quarantined until released. `script` decides how the next
 * release calls answer; every actual delivery is counted in `deliveries`.
 */
export class FakeApi implements CloudflareApi {
  readonly quarantined = new Set<string>();
  readonly released = new Set<string>();
  readonly deliveries = new Map<string, number>();
  readonly posts: string[][] = [];
  readonly gets: string[] = [];
  /** Action-log reads: a read-back of a message still quarantined. */
  readonly actionLogs: string[] = [];
  readonly dispositions = new Map<string, string>();
  readonly script: Fault[] = [];
  /** Called at each POST, before acting: lets a test check the write-ahead happened. */
  onPost?: (ids: readonly string[]) => void;

  constructor(ids: string[]) {
    for (const id of ids) this.quarantined.add(id);
  }

  async release(_account: string, ids: readonly string[]): Promise<ReleaseAnswer> {
    this.onPost?.(ids);
    this.posts.push([...ids]);
    const fault = this.script.shift();
    if (fault === 'refused')
      return { kind: 'no-response', maybeSent: false, message: 'ECONNREFUSED' };
    if (fault === '429')
      return {
        kind: 'response',
        status: 429,
        body: envelope(false, null, 971),
        retryAfterSeconds: 300,
      };
    if (fault === '401')
      return { kind: 'response', status: 401, body: envelope(false, null, 10000) };
    if (fault === 'timeout') return { kind: 'no-response', maybeSent: true, message: 'timed out' };
    const act = () =>
      ids.map((id) => {
        if (!this.quarantined.has(id) && !this.released.has(id)) return undefined;
        this.quarantined.delete(id);
        this.released.add(id);
        this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
        return {
          id,
          delivered: ['a@example.com'],
          failed: fault === 'partial' ? ['b@example.com'] : [],
          undelivered: [],
        };
      });
    const result = act().filter((x) => x !== undefined);
    if (fault === 'reset-after')
      return { kind: 'no-response', maybeSent: true, message: 'connection reset' };
    if (fault === '500')
      return { kind: 'response', status: 500, body: envelope(false, null, 1000) };
    if (fault === 'malformed') return { kind: 'response', status: 200, body: undefined };
    if (fault === 'drop-first') result.shift();
    return { kind: 'response', status: 200, body: envelope(true, result) };
  }

  async getMessage(_account: string, id: string): Promise<Lookup> {
    this.gets.push(id);
    if (!this.quarantined.has(id) && !this.released.has(id)) return { kind: 'not-found' };
    return {
      kind: 'found',
      message: {
        id,
        quarantined: this.quarantined.has(id),
        releaseRecorded: this.released.has(id),
        disposition: this.dispositions.get(id) ?? 'SPAM',
      },
    };
  }

  async search(): Promise<SearchPage> {
    return { kind: 'error', message: 'search is not supported by this fake', rateLimited: false };
  }

  async getActionLog(_account: string, id: string): Promise<ActionLogLookup> {
    this.actionLogs.push(id);
    const n = this.deliveries.get(id) ?? 0;
    return { kind: 'found', releases: Array.from({ length: n }, () => ({ complete: true })) };
  }
}

function envelope(success: boolean, result: unknown, code?: number) {
  return {
    success,
    errors: code ? [{ code, message: `error ${code}` }] : [],
    messages: [],
    result,
  };
}

export function fixedClock(start = Date.parse('2026-11-24T10:00:00.000Z')): Clock {
  let now = start;
  return {
    now: () => {
      now += 1;
      return new Date(now);
    },
    sleep: async (ms) => {
      now += ms;
    },
  };
}

export function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}
