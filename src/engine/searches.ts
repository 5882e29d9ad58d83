// Resolving the `search:` entries of releases.yaml through Cloudflare's search, page by page,
// to the messages they find (core/plan/selectors turns those into requests). Used when a plan
// is made with credentials and again by apply, which releases only what the reviewed plan
// listed. A search stops as soon as it has found more than its `limit`: the whole search is
// then refused, never cut short.
import {
  expandSearches,
  type SearchAnswer,
  type SearchOutcome,
  searchViews,
} from '../core/plan/selectors.js';
import type { MessageView } from '../core/release/readback.js';
import { escapeLogText } from '../core/render/escape.js';
import type { ReleasesFile } from '../core/requests/load.js';
import { searchParams } from '../core/requests/search.js';
import type { CloudflareApi, Logger } from './ports.js';

export interface ResolvedSearches {
  /** The file with each resolved search's messages as requests. */
  file: ReleasesFile;
  outcomes: SearchOutcome[];
  /** What the searches said of each message (messageKey): the check need not look again. */
  views: Map<string, MessageView>;
  /** Search pages requested. */
  pages: number;
}

export interface ResolveOptions {
  /** Resolve only these accounts' searches (the accounts planned), if not all. */
  accounts?: readonly string[];
  log?: Logger;
  halt?: AbortSignal;
}

/** Without an API the searches stay unresolved (the plan says when they are resolved). */
export async function resolveSearches(
  file: ReleasesFile,
  api: CloudflareApi | undefined,
  options: ResolveOptions = {},
): Promise<ResolvedSearches> {
  const searches = file.searches ?? [];
  if (!api || searches.length === 0) {
    const { file: same, outcomes } = expandSearches(file, undefined);
    return { file: same, outcomes, views: new Map(), pages: 0 };
  }
  const only = options.accounts && options.accounts.length > 0 ? new Set(options.accounts) : null;
  const answers = new Map<number, SearchAnswer>();
  let pages = 0;
  // One search after the other: they are few, and each is paced by the client.
  for (const search of searches) {
    if (only && !only.has(search.account_id)) continue;
    const params = searchParams(search.search);
    const found = new Map<string, MessageView>();
    let cursor: string | undefined;
    let answer: SearchAnswer | undefined;
    while (answer === undefined) {
      if (options.halt?.aborted) {
        answer = { kind: 'failed', why: 'the run was interrupted' };
        break;
      }
      pages++;
      const page = await api.search(
        search.account_id,
        { ...params, ...(cursor ? { cursor } : {}) },
        options.halt,
      );
      if (page.kind === 'error') {
        answer = { kind: 'failed', why: `the search failed: ${escapeLogText(page.message, 200)}` };
        break;
      }
      for (const m of page.messages) found.set(m.id, m);
      if (found.size > search.search.limit) answer = { kind: 'over-limit', found: found.size };
      else if (page.next === undefined || page.messages.length === 0)
        answer = { kind: 'found', messages: [...found.values()] };
      else cursor = page.next;
    }
    answers.set(search.index, answer);
    const where = `line ${search.line}`;
    if (answer.kind === 'found')
      options.log?.info(
        `Search at ${where} (${escapeLogText(search.text, 300)}): ${answer.messages.length} message(s) in quarantine`,
      );
    else if (answer.kind === 'over-limit')
      options.log?.warn(
        `Search at ${where} matches more than its limit of ${search.search.limit}: refused as a whole`,
      );
    else options.log?.warn(`Search at ${where}: ${answer.why}`);
  }
  const { file: expanded, outcomes } = expandSearches(file, answers);
  return { file: expanded, outcomes, views: searchViews(file, answers), pages };
}
