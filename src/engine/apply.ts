// apply: release what the plan says, at most once per attempt, and record everything.
//
// 1. Resolve every message whose last send has no known outcome (pending, unknown) by reading
//    it back; only one provably still quarantined with no release recorded is sent again.
// 2. For each batch: write its ids as `pending` through the store's write-ahead (durable
//    before it resolves; if it fails, nothing is sent), POST once, record each id's outcome.
// 3. A 429 or an unreachable API proves nothing was done: those ids are recorded as pending
//    and never sent (`sent: false`), and the run stops. So do SIGINT/SIGTERM and the deadline
//    (no new batch starts; the one in flight settles and is recorded).
import type { Diagnostic } from '../core/diagnostics.js';
import { messageKey } from '../core/ids.js';
import type { LedgerRecord, LedgerState, Provenance, RecordError } from '../core/ledger/record.js';
import { type LedgerIndex, nextSeq } from '../core/ledger/state.js';
import { type Plan, plan, type ToRelease, type ToVerify } from '../core/plan/plan.js';
import { type LaterEntry, scopeOf, withinScope } from '../core/plan/scope.js';
import { classifyRelease, type IdOutcome } from '../core/release/classify.js';
import {
  conclusiveFrom,
  DEFAULT_SETTLE_MS,
  LEGACY_IN_FLIGHT_MS,
  mayBeInFlight,
  type WriterState,
} from '../core/release/in-flight.js';
import {
  judgeActionLog,
  judgeMessage,
  type MessageView,
  type ReadBackFinding,
} from '../core/release/readback.js';
import type { RunResult } from '../core/release/result.js';
import type { ReleaseRequest } from '../core/releases/load.js';
import { escapeLogText } from '../core/render/escape.js';
import {
  holdToReview,
  type Inspection,
  matchesFingerprint,
  planFingerprint,
  type ReviewedPlan,
  type ReviewGate,
  refusalText,
  retriesOf,
  reviewPlan,
} from '../core/safety/review.js';
import { loadInputs, loadReleasesFrom, type ReleasesSource } from './inputs.js';
import { inspect } from './inspect.js';
import { pool } from './pool.js';
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
  provenance: Omit<Provenance, 'reason' | 'requested_by' | 'ticket'>;
  signal?: AbortSignal;
  /** Epoch ms after which no new batch starts. */
  deadline?: number;
  /** Re-plans allowed when another run moved the ledger under us. */
  maxConflictRetries?: number;
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
  review: ReviewSettings;
}

/** The checks every message passes right before it is released. */
export interface ReviewSettings {
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

export async function apply(deps: ApplyDeps, settings: ApplySettings): Promise<ApplyResult> {
  const maxRounds = 1 + (settings.maxConflictRetries ?? 3);
  // Shared by every round: a re-plan does not get a fresh budget.
  const meter: ReadBackMeter = { limit: settings.readBackBudget, used: 0, reserved: 0 };
  let scope: Set<string> | undefined;
  for (let round = 1; ; round++) {
    const inputs = await loadInputs(deps.releases, deps.releasesPath, deps.store);
    if (!inputs.ok) return { kind: 'invalid', stage: inputs.stage, errors: inputs.errors };
    // The pushed commit never changes: read once, whatever the re-plans.
    if (deps.pushedReleases && scope === undefined)
      scope = await pushedScope(deps.pushedReleases, deps.releasesPath, deps.log);
    const thePlan = plan(inputs.file, inputs.ledger.index, { accounts: settings.accounts });
    const run = new Run(deps, settings, inputs.ledger.index, meter, scope);
    try {
      await run.execute(thePlan);
      await deps.store.flush();
      return run.result();
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || round >= maxRounds) throw error;
      deps.log.warn(
        `the ledger moved while this run was writing (${error.message}); planning again (${round}/${maxRounds - 1})`,
      );
    }
  }
}

/** Read-back requests made and reserved (a read-back in progress holds two until it ends). */
interface ReadBackMeter {
  limit: number | undefined;
  used: number;
  reserved: number;
}

