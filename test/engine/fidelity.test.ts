// How the client and the engine hold to the real API where it differs from a lenient guess,
// each against the emulator over loopback: path encoding, action-log semantics, refused
// credentials on reads, rate-limit header lists and the static ceiling, waits in the log and
// in the progress ETA, and bare ids refused.
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareClient, pathSegment } from '../../src/adapters/cloudflare/client.js';
import {
  Pacer,
  type PacerOptions,
  parseRateLimit,
} from '../../src/adapters/cloudflare/rate-limit.js';
import {
  DEFAULT_TOKEN,
  demoFixtures,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { type ApplySettings, apply } from '../../src/engine/apply.js';
import { check } from '../../src/engine/check.js';
import { inspect } from '../../src/engine/inspect.js';
import { systemClock } from '../../src/engine/ports.js';
import { record } from '../support/factories.js';
import { collectingLogger, MemoryCheckState, MemoryStore } from '../support/memory.js';

let emulator: Emulator | undefined;
let client: CloudflareClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  emulator = undefined;
  client = undefined;
});

async function setup(
  options: EmulatorOptions = {},
  token = DEFAULT_TOKEN,
  pacer: PacerOptions = {},
) {
  const e = await startEmulator({ seed: 11, messagesPerAccount: 200, ...options });
  const log = collectingLogger();
  const c = new CloudflareClient({
    settings: { baseUrl: e.url, credentials: { kind: 'token', token } },
    pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }, pacer),
    log,
  });
  emulator = e;
  client = c;
  const account = e.accounts[0] as string;
  const fx = demoFixtures(11, account);
  /** Quarantined messages no guard holds back. */
  const plain = e
    .messages(account)
    .filter(
      (m) => m.details.is_quarantined && ['SPAM', 'BULK'].includes(m.details.final_disposition),
    )
    .map((m) => m.details.id);
  return { e, c, log, account, fx, plain };
}

function yamlFor(account: string, ids: readonly string[]): string {
  return [
    'version: 1',
    `account_id: ${account}`,
    'releases:',
    ...ids.flatMap((id) => [`  - id: ${id}`, '    reason: false positive']),
    '',
  ].join('\n');
}

function applySettings(over: Partial<ApplySettings> = {}): ApplySettings {
  return {
    batchSize: 10,
    concurrency: 1,
    dryRun: false,
    pendingScope: 'batch',
    inFlightMs: 60_000,
    settleMs: 0,
    accounts: [],
    provenance: { actor: 'tester', run: 'fidelity-run' },
    safety: {
      lookupBudget: 300,
      guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'],
      maxReleases: 1000,
      force: false,
      gate: { requirePlan: false },
    },
    ...over,
  };
}

function runApply(
  c: CloudflareClient,
  account: string,
  ids: readonly string[],
  store = new MemoryStore(),
  log = collectingLogger(),
  over: Partial<ApplySettings> = {},
) {
  return apply(
    {
      releases: async () => ({ ok: true as const, text: yamlFor(account, ids) }),
      releasesPath: 'releases.yaml',
      store,
      api: c,
      clock: systemClock,
      log,
    },
    applySettings(over),
  );
}

describe('path encoding', () => {
  it('keeps what a path segment may carry, as the SDK does, and encodes the rest', () => {
    expect(pathSegment('4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678')).toBe(
      '4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678',
    );
    expect(pathSegment("a@b:c!$&'()*+,;=~._-")).toBe("a@b:c!$&'()*+,;=~._-");
    expect(pathSegment('a/b?c#d e%f')).toBe('a%2Fb%3Fc%23d%20e%25f');
    expect(pathSegment('é')).toBe('%C3%A9');
    expect(pathSegment('.')).toBeUndefined();
    expect(pathSegment('..')).toBeUndefined();
    expect(pathSegment('\ud800')).toBeUndefined();
  });

  it('sends the colons of an investigate id raw, and the emulator finds the message', async () => {
    const { e, c, account, fx } = await setup();
    expect((await c.getMessage(account, fx.spam)).kind).toBe('found');
    expect((await c.getActionLog(account, fx.spam)).kind).toBe('found');
    const paths = e.truth().requests.map((r) => r.path);
    expect(paths).toHaveLength(2);
    for (const p of paths) {
      expect(p).toContain(fx.spam);
      expect(p).not.toContain('%3A');
    }
  });

  it('refuses a dot segment without sending anything', async () => {
    const { e, c, account } = await setup();
    expect(await c.getMessage(account, '..')).toMatchObject({ kind: 'error' });
    expect(e.truth().requests).toEqual([]);
  });
});

