// The emulator's HTTP server (node:http only): routing, auth, rate limit, latency and
// transport faults, truth recording, and the control endpoints. The API operations themselves
// are in handlers.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAccountId } from '../core/ids.js';
import { Authenticator } from './auth.js';
import {
  badRequest,
  cannotRoute,
  ERR,
  errorReply,
  failure,
  type Reply,
  rateLimited,
  success,
} from './envelope.js';
import { FaultConfigError, FaultPlan, parseFaultConfig } from './faults.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_MESSAGES_PER_ACCOUNT,
  DEFAULT_SEED,
  generateMailbox,
} from './generate.js';
import {
  type ApiRequest,
  type ApiState,
  handle,
  PendingSearches,
  releaseBodyIds,
} from './handlers.js';
import { Mailbox, type MessageSpec } from './mailbox.js';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limit.js';
import { DEFAULT_MAX_PER_PAGE } from './search.js';
import { accountsOf, parseSeedMessages, specOf } from './seed-messages.js';
import type {
  Disposition,
  EmulatedMessage,
  Emulator,
  EmulatorOptions,
  FaultConfig,
  FaultRoute,
  ReleaseBodyForm,
  Truth,
  TruthRequest,
} from './types.js';

const API_PREFIX = '/client/v4';
const CONTROL_PREFIX = '/__emulator/';
/** 50,000 ids of ~50 bytes fit with room to spare; more is refused with 413. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Route = { name: FaultRoute; accountId: string; messageId: string };

const STATUS_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

// What a proxy in front of the API answers: a page, not an envelope.
function htmlError(status: number): string {
  const title = `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>cloudflare</center></body></html>\n`;
}

/** Whether an option left out, or a whole number from `min` to `max`. */
function whole(n: number | undefined, min: number, max = Number.POSITIVE_INFINITY): boolean {
  return n === undefined || (Number.isInteger(n) && n >= min && n <= max);
}

function checkOptions(options: EmulatorOptions): void {
  const { seed, messagesPerAccount, accounts, rateLimit, port, releaseBody, maxPerPage } = options;
  if (!whole(maxPerPage, 1)) throw new RangeError('maxPerPage must be a whole number of 1 or more');
  if (releaseBody !== undefined && !['ids', 'array', 'either'].includes(releaseBody)) {
    throw new RangeError('releaseBody must be ids, array or either');
  }
  if (!whole(seed, 0, 0xffff_ffff)) {
    throw new RangeError('seed must be a whole number from 0 to 4294967295');
  }
  if (!whole(messagesPerAccount, 0, 500_000)) {
    throw new RangeError('messagesPerAccount must be a whole number from 0 to 500000');
  }
  if (!whole(port, 0, 65_535)) throw new RangeError('port must be a whole number from 0 to 65535');
  if (accounts !== undefined) {
    if (accounts.length === 0) throw new RangeError('accounts must name at least one account');
    for (const a of accounts) {
      if (!isAccountId(a))
        throw new RangeError(`account ${a} is not 32 lowercase hexadecimal characters`);
    }
  }
  if (rateLimit) {
    const { limit, windowMs, blockMs } = rateLimit;
    if (!whole(limit, 1) || !whole(windowMs, 1) || !whole(blockMs, 1)) {
      throw new RangeError(
        'rateLimit limit, windowMs and blockMs must be whole numbers of 1 or more',
      );
    }
    const burst = rateLimit.burst;
    if (burst && (!whole(burst.limit, 1) || !whole(burst.windowMs, 1))) {
      throw new RangeError('rateLimit burst limit and windowMs must be whole numbers of 1 or more');
    }
  }
}

/** The accounts served and the initial messages, from the options. */
function resolveMailbox(options: EmulatorOptions): { accounts: string[]; specs: MessageSpec[] } {
  const seed = options.seed ?? DEFAULT_SEED;
  if (options.messages !== undefined) {
    const parsed = parseSeedMessages(options.messages);
    if (!parsed.ok) throw new RangeError(`messages: ${parsed.errors.join('; ')}`);
    const accounts = options.accounts ?? accountsOf(parsed.messages, DEFAULT_ACCOUNT);
    const first = accounts[0] as string;
    const specs = parsed.messages.map((m) => specOf(m, first));
    const stray = specs.find((s) => !accounts.includes(s.account_id));
    if (stray)
      throw new RangeError(
        `message ${stray.id} belongs to account ${stray.account_id}, not served`,
      );
    return { accounts, specs };
  }
  const accounts = options.accounts ?? [DEFAULT_ACCOUNT];
  const size = options.messagesPerAccount ?? DEFAULT_MESSAGES_PER_ACCOUNT;
  return { accounts, specs: accounts.flatMap((a) => generateMailbox(seed, a, size)) };
}

