// One run of apply: what every phase shares (the settings, the adapters, what the run found
// and did so far, and how it stops), and the shapes of its settings and result. The phases
// are in apply.ts (the order), readback.ts, screen-before-send.ts and send.ts.
import type { Diagnostic } from '../core/diagnostics.js';
import type { LedgerRecord, LedgerState, RecordError } from '../core/ledger/record.js';
import type { LedgerIndex } from '../core/ledger/state.js';
import type { Plan } from '../core/plan/plan.js';
import type { LaterEntry } from '../core/plan/scope.js';
import type { MessageView } from '../core/release/readback.js';
import { RecordMaker, type RunProvenance } from '../core/release/records.js';
import type { RunResult } from '../core/release/result.js';
import { escapeLogText } from '../core/render/escape.js';
import type { SearchRequest } from '../core/requests/load.js';
import type { ReviewGate } from '../core/safety/review.js';
import type { ReleasesSource } from './inputs.js';
import {
  type Clock,
  type CloudflareApi,
  LedgerConflictError,
  type LedgerStore,
  type Logger,
  type OtherRuns,
} from './ports.js';

export interface ApplyDeps {
  releases: ReleasesSource;
  releasesPath: string;
  /**
   * The releases file of the pushed commit, when it may differ from `releases` (the branch
   * head): only entries in both are released; the others are left for the run of a later push.
   */
  pushedReleases?: ReleasesSource;
  store: LedgerStore;
  api: CloudflareApi;
  clock: Clock;
  log: Logger;
  /** Tells whether the run that wrote another run's pending records is still going. */
  runs?: OtherRuns;
}

export interface ApplySettings {
  batchSize: number;
  /** Batches (and read-backs) in flight at once. */
  concurrency: number;
  /** Read back, plan and report, but send and write nothing. */
  dryRun: boolean;
  /**
   * Only resolve unresolved sends by reading them back (the drift check): record what the
   * read-back proves, release nothing.
   */
  verifyOnly?: boolean;
  /**
   * 'batch': each batch's pending records are written just before its POST (cheap stores).
   * 'run': all pending records in one write before the first POST (one commit per run).
   */
  pendingScope: 'batch' | 'run';
  accounts: readonly string[];
  provenance: RunProvenance;
  signal?: AbortSignal;
  /** Epoch ms after which no new batch starts. */
  deadline?: number;
  /**
   * Longest one release request of this run may take before the client gives up on it (the
   * client's request timeout). Pending records carry it, as `in_flight_until`, so a later run
   * knows until when a read-back of them proves nothing.
   */
  inFlightMs: number;
  /**
   * How long Cloudflare may still act on a request after its sender stopped waiting; a
   * read-back finding a message never released counts only after that (default 2 min).
   */
  settleMs?: number;
  /** Longest this run waits for earlier sends to settle before reading them back (default: settleMs + 10 s). */
  settleWaitMs?: number;
  /**
   * Most requests the read-backs may make in this run (two each at most: the message, then
   * its action log); sends beyond it are left unresolved for a later run. Unlimited if absent.
   */
  readBackBudget?: number;
  safety: SafetySettings;
}

/** The checks every message passes right before it is released. */
export interface SafetySettings {
  /** Most lookup requests in this run (dispositions, existence, quarantine). */
  lookupBudget: number;
  /** Dispositions released only with a matching `acknowledge`. */
  guarded: readonly string[];
  /** More releases than this in one run are refused unless `force`. */
  maxReleases: number;
  force: boolean;
  /**
   * What people reviewed (core/safety/review): per account the reviewed plan, whose entries'
   * digests hold each entry (with only a fingerprint, a different plan is refused as a whole),
   * and whether anything new may go at all.
   */
  gate: ReviewGate;
}

export type ApplyResult =
  | { kind: 'invalid'; stage: 'releases' | 'ledger'; errors: Diagnostic[] }
  | {
      kind: 'done';
      plan: Plan;
      results: RunResult[];
      /** Would be sent (dry run only). */
      wouldRelease: { account_id: string; id: string; attempt: number }[];
      /** Planned but never started because the run stopped (nothing was written for them). */
      notStarted: { account_id: string; id: string }[];
      /** Sends that may still be in flight (another run going, or not settled yet): left for a later run. */
      deferred: Deferred[];
      /** Unresolved sends not read back because `readBackBudget` was used up: left for a later run. */
      unverified: { account_id: string; id: string }[];
      /** Requests the read-backs made (all rounds). */
      readBackRequests: number;
      /** Why the run stopped before the end, if it did. */
      stopped?: string;
      /** Why nothing at all was released (too many messages, a plan other than the reviewed one). */
      blocked?: string;
      /** In the file at the branch head but not at the pushed commit: for the run of a later push. */
      later: LaterEntry[];
      dryRun: boolean;
      /**
       * The file's `search:` entries of the accounts planned, when it has any: the drift check
       * lists those the ledger holds no record of (core/check/unapplied).
       */
      searches?: SearchRequest[];
    };