/** The entries of the pushed commit's file; none when it cannot be read there. */
async function pushedScope(
  source: ReleasesSource,
  path: string,
  log: Logger,
): Promise<Set<string>> {
  const pushed = await loadReleasesFrom(source, path);
  if (pushed.ok) return scopeOf(pushed.file);
  const first = pushed.errors[0];
  log.warn(
    `${path} of the pushed commit cannot be read (${escapeLogText(first?.message ?? 'no detail', 200)}): every entry is left for the run of a later push`,
  );
  return scopeOf(undefined);
}

interface Batch {
  account_id: string;
  items: ToRelease[];
  number: number;
}

class Run {
  private readonly results: RunResult[] = [];
  private readonly wouldRelease: { account_id: string; id: string; attempt: number }[] = [];
  private readonly notStarted: { account_id: string; id: string }[] = [];
  private readonly deferred: Deferred[] = [];
  private readonly unverified: { account_id: string; id: string }[] = [];
  private readonly later: LaterEntry[] = [];
  private readonly seqs = new Map<string, number>();
  private stopped: string | undefined;
  private blocked: string | undefined;
  /** The plan as reviewed against Cloudflare (what may be released, what is refused). */
  private reviewed: Plan | undefined;
  /** Message details read while verifying, reused by the review. */
  private readonly views = new Map<string, MessageView>();
  private readonly started: number;
  /** Aborted on stop: cancels calls still waiting for their turn (never one already sent). */
  private readonly halt = new AbortController();

  constructor(
    private readonly deps: ApplyDeps,
    private readonly settings: ApplySettings,
    private readonly index: LedgerIndex,
    private readonly meter: ReadBackMeter,
    /** Entries of the pushed commit (see ApplyDeps.pushedReleases); undefined: all of them. */
    private readonly scope?: ReadonlySet<string>,
  ) {
    this.started = deps.clock.now().getTime();
  }

  /** Runs the plan; SIGINT/SIGTERM (settings.signal) stop it like any other stop. */
  async execute(thePlan: Plan): Promise<void> {
    this.reviewed = thePlan;
    const interrupted = () => this.stop('interrupted');
    this.settings.signal?.addEventListener('abort', interrupted, { once: true });
    try {
      if (this.settings.signal?.aborted) this.stop('interrupted');
      await this.executePlan(thePlan);
    } finally {
      this.settings.signal?.removeEventListener('abort', interrupted);
    }
  }

  private async executePlan(thePlan: Plan): Promise<void> {
    const sendable = await this.verify(thePlan);
    if (this.shouldStop()) {
      // Nothing was written for these yet: they are simply planned again next run.
      return;
    }
    if (this.settings.verifyOnly) {
      // Proven never released: record it, so the next apply sends it without reading back.
      for (const [account, items] of sendable) {
        for (const item of items) {
          await this.record(
            {
              account_id: account,
              id: item.request.id,
              attempt: item.attempt,
              state: 'pending',
              sent: false,
              via: 'readback',
            },
            `${item.request.id}: read back as never released; the next apply sends it`,
          );
        }
      }
      return;
    }
    let candidate: Plan = {
      accounts: thePlan.accounts.map((a) => ({
        ...a,
        to_release: [...a.to_release, ...(sendable.get(a.account_id) ?? [])],
      })),
    };
    if (this.scope) {
      const split = withinScope(candidate, this.scope);
      candidate = split.plan;
      this.later.push(...split.later);
      if (split.later.length > 0)
        this.deps.log.info(
          `${split.later.length} message(s) were added to ${this.deps.releasesPath} after the pushed commit: left for the run of their own push`,
        );
    }
    const reviewed = await this.review(candidate);
    this.reviewed = reviewed;
    if (this.blocked !== undefined || this.shouldStop()) return;

    const batches: Batch[] = [];
    for (const account of reviewed.accounts) {
      const items = account.to_release;
      for (let i = 0; i < items.length; i += this.settings.batchSize) {
        batches.push({
          account_id: account.account_id,
          items: items.slice(i, i + this.settings.batchSize),
          number: batches.length + 1,
        });
      }
    }
    if (this.settings.dryRun) {
      for (const b of batches)
        for (const item of b.items)
          this.wouldRelease.push({
            account_id: b.account_id,
            id: item.request.id,
            attempt: item.attempt,
          });
      return;
    }
    await this.release(batches);
  }

