// Entries merged but never applied: in the requests file at the branch head, with no record of
// the attempt they ask for in the ledger at all. Their apply run was cancelled (GitHub cancels
// a run waiting in a concurrency group when another joins it), failed before it wrote
// anything, or never ran. The drift check reports them with how long they have waited and
// fails once one has waited longer than a threshold. Pure: the plan and what is known of when
// each entry got into the file in, the report out.
//
// A `search:` entry names no message: it counts as applied once the ledger holds a record of
// its account whose `selector` is its canonical text (apply writes one with every message it
// releases for it). A search that found nothing, or only messages other entries asked for,
// records nothing and stays listed: an entry that releases nothing should be removed.
import type { LedgerIndex } from '../ledger/state.js';
import type { Plan } from '../plan/plan.js';
import type { ReleaseRequest, SearchRequest } from '../requests/load.js';

/** An `id` entry whose attempt has no record in the ledger, or a search with none at all. */
export type NotApplied =
  | {
      request: ReleaseRequest;
      attempt: number;
      /** Why apply would refuse it anyway, when the plan already says (a retry the ledger does not allow). */
      refused?: string;
    }
  | { search: SearchRequest };

/**
 * When the entries got into the requests file, as far as the adapter can tell, and how it
 * knows (`source`, said in the report): per line of the file (the commit that last changed
 * it), for the whole file (its last change: a lower bound for every entry), or not at all.
 */
export type EntrySince =
  | {
      basis: 'line';
      source: string;
      /** By line number: when that line got onto the branch, and the commit that brought it. */
      at: ReadonlyMap<number, { at: string; commit?: string }>;
    }
  | { basis: 'file'; source: string; at: string }
  | { basis: 'unknown'; source: string };

export interface UnappliedEntry {
  account_id: string;
  /** The message of an `id` entry, and the attempt it asks for; absent for a search. */
  id?: string;
  attempt?: number;
  /** A `search:` entry's canonical text (core/requests/search searchText). */
  selector?: string;
  file: string;
  line: number;
  column: number;
  /** When it got into the file; absent when that is not known. */
  since?: string;
  commit?: string;
  /** Whole hours it has waited; absent when not known. */
  hours?: number;
  /** Waited longer than the threshold, or for a time that cannot be told (fails closed). */
  overdue: boolean;
  refused?: string;
}

export interface UnappliedReport {
  entries: UnappliedEntry[];
  /** The threshold: entries waiting this long (or longer) fail the check. */
  afterHours: number;
  basis: EntrySince['basis'];
  source: string;
  overdue: number;
}

const HOUR = 3_600_000;

/** A day: an apply run waiting for its environment's reviewers longer than that is news. */
export const DEFAULT_UNAPPLIED_AFTER_HOURS = 24;
/** A year: the most the threshold may be. */
export const MAX_UNAPPLIED_AFTER_HOURS = 8760;

/**
 * The plan's entries whose attempt the ledger does not hold: those it would send that are
 * not resumed from a record (a resumed attempt is in the ledger, provably never sent), and
 * the retries it refuses (not in the ledger either), in file order.
 */
export function notApplied(
  plan: Plan,
  searches: readonly SearchRequest[] = [],
  applied: ReadonlySet<string> = new Set(),
): NotApplied[] {
  const out: NotApplied[] = [];
  for (const account of plan.accounts) {
    for (const item of account.to_release)
      if (!item.resume) out.push({ request: item.request, attempt: item.attempt });
    for (const r of account.refused ?? [])
      if (r.reason.kind === 'retry-not-allowed')
        out.push({ request: r.item.request, attempt: r.item.attempt, refused: r.reason.why });
  }
  for (const search of searches)
    if (!applied.has(selectorKey(search.account_id, search.text))) out.push({ search });
  return out.sort((a, b) => entryOf(a).index - entryOf(b).index);
}

function entryOf(e: NotApplied): ReleaseRequest | SearchRequest {
  return 'search' in e ? e.search : e.request;
}

/**
 * The lines that date an entry: its `id:` line, or every line of a search's criteria (a search
 * edited since is another search, as new as its newest line).
 */
export function linesOf(e: NotApplied): number[] {
  if (!('search' in e)) return [e.request.line];
  const lines: number[] = [];
  for (let l = e.search.line; l <= e.search.lastLine; l++) lines.push(l);
  return lines;
}

/** When the newest of an entry's lines got onto the branch, if known. */
function newestOf(
  e: NotApplied,
  at: ReadonlyMap<number, { at: string; commit?: string }>,
): { at: string; commit?: string } | undefined {
  let newest: { at: string; commit?: string } | undefined;
  for (const l of linesOf(e)) {
    const t = at.get(l);
    if (t === undefined) return undefined;
    if (newest === undefined || Date.parse(t.at) > Date.parse(newest.at)) newest = t;
  }
  return newest;
}

/** A search of one account, as appliedSearches() holds it. */
export function selectorKey(account: string, text: string): string {
  return `${account}\t${text}`;
}

/** The searches the ledger holds at least one record of (selectorKey), whatever its state. */
export function appliedSearches(ledger: LedgerIndex): Set<string> {
  const out = new Set<string>();
  for (const account of ledger.accountIds())
    for (const history of ledger.account(account)?.values() ?? [])
      for (const text of history.selectors ?? []) out.add(selectorKey(account, text));
  return out;
}

/** How long each entry has waited against the threshold (`now` in epoch ms). */
export function unappliedReport(
  entries: readonly NotApplied[],
  since: EntrySince,
  file: string,
  now: number,
  afterHours: number,
): UnappliedReport {
  const out = entries.map((waiting): UnappliedEntry => {
    const request = entryOf(waiting);
    const known =
      since.basis === 'line'
        ? newestOf(waiting, since.at)
        : since.basis === 'file'
          ? { at: since.at }
          : undefined;
    const t = known ? Date.parse(known.at) : Number.NaN;
    const entry: UnappliedEntry = {
      account_id: request.account_id,
      ...('search' in waiting
        ? { selector: waiting.search.text }
        : { id: waiting.request.id, attempt: waiting.attempt }),
      file,
      line: request.line,
      column: request.column,
      overdue: true,
    };
    if (known && Number.isFinite(t)) {
      // A date ahead of this clock (skew) counts as now.
      const waited = Math.max(0, now - t);
      entry.since = new Date(t).toISOString();
      entry.hours = Math.floor(waited / HOUR);
      entry.overdue = waited >= afterHours * HOUR;
      if (known.commit) entry.commit = known.commit;
    }
    if ('refused' in waiting && waiting.refused !== undefined) entry.refused = waiting.refused;
    return entry;
  });
  return {
    entries: out,
    afterHours,
    basis: since.basis,
    source: since.source,
    overdue: out.filter((e) => e.overdue).length,
  };
}