describe('action log', () => {
  it('a release with success: null is complete; one whose status says partial is not', async () => {
    const { e, c, account, fx } = await setup();
    await c.release(account, [fx.spam]);
    e.requarantine(account, fx.spam);
    e.setFaults({ script: [{ kind: 'null_success', route: 'action_log' }] });
    expect(await c.getActionLog(account, fx.spam)).toEqual({
      kind: 'found',
      releases: [{ complete: true }],
    });
    e.setFaults({ script: [{ kind: 'partial', route: 'release' }] });
    await c.release(account, [fx.bulk]);
    e.setFaults({ script: [{ kind: 'null_success', route: 'action_log' }] });
    expect(await c.getActionLog(account, fx.bulk)).toEqual({
      kind: 'found',
      releases: [{ complete: false }],
    });
  });

  it('a release named by the legacy operation RELEASE counts as recorded', async () => {
    const { e, c, account, fx } = await setup();
    e.setFaults({ script: [{ kind: 'partial', route: 'release' }] });
    await c.release(account, [fx.bulk]);
    e.setFaults({ script: [{ kind: 'legacy_release', route: 'message' }] });
    const lookup = await c.getMessage(account, fx.bulk);
    expect(lookup).toMatchObject({
      kind: 'found',
      message: { quarantined: true, releaseRecorded: true },
    });
  });
});

describe('refused credentials on reads', () => {
  it('are told by code (a 400 with 6003 and 6111)', async () => {
    const { e, c, account, fx } = await setup();
    e.setFaults({ script: [{ kind: 'auth', route: 'message', badHeader: true }] });
    expect(await c.getMessage(account, fx.spam)).toMatchObject({
      kind: 'error',
      authFailed: true,
    });
  });

  it('are told by status (401), on a search too; other failures are not', async () => {
    const { e, c, account, fx } = await setup();
    expect(await c.search(account, { start: 'yesterday' })).not.toHaveProperty('authFailed');
    expect(await c.getMessage(account, fx.missing[0] as string)).toEqual({ kind: 'not-found' });
    e.setFaults({ script: [{ kind: 'auth', route: 'search' }] });
    expect(await c.search(account, {})).toMatchObject({ kind: 'error', authFailed: true });
  });

  it('once refused for an account, later reads of it are answered without a request', async () => {
    const { e, c, account, fx } = await setup({}, 'not-a-known-token');
    for (let i = 0; i < 3; i++)
      expect(await c.getMessage(account, fx.spam)).toMatchObject({ authFailed: true });
    expect(await c.getActionLog(account, fx.spam)).toMatchObject({ authFailed: true });
    expect(await c.search(account, {})).toMatchObject({ authFailed: true });
    expect(e.truth().requests).toHaveLength(1);
  });

  it('stop the lookups at once: one request, every message unchecked with the reason', async () => {
    const { e, c, account, plain } = await setup({}, 'not-a-known-token');
    const wanted = plain.slice(0, 30).map((id) => ({ account_id: account, id }));
    const { inspections, stopped } = await inspect(c, wanted, {
      budget: 300,
      now: Date.now(),
      searchFrom: 1000,
    });
    expect(e.truth().requests).toHaveLength(1);
    expect(stopped).toMatch(/refused the credentials/);
    expect([...inspections.values()].every((i) => i.kind === 'unchecked')).toBe(true);
  });

  it('a 400 with an auth code on a search stops them too', async () => {
    const { e, c, account, plain } = await setup();
    e.setFaults({ script: [{ kind: 'auth', route: 'search', badHeader: true }] });
    const wanted = plain.slice(0, 30).map((id) => ({ account_id: account, id }));
    const { stopped } = await inspect(c, wanted, { budget: 300, now: Date.now() });
    expect(stopped).toMatch(/refused the credentials/);
    expect(e.truth().requests).toHaveLength(1);
  });

  it('stop apply before anything is sent, with the reason', async () => {
    const { e, c, account, plain } = await setup({}, 'not-a-known-token');
    const result = await runApply(c, account, plain.slice(0, 25));
    expect(result.kind === 'done' && result.stopped).toMatch(/refused the credentials/);
    expect(e.truth().requests).toHaveLength(1);
    expect(e.truth().releases).toEqual([]);
  });

  it('stop the read-backs at once', async () => {
    const { e, c, account, plain } = await setup({}, 'not-a-known-token');
    const store = new MemoryStore();
    const pending = plain.slice(0, 5);
    store.seed(
      pending.map((id) =>
        record({ account_id: account, id, state: 'pending', at: '2026-10-01T00:00:00.000Z' }),
      ),
    );
    const result = await runApply(c, account, pending, store);
    expect(result.kind === 'done' && result.stopped).toMatch(/refused the credentials/);
    expect(e.truth().requests).toHaveLength(1);
  });

  it('stop the drift check at once', async () => {
    const { e, c, account, plain } = await setup({}, 'not-a-known-token');
    const store = new MemoryStore();
    const released = plain.slice(0, 30);
    store.seed(released.map((id) => record({ account_id: account, id })));
    const log = collectingLogger();
    const result = await check(
      {
        releases: async () => ({ ok: true as const, text: yamlFor(account, released) }),
        releasesPath: 'releases.yaml',
        store,
        api: c,
        clock: systemClock,
        log,
        checkState: new MemoryCheckState(),
      },
      {
        concurrency: 1,
        pendingScope: 'batch',
        inFlightMs: 0,
        accounts: [],
        provenance: { run: 'fidelity-check' },
        lookupBudget: 300,
      },
    );
    expect(result.kind === 'done' && result.stopped).toMatch(/refused the credentials/);
    expect(e.truth().requests).toHaveLength(1);
  });
});