  /**
   * Looks every message up right before it would be sent and keeps only those that may be:
   * found, still quarantined, and not of a guarded disposition unless acknowledged. Then the
   * run-wide guards: not more than the limit, and the plan a person reviewed.
   */
  private async review(candidate: Plan): Promise<Plan> {
    const { review } = this.settings;
    const wanted = candidate.accounts.flatMap((a) =>
      a.to_release.map((i) => ({ account_id: a.account_id, id: i.request.id })),
    );
    let inspections: Map<string, Inspection> = new Map();
    if (wanted.length > 0) {
      this.deps.log.info(
        `Checking ${wanted.length} message(s) with Cloudflare before releasing them`,
      );
      const looked = await inspect(
        this.deps.api,
        wanted,
        {
          budget: review.lookupBudget,
          now: this.deps.clock.now().getTime(),
          concurrency: this.settings.concurrency,
          halt: this.halt.signal,
          log: this.deps.log,
          actionLogs: retriesOf(candidate),
        },
        this.views,
      );
      inspections = looked.inspections;
      if (looked.stopped !== undefined) this.stop(looked.stopped);
      const { searches, gets, logs } = looked.stats;
      this.deps.log.info(
        `Checked with ${searches} search page(s), ${gets} lookup(s) and ${logs} action log(s)`,
      );
    }
    const reviewed = this.holdToReviewed(
      reviewPlan(candidate, inspections, { guarded: review.guarded }),
    );
    // Every refusal is said, the planner's (a retry the ledger does not allow) included.
    const refused = reviewed.accounts.flatMap((a) =>
      (a.refused ?? []).map((r) => ({ account: a.account_id, r })),
    );
    if (refused.length > 0) this.deps.log.info(`${refused.length} message(s) refused`);
    for (const { r } of refused)
      this.deps.log.warn(
        `${r.item.request.id}: refused: ${escapeLogText(refusalText(r.reason), 300)}`,
      );
    // A message read back as never released but refused now: record that it was not sent,
    // so later runs do not read it back again.
    if (!this.settings.dryRun) {
      for (const { account, r } of refused) {
        const prior = r.item.previous;
        if (r.item.resume && prior && prior.sent !== false) {
          await this.appendOrStop(
            [
              this.makeRecord(account, r.item.request.id, r.item.attempt, 'pending', {
                sent: false,
                error: { message: `refused: ${refusalText(r.reason)}` },
              }),
            ],
            `that ${r.item.request.id} was refused`,
          );
        }
      }
    }

    const total = reviewed.accounts.reduce((n, a) => n + a.to_release.length, 0);
    if (total > review.maxReleases && !review.force) {
      this.block(
        `${total} messages would be released, more than the limit of ${review.maxReleases} per run: nothing was released. Check the plan, then raise the limit or force it`,
      );
      return reviewed;
    }
    if (review.gate.expected?.has('*') && reviewed.accounts.length > 1) {
      this.block(
        'a fingerprint without an account needs a plan with a single account: name the account (ACCOUNT:FINGERPRINT)',
      );
      return reviewed;
    }
    for (const account of reviewed.accounts) {
      const expected = this.expectedFor(account.account_id);
      // Checked entry by entry already (holdToReviewed); nothing to release, nothing to hold.
      if (!expected || expected.entries || account.to_release.length === 0) continue;
      if (!matchesFingerprint(account, expected)) {
        const actual = planFingerprint(account, expected.basis ?? 'dispositions');
        const reviewedPlan = review.gate.reviewedOn
          ? `the one reviewed ${review.gate.reviewedOn}`
          : 'the plan whose fingerprint was given';
        this.block(
          `the plan for account ${account.account_id} differs from ${reviewedPlan} (fingerprint ${actual.slice(0, 12)} instead of ${expected.fingerprint.slice(0, 12)}): nothing was released. Review the new plan, then run again`,
        );
        return reviewed;
      }
    }
    return reviewed;
  }

