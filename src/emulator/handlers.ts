// The API operations, over the mailbox: release, get a message, its action log, and search
// (with 202 + poll). Each takes a parsed request and returns the answer to send; the HTTP
// plumbing, auth, rate limit and transport faults live in server.ts. Release-shaped faults
// (partial, missing_id, postfix_only, null_recipients) and 202 are applied here because they
// change what the operation does or answers.
import { isObject } from '../core/values.js';
import type { Principal } from './auth.js';
import { badRequest, ERR, errorReply, type Reply, success } from './envelope.js';
import type { FaultDecision } from './faults.js';
import { type Delivery, detailsOf, type Mailbox } from './mailbox.js';
import { createRandom, type Random } from './random.js';
import { parseSearch, type SearchQuery, searchPage } from './search.js';
import type {
  FaultRoute,
  MessageDetails,
  ReleaseBodyForm,
  ReleaseItem,
  TruthRelease,
} from './types.js';

export interface ApiRequest {
  route: FaultRoute;
  accountId: string;
  /** The `{investigate_id}` path segment, decoded (message and action_log routes). */
  messageId: string;
  params: URLSearchParams;
  body: Buffer;
  principal: Principal;
  /** `seq` of the request in truth(). */
  seq: number;
  /** Absolute URL of this request, for the 202 Location. */
  url: URL;
}

export interface ApiState {
  mailbox: Mailbox;
  searches: PendingSearches;
  recordRelease(release: TruthRelease): void;
  /** The release body forms this account takes. */
  releaseBody: ReleaseBodyForm | 'either';
  /** Largest `per_page` a search accepts. */
  maxPerPage: number;
}

export function handle(state: ApiState, request: ApiRequest, fault?: FaultDecision): Reply {
  if (!state.mailbox.hasAccount(request.accountId)) return errorReply(403, ERR.forbidden);
  if (request.route === 'release') return release(state, request, fault);
  if (request.route === 'search') return search(state, request, fault);
  const message = state.mailbox.find(request.accountId, request.messageId);
  if (!message) return errorReply(404, ERR.notFound);
  if (request.route === 'message') {
    const details = detailsOf(message);
    if (fault?.kind === 'legacy_release') legacyRelease(details);
    return { status: 200, body: success(details) };
  }
  const log = structuredClone(message.log);
  // Both fields are nullable in the contract; what sets them is undocumented.
  if (fault?.kind === 'null_success') for (const e of log) e.success = null;
  return { status: 200, body: success(log) };
}

/**
 * A message whose release was recorded under the legacy operation name: the deprecated
 * `action_log` says RELEASE, and `post_delivery_operations` does not list it.
 */
function legacyRelease(details: MessageDetails): void {
  for (const e of details.action_log)
    if (e.operation === 'QUARANTINE_RELEASE') e.operation = 'RELEASE';
  details.post_delivery_operations = details.post_delivery_operations.filter(
    (op) => op !== 'QUARANTINE_RELEASE',
  );
}

/** The ids and form of a release body in either form; undefined when it is neither. */
export function releaseBodyIds(
  value: unknown,
): { form: ReleaseBodyForm; ids: unknown[] } | undefined {
  if (Array.isArray(value)) return { form: 'array', ids: value };
  if (isObject(value) && Array.isArray(value.ids)) return { form: 'ids', ids: value.ids };
  return undefined;
}

const FORM_TEXT: Record<ReleaseBodyForm, string> = {
  ids: 'the body must be an object {"ids": [...]} of message ids',
  array: 'the body must be a JSON array of message ids',
};

function parseIds(body: Buffer, accepted: ReleaseBodyForm | 'either'): string[] | Reply {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return errorReply(400, ERR.malformedJson);
  }
  const parsed = releaseBodyIds(value);
  if (!parsed || (accepted !== 'either' && parsed.form !== accepted))
    return errorReply(400, badRequest(FORM_TEXT[accepted === 'either' ? 'ids' : accepted]));
  const { ids } = parsed;
  if (ids.length === 0) return errorReply(400, badRequest('the list of message ids is empty'));
  const bad = ids.findIndex((v) => typeof v !== 'string' || v.length === 0 || v.length > 256);
  if (bad !== -1) return errorReply(400, badRequest(`item ${bad} is not a message id string`));
  return ids as string[];
}

