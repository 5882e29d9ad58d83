// The planner: what the file asks for, minus what the ledger says already happened.
// Pure: no I/O, no clock. Reconciles "desired minus ledger", never "what this commit changed",
// so merges that land close together cannot drop or repeat work.
import { messageKey, queueIdOf } from '../ids.js';
import type { LedgerRecord, LedgerState } from '../ledger/record.js';
import type { LedgerIndex, MessageHistory } from '../ledger/state.js';
import type { MessageView } from '../release/readback.js';
import type { ReleaseRequest, ReleasesFile, SearchRequest } from '../requests/load.js';
import { compareText } from '../values.js';
import { retryProblem } from './retries.js';

/** Why an entry is not released: found by the planner, the screen with Cloudflare, or the human review. */
export type RefusalReason =
  | { kind: 'not-found' }
  | { kind: 'not-quarantined'; releasedElsewhere: boolean }
  | { kind: 'needs-acknowledgement'; disposition: string }
  | { kind: 'acknowledgement-mismatch'; disposition: string; acknowledged: string }
  | { kind: 'unchecked'; reason: string }
  /** `retry: N` that the ledger does not allow (core/plan/retries). */
  | { kind: 'retry-not-allowed'; why: string }
  /** A retry, but Cloudflare's action log shows more releases than this ledger records. */
  | { kind: 'released-since'; logged: number; recorded: number }
  /** Not in the plan a person reviewed (`where`: e.g. "on PR #12"). */
  | { kind: 'not-reviewed'; where: string }
  /** Nothing new may go: no reviewed plan, or the review is not enough (`why`). */
  | { kind: 'no-review'; why: string };

export interface Refused {
  item: ToRelease;
  reason: RefusalReason;
  message?: MessageView;
}

/** A message to send now. */
export interface ToRelease {
  request: ReleaseRequest;
  /** Attempt number the ledger will record: 1, or the entry's `retry`. */
  attempt: number;
  /** Set when an earlier run recorded this attempt as provably never sent (e.g. rate limited). */
  resume: boolean;
  previous?: LedgerRecord;
  /**
   * Sends the ledger knows acted on the message (MessageHistory.acts): before a retry,
   * Cloudflare's action log must show exactly this many releases, or someone released it since.
   */
  priorActs: number;
  /** What Cloudflare says about the message, once the plan has been screened with it. */
  message?: MessageView;
}

/** A message whose last send has no known outcome: read it back before anything is sent. */
export interface ToVerify {
  account_id: string;
  id: string;
  /** The entry asking for it, when it is still in the file. */
  request?: ReleaseRequest;
  /** Its ledger record; for an alias, the record of the other form of the same message. */
  record: LedgerRecord;
  why: 'pending' | 'unknown' | 'alias';
  /** Sends the ledger knows acted on the message before (see MessageHistory.acts). */
  priorActs: number;
}

export interface AlreadyReleased {
  request: ReleaseRequest;
  record: LedgerRecord;
}

/** Ended partial or failed and not asked to retry (or the asked attempt was already made). */
export interface Held {
  request: ReleaseRequest;
  record: LedgerRecord;
  why: 'no-retry' | 'retry-done';
}

/** In the ledger but no longer in the file: reported, never undone. */
export interface Orphan {
  account_id: string;
  id: string;
  /** The latest record's state, attempt and time (the record is in the ledger). */
  state: LedgerState;
  attempt: number;
  at: string;
}

/** What became of one `search:` entry in a plan (core/plan/selectors). */
export type SearchStatus =
  /** No credentials: the search is resolved when a plan is made with them. */
  | { kind: 'unresolved' }
  /**
   * `found` messages in quarantine; `planned` of them are this entry's requests, the rest are
   * asked for by an `id` entry or an earlier search (`duplicates`).
   */
  | {
      kind: 'resolved';
      found: number;
      planned: number;
      duplicates: number;
      /**
       * Set by apply when the reviewed plan said how many of this search's messages it would
       * release: that number, and how many of them this run's search did not find again.
       */
      reviewed?: number;
      missing?: number;
    }
  /** More matches than its `limit` (at least `found`): the whole search is refused. */
  | { kind: 'over-limit'; found: number }
  | { kind: 'failed'; why: string };