  private expectedFor(account: string): ReviewedPlan | undefined {
    const expected = this.settings.review.gate.expected;
    return expected?.get(account) ?? expected?.get('*');
  }

  /**
   * Entry by entry: what was not reviewed (added by another pull request, its disposition or
   * attempt changed since, or no plan was reviewed at all) is refused, the rest goes on.
   */
  private holdToReviewed(reviewed: Plan): Plan {
    return {
      accounts: reviewed.accounts.map((account) =>
        holdToReview(account, this.settings.review.gate),
      ),
    };
  }

  private block(reason: string): void {
    this.blocked = reason;
    this.deps.log.error(reason);
  }

  result(): ApplyResult {
    const done: ApplyResult = {
      kind: 'done',
      plan: this.reviewed ?? { accounts: [] },
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
    return done;
  }

  // --- read-back -----------------------------------------------------------------------

  /** Resolves unresolved sends; returns, per account, the ones proven safe to send again. */
  private async verify(thePlan: Plan): Promise<Map<string, ToRelease[]>> {
    const sendable = new Map<string, ToRelease[]>();
    const work = await this.whenConclusive(
      thePlan.accounts.flatMap((a) => a.to_verify.map((item) => ({ account: a.account_id, item }))),
    );
    const running = this.deferred.length;
    if (running > 0) {
      this.deps.log.warn(
        `${running} message(s) are pending in another run that is still going and may still be sending them: left alone; a later run resolves them`,
      );
    }
    // Only the sends the budget can reach are worth waiting for (one request each at best).
    const { limit } = this.meter;
    await this.settle(
      limit === undefined ? work : work.slice(0, Math.max(0, limit - this.meter.used)),
    );
    if (work.length > 0)
      this.deps.log.info(
        `Reading back ${work.length} message(s) whose last send has no known outcome`,
      );

    await pool(work, this.settings.concurrency, async ({ account, item, from }) => {
      if (this.shouldStop()) return;
      if (!this.reserveReadBack()) {
        this.unverified.push({ account_id: account, id: item.id });
        return;
      }
      const finding = await this.readBack(account, item.id, item.priorActs);
      const attempt = item.why === 'alias' ? 1 : item.record.attempt;
      const base = { account_id: account, id: item.id, attempt };
      switch (finding.kind) {
        case 'released':
        case 'partial':
          await this.record(
            { ...base, state: finding.kind, via: 'readback' },
            `${item.id}: ${finding.evidence}; recorded as ${finding.kind}`,
          );
          return;
        case 'missing':
          await this.record(
            {
              ...base,
              state: 'failed',
              via: 'readback',
              error: { status: 404, message: 'message not found' },
            },
            `${item.id}: not found by the API; recorded as failed`,
          );
          return;
        case 'not-released':
          if (from > this.deps.clock.now().getTime()) {
            // Still quarantined, but the earlier request may be at Cloudflare yet.
            const until = new Date(from).toISOString();
            this.deferred.push({ account_id: account, id: item.id, since: item.record.at, until });
            this.deps.log.warn(
              `${item.id}: still quarantined, but its last send may still be in progress at Cloudflare until ${until}: left alone; a run after that resolves it`,
            );
            return;
          }
          if (item.request) {
            const list = sendable.get(account) ?? [];
            list.push({
              request: item.request,
              attempt,
              resume: true,
              previous: item.record,
              priorActs: item.priorActs,
            });
            sendable.set(account, list);
          } else if (item.record.state === 'pending' || item.record.state === 'unknown') {
            // No longer requested, and provably never acted on: close it as never sent.
            await this.record(
              { ...base, state: 'pending', sent: false, via: 'readback' },
              `${item.id}: never released and no longer requested`,
            );
          }
          return;
        case 'unknown':
          if (finding.rateLimited) this.stop('rate limited while reading messages back');
          if (finding.authFailed)
            this.stop(
              `the API refused the credentials while reading messages back (${finding.message})`,
            );
          this.deps.log.warn(
            `${item.id}: still unresolved (${escapeLogText(finding.message, 200)})`,
          );
          this.results.push({
            ...base,
            state: item.record.state,
            via: 'readback',
            error: { message: finding.message },
          });
          return;
      }
    });
    return sendable;
  }

  /**
   * Adds to each unresolved send the time from which reading it back proves something (see
   * core/release/in-flight). Those sent by a run that is still going are left alone outright.
   */
  private async whenConclusive<T extends { account: string; item: ToVerify }>(
    work: T[],
  ): Promise<(T & { from: number })[]> {
    const settleMs = this.settings.settleMs ?? DEFAULT_SETTLE_MS;
    const ours = this.settings.provenance.run;
    const writers = new Map<string, WriterState>();
    const out: (T & { from: number })[] = [];
    for (const w of work) {
      const { record } = w.item;
      if (!mayBeInFlight(record)) {
        out.push({ ...w, from: Number.NEGATIVE_INFINITY });
        continue;
      }
      const run = record.run;
      if (run !== undefined && !writers.has(run)) {
        // Our own run id on an earlier record: an earlier attempt (or, for the CLI, an earlier
        // process on this host, gone since: the ledger lock says so). It ended before we began.
        const state: WriterState =
          run === ours
            ? { running: false, endedAt: this.started }
            : await this.deps.runs?.state(run);
        writers.set(run, state);
      }
      const from = conclusiveFrom(
        record,
        run === undefined ? undefined : writers.get(run),
        settleMs,
      );
      if (from === Number.POSITIVE_INFINITY) {
        this.deferred.push({ account_id: w.account, id: w.item.id, since: record.at });
        continue;
      }
      out.push({ ...w, from });
    }
    return out;
  }

  /** Waits (bounded, interruptible) until the sends that settle soon have settled. */
  private async settle(work: { from: number }[]): Promise<void> {
    const now = this.deps.clock.now().getTime();
    // By default a little longer than the settling time: clocks and GitHub's whole-second
    // times round up what a run would otherwise wait for.
    const wait =
      this.settings.settleWaitMs ?? (this.settings.settleMs ?? DEFAULT_SETTLE_MS) + 10_000;
    const limit = now + wait;
    let until = now;
    for (const w of work) if (w.from > until && w.from <= limit) until = w.from;
    if (until <= now || this.shouldStop()) return;
    this.deps.log.info(
      `Waiting ${formatDuration(until - now)} for earlier sends to settle at Cloudflare before reading them back`,
    );
    await this.deps.clock.sleep(until - now + 1, this.halt.signal);
  }

  /** Holds the two requests a read-back may need; false when the budget cannot cover them. */
  private reserveReadBack(): boolean {
    const m = this.meter;
    if (m.limit !== undefined && m.limit - m.used - m.reserved < 2) return false;
    m.reserved += 2;
    return true;
  }

  /** Reads a message back, within the two requests reserved for it. */
  private async readBack(account: string, id: string, priorActs: number): Promise<ReadBackFinding> {
    try {
      this.meter.used++;
      const lookup = await this.deps.api.getMessage(account, id, this.halt.signal);
      if (lookup.kind === 'found') this.views.set(messageKey(account, id), lookup.message);
      const first = judgeMessage(lookup);
      if (first) return first;
      this.meter.used++;
      return judgeActionLog(
        await this.deps.api.getActionLog(account, id, this.halt.signal),
        priorActs,
      );
    } finally {
      this.meter.reserved -= 2;
    }
  }

  /** Records a read-back finding (nothing in dry runs) and reports it. */
  private async record(
    r: {
      account_id: string;
      id: string;
      attempt: number;
      state: LedgerState;
      via: 'readback';
      sent?: false;
      error?: RecordError;
    },
    message: string,
  ): Promise<void> {
    this.results.push({
      account_id: r.account_id,
      id: r.id,
      state: r.state,
      attempt: r.attempt,
      via: r.via,
      ...(r.error ? { error: r.error } : {}),
    });
    this.deps.log.info(message);
    if (this.settings.dryRun) return;
    await this.appendOrStop(
      [
        this.makeRecord(r.account_id, r.id, r.attempt, r.state, {
          via: 'readback',
          ...(r.sent === false ? { sent: false } : {}),
          ...(r.error ? { error: r.error } : {}),
        }),
      ],
      `the read-back of ${r.id}`,
    );
  }

  // --- release -------------------------------------------------------------------------

  private async release(batches: Batch[]): Promise<void> {
    if (batches.length === 0) return;
    const total = batches.reduce((n, b) => n + b.items.length, 0);
    this.deps.log.info(
      `Releasing ${total} message(s) in ${batches.length} batch(es) of up to ${this.settings.batchSize}`,
    );
    const sent = new Set<Batch>();

    // 'run' scope: one durable write for the whole run before the first POST.
    const pendingWritten =
      this.settings.pendingScope === 'batch' ||
      (await this.writeAhead(batches.flatMap((b) => this.pendingRecords(b))));

    let done = 0;
    await pool(batches, this.settings.concurrency, async (batch) => {
      if (!pendingWritten || this.shouldStop()) return;
      if (
        this.settings.pendingScope === 'batch' &&
        !(await this.writeAhead(this.pendingRecords(batch)))
      )
        return;
      sent.add(batch);
      const ids = batch.items.map((i) => i.request.id);
      const outcome = classifyRelease(
        ids,
        await this.deps.api.release(batch.account_id, ids, this.halt.signal),
      );
      const attempts = new Map(batch.items.map((i) => [i.request.id, i.attempt]));

      if (outcome.kind === 'not-sent') {
        this.stop(outcome.reason);
        await this.closeUnsent(batch, outcome.reason);
      } else {
        if (outcome.stop) this.stop(outcome.stop);
        for (const o of outcome.outcomes)
          this.results.push(resultOf(batch.account_id, o, attempts.get(o.id) ?? 1));
        await this.appendOrStop(
          outcome.outcomes.map((o) =>
            this.outcomeRecord(batch.account_id, o, attempts.get(o.id) ?? 1),
          ),
          `the outcomes of batch ${batch.number}`,
        );
      }
      done += batch.items.length;
      this.progress(
        batch,
        batches.length,
        done,
        total,
        outcome.kind === 'outcomes' ? outcome.outcomes : [],
      );
    });

    for (const batch of batches) {
      if (sent.has(batch)) continue;
      // Recorded pending by the run-wide write: close them as provably never sent.
      if (this.settings.pendingScope === 'run' && pendingWritten)
        await this.closeUnsent(batch, this.stopped ?? 'stopped');
      else
        for (const item of batch.items)
          this.notStarted.push({ account_id: batch.account_id, id: item.request.id });
    }
  }

  /** The write-ahead; on failure the run stops and nothing is sent in these records' name. */
  private async writeAhead(records: LedgerRecord[]): Promise<boolean> {
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
  private async appendOrStop(records: LedgerRecord[], what: string): Promise<void> {
    try {
      await this.deps.store.append(records);
    } catch (error) {
      if (error instanceof LedgerConflictError) throw error;
      this.stop(
        `cannot record ${what} (${errorMessage(error)}); the next run resolves them by read-back`,
      );
    }
  }

  private pendingRecords(batch: Batch): LedgerRecord[] {
    // Batch scope: sent right after this write. Run scope: any time until the deadline.
    const lastStart =
      this.settings.pendingScope === 'run'
        ? (this.settings.deadline ?? this.deps.clock.now().getTime() + LEGACY_IN_FLIGHT_MS)
        : this.deps.clock.now().getTime();
    const until = new Date(lastStart + this.settings.inFlightMs).toISOString();
    return batch.items.map((item) =>
      this.makeRecord(batch.account_id, item.request.id, item.attempt, 'pending', {
        in_flight_until: until,
        ...provenanceOf(item.request),
        ...(item.message?.disposition ? { disposition: item.message.disposition } : {}),
        ...(item.request.acknowledge ? { acknowledge: item.request.acknowledge } : {}),
      }),
    );
  }

  private async closeUnsent(batch: Batch, reason: string): Promise<void> {
    await this.appendOrStop(
      batch.items.map((item) =>
        this.makeRecord(batch.account_id, item.request.id, item.attempt, 'pending', {
          sent: false,
          error: { message: reason },
        }),
      ),
      `that batch ${batch.number} was not sent`,
    );
    for (const item of batch.items) {
      this.results.push({
        account_id: batch.account_id,
        id: item.request.id,
        state: 'pending',
        attempt: item.attempt,
        via: 'not-sent',
        error: { message: reason },
      });
    }
  }

  private outcomeRecord(account: string, o: IdOutcome, attempt: number): LedgerRecord {
    const extra: Partial<LedgerRecord> = { via: 'release' };
    if (o.delivered) extra.delivered = o.delivered;
    if (o.failed) extra.failed = o.failed;
    if (o.undelivered) extra.undelivered = o.undelivered;
    if (o.error) extra.error = o.error;
    return this.makeRecord(account, o.id, attempt, o.state, extra);
  }

  private makeRecord(
    account: string,
    id: string,
    attempt: number,
    state: LedgerState,
    extra: Partial<LedgerRecord>,
  ): LedgerRecord {
    const key = messageKey(account, id);
    const seq = this.seqs.get(key) ?? nextSeq(this.index, account, id);
    this.seqs.set(key, seq + 1);
    const p = this.settings.provenance;
    const record: LedgerRecord = {
      v: 1,
      account_id: account,
      id,
      seq,
      attempt,
      state,
      at: this.deps.clock.now().toISOString(),
      ...extra,
    };
    if (p.actor !== undefined) record.actor = p.actor;
    if (p.commit !== undefined) record.commit = p.commit;
    if (p.run !== undefined) record.run = p.run;
    if (p.pull_request !== undefined) record.pull_request = p.pull_request;
    if (p.approved_by !== undefined) record.approved_by = [...p.approved_by];
    return record;
  }

  private progress(
    batch: Batch,
    batches: number,
    done: number,
    total: number,
    outcomes: IdOutcome[],
  ): void {
    const count = (s: string) => outcomes.filter((o) => o.state === s).length;
    // Time spent waiting for the rate limit is not sending time: the rest is estimated from
    // the time spent sending, plus the waits the pacer already knows the remaining requests need.
    const pacing = this.deps.api.pacing;
    const elapsed = this.deps.clock.now().getTime() - this.started - (pacing?.waitedMs ?? 0);
    const waits = pacing?.expectedWaitMs(Math.ceil((total - done) / this.settings.batchSize)) ?? 0;
    const eta =
      done > 0 && done < total
        ? ` ETA ${formatDuration((Math.max(0, elapsed) / done) * (total - done) + waits)}${waits >= 1000 ? ` (${formatDuration(waits)} of it waiting for the API rate limit)` : ''}`
        : '';
    const summary =
      outcomes.length > 0
        ? `${count('released')} released, ${count('partial')} partial, ${count('failed')} failed, ${count('unknown')} unknown`
        : 'not sent';
    this.deps.log.info(
      `batch ${batch.number}/${batches} (${batch.account_id}): ${summary}; ${done}/${total} ids done${eta}`,
    );
  }

  private shouldStop(): boolean {
    if (this.stopped !== undefined) return true;
    if (
      this.settings.deadline !== undefined &&
      this.deps.clock.now().getTime() > this.settings.deadline
    )
      this.stop('deadline reached');
    return this.stopped !== undefined;
  }

  private stop(reason: string): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.halt.abort();
    this.deps.log.warn(`stopping: ${escapeLogText(reason, 300)}; no new batch will start`);
  }
}

function provenanceOf(r: ReleaseRequest): Partial<LedgerRecord> {
  const p: Partial<LedgerRecord> = { reason: r.reason };
  if (r.ticket !== undefined) p.ticket = r.ticket;
  if (r.requested_by !== undefined) p.requested_by = r.requested_by;
  return p;
}

function resultOf(account: string, o: IdOutcome, attempt: number): RunResult {
  const r: RunResult = { account_id: account, id: o.id, state: o.state, attempt, via: 'release' };
  if (o.delivered) r.delivered = o.delivered;
  if (o.failed) r.failed = o.failed;
  if (o.undelivered) r.undelivered = o.undelivered;
  if (o.error) r.error = o.error;
  return r;
}

function errorMessage(error: unknown): string {
  return escapeLogText(error instanceof Error ? error.message : String(error), 300);
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
