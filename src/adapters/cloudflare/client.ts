// The Cloudflare Email Security API over undici. Release POSTs are sent once and never
// retried (a reset after the server acted would release twice); GETs retry with backoff and
// honour Retry-After. Every request is paced by the Pacer and bounded by explicit timeouts.
import { type Dispatcher, EnvHttpProxyAgent, RetryAgent, type RetryHandler, request } from 'undici';
import type { ReleaseAnswer, ReleaseBodyForm } from '../../core/release/classify.js';
import {
  envelopeError,
  refusesCredentials,
  rejectsReleaseBody,
} from '../../core/release/classify.js';
import type {
  ActionLogLookup,
  Lookup,
  LookupError,
  MessageView,
} from '../../core/release/readback.js';
import { escapeLogText } from '../../core/render/escape.js';
import { DISPOSITIONS } from '../../core/safety/screen.js';
import { compareText, isObject } from '../../core/values.js';
import {
  type CloudflareApi,
  type Logger,
  type PacingView,
  type SearchPage,
  systemClock,
} from '../../engine/ports.js';
import {
  type Pacer,
  PacingAbortedError,
  parseRateLimit,
  RateLimitedError,
  type RateLimitInfo,
} from './rate-limit.js';
import {
  type ApiSettings,
  authHeaders,
  DEFAULT_SEARCH_PAGE_SIZE,
  MIN_SEARCH_PAGE_SIZE,
  secretsOf,
} from './settings.js';

export interface Timeouts {
  connectMs: number;
  /** Until the status line and headers arrive. */
  headersMs: number;
  /** Between body chunks. */
  bodyMs: number;
  /** Whole request, start to last byte. */
  requestMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 10_000,
  headersMs: 120_000,
  bodyMs: 60_000,
  requestMs: 180_000,
};

export interface ClientOptions {
  settings: ApiSettings;
  pacer: Pacer;
  timeouts?: Partial<Timeouts>;
  /** Parallel connections; match the run's concurrency. */
  connections?: number;
  /**
   * Says which release body form the account took, when it was not the current one, when
   * searches fall back to smaller pages, and when the pacer waits for the rate limit.
   */
  log?: Pick<Logger, 'info' | 'warn'>;
}

function releaseBody(form: ReleaseBodyForm, ids: readonly string[]): string {
  return JSON.stringify(form === 'ids' ? { ids } : ids);
}

interface Answer {
  kind: 'answer';
  status: number;
  body: unknown;
  retryAfterMs?: number;
  location?: string;
}

/** A slow search answers 202 with a Location to poll; this many polls at most, this far apart. */
const MAX_SEARCH_POLLS = 10;
const SEARCH_POLL_MS = 1_000;

/** Largest answer read; a release answer for 1,000 ids is far below it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The API's own dispositions (core's list): anything else is treated as unknown. */
const KNOWN_DISPOSITIONS: ReadonlySet<string> = new Set(DISPOSITIONS);

/** Operations that record a quarantine release: the current name and the legacy one. */
const RELEASE_OPERATIONS: ReadonlySet<unknown> = new Set(['QUARANTINE_RELEASE', 'RELEASE']);
/**
 * An action-log status that says a release did not reach everyone. Statuses are undocumented
 * (and `success` may be null): an entry counts as complete unless it says failure.
 */
const FAILURE_STATUS = /partial|fail|error|unsuccess/i;

/** Pacing waits shorter than this are not worth a log line. */
const REPORT_WAIT_MS = 1_000;

/** A GET answered 429 is retried only if the server asks for a wait this short. */
const MAX_RETRY_AFTER_MS = 10_000;

