// A `search:` entry of releases.yaml: the messages a search of Cloudflare finds, named by the
// criteria the search API takes. Pure. Cloudflare's own bulk job API releases whatever
// matches when the job runs, so nobody reviews the exact set; here a search is resolved to
// its ids when the plan is made, each id is shown and pinned by the reviewed plan, and apply
// releases only those.
import { DAY, parseTime } from '../windows.js';

/** A closed time window may span at most this long. */
export const MAX_WINDOW_DAYS = 30;
/** RFC 3339 to the second, with its zone: the form the releases schema accepts. */
const WINDOW_TIME =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})$/;

/** What a search entry asks for, as validated (times in UTC, to the second). */
export interface SearchSelector {
  sender?: string;
  domain?: string;
  subject?: string;
  /** RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SSZ`. */
  start: string;
  end: string;
  disposition?: string;
  /** Most messages it may match; more refuse the whole search. */
  limit: number;
}

/** One validated search entry. */
export interface SearchRequest {
  account_id: string;
  search: SearchSelector;
  /** The canonical text of `search` (searchText): how plans, scopes and the ledger name it. */
  text: string;
  reason: string;
  ticket?: string;
  requested_by?: string;
  acknowledge?: string;
  /** Position in the file's `releases` list. */
  index: number;
  /** Where its `search:` key is written. */
  line: number;
  column: number;
  /** The line its criteria end on: editing any of them makes it another search. */
  lastLine: number;
}

/** Epoch ms of an RFC 3339 time the schema accepted, or undefined when it is no real time. */
export function parseWindowTime(text: string): number | undefined {
  return WINDOW_TIME.test(text) ? parseTime(text) : undefined;
}

/** What is wrong with a window (both times parse), phrased for the entry; undefined if fine. */
export function windowProblem(startMs: number, endMs: number): string | undefined {
  if (endMs <= startMs) return 'must be after `start`: a window runs forward in time';
  if (endMs - startMs > MAX_WINDOW_DAYS * DAY) {
    const days = Math.ceil((endMs - startMs) / DAY);
    return `is ${days} days after \`start\`: a search window spans at most ${MAX_WINDOW_DAYS} days (split it into several searches)`;
  }
  return undefined;
}

/**
 * One line naming the search: fixed key order, times in UTC, the subject JSON-quoted. Two
 * entries with the same text are the same search; the ledger records it with each release.
 */
export function searchText(s: SearchSelector): string {
  const parts: string[] = [];
  if (s.sender !== undefined) parts.push(`sender=${s.sender}`);
  if (s.domain !== undefined) parts.push(`domain=${s.domain}`);
  if (s.subject !== undefined) parts.push(`subject=${JSON.stringify(s.subject)}`);
  if (s.disposition !== undefined) parts.push(`disposition=${s.disposition}`);
  parts.push(`start=${s.start}`, `end=${s.end}`, `limit=${s.limit}`);
  return parts.join(' ');
}

/**
 * The search API's parameters for a selector (without the cursor or page size): the messages
 * in quarantine that the criteria match, detections or not (`detections_only` defaults to
 * true in the API, which would leave out clean mail held by a policy). Released mail has left
 * quarantine, so a message is never found twice for release.
 */
export function searchParams(s: SearchSelector): Record<string, string> {
  const p: Record<string, string> = {
    start: s.start,
    end: s.end,
    delivery_status: 'quarantined',
    detections_only: 'false',
  };
  if (s.sender !== undefined) p.sender = s.sender;
  if (s.domain !== undefined) p.domain = s.domain;
  if (s.subject !== undefined) p.subject = s.subject;
  if (s.disposition !== undefined) p.final_disposition = s.disposition;
  return p;
}
