// The drift check (scheduled): messages the ledger says were released must not be back in
// quarantine, and sends with no known outcome are resolved. It never releases anything.
//
// One request budget covers it all: first the read-backs of unresolved sends (up to two
// requests each), then the drift lookups. Those go through each account's released messages
// in a fixed order (core/check/cursor) from where the last run stopped, as saved in the
// cursor file, and wrap round at the end: successive runs cover a ledger of any size in full,
// whatever their schedule. Consecutive messages share search windows (a few pages answer for
// many); a window whose search would cost more than looking its messages up one by one, or
// more than half of what is left, is looked up one by one instead, so every run moves on.
//
// It also lists the entries of the requests file that the ledger does not hold at all
// (merged, never applied; a search with no record of its selector), with how long they have waited (core/check/unapplied): they cost
// no Cloudflare request, and the run fails once one has waited longer than the threshold.
import {
  type CheckCursor,
  type CheckUnit,
  checkUnits,
  compareCheckOrder,
  MAX_CURSOR_FILE_BYTES,
  parseCursorFile,
  startIndex,
} from '../core/check/cursor.js';
import {
  appliedSearches,
  DEFAULT_UNAPPLIED_AFTER_HOURS,
  type EntrySince,
  linesOf,
  notApplied,
  type UnappliedReport,
  unappliedReport,
} from '../core/check/unapplied.js';
import { messageKey } from '../core/ids.js';
import { emptyLedger, foldShard } from '../core/ledger/state.js';
import type { AccountProgress, CursorStatus } from '../core/render/check.js';
import { escapeLogText } from '../core/render/escape.js';
import { compareText } from '../core/values.js';
import { type ApplyDeps, type ApplyResult, type ApplySettings, apply } from './apply.js';
import { searchQuarantined } from './inspect.js';
import type { CheckStateRead, CheckStateStore, EntryTimes } from './ports.js';

export interface Drift {
  account_id: string;
  id: string;
  /** When the ledger recorded it released. */
  released_at: string;
}

export type CheckResult =
  | Extract<ApplyResult, { kind: 'invalid' }>
  | {
      kind: 'done';
      /** What resolving the unresolved sends did. */
      resolved: Extract<ApplyResult, { kind: 'done' }>;
      drift: Drift[];
      /** Released messages checked this run, out of `released`. */
      checked: number;
      released: number;
      accounts: AccountProgress[];
      cursor: CursorStatus;
      /** Requests spent: read-backs, then drift searches and lookups; out of `budget`. */
      requests: { readBack: number; drift: number; budget: number };
      /** Why the drift lookups stopped before the budget did (rate limited, interrupted). */
      stopped?: string;
      /** Entries of the requests file the ledger does not hold at all: merged, never applied. */
      unapplied: UnappliedReport;
    };

export interface CheckSettings
  extends Omit<ApplySettings, 'verifyOnly' | 'dryRun' | 'safety' | 'batchSize' | 'readBackBudget'> {
  /** Most Cloudflare requests of the whole run: read-backs and drift lookups together. */
  lookupBudget: number;
  /** An entry never applied fails the check once it has waited this many hours (default 24). */
  unappliedAfterHours?: number;
}

export interface CheckDeps extends ApplyDeps {
  checkState: CheckStateStore;
  /** When the entries got into the file; without it, their age is unknown (and they fail). */
  entryTimes?: EntryTimes;
}