/** Retries of a GET (not counting the first try). */
const GET_RETRIES = 3;
/** What a GET is retried on: these statuses, and these network errors. */
const RETRY_STATUS_CODES = [429, 500, 502, 503, 504];
const RETRY_ERROR_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export class CloudflareClient implements CloudflareApi {
  private readonly agent: EnvHttpProxyAgent;
  private readonly getDispatcher: Dispatcher;
  private readonly timeouts: Timeouts;
  private readonly headers: Record<string, string>;
  /** The secrets in the headers, and their encoded forms, removed from anything read back. */
  private readonly secrets: string[];
  /** The release body form to send; fixed for the run once an answer accepted one. */
  private releaseForm: ReleaseBodyForm = 'ids';
  private releaseFormSettled = false;
  /** `per_page` of searches; lowered after a 400 until one size has been answered. */
  private pageSize: number;
  private pageSizeSettled = false;
  /**
   * Per account, the answer that refused the credentials: later reads of that account give it
   * back without a request (they would be refused alike). Releases are not held back here:
   * the engine stops before another batch.
   */
  private readonly refused = new Map<string, LookupError>();

  constructor(private readonly options: ClientOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    // Honours HTTPS_PROXY / NO_PROXY like the rest of the runner; a plain agent otherwise.
    this.agent = new EnvHttpProxyAgent({
      connect: { timeout: this.timeouts.connectMs },
      headersTimeout: this.timeouts.headersMs,
      bodyTimeout: this.timeouts.bodyMs,
      connections: Math.max(1, options.connections ?? 4),
    });
    // Given `retry`, undici reads only it and `throwOnError`: retryGet is the whole policy.
    this.getDispatcher = new RetryAgent(this.agent, {
      // Give back the real answer when not retrying, so 404s and error envelopes are read.
      throwOnError: false,
      retry: retryGet,
    });
    this.pageSize = options.settings.searchPageSize ?? DEFAULT_SEARCH_PAGE_SIZE;
    const { log } = options;
    if (log)
      options.pacer.onWait((wait) => {
        if (wait.ms >= REPORT_WAIT_MS)
          log.info(
            `Waiting ${formatWait(wait.ms)} for the Cloudflare API rate limit: ${wait.reason}`,
          );
      });
    this.secrets = secretForms(secretsOf(options.settings));
    this.headers = {
      ...authHeaders(options.settings.credentials),
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'quarantine-release',
    };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  get searchPageSize(): number {
    return this.pageSize;
  }

  get pacing(): PacingView {
    return this.options.pacer;
  }

  private url(accountId: string, path: string): string {
    return `${this.options.settings.baseUrl}/accounts/${pathSegment(accountId) ?? ''}/email-security/investigate${path}`;
  }

  /**
   * One release of these ids. A 400 refusing the body's form proves nothing was done, so the
   * same ids go once more in the other form (the earlier bare array), until one form has been
   * accepted; that form is then used for the rest of the run. Any other answer is returned
   * as it came: a release is never sent again on a timeout, a reset or a 5xx.
   */
  async release(
    accountId: string,
    ids: readonly string[],
    halt?: AbortSignal,
  ): Promise<ReleaseAnswer> {
    const form = this.releaseForm;
    const first = await this.postRelease(accountId, ids, form, halt);
    if (this.releaseFormSettled || !rejectsReleaseBody(first)) {
      this.settleForm(form, first);
      return first;
    }
    const other: ReleaseBodyForm = form === 'ids' ? 'array' : 'ids';
    const second = await this.postRelease(accountId, ids, other, halt);
    if (this.settleForm(other, second) && other === 'array') {
      this.options.log?.info(
        'The API refused the release body {"ids": [...]} (HTTP 400) and took the earlier bare array: this run sends that form from now on.',
      );
    }
    return second;
  }

  /** Remembers a form the API accepted (any 2xx); true when this answer settled it. */
  private settleForm(form: ReleaseBodyForm, answer: ReleaseAnswer): boolean {
    if (this.releaseFormSettled) return false;
    if (answer.kind !== 'response' || answer.status < 200 || answer.status >= 300) return false;
    this.releaseForm = form;
    this.releaseFormSettled = true;
    return true;
  }

  private async postRelease(
    accountId: string,
    ids: readonly string[],
    form: ReleaseBodyForm,
    halt?: AbortSignal,
  ): Promise<ReleaseAnswer> {
    const answer = await this.send(
      'POST',
      this.url(accountId, '/release'),
      releaseBody(form, ids),
      this.agent,
      halt,
    );
    if (answer.kind === 'error')
      return { kind: 'no-response', maybeSent: answer.maybeSent, message: answer.message };
    const out: ReleaseAnswer = { kind: 'response', status: answer.status, body: answer.body };
    if (answer.retryAfterMs !== undefined)
      out.retryAfterSeconds = Math.ceil(answer.retryAfterMs / 1000);
    return out;
  }

  /**
   * GET of a message's path (`/{investigate_id}` plus `tail`): the answer's `result`. An id
   * that cannot be a path segment (`.`, `..`) is never sent.
   */
  private async getResult(
    accountId: string,
    id: string,
    tail: string,
    halt?: AbortSignal,
  ): Promise<{ kind: 'result'; result: unknown } | { kind: 'not-found' } | LookupError> {
    const segment = pathSegment(id);
    if (segment === undefined) return readError('not an id that can be put in a URL path');
    const refused = this.refused.get(accountId);
    if (refused) return refused;
    const url = this.url(accountId, `/${segment}${tail}`);
    const answer = await this.send('GET', url, undefined, this.getDispatcher, halt);
    if (answer.kind === 'error') return readError(answer.message, answer.rateLimited);
    if (answer.status === 404) return { kind: 'not-found' };
    const failure = this.readFailure(accountId, answer);
    if (failure) return failure;
    return { kind: 'result', result: (answer.body as { result?: unknown }).result };
  }

  async getMessage(accountId: string, id: string, halt?: AbortSignal): Promise<Lookup> {
    const read = await this.getResult(accountId, id, '', halt);
    if (read.kind !== 'result') return read;
    const view = messageView(read.result);
    return view ? { kind: 'found', message: view } : readError('malformed message details');
  }

  async getActionLog(accountId: string, id: string, halt?: AbortSignal): Promise<ActionLogLookup> {
    const read = await this.getResult(accountId, id, '/action_log', halt);
    if (read.kind !== 'result') return read;
    const { result } = read;
    if (!Array.isArray(result)) return readError('malformed action log');
    // Every recorded release counts, whatever its status: each one may have delivered. One is
    // complete unless it says it failed (`success: false`, or a failure status): `success` is
    // nullable and a completed release may carry null.
    const releases = result
      .filter(
        (e): e is Record<string, unknown> => isObject(e) && RELEASE_OPERATIONS.has(e.operation),
      )
      .map((e) => ({
        at: String(e.completed_at ?? e.started_at ?? ''),
        complete: !(
          e.success === false ||
          (typeof e.status === 'string' && FAILURE_STATUS.test(e.status))
        ),
      }))
      .sort((a, b) => compareText(a.at, b.at))
      .map(({ complete }) => ({ complete }));
    return { kind: 'found', releases };
  }

  /**
   * One page of `GET .../investigate` (the search). A 202 means the search is still running:
   * its Location is polled, on the same origin only (the credentials go with it), a bounded
   * number of times; it is never read as "nothing found".
   */
  async search(
    accountId: string,
    params: Readonly<Record<string, string>>,
    halt?: AbortSignal,
  ): Promise<SearchPage> {
    // A 400 may refuse the page size (its maximum is undocumented): ask again for half as
    // many, down to the documented default, until one size has been answered; that size is
    // kept for the run. A read asked again costs budget, never safety. Bounded: the size only
    // goes down.
    for (;;) {
      const refused = this.refused.get(accountId);
      if (refused) return refused;
      const size = this.pageSize;
      const { page, status } = await this.searchPage(
        accountId,
        { ...params, per_page: String(size) },
        halt,
      );
      if (page.kind === 'page') {
        this.pageSizeSettled = true;
        return page;
      }
      if (status !== 400 || page.authFailed || this.pageSizeSettled) return page;
      if (size === this.pageSize) {
        const smaller = Math.max(MIN_SEARCH_PAGE_SIZE, Math.floor(size / 2));
        if (smaller >= size) return page;
        this.pageSize = smaller;
        this.options.log?.warn(
          `The API refused a search page of ${size} (${escapeLogText(page.message, 200)}): asking for ${smaller} per page from now on`,
        );
      }
    }
  }

  private async searchPage(
    accountId: string,
    params: Readonly<Record<string, string>>,
    halt?: AbortSignal,
  ): Promise<{ page: SearchPage; status?: number }> {
    const query = new URLSearchParams(params).toString();
    let url = `${this.url(accountId, '')}?${query}`;
    const origin = new URL(this.options.settings.baseUrl).origin;
    for (let poll = 0; ; poll++) {
      const answer = await this.send('GET', url, undefined, this.getDispatcher, halt);
      if (answer.kind === 'error') return { page: readError(answer.message, answer.rateLimited) };
      if (answer.status === 202) {
        const next = answer.location ? new URL(answer.location, url) : undefined;
        if (!next || next.origin !== origin)
          return {
            page: readError(
              'the search is still running and its poll address is not on the API host',
            ),
          };
        if (poll >= MAX_SEARCH_POLLS)
          return { page: readError('the search is still running after several polls') };
        url = next.toString();
        await systemClock.sleep(SEARCH_POLL_MS, halt);
        continue;
      }
      const failure = this.readFailure(accountId, answer);
      if (failure) return { page: failure, status: answer.status };
      const body = answer.body as { result?: unknown; result_info?: { next?: unknown } };
      if (!Array.isArray(body.result))
        return { page: readError('malformed search answer'), status: answer.status };
      const messages = body.result
        .map(messageView)
        .filter((m): m is MessageView => m !== undefined);
      const next = body.result_info?.next;
      return {
        page: {
          kind: 'page',
          messages,
          ...(typeof next === 'string' && next !== '' ? { next } : {}),
        },
        status: answer.status,
      };
    }
  }

  /** A read's failure, if it is one; refused credentials are remembered for the account. */
  private readFailure(
    accountId: string,
    answer: { status: number; body: unknown },
  ): LookupError | undefined {
    const failure = answerFailure(answer);
    if (failure?.authFailed) this.refused.set(accountId, failure);
    return failure;
  }

  /** One paced request. Never throws: transport failures come back as `error`. */
  private async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    dispatcher: Dispatcher,
    halt?: AbortSignal,
  ): Promise<
    Answer | { kind: 'error'; maybeSent: boolean; rateLimited: boolean; message: string }
  > {
    const { pacer } = this.options;
    try {
      await pacer.acquire(halt);
    } catch (error) {
      if (error instanceof PacingAbortedError) {
        return { kind: 'error', maybeSent: false, rateLimited: false, message: error.message };
      }
      const message = error instanceof RateLimitedError ? error.message : 'cannot pace the request';
      return { kind: 'error', maybeSent: false, rateLimited: true, message };
    }
    let status: number | undefined;
    let info: RateLimitInfo = {};
    try {
      const res = await request(url, {
        method,
        headers: this.headers,
        body,
        dispatcher,
        signal: AbortSignal.timeout(this.timeouts.requestMs),
      });
      status = res.statusCode;
      info = parseRateLimit(res.headers, Date.now());
      const text = await readCapped(res.body);
      let parsed: unknown;
      try {
        // A proxy may echo the request headers in an error: our secrets never travel further.
        parsed = text === undefined ? undefined : scrub(JSON.parse(text), this.secrets);
      } catch {
        parsed = undefined;
      }
      const answer: Answer = { kind: 'answer', status, body: parsed };
      if (info.retryAfterMs !== undefined) answer.retryAfterMs = info.retryAfterMs;
      const location = res.headers.location;
      if (typeof location === 'string') answer.location = location;
      return answer;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      return {
        kind: 'error',
        // Before a connection exists nothing can have reached the server.
        maybeSent: status !== undefined || !NOT_SENT_CODES.has(code),
        rateLimited: false,
        message: describeError(error),
      };
    } finally {
      pacer.done(status, info);
    }
  }
}

