// The small interfaces the engine talks to. Each has a real adapter (files, GitHub,
// Cloudflare, system clock) and tests swap in their own.
import { setTimeout as delay } from 'node:timers/promises';
import type { CheckCursor } from '../core/check/cursor.js';
import type { EntrySince } from '../core/check/unapplied.js';
import type { Diagnostic } from '../core/diagnostics.js';
import type { LedgerRecord } from '../core/ledger/record.js';
import type { ShardText } from '../core/ledger/state.js';
import type { ReleaseAnswer } from '../core/release/classify.js';
import type { WriterState } from '../core/release/in-flight.js';
import type {
  ActionLogLookup,
  Lookup,
  LookupError,
  MessageView,
} from '../core/release/readback.js';

/**
 * The Cloudflare Email Security API, as far as releasing needs it. `halt` cancels a call
 * that is still waiting for its turn (pacing); a request already sent is never cut off.
 */
export interface CloudflareApi {
  /** One POST of the ids. Never retried: the caller records what the answer proves. */
  release(accountId: string, ids: readonly string[], halt?: AbortSignal): Promise<ReleaseAnswer>;
  getMessage(accountId: string, id: string, halt?: AbortSignal): Promise<Lookup>;
  getActionLog(accountId: string, id: string, halt?: AbortSignal): Promise<ActionLogLookup>;
  /**
   * One page of the message search (`next` is the cursor of the following page). The client
   * chooses the page size (`per_page`): callers leave it out.
   */
  search(
    accountId: string,
    params: Readonly<Record<string, string>>,
    halt?: AbortSignal,
  ): Promise<SearchPage>;
  /** Most results one search page holds (the `per_page` the client asks for now). */
  readonly searchPageSize?: number;
  /** What the pacing has waited and expects to wait, for progress estimates. */
  readonly pacing?: PacingView;
}

export interface PacingView {
  /** Time spent waiting for the rate-limit budget so far, ms. */
  readonly waitedMs: number;
  /** How long the pacer expects to wait, in all, before `requests` more can be sent, ms. */
  expectedWaitMs(requests: number): number;
}

export type SearchPage = { kind: 'page'; messages: MessageView[]; next?: string } | LookupError;

/** Other runs of this tool on the same ledger (workflow runs): are they still going? */
export interface OtherRuns {
  /** Whether the run recorded as `run` is still going, or when it ended; undefined when it cannot be told. */
  state(run: string): Promise<WriterState>;
}

/**
 * The branch (or directory) moved under us: another run wrote the ledger. Nothing of ours
 * was written; re-read, re-plan, try again.
 */
export class LedgerConflictError extends Error {}

export interface LedgerStore {
  /**
   * Every shard as stored now, or the errors that stopped reading it. A store may instead
   * hand each shard to `onShard` as soon as it has read it, and not return it, so that a long
   * ledger is never held whole: each shard is handed over or returned, once.
   */
  read(
    onShard?: (shard: ShardText) => void,
  ): Promise<{ shards: ShardText[]; errors: Diagnostic[] }>;
  /**
   * Writes records that must exist before anything is sent in their name (the pending
   * records). Resolves only once they are durable: on disk and flushed, or committed on the
   * branch. Rejects otherwise, and then nothing may be sent.
   */
  writeAhead(records: readonly LedgerRecord[]): Promise<void>;
  /** Records outcomes. May buffer until flush(); a lost outcome is recovered by read-back. */
  append(records: readonly LedgerRecord[]): Promise<void>;
  /** Makes everything appended durable. */
  flush(): Promise<void>;
}

/**
 * The ledger read record by record and never held whole: for reports over a ledger of any
 * size (engine/audit). It may be scanned more than once.
 */
export interface LedgerScan {
  /** Every valid record to `onRecord`, in file order; each corrupt line or unreadable file to `onProblem`. */
  scan(
    onRecord: (record: LedgerRecord) => void,
    onProblem: (problem: Diagnostic) => void,
  ): Promise<void>;
}

export type CheckStateRead =
  | { kind: 'missing' }
  | { kind: 'text'; text: string }
  | { kind: 'unreadable'; message: string };

/**
 * Where the drift check keeps its cursor (core/check/cursor): a file beside the ledger,
 * written by the check only. Apply never reads it, so it can never block a release.
 */
export interface CheckStateStore {
  /** Where it lives, for messages. */
  readonly path: string;
  read(): Promise<CheckStateRead>;
  /**
   * Saves these accounts' cursors, keeping every other line as stored at the moment of the
   * write (re-read then: another run's cursor is never lost). Rejects when it cannot.
   */
  write(cursors: readonly CheckCursor[]): Promise<void>;
}

/**
 * When the entries of the requests file got onto the branch: how long an entry merged but
 * never applied has waited (engine/check). Each adapter says how it knows: the commit of each
 * line, or only the file's last change (core/check/unapplied).
 */
export interface EntryTimes {
  /** For these lines of the requests file, as the run read it. Rejects when it cannot tell. */
  since(lines: readonly number[]): Promise<EntrySince>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A step of the pipeline begins (the action shows each as a collapsible log group). */
  phase?(name: string): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  // An abort ends the wait early, without an error.
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};
