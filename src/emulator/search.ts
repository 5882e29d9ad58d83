// `GET .../investigate`: filters, and cursor pages over a stable order (newest scan first).
// A cursor is an opaque position in that order, not an offset among matches, so each page
// costs a scan from where the previous one stopped, even over 60,000 messages.
import { dispositionOf, haystackOf, headerMessageId, type StoredMessage } from './mailbox.js';
import type { Disposition, PostDeliveryOperation } from './types.js';

const DEFAULT_PER_PAGE = 20;
/** Largest `per_page` served unless set otherwise; above it the search answers 400. */
export const DEFAULT_MAX_PER_PAGE = 1000;

/** The dispositions the search filters by (the contract's enum): not all ten a message has. */
const FILTER_DISPOSITIONS: readonly Disposition[] = [
  'MALICIOUS',
  'SUSPICIOUS',
  'SPOOF',
  'SPAM',
  'BULK',
  'NONE',
];

/** Dispositions that are detections; the others (NONE, and the informational ones) are not. */
const DETECTIONS = new Set<Disposition>([
  'MALICIOUS',
  'MALICIOUS-BEC',
  'SUSPICIOUS',
  'SPOOF',
  'SPAM',
  'BULK',
]);

const ACTIONS: Record<string, PostDeliveryOperation> = {
  QUARANTINE_RELEASED: 'QUARANTINE_RELEASE',
  PREVIEW: 'PREVIEW',
  MOVED: 'MOVE',
};

export interface SearchQuery {
  start?: number;
  end?: number;
  disposition?: Disposition;
  action?: PostDeliveryOperation;
  /** Lower-cased words of `query`; each must occur in a searched field (see haystackOf). */
  terms: string[];
  sender?: string;
  recipient?: string;
  subject?: string;
  domain?: string;
  messageId?: string;
  /** From `delivery_status`: quarantined (true) or anything else (false). */
  quarantined?: boolean;
  /** `detections_only`, default true as in the contract: clean mail (NONE) left out. */
  detectionsOnly: boolean;
  perPage: number;
  cursor?: Cursor;
}

interface Cursor {
  /** Forward: the page starts at this position. Backward: the page ends just before it. */
  forward: boolean;
  position: number;
}

type ParsedSearch = { ok: true; query: SearchQuery } | { ok: false; message: string };

function invalid(message: string): ParsedSearch {
  return { ok: false, message };
}

function encodeCursor(forward: boolean, position: number): string {
  return Buffer.from(`${forward ? 'f' : 'b'}.${position}`).toString('base64url');
}

function decodeCursor(text: string): Cursor | undefined {
  if (text.length > 64) return undefined;
  const match = /^([fb])\.([0-9]{1,9})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!match) return undefined;
  return { forward: match[1] === 'f', position: Number(match[2]) };
}