export async function check(deps: CheckDeps, settings: CheckSettings): Promise<CheckResult> {
  const saved = await readCursors(deps);
  const resolved = await apply(deps, {
    ...settings,
    batchSize: 1,
    dryRun: false,
    verifyOnly: true,
    readBackBudget: settings.lookupBudget,
    safety: {
      lookupBudget: 0,
      guarded: ['MALICIOUS', 'MALICIOUS-BEC'],
      maxReleases: 0,
      force: false,
      // verifyOnly releases nothing, whatever was reviewed.
      gate: { closed: 'the drift check releases nothing', requirePlan: true },
    },
  });
  if (resolved.kind === 'invalid') return resolved;

  // The ledger as it is now, with the resolutions: every message whose state is released.
  // No record is kept whole: each message's state and time are all the check needs.
  const ledger = emptyLedger();
  const keep = () => false;
  const { shards, errors } = await deps.store.read((shard) => foldShard(ledger, shard, keep));
  for (const shard of shards) foldShard(ledger, shard, keep);
  if (errors.length > 0) return { kind: 'invalid', stage: 'ledger', errors };

  deps.log.phase?.('Entries merged but never applied');
  const unapplied = await unappliedOf(deps, settings, resolved, appliedSearches(ledger.index));
  const only = settings.accounts.length > 0 ? new Set(settings.accounts) : undefined;
  // Each account's released messages, by id: when the ledger recorded them released.
  const byAccount = new Map<string, Map<string, string>>();
  for (const account of ledger.index.accountIds()) {
    if (only && !only.has(account)) continue;
    const released = new Map<string, string>();
    for (const [id, history] of ledger.index.account(account) ?? []) {
      if (history.state === 'released') released.set(id, history.at);
    }
    if (released.size > 0) byAccount.set(account, released);
  }

  deps.log.phase?.('Released messages back in quarantine');
  // Accounts checked longest ago first, so a budget too small for all of them rotates.
  const order = [...byAccount.keys()].sort(
    (a, b) =>
      compareText(saved.cursors.get(a)?.at ?? '', saved.cursors.get(b)?.at ?? '') ||
      compareText(a, b),
  );
  const run = new DriftRun(deps, settings, settings.lookupBudget - resolved.readBackRequests);
  const accounts: AccountProgress[] = [];
  const moved: CheckCursor[] = [];
  for (let i = 0; i < order.length; i++) {
    const account = order[i] as string;
    // A fair share of what is left; what an account does not use goes to the next ones.
    const share = Math.ceil(run.left / (order.length - i));
    const old = saved.cursors.get(account);
    const { report, cursor } = await run.account(
      account,
      byAccount.get(account) as Map<string, string>,
      old,
      share,
    );
    accounts.push(report);
    // Written only when it moved (a ledger covered whole in every run never commits), or to
    // replace lines that could not be read.
    const damaged = saved.read === 'damaged' || saved.read === 'unreadable';
    if (cursor && (cursor.after !== old?.after || damaged)) moved.push(cursor);
  }

  const cursor: CursorStatus = {
    path: deps.checkState.path,
    read: saved.read,
    saved: 'unchanged',
    ...(saved.message ? { message: saved.message } : {}),
  };
  if (moved.length > 0) {
    try {
      await deps.checkState.write(moved);
      cursor.saved = 'saved';
    } catch (error) {
      // Never fatal: the next run starts where this one did and checks the same messages again.
      cursor.saved = 'failed';
      cursor.saveError = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      deps.log.warn(
        `could not save the check cursor to ${deps.checkState.path} (${escapeLogText(cursor.saveError, 300)}): the next run starts where this one did`,
      );
    }
  }

  const drift = run.drift.sort((a, b) =>
    compareText(messageKey(a.account_id, a.id), messageKey(b.account_id, b.id)),
  );
  const result: CheckResult = {
    kind: 'done',
    resolved,
    drift,
    checked: accounts.reduce((n, a) => n + a.checked, 0),
    released: accounts.reduce((n, a) => n + a.released, 0),
    accounts,
    cursor,
    requests: {
      readBack: resolved.readBackRequests,
      drift: run.spent,
      budget: settings.lookupBudget,
    },
    unapplied,
  };
  if (run.stopped !== undefined) result.stopped = run.stopped;
  return result;
}

/** The entries the ledger does not hold at all, and how long they have waited. */
async function unappliedOf(
  deps: CheckDeps,
  settings: CheckSettings,
  resolved: Extract<ApplyResult, { kind: 'done' }>,
  applied: ReadonlySet<string>,
): Promise<UnappliedReport> {
  const waiting = notApplied(resolved.plan, resolved.searches, applied);
  const afterHours = settings.unappliedAfterHours ?? DEFAULT_UNAPPLIED_AFTER_HOURS;
  let since: EntrySince = { basis: 'unknown', source: 'nothing tells when entries were added' };
  if (waiting.length > 0 && deps.entryTimes) {
    try {
      since = await deps.entryTimes.since(waiting.flatMap(linesOf));
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
      since = { basis: 'unknown', source: `could not tell when they were added (${message})` };
      deps.log.warn(
        `could not tell when the entries not in the ledger were added to ${deps.releasesPath} (${escapeLogText(message, 300)}): they count as waiting too long`,
      );
    }
  }
  const report = unappliedReport(
    waiting,
    since,
    deps.releasesPath,
    deps.clock.now().getTime(),
    afterHours,
  );
  if (report.entries.length > 0)
    deps.log.info(
      `${report.entries.length} entr${report.entries.length === 1 ? 'y' : 'ies'} of ${deps.releasesPath} not in the ledger (merged, never applied), ${report.overdue} waiting ${afterHours} h or more`,
    );
  return report;
}