export interface SearchOutcome {
  request: SearchRequest;
  status: SearchStatus;
}

export interface AccountPlan {
  account_id: string;
  to_release: ToRelease[];
  to_verify: ToVerify[];
  already_released: AlreadyReleased[];
  held: Held[];
  orphaned: Orphan[];
  /**
   * What may not be released, and why: entries whose `retry` the ledger does not allow (the
   * planner's), and once the plan has been screened with Cloudflare, what it refused.
   */
  refused?: Refused[];
  /** Set once the plan has been screened with Cloudflare (each message looked up). */
  checked?: true;
  /** The account's `search:` entries and what became of them (core/plan/selectors). */
  searches?: SearchOutcome[];
}

export interface Plan {
  accounts: AccountPlan[];
}

export interface PlanOptions {
  /** Plan only these accounts (one job per account in a matrix). */
  accounts?: readonly string[];
}

/** An account's plan with nothing in it yet. */
export function emptyAccountPlan(account_id: string): AccountPlan {
  return {
    account_id,
    to_release: [],
    to_verify: [],
    already_released: [],
    held: [],
    orphaned: [],
  };
}

export function plan(file: ReleasesFile, ledger: LedgerIndex, options: PlanOptions = {}): Plan {
  const only =
    options.accounts && options.accounts.length > 0 ? new Set(options.accounts) : undefined;
  const wanted = (account: string) => only === undefined || only.has(account);

  const byAccount = new Map<string, AccountPlan>();
  const accountPlan = (account: string): AccountPlan => {
    let p = byAccount.get(account);
    if (p === undefined) {
      p = emptyAccountPlan(account);
      byAccount.set(account, p);
    }
    return p;
  };

  // The ledger's history of each request, and, for requests the ledger does not know, their
  // queue ids: only those need the ledger's ids by queue id (the same message in its other
  // form), so the ledger is not indexed a second time for nothing.
  const histories: (MessageHistory | undefined)[] = [];
  const unknownQueues = new Map<string, Set<string>>();
  for (const request of file.releases) {
    const history = wanted(request.account_id)
      ? ledger.get(request.account_id, request.id)
      : undefined;
    histories.push(history);
    if (history !== undefined || !wanted(request.account_id)) continue;
    const queue = queueIdOf(request.id);
    const accounts = unknownQueues.get(queue);
    if (accounts) accounts.add(request.account_id);
    else unknownQueues.set(queue, new Set([request.account_id]));
  }
  const aliases = new Map<string, string[]>();
  if (unknownQueues.size > 0) {
    for (const account of ledger.accountIds()) {
      for (const id of ledger.account(account)?.keys() ?? []) {
        const queue = queueIdOf(id);
        if (!unknownQueues.get(queue)?.has(account)) continue;
        const key = messageKey(account, queue);
        const list = aliases.get(key);
        if (list) list.push(id);
        else aliases.set(key, [id]);
      }
    }
  }

  // The file's ids by account, to find what the ledger has that the file no longer asks for.
  const inFile = new Map<string, Set<string>>();
  for (const [index, request] of file.releases.entries()) {
    if (!wanted(request.account_id)) continue;
    const target = accountPlan(request.account_id);
    const ids = inFile.get(request.account_id);
    if (ids) ids.add(request.id);
    else inFile.set(request.account_id, new Set([request.id]));
    const history = histories[index];

    // A retry the ledger cannot justify is refused instead of sent. (Unresolved sends are
    // read back whatever the entry says: nothing may stay unknown.)
    const refuseRetry = (): boolean => {
      const why = retryProblem(request, history);
      if (why === undefined) return false;
      target.refused ??= [];
      target.refused.push({
        item: {
          request,
          attempt: request.retry as number,
          resume: false,
          priorActs: history?.acts ?? 0,
        },
        reason: { kind: 'retry-not-allowed', why },
      });
      return true;
    };

    if (history === undefined) {
      const alias = aliases
        .get(messageKey(request.account_id, queueIdOf(request.id)))
        ?.map((id) => ledger.get(request.account_id, id))
        .find((h) => h !== undefined);
      if (alias) {
        target.to_verify.push({
          account_id: request.account_id,
          id: request.id,
          request,
          record: alias.latest,
          why: 'alias',
          priorActs: alias.acts,
        });
      } else if (!refuseRetry()) {
        target.to_release.push({
          request,
          attempt: request.retry ?? 1,
          resume: false,
          priorActs: 0,
        });
      }
      continue;
    }

    const record = history.latest;
    switch (record.state) {
      case 'released':
        target.already_released.push({ request, record });
        break;
      case 'pending':
      case 'unknown': {
        const verify = readBack(request.account_id, request.id, history);
        if (verify) target.to_verify.push({ ...verify, request });
        else {
          // Proven never acted on: finish the same attempt, no read-back needed.
          target.to_release.push({
            request,
            attempt: record.attempt,
            resume: true,
            previous: record,
            priorActs: history.acts,
          });
        }
        break;
      }
      case 'partial':
      case 'failed':
        if (refuseRetry()) break;
        if (request.retry !== undefined && request.retry > record.attempt) {
          target.to_release.push({
            request,
            attempt: request.retry,
            resume: false,
            previous: record,
            priorActs: history.acts,
          });
        } else {
          target.held.push({
            request,
            record,
            why: request.retry === undefined ? 'no-retry' : 'retry-done',
          });
        }
        break;
    }
  }

  // A message a search entry of the file released is still asked for by that entry, though
  // the search no longer finds it (it left quarantine) or was not resolved (no credentials).
  const searched = new Set((file.searches ?? []).map((s) => `${s.account_id}\t${s.text}`));
  const bySearch = (account: string, history: MessageHistory) =>
    history.selectors !== undefined &&
    [...history.selectors].some((text) => searched.has(`${account}\t${text}`));

  // What the ledger knows and the file no longer asks for, by account then id.
  for (const account of [...ledger.accountIds()].sort(compareText)) {
    if (!wanted(account)) continue;
    const asked = inFile.get(account);
    const messages = ledger.account(account);
    if (messages === undefined) continue;
    // Ids, not pairs with their history: a ledger of a million records has half a million.
    const orphans: string[] = [];
    for (const [id, history] of messages) {
      if (asked?.has(id)) continue;
      if (bySearch(account, history)) {
        // Not an orphan, but an unresolved send is still read back.
        const verify = readBack(account, id, history);
        if (verify) accountPlan(account).to_verify.push(verify);
        continue;
      }
      orphans.push(id);
    }
    if (orphans.length === 0) continue;
    orphans.sort(compareText);
    const target = accountPlan(account);
    for (const id of orphans) {
      const history = messages.get(id) as MessageHistory;
      const { state, attempt, at } = history;
      target.orphaned.push({ account_id: account, id, state, attempt, at });
      // An unresolved send is resolved even when its entry is gone: nothing may stay unknown.
      const verify = readBack(account, id, history);
      if (verify) target.to_verify.push(verify);
    }
  }

  // Accounts in the order the file names them, then ledger-only accounts by id.
  const fileOrder = new Map<string, number>();
  for (const r of file.releases)
    if (!fileOrder.has(r.account_id)) fileOrder.set(r.account_id, fileOrder.size);
  const accounts = [...byAccount.values()].sort(
    (a, b) =>
      (fileOrder.get(a.account_id) ?? Number.MAX_SAFE_INTEGER) -
        (fileOrder.get(b.account_id) ?? Number.MAX_SAFE_INTEGER) ||
      compareText(a.account_id, b.account_id),
  );
  return { accounts };
}

/** The read-back an unresolved send needs: one pending or unknown, unless proven never sent. */
function readBack(account_id: string, id: string, history: MessageHistory): ToVerify | undefined {
  const { state } = history;
  if (state !== 'pending' && state !== 'unknown') return undefined;
  const record = history.latest;
  if (state === 'pending' && record.sent === false) return undefined;
  return { account_id, id, record, why: state, priorActs: history.acts };
}

export function planTotals(p: Plan) {
  const sum = (count: (a: AccountPlan) => number) => p.accounts.reduce((n, a) => n + count(a), 0);
  return {
    to_release: sum((a) => a.to_release.length),
    refused: sum((a) => a.refused?.length ?? 0),
    to_verify: sum((a) => a.to_verify.length),
    already_released: sum((a) => a.already_released.length),
    held: sum((a) => a.held.length),
    orphaned: sum((a) => a.orphaned.length),
  };
}