function routeOf(method: string, pathname: string): Route | Reply {
  if (!pathname.startsWith(`${API_PREFIX}/`)) return errorReply(404, ERR.noRoute);
  const parts = pathname.slice(API_PREFIX.length + 1).split('/');
  const [accounts, accountId, product, investigate, ...rest] = parts;
  if (
    accounts !== 'accounts' ||
    accountId === undefined ||
    product !== 'email-security' ||
    investigate !== 'investigate'
  ) {
    return errorReply(404, ERR.noRoute);
  }
  if (!isAccountId(accountId)) return errorReply(400, cannotRoute(pathname), ERR.noRoute);
  let name: FaultRoute;
  let wanted = 'GET';
  let messageId = '';
  if (rest.length === 0) name = 'search';
  else if (rest.length === 1 && rest[0] === 'release') {
    name = 'release';
    wanted = 'POST';
  } else if (rest[0] && (rest.length === 1 || (rest.length === 2 && rest[1] === 'action_log'))) {
    try {
      messageId = decodeURIComponent(rest[0]);
    } catch {
      return errorReply(404, ERR.noRoute);
    }
    name = rest.length === 1 ? 'message' : 'action_log';
  } else {
    return errorReply(404, ERR.noRoute);
  }
  if (method !== wanted) return errorReply(405, ERR.methodNotAllowed);
  return { name, accountId, messageId };
}

