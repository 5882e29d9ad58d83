// Every non-fault exchange with the emulator holds to the OpenAPI contract: each request is
// checked before it is sent, each answer after, against the operation it belongs to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareClient } from '../../src/adapters/cloudflare/client.js';
import { Pacer } from '../../src/adapters/cloudflare/rate-limit.js';
import {
  DEFAULT_TOKEN,
  type DemoFixtures,
  demoFixtures,
  type Emulator,
  type FaultKind,
  type FaultRoute,
  startEmulator,
  type TruthRequest,
} from '../../src/emulator/index.js';
import { inspect } from '../../src/engine/inspect.js';
import { systemClock } from '../../src/engine/ports.js';
import { ACCOUNT, BEARER, LEGACY, READ_ONLY } from './helpers.js';
import { Contract } from './openapi.js';

const SEARCH = '/accounts/{account_id}/email-security/investigate';
const RELEASE = `${SEARCH}/release`;
const MESSAGE = `${SEARCH}/{investigate_id}`;
const ACTION_LOG = `${MESSAGE}/action_log`;

const contract = new Contract();
let em: Emulator;
let fx: DemoFixtures;

interface Exchange {
  method: 'GET' | 'POST';
  template: string;
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** The test sends a request the contract forbids on purpose (a 400 case). */
  invalidRequest?: boolean;
  /** An absolute URL to use instead of the template (a 202 Location). */
  url?: string;
  /** Violations the answer is known to have, because the real API has them too. */
  deviations?: string[];
  /** The operation does not exist (a wrong method): nothing to check the request against. */
  invalidOperation?: boolean;
}

