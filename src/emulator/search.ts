// `GET .../investigate`: filters, and cursor pages over a stable order (newest scan first).
// A cursor is an opaque position in that order, not an offset among matches, so each page
// costs a scan from where the previous one stopped, even over 60,000 messages.
import { dispositionOf, haystackOf, headerMessageId, type StoredMessage } from './mailbox.js';
import type { Disposition, PostDeliveryOperation } from './types.js';

const DEFAULT_PER_PAGE = 20;
/** Largest `per_page` served unless set otherwise; above it the search answers 400. */
export const DEFAULT_MAX_PER_PAGE = 1000;

/** The dispositions the search filters by (the contract's enum): not all ten a message has. */
export const FILTER_DISPOSITIONS: readonly Disposition[] = [
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
    if (ms === undefined) return { ok: false, message: `${name} must be an RFC 3339 date-time` };
    query[name] = ms;
  }
  const disposition = params.get('final_disposition');
  if (disposition !== null) {
    if (!FILTER_DISPOSITIONS.includes(disposition as Disposition)) {
      return {
        ok: false,
        message: `final_disposition must be one of ${FILTER_DISPOSITIONS.join(', ')}`,
      };
    }
    query.disposition = disposition as Disposition;
  }
  const action = params.get('message_action');
  if (action !== null) {
    const operation = ACTIONS[action];
    if (!operation) {
      return {
        ok: false,
        message: `message_action must be one of ${Object.keys(ACTIONS).join(', ')}`,
      };
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
      return { ok: false, message: `delivery_status must be one of ${statuses.join(', ')}` };
    }
    // The emulator knows only held or not: `quarantined` filters on it, the others on release.
    query.quarantined = status === 'quarantined';
  }
  const detections = params.get('detections_only');
  if (detections !== null) {
    if (detections !== 'true' && detections !== 'false')
      return { ok: false, message: 'detections_only must be true or false' };
    query.detectionsOnly = detections === 'true';
  }
  const perPage = params.get('per_page');
  if (perPage !== null) {
    if (!/^[0-9]{1,9}$/.test(perPage) || Number(perPage) < 1) {
      return { ok: false, message: 'per_page must be a whole number of 1 or more' };
    }
    // The maximum is undocumented: the emulator refuses pages over its cap, as the real API
    // may, so that clients are tested against a refusal.
    if (Number(perPage) > maxPerPage)
      return { ok: false, message: `per_page must be at most ${maxPerPage}` };
    query.perPage = Number(perPage);
  }
  const cursor = params.get('cursor');
  if (cursor !== null && cursor !== '') {
    const decoded = decodeCursor(cursor);
    if (!decoded) return { ok: false, message: 'cursor is not one this API returned' };
    query.cursor = decoded;
  }
  query.terms = (params.get('query') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const lower = (name: string) => {
    const value = params.get(name)?.trim().toLowerCase();
    return value ? value : undefined;
  };
  const fields = {
    sender: lower('sender'),
    recipient: lower('recipient'),
    subject: lower('subject'),
    domain: lower('domain'),
    messageId: params.get('message_id')?.trim() || undefined,
  };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) query[key as keyof typeof fields] = value;
  }
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

/** One page of `order` (the account's search order) under `query`. */
export function searchPage(order: readonly StoredMessage[], query: SearchQuery): SearchPage {
  const size = order.length;
  const cursor = query.cursor ?? { forward: true, position: 0 };
  const from = Math.min(cursor.position, size);
  const positions: number[] = [];
  if (cursor.forward) {
    for (let i = from; i < size && positions.length < query.perPage; i++) {
      if (matches(order[i] as StoredMessage, query)) positions.push(i);
    }
  } else {
    for (let i = from - 1; i >= 0 && positions.length < query.perPage; i--) {
      if (matches(order[i] as StoredMessage, query)) positions.push(i);
    }
    positions.reverse();
  }
  // The page's bounds: where it starts and where the next one would start.
  const first = positions[0] ?? from;
  const after = positions.length > 0 ? (positions.at(-1) as number) + 1 : from;
  let hasNext = false;
  for (let i = after; i < size && !hasNext; i++)
    hasNext = matches(order[i] as StoredMessage, query);
  let hasPrevious = false;
  for (let i = first - 1; i >= 0 && !hasPrevious; i--) {
    hasPrevious = matches(order[i] as StoredMessage, query);
  }
  return {
    items: positions.map((i) => order[i] as StoredMessage),
    next: hasNext ? encodeCursor(true, after) : null,
    previous: hasPrevious ? encodeCursor(false, first) : null,
  };
}