/** Reads the body; stops storing past the cap but drains the rest, so the answer arrives. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the request before its end'));
    });
  });
}

class EmulatorServer implements Emulator {
  url = '';
  private origin = '';
  private readonly server = createServer((req, res) => {
    this.onRequest(req, res).catch((error: unknown) => this.onError(res, error));
  });
  private readonly auth: Authenticator;
  private readonly limiter: RateLimiter;
  private readonly seed: number;
  readonly accounts: readonly string[];
  private readonly specs: MessageSpec[];
  private readonly state: ApiState;
  private faults: FaultPlan;
  private truthLog: Truth = { releases: [], requests: [] };
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: EmulatorOptions) {
    checkOptions(options);
    this.seed = options.seed ?? DEFAULT_SEED;
    const { accounts, specs } = resolveMailbox(options);
    this.accounts = accounts;
    this.specs = specs;
    this.auth = new Authenticator(options.credentials);
    const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.limiter = new RateLimiter(rateLimit, options.rateLimitHeaders ?? 'both');
    this.faults = new FaultPlan(parseFaultConfig(options.faults ?? {}), this.seed);
    this.state = {
      mailbox: new Mailbox(accounts, specs),
      searches: new PendingSearches(),
      recordRelease: (release) => this.truthLog.releases.push(release),
      releaseBody: options.releaseBody ?? 'ids',
      maxPerPage: options.maxPerPage ?? DEFAULT_MAX_PER_PAGE,
    };
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.url = `${this.origin}${API_PREFIX}`;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung requests (timeout faults) and keep-alive sockets would otherwise hold close() open.
    this.server.closeAllConnections();
    return done;
  }

  setFaults(faults: FaultConfig): void {
    this.faults = new FaultPlan(parseFaultConfig(faults), this.seed);
  }

  reset(): void {
    this.state.mailbox = new Mailbox(this.accounts, this.specs);
    this.state.searches.clear();
    this.truthLog = { releases: [], requests: [] };
    this.limiter.reset();
    this.faults = new FaultPlan({}, this.seed);
  }

  truth(): Truth {
    return structuredClone(this.truthLog);
  }

  messages(accountId: string): EmulatedMessage[] {
    return this.state.mailbox.snapshot(accountId);
  }

  reclassify(accountId: string, id: string, disposition: Disposition): boolean {
    return this.state.mailbox.reclassify(accountId, id, disposition);
  }

  requarantine(accountId: string, id: string): boolean {
    return this.state.mailbox.requarantine(accountId, id);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    // The Host the client used makes the 202 Location reachable the way it came; a missing
    // or odd one falls back to the address the emulator listens on.
    const host = req.headers.host;
    const origin = host && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? `http://${host}` : this.origin;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      url = new URL('/', origin);
    }
    if (this.options.control !== false && url.pathname.startsWith(CONTROL_PREFIX)) {
      return this.control(req, res, method, url.pathname);
    }

    const record: TruthRequest = {
      seq: this.truthLog.requests.length + 1,
      method,
      path: req.url ?? '',
      status: null,
      at: new Date().toISOString(),
    };
    this.truthLog.requests.push(record);
    const send = (reply: Reply, extra?: Record<string, string>) =>
      this.send(res, record, reply, extra);

    const body = await readBody(req);
    if (method === 'POST' && url.pathname.endsWith('/release') && body !== 'too_large') {
      const named = releasedIds(body);
      if (named) {
        record.ids = named.ids;
        record.form = named.form;
      }
    }
    const delay = this.faults.delay();
    if (delay > 0) await this.sleep(delay);

    const route = routeOf(method, url.pathname);
    if (!('name' in route)) return send(route);
    if (body === 'too_large') return send(errorReply(413, ERR.tooLarge));
    const auth = this.auth.authenticate(req.headers);
    if (!auth.ok) return send(errorReply(auth.status, auth.error));
    const rate = this.limiter.take(auth.principal.key);
    if (!rate.allowed) return send(rateLimited(rate.retryAfterSeconds), rate.headers);

    const fault = this.faults.choose(route.name);
    if (fault) record.fault = fault.kind;
    const request: ApiRequest = {
      route: route.name,
      accountId: route.accountId,
      messageId: route.messageId,
      params: url.searchParams,
      body,
      principal: auth.principal,
      seq: record.seq,
      url,
    };
    // Faults that spoil the answer without letting the operation run (success_false: maybe).
    switch (fault?.kind) {
      case 'reset_before':
        req.socket.destroy();
        return;
      case 'timeout_before':
        // Never answered: the client's own timeout, or close(), ends it.
        return;
      case '429':
        return send(rateLimited(fault.retryAfterSeconds), rate.headers);
      case 'auth': {
        const refused = fault.badHeader
          ? errorReply(400, ERR.badAuthHeader)
          : errorReply(401, ERR.authentication);
        return send(refused, rate.headers);
      }
      case '5xx':
        if (!fault.html) return send(errorReply(fault.status, ERR.internal), rate.headers);
        return this.sendRaw(res, record, fault.status, htmlError(fault.status), {
          ...rate.headers,
          'Content-Type': 'text/html; charset=utf-8',
        });
      case 'success_false':
        if (fault.acted) handle(this.state, request, fault);
        return send({ status: 200, body: failure() }, rate.headers);
    }

    // Faults that let the operation run, then spoil its answer.
    const reply = handle(this.state, request, fault);
    switch (fault?.kind) {
      case 'reset_after':
        req.socket.destroy();
        return;
      case 'timeout_after':
        return;
      case 'malformed': {
        const text = JSON.stringify(reply.body);
        return this.sendRaw(res, record, 200, text.slice(0, Math.floor(text.length / 2)), {
          ...rate.headers,
          'Content-Type': 'application/json; charset=utf-8',
        });
      }
      default:
        return send(reply, rate.headers);
    }
  }

  private send(
    res: ServerResponse,
    record: TruthRequest | undefined,
    reply: Reply,
    extra?: Record<string, string>,
  ): void {
    this.sendRaw(res, record, reply.status, JSON.stringify(reply.body), {
      ...extra,
      ...reply.headers,
      'Content-Type': 'application/json; charset=utf-8',
    });
  }

  private sendRaw(
    res: ServerResponse,
    record: TruthRequest | undefined,
    status: number,
    text: string,
    headers: Record<string, string>,
  ): void {
    // The client may have gone (its timeout, a reset): then there is no one to answer.
    if (res.headersSent || res.destroyed || !res.socket || res.socket.destroyed) return;
    if (record) record.status = status;
    const body = Buffer.from(text, 'utf8');
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    res.end(body);
  }

  private onError(res: ServerResponse, error: unknown): void {
    // A client that went away mid-body is not an error of the emulator; sendRaw skips it.
    const message = error instanceof Error ? error.message : String(error);
    this.send(res, undefined, errorReply(500, { code: ERR.internal.code, message }));
  }

  private async control(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    pathname: string,
  ): Promise<void> {
    const body = await readBody(req);
    const action = `${method} ${pathname.slice(CONTROL_PREFIX.length)}`;
    const reply = (status: number, payload: unknown) =>
      this.send(res, undefined, { status, body: payload });
    switch (action) {
      case 'GET truth':
        return reply(200, success(this.truth()));
      case 'POST reset':
        this.reset();
        return reply(200, success(null));
      case 'POST faults': {
        if (body === 'too_large') return reply(413, failure(ERR.tooLarge));
        try {
          this.setFaults(JSON.parse(body.toString('utf8') || '{}') as FaultConfig);
        } catch (error) {
          if (error instanceof SyntaxError) return reply(400, failure(ERR.malformedJson));
          if (error instanceof FaultConfigError)
            return reply(400, failure(badRequest(error.message)));
          throw error;
        }
        return reply(200, success(null));
      }
      default:
        return reply(404, failure(ERR.noRoute));
    }
  }
}

/** Starts an emulator and resolves once it listens. Invalid options reject with a RangeError. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new EmulatorServer(options);
  await emulator.listen();
  return emulator;
}

/** The ids a release body names and its form, for truth(); undefined unless a list of strings. */
function releasedIds(body: Buffer): { ids: string[]; form: ReleaseBodyForm } | undefined {
  try {
    const parsed = releaseBodyIds(JSON.parse(body.toString('utf8')));
    if (!parsed?.ids.every((v) => typeof v === 'string')) return undefined;
    return { ids: parsed.ids as string[], form: parsed.form };
  } catch {
    return undefined;
  }
}