/** The saved cursors; a missing or damaged file only means "from the beginning", and says so. */
async function readCursors(deps: CheckDeps): Promise<{
  cursors: Map<string, CheckCursor>;
  read: CursorStatus['read'];
  message?: string;
}> {
  const { path } = deps.checkState;
  let stored: CheckStateRead;
  try {
    stored = await deps.checkState.read();
  } catch (error) {
    stored = {
      kind: 'unreadable',
      message: error instanceof Error ? error.message : String(error),
    };
  }
  if (stored.kind === 'missing') {
    deps.log.info(`no check cursor saved yet (${path}): starting from the beginning`);
    return { cursors: new Map(), read: 'missing' };
  }
  if (stored.kind === 'text' && stored.text.length > MAX_CURSOR_FILE_BYTES)
    stored = { kind: 'unreadable', message: `larger than ${MAX_CURSOR_FILE_BYTES} bytes` };
  if (stored.kind === 'unreadable') {
    const message = stored.message.slice(0, 500);
    deps.log.warn(
      `cannot read the check cursor ${path} (${escapeLogText(message, 300)}): every account starts from the beginning; this run rewrites it`,
    );
    return { cursors: new Map(), read: 'unreadable', message };
  }
  const { cursors, problems } = parseCursorFile(stored.text, path);
  if (problems.length === 0) return { cursors, read: 'found' };
  const first = problems[0];
  const message = `${problems.length} line(s) ignored, the first at line ${first?.line}: ${first?.message.slice(0, 300)}`;
  deps.log.warn(
    `check cursor ${path}: ${escapeLogText(message, 400)}; accounts without a readable line start from the beginning`,
  );
  return { cursors, read: 'damaged', message };
}

/** The drift lookups of one run, account by account, within one budget. */
class DriftRun {
  readonly drift: Drift[] = [];
  spent = 0;
  stopped: string | undefined;
  private readonly now: number;

  constructor(
    private readonly deps: CheckDeps,
    private readonly settings: CheckSettings,
    private budget: number,
  ) {
    this.now = deps.clock.now().getTime();
  }

  get left(): number {
    return Math.max(0, this.budget);
  }

  private refused(message: string): void {
    if (this.stopped !== undefined) return;
    this.stopped = `the API refused the credentials (${escapeLogText(message, 200)})`;
    this.deps.log.error(`${this.stopped}: the drift check stops`);
  }

  private take(limit: { left: number }): boolean {
    if (this.settings.signal?.aborted) this.stopped ??= 'interrupted';
    if (this.stopped !== undefined || limit.left <= 0 || this.budget <= 0) return false;
    limit.left--;
    this.budget--;
    this.spent++;
    return true;
  }

