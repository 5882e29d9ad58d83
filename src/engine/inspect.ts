// Looking messages up before they are released, within a request budget.
//
// The budget is the user's too (1,200 requests per 5 minutes, dashboard included), so the cost
// must not be one request per message when thousands are released: long ids carry the time
// the message was seen, so the search endpoint, over the few time windows the ids span and
// page by page, answers for many messages at once. The search asks only for quarantined mail
// (a message to release must be in quarantine; the rest of the mailbox is not worth paging
// through), detections or not. What the search does not answer (bare ids, messages outside the
// windows or no longer quarantined, ids that do not exist) is looked up one by one while the
// budget lasts. Whatever is left is `unchecked`, and an unchecked message is never released.
import { messageKey } from '../core/ids.js';
import type { MessageView } from '../core/release/readback.js';
import { escapeLogText } from '../core/render/escape.js';
import type { Inspection } from '../core/safety/screen.js';
import { idTime, timeWindows, utcSecond } from '../core/windows.js';
import { pool } from './pool.js';
import type { CloudflareApi, Logger, SearchPage } from './ports.js';

export interface InspectOptions {
  /** Most requests the lookups may make in this run. */
  budget: number;
  /** Now, epoch ms: search windows never reach into the future. */
  now: number;
  /** Ids of one account needing at least this many lookups use the search first. */
  searchFrom?: number;
  /** Requests in flight at once (search windows side by side, then lookups). Default 1. */
  concurrency?: number;
  halt?: AbortSignal;
  log?: Logger;
  /**
   * Messages (messageKey) whose action log is read too, once they are found: retries, which
   * must not go when Cloudflare shows a release the ledger does not know of.
   */
  actionLogs?: ReadonlySet<string>;
}

export interface InspectStats {
  searches: number;
  gets: number;
  /** Action logs read (retries). */
  logs: number;
  unchecked: number;
}

/** Page size assumed when the API does not say what it asks for (DEFAULT_SEARCH_PAGE_SIZE). */
export const SEARCH_PER_PAGE = 100;

/** Results by messageKey(account, id). `known` holds details already read (e.g. by read-back). */
export async function inspect(
  api: CloudflareApi,
  wanted: readonly { account_id: string; id: string }[],
  options: InspectOptions,
  known: ReadonlyMap<string, MessageView> = new Map(),
): Promise<{
  inspections: Map<string, Inspection>;
  stats: InspectStats;
  /** Why the lookups stopped before the end: the API refused the credentials. */
  stopped?: string;
}> {
  const inspections = new Map<string, Inspection>();
  const stats: InspectStats = { searches: 0, gets: 0, logs: 0, unchecked: 0 };
  // Results a search page holds at most, to split big windows (the client chooses `per_page`).
  const perPage = api.searchPageSize ?? SEARCH_PER_PAGE;
  // Credentials refused once are refused for every request: stop at once, and leave what is
  // left unchecked with the reason, rather than spend a failing request on each message.
  let stopped: string | undefined;
  const refused = (message: string) => {
    if (stopped !== undefined) return;
    stopped = `the API refused the credentials (${escapeLogText(message, 200)})`;
    options.log?.error(`${stopped}: no more lookups in this run`);
  };
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let budget = options.budget;
  const spend = () => budget-- > 0;

  const byAccount = new Map<string, string[]>();
  for (const { account_id, id } of wanted) {
    const key = messageKey(account_id, id);
    const seen = known.get(key);
    if (seen) {
      inspections.set(key, { kind: 'found', message: seen });
      continue;
    }
    if (inspections.has(key)) continue;
    inspections.set(key, { kind: 'unchecked', reason: 'not looked up' });
    const list = byAccount.get(account_id);
    if (list) list.push(id);
    else byAccount.set(account_id, [id]);
  }

  for (const [account, ids] of byAccount) {
    const open = new Set(ids);
    let searchFailed = false;
    if (ids.length >= (options.searchFrom ?? 20)) {
      const ranges = searchRanges(ids, options.now, perPage, concurrency);
      await pool(ranges, concurrency, async (range) => {
        let cursor: string | undefined;
        // A window full of other quarantined mail costs pages without answering for our ids;
        // once it has cost as many pages as ids are left in it, lookups are cheaper, so the
        // search never costs much more than looking everything up one by one would.
        for (let pages = 0; ; pages++) {
          if (searchFailed || stopped !== undefined || options.halt?.aborted) return;
          const left = countOpen(range.ids, open);
          if (left === 0 || pages >= left || !spend()) return;
          stats.searches++;
          const page = await searchQuarantined(api, account, range, cursor, options.halt);
          if (page.kind === 'error') {
            if (page.authFailed) return refused(page.message);
            if (!searchFailed)
              options.log?.warn(
                `search for ${account} failed (${escapeLogText(page.message, 200)}); looking messages up one by one`,
              );
            searchFailed = true;
            return;
          }
          for (const message of page.messages) {
            if (!open.has(message.id)) continue;
            open.delete(message.id);
            inspections.set(messageKey(account, message.id), { kind: 'found', message });
          }
          cursor = page.next;
          if (cursor === undefined) return;
        }
      });
    }
    // What the search did not answer: one by one, while the budget lasts.
    await pool(
      ids.filter((id) => open.has(id)),
      concurrency,
      async (id) => {
        // Once stopped, what is left is marked with the reason below.
        if (options.halt?.aborted || stopped !== undefined) return;
        if (!spend()) {
          inspections.set(messageKey(account, id), {
            kind: 'unchecked',
            reason: 'lookup budget used up for this run',
          });
          return;
        }
        stats.gets++;
        const lookup = await api.getMessage(account, id, options.halt);
        if (lookup.kind === 'found')
          inspections.set(messageKey(account, id), { kind: 'found', message: lookup.message });
        else if (lookup.kind === 'not-found')
          inspections.set(messageKey(account, id), { kind: 'not-found' });
        else {
          if (lookup.authFailed) refused(lookup.message);
          inspections.set(messageKey(account, id), { kind: 'unchecked', reason: lookup.message });
        }
      },
    );
  }
  // Retries: how many releases Cloudflare records, against the ledger's own count.
  const logged = [...(options.actionLogs ?? [])].filter(
    (key) => inspections.get(key)?.kind === 'found',
  );
  await pool(logged, concurrency, async (key) => {
    const found = inspections.get(key);
    if (found?.kind !== 'found' || stopped !== undefined || options.halt?.aborted || !spend())
      return;
    stats.logs++;
    const slash = key.indexOf('/');
    const log = await api.getActionLog(key.slice(0, slash), key.slice(slash + 1), options.halt);
    if (log.kind === 'found') inspections.set(key, { ...found, releases: log.releases.length });
  });
  if (stopped !== undefined)
    for (const [key, i] of inspections)
      if (i.kind === 'unchecked' && i.reason === 'not looked up')
        inspections.set(key, { kind: 'unchecked', reason: stopped });
  for (const i of inspections.values()) if (i.kind === 'unchecked') stats.unchecked++;
  return { inspections, stats, ...(stopped !== undefined ? { stopped } : {}) };
}