/** An unresolved send left alone: reading it back now would prove nothing. */
export interface Deferred {
  account_id: string;
  id: string;
  /** When the pending (or unknown) record was written. */
  since: string;
  /** From when a read-back proves something; absent while the run that sent it is going. */
  until?: string;
}

/** Read-back requests made and reserved (a read-back in progress holds two until it ends). */
export interface ReadBackMeter {
  limit: number | undefined;
  used: number;
  reserved: number;
}

/** A read-back's finding, as recorded. */
export interface Finding {
  account_id: string;
  id: string;
  attempt: number;
  state: LedgerState;
  sent?: false;
  error?: RecordError;
}

export class RunState {
  readonly results: RunResult[] = [];
  readonly wouldRelease: { account_id: string; id: string; attempt: number }[] = [];
  readonly notStarted: { account_id: string; id: string }[] = [];
  readonly deferred: Deferred[] = [];
  readonly unverified: { account_id: string; id: string }[] = [];
  readonly later: LaterEntry[] = [];
  stopped: string | undefined;
  blocked: string | undefined;
  /** The plan as checked (what may be released, what is refused), for the result. */
  plan: Plan | undefined;
  /** The file's `search:` entries of the accounts planned, for the result. */
  searches: SearchRequest[] = [];
  /** Message details read while reading back, reused by the check before sending. */
  readonly views = new Map<string, MessageView>();
  readonly started: number;
  /** Aborted on stop: cancels calls still waiting for their turn (never one already sent). */
  readonly halt = new AbortController();
  readonly records: RecordMaker;

  constructor(
    readonly deps: ApplyDeps,
    readonly settings: ApplySettings,
    index: LedgerIndex,
    readonly meter: ReadBackMeter,
  ) {
    this.started = deps.clock.now().getTime();
    this.records = new RecordMaker(index, settings.provenance, () => deps.clock.now());
  }

  get log(): Logger {
    return this.deps.log;
  }

  shouldStop(): boolean {
    if (this.stopped !== undefined) return true;
    const { deadline } = this.settings;
    if (deadline !== undefined && this.deps.clock.now().getTime() > deadline)
      this.stop('deadline reached');
    return this.stopped !== undefined;
  }

  /** No new batch starts; calls still waiting for their turn are cancelled. */
  stop(reason: string): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.halt.abort();
    this.log.warn(`stopping: ${escapeLogText(reason, 300)}; no new batch will start`);
  }

  /** Nothing at all is released (too many messages, not the plan reviewed). */
  block(reason: string): void {
    this.blocked = reason;
    this.log.error(reason);
  }

  /** The write-ahead; on failure the run stops and nothing is sent in these records' name. */
  async writeAhead(records: LedgerRecord[]): Promise<boolean> {
    try {
      await this.deps.store.writeAhead(records);
      return true;
    } catch (error) {
      if (error instanceof LedgerConflictError) throw error;
      this.stop(`cannot write the pending records (${errorMessage(error)}), so they are not sent`);
      return false;
    }
  }

  /** Appends; on failure stops the run (the pending records stay, read-back resolves them). */
  async appendOrStop(records: LedgerRecord[], what: string): Promise<void> {
    try {
      await this.deps.store.append(records);
    } catch (error) {
      if (error instanceof LedgerConflictError) throw error;
      this.stop(
        `cannot record ${what} (${errorMessage(error)}); the next run resolves them by read-back`,
      );
    }
  }

  /** Records a read-back finding (nothing in dry runs) and reports it. */
  async recordFinding(r: Finding, message: string): Promise<void> {
    this.results.push({
      account_id: r.account_id,
      id: r.id,
      state: r.state,
      attempt: r.attempt,
      via: 'readback',
      ...(r.error ? { error: r.error } : {}),
    });
    this.log.info(message);
    if (this.settings.dryRun) return;
    await this.appendOrStop(
      [
        this.records.make(r.account_id, r.id, r.attempt, r.state, {
          via: 'readback',
          ...(r.sent === false ? { sent: false } : {}),
          ...(r.error ? { error: r.error } : {}),
        }),
      ],
      `the read-back of ${r.id}`,
    );
  }

  result(): ApplyResult {
    const done: ApplyResult = {
      kind: 'done',
      plan: this.plan ?? { accounts: [] },
      results: this.results,
      wouldRelease: this.wouldRelease,
      notStarted: this.notStarted,
      deferred: this.deferred,
      unverified: this.unverified,
      readBackRequests: this.meter.used,
      later: this.later,
      dryRun: this.settings.dryRun,
    };
    if (this.stopped !== undefined) done.stopped = this.stopped;
    if (this.blocked !== undefined) done.blocked = this.blocked;
    if (this.searches.length > 0) done.searches = this.searches;
    return done;
  }
}

function errorMessage(error: unknown): string {
  return escapeLogText(error instanceof Error ? error.message : String(error), 300);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
