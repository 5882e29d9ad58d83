// `search:` entries turned into the messages they ask for. Pure. A search is resolved (by the
// engine, through Cloudflare's search) when a plan is made with credentials and again by
// apply; each message found becomes one request like an `id` entry, carrying the search's
// reason, acknowledgement and `selector`, so the plan's fingerprint and entry digests cover
// exactly the messages found, and apply releases only those a person reviewed.
import { messageKey, queueIdOf } from '../ids.js';
import type { MessageView } from '../release/readback.js';
import type { ReleaseRequest, ReleasesFile, SearchRequest } from '../requests/load.js';
import { compareText, definedOnly } from '../values.js';
import {
  type AccountPlan,
  emptyAccountPlan,
  type Plan,
  type SearchOutcome,
  type SearchStatus,
} from './plan.js';

export type { SearchOutcome, SearchStatus } from './plan.js';

/** What the search API answered for one search entry. */
export type SearchAnswer =
  | { kind: 'found'; messages: readonly MessageView[] }
  /** More messages than the entry's `limit`: at least `found` (the search stopped there). */
  | { kind: 'over-limit'; found: number }
  | { kind: 'failed'; why: string };

/** A search whose messages cannot be planned (over its limit, or the search failed). */
export function isSearchProblem(status: SearchStatus): boolean {
  return status.kind === 'over-limit' || status.kind === 'failed';
}

/**
 * The file with each resolved search's messages as requests (after the `id` entries, in file
 * order, each search's messages by id), and what became of every search. `answers` by the
 * search's index in the file; a search without an answer is unresolved. A message already
 * asked for (by an `id` entry, in either id form, or by an earlier search) is not asked twice.
 */
export function expandSearches(
  file: ReleasesFile,
  answers: ReadonlyMap<number, SearchAnswer> | undefined,
): { file: ReleasesFile; outcomes: SearchOutcome[] } {
  const searches = file.searches ?? [];
  if (searches.length === 0) return { file, outcomes: [] };
  const asked = new Set(file.releases.map((r) => messageKey(r.account_id, queueIdOf(r.id))));
  const releases: ReleaseRequest[] = [...file.releases];
  const outcomes: SearchOutcome[] = [];
  for (const search of searches) {
    const answer = answers?.get(search.index);
    if (answer === undefined) {
      outcomes.push({ request: search, status: { kind: 'unresolved' } });
      continue;
    }
    if (answer.kind !== 'found') {
      outcomes.push({ request: search, status: answer });
      continue;
    }
    // The search API filters; a page repeating a message (a cursor quirk) counts it once.
    const ids = [...new Set(answer.messages.map((m) => m.id))].sort(compareText);
    let planned = 0;
    for (const id of ids) {
      const key = messageKey(search.account_id, queueIdOf(id));
      if (asked.has(key)) continue;
      asked.add(key);
      planned++;
      releases.push(requestOf(search, id));
    }
    outcomes.push({
      request: search,
      status: { kind: 'resolved', found: ids.length, planned, duplicates: ids.length - planned },
    });
  }
  return { file: { ...file, releases }, outcomes };
}

function requestOf(search: SearchRequest, id: string): ReleaseRequest {
  const { ticket, requested_by, acknowledge } = search;
  return {
    account_id: search.account_id,
    id,
    reason: search.reason,
    index: search.index,
    line: search.line,
    column: search.column,
    selector: search.text,
    ...definedOnly({ ticket, requested_by, acknowledge }),
  };
}

/** The messages the searches found, by messageKey: details the check need not look up again. */
export function searchViews(
  file: ReleasesFile,
  answers: ReadonlyMap<number, SearchAnswer>,
): Map<string, MessageView> {
  const views = new Map<string, MessageView>();
  for (const search of file.searches ?? []) {
    const answer = answers.get(search.index);
    if (answer?.kind !== 'found') continue;
    for (const m of answer.messages) views.set(messageKey(search.account_id, m.id), m);
  }
  return views;
}

/**
 * The plan with each account's searches (accounts a search names but no message of the plan
 * does are added, so that every search is shown). `accounts`: the accounts planned, if not all.
 */
export function withSearches(
  plan: Plan,
  outcomes: readonly SearchOutcome[],
  accounts?: readonly string[],
): Plan {
  if (outcomes.length === 0) return plan;
  const only = accounts && accounts.length > 0 ? new Set(accounts) : undefined;
  const byAccount = new Map<string, SearchOutcome[]>();
  for (const o of outcomes) {
    if (only && !only.has(o.request.account_id)) continue;
    const list = byAccount.get(o.request.account_id) ?? [];
    byAccount.set(o.request.account_id, [...list, o]);
  }
  const out: AccountPlan[] = plan.accounts.map((a) => {
    const mine = byAccount.get(a.account_id);
    byAccount.delete(a.account_id);
    return mine ? { ...a, searches: mine } : a;
  });
  for (const [account_id, searches] of byAccount)
    out.push({ ...emptyAccountPlan(account_id), searches });
  return { accounts: out };
}

/** Short, human words for a search's status (callers escape them for their medium). */
export function searchStatusText(status: SearchStatus): string {
  switch (status.kind) {
    case 'unresolved':
      return 'resolved at plan time with credentials: its messages are listed then, and only those are released';
    case 'resolved': {
      const dup =
        status.duplicates > 0
          ? ` (${status.duplicates} of them also asked for by another entry, listed there)`
          : '';
      const missing =
        status.missing !== undefined && status.missing > 0
          ? `; ${status.missing} of the ${status.reviewed} the reviewed plan listed were not found again (they left quarantine, or were moved or deleted, since): nothing is sent for them`
          : '';
      return `${status.found} message(s) in quarantine${dup}${missing}`;
    }
    case 'over-limit':
      return `refused: matches more than its limit (at least ${status.found}); nothing of this search is released. Narrow the search, or raise \`limit\` and have the new plan reviewed`;
    case 'failed':
      return `not resolved (${status.why}): nothing of this search is released`;
  }
}

/** The searches of a plan that cannot be planned, with their refusal kind for exit codes. */
export function searchProblems(
  plan: Plan,
): { outcome: SearchOutcome; kind: 'search-refused' | 'unchecked' }[] {
  return plan.accounts.flatMap((a) =>
    (a.searches ?? [])
      .filter((o) => isSearchProblem(o.status))
      .map((outcome) => ({
        outcome,
        kind:
          outcome.status.kind === 'over-limit'
            ? ('search-refused' as const)
            : ('unchecked' as const),
      })),
  );
}