function release(state: ApiState, request: ApiRequest, fault?: FaultDecision): Reply {
  if (!request.principal.write) return errorReply(403, ERR.forbidden);
  const ids = parseIds(request.body, state.releaseBody);
  if (!Array.isArray(ids)) return ids;
  const random = createRandom(fault?.seed ?? 0);
  const partial = fault?.kind === 'partial';
  const items: ReleaseItem[] = [];
  for (const id of ids) {
    const message = state.mailbox.find(request.accountId, id);
    // Unknown ids (a bare queue id among them) are left out of the result: their outcome is
    // for the client to read back.
    if (!message) continue;
    // A partial fault always hits the first message of the batch, then about half the others.
    const hit = partial && (items.length === 0 || random.chance(0.5));
    const at = new Date();
    const delivery = state.mailbox.release(message, at, request.principal.label, (targets) =>
      hit ? splitPartially(targets, random) : { delivered: targets, failed: [], undelivered: [] },
    );
    state.recordRelease({
      account_id: request.accountId,
      id: message.spec.id,
      at: at.toISOString(),
      ...structuredClone(delivery),
      request: request.seq,
    });
    items.push({ id: message.spec.id, postfix_id: message.postfixId, ...delivery });
  }
  return { status: 200, body: success(reshape(items, fault, random)) };
}

/** Some targets not reached (at least one), and at least one reached when there are two or more. */
function splitPartially(targets: string[], random: Random): Delivery {
  const missed = targets.length === 1 ? 1 : 1 + random.int(targets.length - 1);
  const order = targets.map((t) => ({ t, key: random.next() })).sort((a, b) => a.key - b.key);
  const delivery: Delivery = { delivered: [], failed: [], undelivered: [] };
  for (const [i, { t }] of order.entries()) {
    if (i >= missed) delivery.delivered.push(t);
    else if (random.chance(0.5)) delivery.failed.push(t);
    else delivery.undelivered.push(t);
  }
  // Keep the request's recipient order within each list, as the API would.
  for (const list of [delivery.delivered, delivery.failed, delivery.undelivered])
    list.sort((a, b) => targets.indexOf(a) - targets.indexOf(b));
  return delivery;
}

function reshape(
  items: ReleaseItem[],
  fault: FaultDecision | undefined,
  random: Random,
): ReleaseItem[] {
  switch (fault?.kind) {
    case 'missing_id':
      if (items.length > 0) items.splice(random.int(items.length), 1);
      return items;
    case 'postfix_only':
      return items.map(({ id: _id, ...rest }) => rest);
    case 'null_recipients':
      return items.map((i) => ({ ...i, delivered: null, failed: null, undelivered: null }));
    default:
      return items;
  }
}

const MAX_PENDING_SEARCHES = 10_000;

/** Searches answered 202, waiting for their polls. Bounded: the oldest are forgotten first. */
export class PendingSearches {
  private readonly polls = new Map<string, { accountId: string; left: number }>();
  private counter = 0;

  open(accountId: string, polls: number): string {
    const token = `poll-${++this.counter}`;
    this.polls.set(token, { accountId, left: polls });
    if (this.polls.size > MAX_PENDING_SEARCHES) {
      const oldest = this.polls.keys().next().value;
      if (oldest !== undefined) this.polls.delete(oldest);
    }
    return token;
  }

  /** 'ready', 'wait' (answer 202 again) or 'unknown'. */
  poll(accountId: string, token: string): 'ready' | 'wait' | 'unknown' {
    const pending = this.polls.get(token);
    if (!pending || pending.accountId !== accountId) return 'unknown';
    if (pending.left === 0) return 'ready';
    pending.left--;
    return 'wait';
  }

  clear(): void {
    this.polls.clear();
    this.counter = 0;
  }
}

const POLL_PARAM = 'poll_id';

function resultInfo(
  query: SearchQuery,
  count: number,
  next: string | null,
  previous: string | null,
) {
  return { count, per_page: query.perPage, total_count: 0, page: 0, next, previous };
}

function accepted(request: ApiRequest, query: SearchQuery, token: string): Reply {
  const location = new URL(request.url);
  location.searchParams.set(POLL_PARAM, token);
  return {
    status: 202,
    headers: { Location: location.href },
    body: success([], { result_info: resultInfo(query, 0, null, null) }),
  };
}

function search(state: ApiState, request: ApiRequest, fault?: FaultDecision): Reply {
  const parsed = parseSearch(request.params, state.maxPerPage);
  if (!parsed.ok) return errorReply(400, badRequest(parsed.message));
  const query = parsed.query;
  const token = request.params.get(POLL_PARAM);
  if (fault?.kind === 'accepted') {
    return accepted(request, query, state.searches.open(request.accountId, fault.polls));
  }
  if (token !== null) {
    const status = state.searches.poll(request.accountId, token);
    if (status === 'unknown') return errorReply(404, ERR.searchNotFound);
    if (status === 'wait') return accepted(request, query, token);
  }
  const page = searchPage(state.mailbox.searchOrder(request.accountId), query);
  const result: MessageDetails[] = page.items.map(detailsOf);
  return {
    status: 200,
    body: success(result, {
      result_info: resultInfo(query, result.length, page.next, page.previous),
    }),
  };
}