/** GET retries: network errors and 5xx with backoff; 429 only when the wait asked is short. */
export const retryGet: NonNullable<RetryHandler.RetryOptions['retry']> = (
  err,
  { state, opts },
  cb,
) => {
  // undici leaves `methods` to its own retry: only a GET is ever sent again, whoever calls.
  if (opts.method !== 'GET') return cb(err);
  const e = err as Error & {
    statusCode?: number;
    code?: string;
    headers?: Record<string, string | string[]>;
  };
  if (state.counter > GET_RETRIES) return cb(err);
  const retryable = e.statusCode
    ? RETRY_STATUS_CODES.includes(e.statusCode)
    : RETRY_ERROR_CODES.includes(e.code ?? '');
  if (!retryable) return cb(err);
  const info = e.headers ? parseRateLimit(e.headers, Date.now()) : {};
  if (e.statusCode === 429 && (info.retryAfterMs ?? Number.POSITIVE_INFINITY) > MAX_RETRY_AFTER_MS)
    return cb(err);
  const backoff = Math.min(500 * 2 ** (state.counter - 1), 8_000);
  setTimeout(() => cb(null), Math.max(backoff, info.retryAfterMs ?? 0));
};

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy?: () => void },
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy?.();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answerFailure(answer: { status: number; body: unknown }): LookupError | undefined {
  const ok =
    answer.status >= 200 &&
    answer.status < 300 &&
    isObject(answer.body) &&
    answer.body.success === true;
  if (ok) return undefined;
  const detail = envelopeError(answer.body);
  const failure = readError(
    `HTTP ${answer.status}${detail ? `: ${detail.message}` : ''}`,
    answer.status === 429,
  );
  if (refusesCredentials(answer.status, answer.body)) failure.authFailed = true;
  return failure;
}