describe('bare queue ids', () => {
  it('are not found by the strict emulator: refused, never released', async () => {
    const { e, c, account, plain } = await setup();
    const bare = (plain[0] as string).split('-')[0] as string;
    const log = collectingLogger();
    const result = await runApply(c, account, [bare, plain[1] as string], undefined, log);
    if (result.kind !== 'done') throw new Error('expected a run');
    expect(
      result.plan.accounts[0]?.refused?.map((r) => [r.item.request.id, r.reason.kind]),
    ).toEqual([[bare, 'not-found']]);
    expect(e.truth().releases.map((r) => r.id)).toEqual([plain[1]]);
    expect(e.truth().requests.some((r) => r.ids?.includes(bare))).toBe(false);
  });
});

describe('rate limits', () => {
  it('reads each policy of a header list; the tightest one binds', () => {
    const info = parseRateLimit(
      {
        ratelimit: '"burst";r=3;t=20, "default";r=900;t=250',
        'ratelimit-policy': '"burst";q=100;w=60, "default";q=1200;w=300',
      },
      0,
    );
    expect(info.policies).toEqual({
      burst: { limit: 100, remaining: 3, resetMs: 20_000, windowMs: 60_000 },
      default: { limit: 1200, remaining: 900, resetMs: 250_000, windowMs: 300_000 },
    });
    // The older forms still read as one policy.
    expect(parseRateLimit({ ratelimit: 'limit=100, remaining=50, reset=30' }, 0)).toEqual({
      limit: 100,
      remaining: 50,
      resetMs: 30_000,
    });
    expect(parseRateLimit({ 'ratelimit-policy': '1200;w=300' }, 0)).toEqual({
      limit: 1200,
      windowMs: 300_000,
    });
    expect(parseRateLimit({ ratelimit: '"default";r=5;t=3', 'retry-after': '7' }, 0)).toEqual({
      policies: { default: { remaining: 5, resetMs: 3_000 } },
      retryAfterMs: 7_000,
    });
  });

  it('keeps to a burst policy listed beside the default one: no 429, and says why it waits', async () => {
    const { e, c, log, account, fx } = await setup({
      rateLimit: { limit: 1000, windowMs: 60_000, burst: { limit: 5, windowMs: 2_000 } },
      rateLimitHeaders: 'ietf',
    });
    for (let i = 0; i < 10; i++) await c.getMessage(account, fx.spam);
    expect(e.truth().requests.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(log.lines.some((l) => /Waiting .* rate limit: policy "burst"/.test(l))).toBe(true);
    expect(c.pacing.waitedMs).toBeGreaterThan(0);
  });

  it('with no rate-limit header at all, keeps to the static ceiling less the reserve', async () => {
    // The pacer counts its windows from when requests start, the emulator from when they
    // arrive: a request that starts late in the next window (200 ms apart here) arrives inside
    // the emulator's first one only if an earlier answer was that much slower, which a loaded
    // machine must not turn into a 429. (Cloudflare's window is 300 s, its reserve 120.)
    const { e, c, log, account, fx } = await setup(
      { rateLimit: { limit: 10, windowMs: 3_000 }, rateLimitHeaders: 'none' },
      DEFAULT_TOKEN,
      { staticLimit: { limit: 10, windowMs: 3_000 }, maxPerSecond: 5 },
    );
    for (let i = 0; i < 12; i++) await c.getMessage(account, fx.spam);
    expect(e.truth().requests.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(
      log.lines.some((l) => /no rate-limit headers .* at most 9 requests per 3 s/.test(l)),
    ).toBe(true);
  });

  it("apply's progress ETA counts the waits for the budget, and the log says each wait", async () => {
    const { e, c, log, account, plain } = await setup({
      rateLimit: { limit: 1000, windowMs: 60_000, burst: { limit: 4, windowMs: 2_000 } },
      rateLimitHeaders: 'ietf',
    });
    // One log for the client and the run, as the CLI and the action have.
    const ids = plain.slice(0, 20);
    const result = await runApply(c, account, ids, undefined, log, { batchSize: 4 });
    expect(result.kind === 'done' && result.stopped).toBeUndefined();
    expect(e.truth().releases).toHaveLength(20);
    expect(e.truth().requests.every((r) => r.status === 200)).toBe(true);
    const waits = log.lines.filter((l) => /Waiting .* for the Cloudflare API rate limit/.test(l));
    expect(waits.length).toBeGreaterThan(0);
    const progress = log.lines.filter((l) => /ids done ETA/.test(l));
    expect(progress.some((l) => /of it waiting for the API rate limit/.test(l))).toBe(true);
  });
});