  async account(
    account: string,
    /** Its released messages: id, and when the ledger recorded it released. */
    released: ReadonlyMap<string, string>,
    old: CheckCursor | undefined,
    share: number,
  ): Promise<{ report: AccountProgress; cursor?: CheckCursor }> {
    const sorted = [...released.keys()].sort(compareCheckOrder);
    const n = sorted.length;
    const start = startIndex(sorted, old?.after);
    const s = start.index;
    const units = checkUnits(sorted, s, this.now);
    const limit = { left: share };
    const errors: { id: string; message: string }[] = [];
    // Work done is a prefix of the run's sequence (sorted from s, wrapping round): `covered`
    // messages of it, `checked` of which were checked (the others failed and were skipped).
    let covered = 0;
    let checked = 0;
    // A failed lookup is skipped (reported), but a second one in a row looks like an outage:
    // then the account stops, and the cursor stays before the first of them.
    let streakFrom: number | undefined;
    const cover = (id: string, quarantined: boolean) => {
      covered++;
      checked++;
      streakFrom = undefined;
      if (quarantined)
        this.drift.push({ account_id: account, id, released_at: released.get(id) as string });
    };

    work: for (const unit of units) {
      const held = await this.search(account, unit, limit);
      if (held === 'stop') break;
      if (held?.complete) {
        for (const id of unitIds(unit)) cover(id, held.ids.has(id));
        continue;
      }
      for (const id of unitIds(unit)) {
        // Seen quarantined on a page already: drift for certain, no lookup needed.
        if (held?.ids.has(id)) {
          cover(id, true);
          continue;
        }
        if (!this.take(limit)) break work;
        const lookup = await this.deps.api.getMessage(account, id, this.settings.signal);
        if (lookup.kind === 'found') cover(id, lookup.message.quarantined);
        // Gone from Cloudflare (past its retention): not in quarantine either.
        else if (lookup.kind === 'not-found') cover(id, false);
        else {
          errors.push({ id, message: lookup.message.slice(0, 300) });
          if (lookup.rateLimited) {
            this.stopped ??= 'rate limited by Cloudflare';
            break work;
          }
          // Refused credentials fail every lookup alike: stop, with the cursor before this one.
          if (lookup.authFailed) {
            this.refused(lookup.message);
            errors.pop();
            break work;
          }
          if (streakFrom !== undefined) {
            covered = streakFrom;
            break work;
          }
          streakFrom = covered;
          covered++;
        }
      }
    }
    // Ended on a failure, with no later success to show the API works: not skipped after all.
    if (streakFrom !== undefined) covered = streakFrom;
    for (const e of errors)
      this.deps.log.warn(
        `drift check of ${e.id} (account ${account}) failed: ${escapeLogText(e.message, 200)}`,
      );

    const wrapped = start.wrapped || s + covered >= n;
    const to = (s + covered) % n;
    const nowIso = new Date(this.now).toISOString();
    const passStarted = wrapped || old?.after === undefined ? nowIso : old.pass_started;
    const report: AccountProgress = {
      account_id: account,
      released: n,
      checked,
      from: s,
      to,
      wrapped: wrapped && covered > 0,
      errors,
    };
    if (covered === 0) {
      // Nothing done: the cursor stays.
      if (old?.after !== undefined && !start.wrapped) {
        report.after = old.after;
        report.passStarted = old.pass_started;
      }
      return { report };
    }
    const cursor: CheckCursor = {
      v: 1,
      account_id: account,
      pass_started: passStarted,
      at: nowIso,
      ...(this.settings.provenance.run ? { run: this.settings.provenance.run } : {}),
    };
    if (to !== 0) {
      cursor.after = sorted[to - 1] as string;
      report.after = cursor.after;
      report.passStarted = passStarted;
    }
    return { report, cursor };
  }

  /**
   * Searches a window for what is quarantined now. `complete` when every page was read; else
   * the ids seen so far (certain drift) and the rest to look up. Undefined: not searched.
   */
  private async search(
    account: string,
    unit: CheckUnit,
    limit: { left: number },
  ): Promise<{ complete: boolean; ids: Set<string> } | undefined | 'stop'> {
    if (unit.kind !== 'window' || unit.ids.length < 2) return undefined;
    // Never more pages than lookups would cost, nor more than half of what is left: a window
    // too busy to search is then looked up, and every run makes progress.
    const pages = Math.min(unit.ids.length, Math.floor(Math.min(limit.left, this.budget) / 2));
    const ids = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < pages; page++) {
      if (!this.take(limit)) return this.stopped !== undefined ? 'stop' : { complete: false, ids };
      // Quarantined again is drift whatever the disposition.
      const answer = await searchQuarantined(
        this.deps.api,
        account,
        unit,
        cursor,
        this.settings.signal,
      );
      if (answer.kind === 'error') {
        if (answer.rateLimited) {
          this.stopped ??= 'rate limited by Cloudflare';
          return 'stop';
        }
        if (answer.authFailed) {
          this.refused(answer.message);
          return 'stop';
        }
        this.deps.log.warn(
          `drift search for ${account} failed (${escapeLogText(answer.message, 200)}); looking its messages up one by one`,
        );
        return { complete: false, ids };
      }
      for (const m of answer.messages) if (m.quarantined) ids.add(m.id);
      cursor = answer.next;
      if (cursor === undefined) return { complete: true, ids };
    }
    return { complete: false, ids };
  }
}

function unitIds(unit: CheckUnit): string[] {
  return unit.kind === 'window' ? unit.ids : [unit.id];
}