/** Sends one request, checking it and its answer against the contract. */
async function exchange(x: Exchange, target: Emulator = em) {
  const path = { account_id: ACCOUNT, ...x.path };
  const query = new URLSearchParams(x.query);
  if (!x.invalidOperation) {
    const requestErrors = contract.request(x.method, x.template, path, query, x.body);
    if (x.invalidRequest) expect(requestErrors).not.toEqual([]);
    else expect(requestErrors).toEqual([]);
  }
  let url = x.url;
  if (!url) {
    const filled = x.template.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(path[name as keyof typeof path] ?? ''),
    );
    url = `${target.url}${filled}${query.size > 0 ? `?${query}` : ''}`;
  }
  const body = x.raw ?? (x.body === undefined ? undefined : JSON.stringify(x.body));
  const response = await fetch(url, {
    method: x.method,
    headers: { ...(x.headers ?? BEARER), 'Content-Type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, checked by the contract
  const json = (await response.json()) as any;
  const errors = x.invalidOperation
    ? [`status ${response.status} is not documented for ${x.method} ${x.template}`]
    : contract.response(x.method, x.template, response.status, json, response.headers);
  expect(errors, `${x.method} ${url} → ${response.status}`).toEqual(x.deviations ?? []);
  if (x.invalidOperation)
    expect(contract.response('POST', x.template, response.status, json, response.headers)).toEqual(
      [],
    );
  return { status: response.status, headers: response.headers, json };
}

beforeAll(async () => {
  em = await startEmulator({ seed: 7 });
  fx = demoFixtures(7, ACCOUNT);
});
afterAll(() => em.close());

describe('the emulator holds to the OpenAPI contract', () => {
  it('loads the contract document', () => {
    expect(contract.operation('POST', RELEASE).operationId).toBe('email_security_post_release');
  });

  it('release: found ids, a missing id, a bare postfix id (unknown), and the legacy key', async () => {
    const bare = fx.malicious.split('-')[0] as string;
    const ids = [fx.spam, fx.bulk, fx.missing[0] as string, bare];
    const answer = await exchange({ method: 'POST', template: RELEASE, body: { ids } });
    expect(answer.status).toBe(200);
    expect(answer.json.result.map((r: { id: string }) => r.id)).toEqual([fx.spam, fx.bulk]);
    const legacy = await exchange({
      method: 'POST',
      template: RELEASE,
      body: { ids: [fx.malicious] },
      headers: LEGACY,
    });
    expect(legacy.json.result[0]).toMatchObject({ id: fx.malicious, postfix_id: bare });
  });

  it('release: the earlier bare-array body, on an emulator set to take it, holds to the contract', async () => {
    const old = await startEmulator({ seed: 7, releaseBody: 'array' });
    try {
      const answer = await exchange({ method: 'POST', template: RELEASE, body: [fx.spam] }, old);
      expect(answer.status).toBe(200);
      const refused = await exchange(
        { method: 'POST', template: RELEASE, body: { ids: [fx.bulk] } },
        old,
      );
      expect(refused.status).toBe(400);
    } finally {
      await old.close();
    }
  });

  it('release: bodies the contract forbids answer the 4XX envelope', async () => {
    for (const raw of ['{"id":1}', '{"ids":[1]}', '[1, 2]', 'not json']) {
      const body = (() => {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      })();
      const answer = await exchange({
        method: 'POST',
        template: RELEASE,
        body,
        raw,
        invalidRequest: true,
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ success: false, result: null });
    }
    const empty = await exchange({ method: 'POST', template: RELEASE, body: { ids: [] } });
    expect(empty.status).toBe(400);
    // The earlier form is valid in the contract, but this (current) account refuses it.
    const array = await exchange({ method: 'POST', template: RELEASE, body: [fx.bulk] });
    expect(array.status).toBe(400);
    expect(array.json.errors[0].message).toMatch(/"ids"/);
  });

  it('get message: every message of the mailbox by its id; a bare id and a missing one are 404', async () => {
    for (const m of em.messages(ACCOUNT)) {
      const answer = await exchange({
        method: 'GET',
        template: MESSAGE,
        path: { investigate_id: m.details.id },
      });
      expect(answer.json.result.id).toBe(m.details.id);
    }
    const bare = await exchange({
      method: 'GET',
      template: MESSAGE,
      path: { investigate_id: fx.spoof.split('-')[0] as string },
    });
    expect(bare.status).toBe(404);
    const missing = await exchange({
      method: 'GET',
      template: MESSAGE,
      path: { investigate_id: fx.missing[1] as string },
    });
    expect(missing.status).toBe(404);
  });

  it('action log: released, never released, unknown', async () => {
    for (const id of [fx.released, fx.spam, fx.suspicious]) {
      const answer = await exchange({
        method: 'GET',
        template: ACTION_LOG,
        path: { investigate_id: id },
      });
      expect(answer.status).toBe(200);
    }
    const missing = await exchange({
      method: 'GET',
      template: ACTION_LOG,
      path: { investigate_id: fx.missing[2] as string },
    });
    expect(missing.status).toBe(404);
  });

  it('search: every page of the mailbox, forward and back', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let last: Awaited<ReturnType<typeof exchange>> | undefined;
    for (let page = 0; page < 20; page++) {
      const query: Record<string, string> = { per_page: '7', detections_only: 'false' };
      if (cursor) query.cursor = cursor;
      last = await exchange({ method: 'GET', template: SEARCH, query });
      seen.push(...last.json.result.map((m: { id: string }) => m.id));
      cursor = last.json.result_info.next;
      if (cursor === null) break;
    }
    expect(seen).toHaveLength(em.messages(ACCOUNT).length);
    const back = await exchange({
      method: 'GET',
      template: SEARCH,
      query: { per_page: '7', detections_only: 'false', cursor: last?.json.result_info.previous },
    });
    expect(back.json.result).toHaveLength(7);
  });

  it('search: each filter', async () => {
    const filters: Record<string, string>[] = [
      { final_disposition: 'SPAM' },
      { message_action: 'QUARANTINE_RELEASED' },
      { query: 'invoice' },
      { sender: 'news@newsletter.example.net' },
      { recipient: em.messages(ACCOUNT)[0]?.details.to[0] as string },
      { message_id: fx.bulk },
      { start: '2026-10-20T00:00:00Z', end: '2026-10-25T00:00:00Z' },
      { subject: 'webinar', domain: 'webinars.example.org' },
    ];
    for (const query of filters) {
      const answer = await exchange({ method: 'GET', template: SEARCH, query });
      expect(answer.status).toBe(200);
      expect(answer.json.result.length, JSON.stringify(query)).toBeGreaterThan(0);
    }
    const bad = await exchange({
      method: 'GET',
      template: SEARCH,
      query: { final_disposition: 'PURPLE' },
      invalidRequest: true,
    });
    expect(bad.status).toBe(400);
  });

  it('search: 202 with a Location, then the page from polling it', async () => {
    em.setFaults({ script: [{ kind: 'accepted', route: 'search' }] });
    const accepted = await exchange({ method: 'GET', template: SEARCH, query: { per_page: '5' } });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') as string;
    const polled = await exchange({ method: 'GET', template: SEARCH, url: location });
    expect(polled.status).toBe(200);
    expect(polled.json.result).toHaveLength(5);
    em.setFaults({});
  });

  it('auth errors answer the 4XX envelope', async () => {
    const cases: [Record<string, string>, number][] = [
      [{}, 400],
      [{ Authorization: 'Basic abc' }, 400],
      [{ Authorization: 'Bearer nope' }, 401],
      [{ 'X-Auth-Email': 'demo@example.com', 'X-Auth-Key': 'wrong' }, 403],
    ];
    for (const [headers, status] of cases) {
      const answer = await exchange({
        method: 'GET',
        template: MESSAGE,
        path: { investigate_id: fx.spam },
        headers,
      });
      expect(answer.status).toBe(status);
    }
    const readOnly = await exchange({
      method: 'POST',
      template: RELEASE,
      body: { ids: [fx.bulk] },
      headers: READ_ONLY,
    });
    expect(readOnly.status).toBe(403);
    const otherAccount = await exchange({
      method: 'GET',
      template: SEARCH,
      path: { account_id: 'ffffffffffffffffffffffffffffffff' },
    });
    expect(otherAccount.status).toBe(403);
  });

  it('429 answers the 4XX envelope', async () => {
    const limited = await startEmulator({ rateLimit: { limit: 2, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const answer = await exchange({ method: 'GET', template: SEARCH }, limited);
        statuses.push(answer.status);
      }
      // Cloudflare's rate-limit code is 971, below the contract's `code` minimum of 1000:
      // the emulator keeps the real code, and this is the one violation allowed.
      const over = await exchange(
        {
          method: 'GET',
          template: SEARCH,
          deviations: ['body/errors/0/code must be >= 1000 {"comparison":">=","limit":1000}'],
        },
        limited,
      );
      statuses.push(over.status);
      expect(over.json.errors[0].code).toBe(971);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('search: per_page over the cap and the dispositions the filter does not take answer the 4XX envelope', async () => {
    const big = await exchange({ method: 'GET', template: SEARCH, query: { per_page: '1001' } });
    expect(big.status).toBe(400);
    for (const final_disposition of ['MALICIOUS-BEC', 'ENCRYPTED', 'EXTERNAL', 'UNKNOWN']) {
      const answer = await exchange({
        method: 'GET',
        template: SEARCH,
        query: { final_disposition },
        invalidRequest: true,
      });
      expect(answer.status).toBe(400);
    }
  });

  it('405 and 413 answer the 4XX envelope', async () => {
    const wrongMethod = await exchange({
      method: 'GET',
      template: RELEASE,
      deviations: [`status 405 is not documented for GET ${RELEASE}`],
      url: `${em.url}/accounts/${ACCOUNT}/email-security/investigate/release`,
      invalidOperation: true,
    });
    expect(wrongMethod.status).toBe(405);
    const huge = await exchange({
      method: 'POST',
      template: RELEASE,
      body: { ids: [fx.spam] },
      raw: JSON.stringify({ ids: Array(200_000).fill(fx.spam) }),
    });
    expect(huge.status).toBe(413);
  });
});

/** A route's template, the id it is asked about, and a request body. */
const ROUTES: Record<FaultRoute, { method: 'GET' | 'POST'; template: string }> = {
  release: { method: 'POST', template: RELEASE },
  message: { method: 'GET', template: MESSAGE },
  action_log: { method: 'GET', template: ACTION_LOG },
  search: { method: 'GET', template: SEARCH },
};

/**
 * What the contract says of the answers the emulator spoils on purpose: a 5xx is not in the
 * contract at all, Cloudflare's 429 code (971) is below its minimum, `success: false` on a 200
 * carries no result, and `postfix_only` drops the required `id`. Everything else must hold.
 */
function knownDeviations(kind: FaultKind, route: FaultRoute): string[] {
  const { method, template } = ROUTES[route];
  switch (kind) {
    case '5xx':
      return [`status 503 is not documented for ${method} ${template}`];
    case '429':
      return ['body/errors/0/code must be >= 1000 {"comparison":">=","limit":1000}'];
    case 'success_false':
      return route === 'search'
        ? [
            `body must have required property 'result_info' {"missingProperty":"result_info"}`,
            'body/result must be array {"type":"array"}',
          ]
        : [
            `body/result must be ${route === 'message' ? 'object {"type":"object"}' : 'array {"type":"array"}'}`,
          ];
    case 'postfix_only':
      return [0, 1].map(
        (i) => `body/result/${i} must have required property 'id' {"missingProperty":"id"}`,
      );
    default:
      return [];
  }
}

describe('every answer of every route holds to the contract (faults that spoil it on purpose named)', () => {
  // Kinds whose answer is a JSON body; transport faults (resets, timeouts) and `malformed`
  // (a truncated body) answer nothing a contract can describe.
  const ANSWERING: FaultKind[] = [
    'none',
    '5xx',
    '429',
    'auth',
    'success_false',
    'partial',
    'missing_id',
    'postfix_only',
    'null_recipients',
    'accepted',
    'null_success',
    'legacy_release',
  ];
  const routes = Object.keys(ROUTES) as FaultRoute[];

  for (const route of routes) {
    it(`${route}: every fault kind that answers`, async () => {
      const target = await startEmulator({ seed: 7 });
      try {
        for (const kind of ANSWERING) {
          for (const badHeader of kind === 'auth' ? [false, true] : [false]) {
            try {
              target.setFaults({ script: [{ kind, route, ...(badHeader ? { badHeader } : {}) }] });
            } catch {
              continue; // this kind cannot hit this route
            }
            const { method, template } = ROUTES[route];
            const answer = await exchange(
              {
                method,
                template,
                path: { investigate_id: fx.released },
                ...(route === 'release' ? { body: { ids: [fx.spam, fx.bulk] } } : {}),
                ...(route === 'search' ? { query: { per_page: '3' } } : {}),
                deviations: knownDeviations(kind, route),
              },
              target,
            );
            if (kind === 'accepted') {
              const polled = await exchange(
                { method, template, url: answer.headers.get('location') as string },
                target,
              );
              expect(polled.status).toBe(200);
            }
            target.setFaults({});
          }
        }
      } finally {
        await target.close();
      }
    });
  }

  it('rate-limit headers list each policy (a burst policy beside the default one)', async () => {
    const target = await startEmulator({
      seed: 7,
      rateLimit: { limit: 100, windowMs: 60_000, burst: { limit: 2, windowMs: 10_000 } },
      rateLimitHeaders: 'ietf',
    });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof exchange>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await exchange(
          {
            method: 'GET',
            template: SEARCH,
            deviations:
              i < 2 ? [] : ['body/errors/0/code must be >= 1000 {"comparison":">=","limit":1000}'],
          },
          target,
        );
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last?.headers.get('ratelimit')).toMatch(/^"burst";r=0;t=\d+, "default";r=\d+;t=\d+$/);
      expect(last?.headers.get('ratelimit-policy')).toBe('"burst";q=2;w=10, "default";q=100;w=60');
    } finally {
      await target.close();
    }
  });
});

/** The operation a request went to, its path parameters and query, from its path. */
function operationOf(r: TruthRequest): {
  template: string;
  path: Record<string, string>;
  query: URLSearchParams;
} {
  const url = new URL(r.path, 'http://emulator.invalid');
  const rest = url.pathname.replace(/^\/client\/v4/, '');
  const m =
    /^\/accounts\/([^/]+)\/email-security\/investigate(?:\/([^/]+))?(?:\/(action_log))?$/.exec(
      rest,
    );
  if (!m) throw new Error(`not an API path: ${r.path}`);
  const path: Record<string, string> = { account_id: decodeURIComponent(m[1] as string) };
  let template = SEARCH;
  if (m[2] === 'release' && !m[3]) template = RELEASE;
  else if (m[2]) {
    path.investigate_id = decodeURIComponent(m[2]);
    template = m[3] ? ACTION_LOG : MESSAGE;
  }
  return { template, path, query: url.searchParams };
}

describe("the client's own requests hold to the contract", () => {
  async function clientOn(target: Emulator, searchPageSize?: number) {
    return new CloudflareClient({
      settings: {
        baseUrl: target.url,
        credentials: { kind: 'token', token: DEFAULT_TOKEN },
        ...(searchPageSize ? { searchPageSize } : {}),
      },
      pacer: new Pacer({ now: () => Date.now(), sleep: (ms, sig) => systemClock.sleep(ms, sig) }),
      log: { info: () => {}, warn: () => {} },
    });
  }

  /** Every request the emulator received, checked against its operation; how many. */
  function checkRequests(target: Emulator): number {
    const requests = target.truth().requests;
    for (const r of requests) {
      const { template, path, query } = operationOf(r);
      const method = r.method as 'GET' | 'POST';
      const body = template === RELEASE ? (r.form === 'array' ? r.ids : { ids: r.ids }) : undefined;
      expect(
        contract.request(method, template, path, query, body),
        `${r.method} ${r.path}`,
      ).toEqual([]);
    }
    return requests.length;
  }

  it('lookups, searches (paged, polled, a smaller page after a 400), action logs and releases', async () => {
    const target = await startEmulator({ seed: 7, messagesPerAccount: 400, maxPerPage: 30 });
    const client = await clientOn(target);
    try {
      const quarantined = target
        .messages(ACCOUNT)
        .filter((m) => m.details.is_quarantined)
        .map((m) => m.details.id);
      // The first two searches are refused for their size (100, then 50); the third is slow.
      target.setFaults({
        script: [
          { kind: 'none', route: 'search' },
          { kind: 'none', route: 'search' },
          { kind: 'accepted', route: 'search', polls: 1 },
        ],
      });
      const wanted = [...quarantined.slice(0, 60), ...fx.missing].map((id) => ({
        account_id: ACCOUNT,
        id,
      }));
      const { inspections } = await inspect(client, wanted, { budget: 300, now: Date.now() });
      expect(inspections.size).toBe(wanted.length);
      await client.getActionLog(ACCOUNT, quarantined[0] as string);
      await client.release(ACCOUNT, quarantined.slice(0, 3));
      const sent = target.truth().requests;
      expect(sent.some((r) => r.status === 202)).toBe(true);
      expect(sent.some((r) => r.status === 400 && r.path.includes('per_page=100'))).toBe(true);
      expect(sent.some((r) => r.path.includes('cursor='))).toBe(true);
      expect(checkRequests(target)).toBeGreaterThan(5);
    } finally {
      await client.close();
      await target.close();
    }
  });

  it('the earlier bare-array release body, sent after a 400, holds too', async () => {
    const target = await startEmulator({ seed: 7, releaseBody: 'array' });
    const client = await clientOn(target);
    try {
      await client.release(ACCOUNT, [fx.spam]);
      expect(target.truth().requests.map((r) => r.form)).toEqual(['ids', 'array']);
      expect(checkRequests(target)).toBe(2);
    } finally {
      await client.close();
      await target.close();
    }
  });
});