function parseDate(text: string): number | undefined {
  // RFC 3339 date-time, as the contract's `format: date-time`.
  if (
    !/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/i.test(
      text,
    )
  )
    return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Reads the search parameters. Without `start`/`end` the whole mailbox is searched (the real
 * API defaults to the last 30 days; a seeded mailbox sits at a fixed date, so it would drift
 * out). `detections_only` defaults to true, as in the contract: a search for every message must
 * say `detections_only=false`. Parameters the emulator does not filter on (`metric`, ...) are
 * accepted and ignored, as the API ignores unknown ones.
 */
export function parseSearch(
  params: URLSearchParams,
  maxPerPage = DEFAULT_MAX_PER_PAGE,
): ParsedSearch {
  const query: SearchQuery = { terms: [], perPage: DEFAULT_PER_PAGE, detectionsOnly: true };
  for (const name of ['start', 'end'] as const) {
    const text = params.get(name);
    if (text === null) continue;
    const ms = parseDate(text);
    if (ms === undefined) return invalid(`${name} must be an RFC 3339 date-time`);
    query[name] = ms;
  }
  const disposition = params.get('final_disposition');
  if (disposition !== null) {
    if (!FILTER_DISPOSITIONS.includes(disposition as Disposition)) {
      return invalid(`final_disposition must be one of ${FILTER_DISPOSITIONS.join(', ')}`);
    }
    query.disposition = disposition as Disposition;
  }
  const action = params.get('message_action');
  if (action !== null) {
    const operation = ACTIONS[action];
    if (!operation) {
      return invalid(`message_action must be one of ${Object.keys(ACTIONS).join(', ')}`);
    }
    query.action = operation;
  }
  const status = params.get('delivery_status');
  if (status !== null) {
    const statuses = [
      'delivered',
      'moved',
      'quarantined',
      'rejected',
      'deferred',
      'bounced',
      'queued',
    ];
    if (!statuses.includes(status)) {
      return invalid(`delivery_status must be one of ${statuses.join(', ')}`);
    }
    // The emulator knows only held or not: `quarantined` filters on it, the others on release.
    query.quarantined = status === 'quarantined';
  }
  const detections = params.get('detections_only');
  if (detections !== null) {
    if (detections !== 'true' && detections !== 'false')
      return invalid('detections_only must be true or false');
    query.detectionsOnly = detections === 'true';
  }
  const perPage = params.get('per_page');
  if (perPage !== null) {
    if (!/^[0-9]{1,9}$/.test(perPage) || Number(perPage) < 1) {
      return invalid('per_page must be a whole number of 1 or more');
    }
    // The maximum is undocumented: the emulator refuses pages over its cap, as the real API
    // may, so that clients are tested against a refusal.
    if (Number(perPage) > maxPerPage) return invalid(`per_page must be at most ${maxPerPage}`);
    query.perPage = Number(perPage);
  }
  const cursor = params.get('cursor');
  if (cursor !== null && cursor !== '') {
    const decoded = decodeCursor(cursor);
    if (!decoded) return invalid('cursor is not one this API returned');
    query.cursor = decoded;
  }
  query.terms = (params.get('query') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const lower = (name: string) => params.get(name)?.trim().toLowerCase() || undefined;
  query.sender = lower('sender');
  query.recipient = lower('recipient');
  query.subject = lower('subject');
  query.domain = lower('domain');
  query.messageId = params.get('message_id')?.trim() || undefined;
  return { ok: true, query };
}

function matches(m: StoredMessage, q: SearchQuery): boolean {
  const spec = m.spec;
  if (q.start !== undefined && m.scannedMs < q.start) return false;
  if (q.end !== undefined && m.scannedMs > q.end) return false;
  if (q.disposition !== undefined && dispositionOf(m) !== q.disposition) return false;
  if (q.detectionsOnly && !DETECTIONS.has(dispositionOf(m))) return false;
  if (q.quarantined !== undefined && m.quarantined !== q.quarantined) return false;
  if (q.action !== undefined && !m.operations.includes(q.action)) return false;
  if (q.messageId !== undefined) {
    const id = q.messageId;
    if (spec.id !== id && m.postfixId !== id && headerMessageId(m) !== id) return false;
  }
  if (q.terms.length > 0) {
    const haystack = haystackOf(m);
    for (const term of q.terms) if (!haystack.includes(term)) return false;
  }
  const from = spec.from.toLowerCase();
  if (q.sender !== undefined && from !== q.sender) return false;
  if (q.domain !== undefined && !from.endsWith(`@${q.domain}`)) return false;
  if (q.subject !== undefined && !spec.subject.toLowerCase().includes(q.subject)) return false;
  if (q.recipient !== undefined && !spec.to.some((r) => r.toLowerCase() === q.recipient)) {
    return false;
  }
  return true;
}

interface SearchPage {
  items: StoredMessage[];
  next: string | null;
  previous: string | null;
}

/** Up to `limit` positions of matches, from `start` on, stepping by `step` (1 or -1). */
function matchesFrom(
  order: readonly StoredMessage[],
  query: SearchQuery,
  start: number,
  step: 1 | -1,
  limit: number,
): number[] {
  const found: number[] = [];
  for (let i = start; i >= 0 && i < order.length && found.length < limit; i += step) {
    if (matches(order[i] as StoredMessage, query)) found.push(i);
  }
  return found;
}

/** One page of `order` (the account's search order) under `query`. */
export function searchPage(order: readonly StoredMessage[], query: SearchQuery): SearchPage {
  const cursor = query.cursor ?? { forward: true, position: 0 };
  const from = Math.min(cursor.position, order.length);
  const positions = cursor.forward
    ? matchesFrom(order, query, from, 1, query.perPage)
    : matchesFrom(order, query, from - 1, -1, query.perPage).reverse();
  // The page's bounds: where it starts and where the next one would start.
  const first = positions[0] ?? from;
  const after = positions.length > 0 ? (positions.at(-1) as number) + 1 : from;
  const hasNext = matchesFrom(order, query, after, 1, 1).length > 0;
  const hasPrevious = matchesFrom(order, query, first - 1, -1, 1).length > 0;
  return {
    items: positions.map((i) => order[i] as StoredMessage),
    next: hasNext ? encodeCursor(true, after) : null,
    previous: hasPrevious ? encodeCursor(false, first) : null,
  };
}