function readError(message: string, rateLimited = false): LookupError {
  return { kind: 'error', message, rateLimited };
}

/** RFC 3986 `pchar` without `%`: what a path segment may carry as it is. */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/**
 * One path segment, encoded as Cloudflare's SDK does it (`encodeURIPath`): the characters a
 * segment may carry (unreserved, sub-delims, `:` and `@`) stay as they are, every other one
 * is percent-encoded as UTF-8. `.` and `..` (which would move up the path) and text that is
 * not valid Unicode give undefined, as the SDK refuses them.
 */
export function pathSegment(value: string): string | undefined {
  if (value === '.' || value === '..') return undefined;
  let out = '';
  try {
    for (const ch of value) out += PCHAR.test(ch) ? ch : encodeURIComponent(ch);
  } catch {
    return undefined;
  }
  return out;
}

function formatWait(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Reads the fields we use, checking their types; undefined if the required ones are wrong. */
function messageView(value: unknown): MessageView | undefined {
  if (!isObject(value) || typeof value.id !== 'string' || typeof value.is_quarantined !== 'boolean')
    return undefined;
  const ops = Array.isArray(value.post_delivery_operations) ? value.post_delivery_operations : [];
  const legacyLog = Array.isArray(value.action_log) ? value.action_log : [];
  const view: MessageView = {
    id: value.id,
    quarantined: value.is_quarantined,
    // The deprecated `action_log` may name a release by its legacy operation, RELEASE.
    releaseRecorded:
      ops.some((op) => RELEASE_OPERATIONS.has(op)) ||
      legacyLog.some((e) => isObject(e) && RELEASE_OPERATIONS.has(e.operation)),
  };
  // Only the API's own values: anything else leaves the disposition unknown (the message
  // is then refused as unchecked), and never reaches a comment or a log as text.
  if (
    typeof value.final_disposition === 'string' &&
    KNOWN_DISPOSITIONS.has(value.final_disposition)
  ) {
    view.disposition = value.final_disposition;
  }
  if (typeof value.subject === 'string') view.subject = value.subject;
  if (typeof value.from === 'string') view.from = value.from;
  if (typeof value.from_name === 'string') view.fromName = value.from_name;
  if (Array.isArray(value.to)) view.to = value.to.filter((t): t is string => typeof t === 'string');
  if (typeof value.scanned_at === 'string') view.scannedAt = value.scanned_at;
  if (Array.isArray(value.detection_reasons)) {
    view.detectionReasons = value.detection_reasons.filter(
      (t): t is string => typeof t === 'string',
    );
  }
  return view;
}

/**
 * A secret as it could come back: raw, URL-encoded (either case of escapes), hex, and base64 or
 * base64url wherever it sits in a longer encoded text (a proxy echoing a whole header block
 * encoded). Only forms long enough to be one are kept, longest first.
 */
function secretForms(secrets: string[]): string[] {
  const forms = secrets.flatMap((s) => {
    const bytes = Buffer.from(s);
    const url = encodeURIComponent(s);
    const hex = bytes.toString('hex');
    return [
      s,
      url,
      url.replace(/%[0-9A-F]{2}/g, (hexEscape) => hexEscape.toLowerCase()),
      hex,
      hex.toUpperCase(),
      ...base64Cores(bytes),
    ];
  });
  return [...new Set(forms)].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
}

/**
 * The base64 (and base64url) characters that encode `bytes` alone, for each of the three
 * alignments it can have inside a longer encoded text: characters shared with a neighbouring
 * byte are left out, so each run is found whatever surrounds the secret.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const core = encoded.slice(
      Math.ceil((8 * shift) / 6),
      Math.floor((8 * (shift + bytes.length)) / 6),
    );
    cores.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return cores;
}

/** Every string of a parsed answer, with the secrets replaced. */
function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') {
    let out = value;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  }
  return value;
}

function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timed out waiting for the answer';
  if (e.code === 'UND_ERR_BODY_TIMEOUT') return 'timed out reading the answer';
  if (e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out connecting';
  if (e.code === 'UND_ERR_SOCKET' || e.code === 'ECONNRESET') return 'connection reset';
  if (e.code) return `network error ${e.code}`;
  return 'request failed';
}