/** One page of the mail quarantined in a window now, of every disposition (not only detections). */
export function searchQuarantined(
  api: CloudflareApi,
  account: string,
  window: { start: string; end: string },
  cursor: string | undefined,
  halt: AbortSignal | undefined,
): Promise<SearchPage> {
  const params: Record<string, string> = {
    start: window.start,
    end: window.end,
    delivery_status: 'quarantined',
    detections_only: 'false',
  };
  if (cursor) params.cursor = cursor;
  return api.search(account, params, halt);
}

function countOpen(ids: readonly string[], open: ReadonlySet<string>): number {
  let n = 0;
  for (const id of ids) if (open.has(id)) n++;
  return n;
}

/**
 * The windows to search, split so that `concurrency` cursors can page side by side when there
 * are fewer windows than that: a big window is cut at its ids' times into parts of at least a
 * page of ids each (each cut costs at most one part-filled page more). Neighbouring parts share
 * their boundary second (both ends are inclusive), so no message falls between them.
 */
export function searchRanges(
  ids: readonly string[],
  now: number,
  perPage: number,
  concurrency: number,
): { start: string; end: string; ids: string[] }[] {
  const windows = timeWindows(ids, now);
  const share = Math.ceil(concurrency / Math.max(1, windows.length));
  const out: { start: string; end: string; ids: string[] }[] = [];
  for (const w of windows) {
    const parts = Math.min(share, Math.floor(w.ids.length / perPage));
    if (parts <= 1) {
      out.push(w);
      continue;
    }
    // w.ids are in time order (timeWindows sorts them).
    const cuts = Array.from({ length: parts - 1 }, (_, k) =>
      utcSecond(
        Math.min(
          idTime(w.ids[Math.round(((k + 1) * w.ids.length) / parts)] as string) as number,
          now,
        ),
      ),
    );
    const bounds = [w.start, ...cuts, w.end];
    for (let k = 0; k < parts; k++) {
      const start = bounds[k] as string;
      const end = bounds[k + 1] as string;
      const from = Math.round((k * w.ids.length) / parts);
      const to = Math.round(((k + 1) * w.ids.length) / parts);
      out.push({ start, end, ids: w.ids.slice(from, to) });
    }
  }
  return out;
}
