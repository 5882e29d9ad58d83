// Looking messages up before they are released, within a request budget.
//
// The budget is the user's too (1,200 requests per 5 minutes, dashboard included), so the cost
// must not be one request per message when thousands are released: long ids carry the time
// the message was seen, so the search endpoint, over the few time windows the ids span and
// page by page, answers for many messages at once. What the search does not answer (bare
// ids, messages outside the windows, ids that do not exist) is looked up one by one while the
// budget lasts. Whatever is left is `unchecked`, and an unchecked message is never released.
import { messageKey } from '../core/ids.js';
import type { MessageView } from '../core/release/readback.js';
import type { Inspection } from '../core/safety/review.js';
import { timeWindows } from '../core/windows.js';
import type { CloudflareApi, Logger } from './ports.js';

export interface InspectOptions {
  /** Most requests the lookups may make in this run. */
  budget: number;
  /** Now, epoch ms: search windows never reach into the future. */
  now: number;
  /** Ids of one account needing at least this many lookups use the search first. */
  searchFrom?: number;
  /** Results per search page (the API caps it). */
  perPage?: number;
  halt?: AbortSignal;
  log?: Logger;
}

export interface InspectStats {
  searches: number;
  gets: number;
  unchecked: number;
}

/** Results by messageKey(account, id). `known` holds details already read (e.g. by read-back). */
export async function inspect(
  api: CloudflareApi,
  wanted: readonly { account_id: string; id: string }[],
  options: InspectOptions,
  known: ReadonlyMap<string, MessageView> = new Map(),
): Promise<{ inspections: Map<string, Inspection>; stats: InspectStats }> {
  const inspections = new Map<string, Inspection>();
  const stats: InspectStats = { searches: 0, gets: 0, unchecked: 0 };
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
    byAccount.set(account_id, [...(byAccount.get(account_id) ?? []), id]);
  }

  for (const [account, ids] of byAccount) {
    const open = new Set(ids);
    if (ids.length >= (options.searchFrom ?? 20)) {
      for (const window of timeWindows(ids, options.now)) {
        let cursor: string | undefined;
        do {
          if (!window.ids.some((id) => open.has(id)) || !spend()) break;
          stats.searches++;
          const page = await api.search(
            account,
            {
              start: window.start,
              end: window.end,
              detections_only: 'true',
              per_page: String(options.perPage ?? 1000),
              ...(cursor ? { cursor } : {}),
            },
            options.halt,
          );
          if (page.kind === 'error') {
            options.log?.warn(
              `search for ${account} failed (${page.message}); looking messages up one by one`,
            );
            break;
          }
          for (const message of page.messages) {
            if (!open.has(message.id)) continue;
            open.delete(message.id);
            inspections.set(messageKey(account, message.id), { kind: 'found', message });
          }
          cursor = page.next;
        } while (cursor !== undefined);
      }
    }
    // What the search did not answer: one by one, while the budget lasts.
    for (const id of ids) {
      if (!open.has(id)) continue;
      if (options.halt?.aborted) break;
      if (!spend()) {
        inspections.set(messageKey(account, id), {
          kind: 'unchecked',
          reason: 'lookup budget used up for this run',
        });
        continue;
      }
      stats.gets++;
      const lookup = await api.getMessage(account, id, options.halt);
      if (lookup.kind === 'found')
        inspections.set(messageKey(account, id), { kind: 'found', message: lookup.message });
      else if (lookup.kind === 'not-found')
        inspections.set(messageKey(account, id), { kind: 'not-found' });
      else inspections.set(messageKey(account, id), { kind: 'unchecked', reason: lookup.message });
      open.delete(id);
    }
  }
  for (const i of inspections.values()) if (i.kind === 'unchecked') stats.unchecked++;
  return { inspections, stats };
}
