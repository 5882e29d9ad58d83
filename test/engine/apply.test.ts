import { describe, expect, it } from 'vitest';
import type { ToRelease } from '../../src/core/plan/plan.js';
import { entryDigest, planFingerprint } from '../../src/core/safety/review.js';
import { type ApplyDeps, type ApplySettings, apply } from '../../src/engine/apply.js';
import { LedgerConflictError } from '../../src/engine/ports.js';
import { ACCOUNT, messageId, record } from '../support/factories.js';
import { collectingLogger, FakeApi, fixedClock, MemoryStore } from '../support/memory.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => messageId(i + 1));

function yamlFor(list: string[], extra: Record<string, string> = {}): string {
  return [
    'version: 1',
    `account_id: ${ACCOUNT}`,
    'releases:',
    ...list.flatMap((id) => [
      `  - id: ${id}`,
      '    reason: false positive',
      ...(extra[id] ? [`    ${extra[id]}`] : []),
    ]),
    '',
  ].join('\n');
}

function setup(
  list: string[],
  opts: { yaml?: string; store?: MemoryStore; pushed?: ApplyDeps['pushedReleases'] } = {},
) {
  const store = opts.store ?? new MemoryStore();
  const api = new FakeApi(list);
  const log = collectingLogger();
  let text = opts.yaml ?? yamlFor(list);
  const deps: ApplyDeps = {
    releases: async () => ({ ok: true as const, text }),
    releasesPath: 'releases.yaml',
    store,
    api,
    clock: fixedClock(),
    log,
    ...(opts.pushed ? { pushedReleases: opts.pushed } : {}),
  };
  const settings: ApplySettings = {
    batchSize: 2,
    concurrency: 1,
    dryRun: false,
    pendingScope: 'batch',
    inFlightMs: 60_000,
    accounts: [],
    provenance: { actor: 'tester', run: 'test-run' },
    safety: {
      lookupBudget: 1000,
      guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'],
      maxReleases: 1000,
      force: false,
      gate: { requirePlan: false },
    },
  };
  const run = (over: Partial<ApplySettings> = {}) => apply(deps, { ...settings, ...over });
  return { store, api, log, run, setYaml: (y: string) => (text = y) };
}

const done = (r: Awaited<ReturnType<typeof apply>>) => {
  if (r.kind !== 'done') throw new Error(`expected a done result, got ${JSON.stringify(r)}`);
  return r;
};

describe('apply', () => {
  it('writes each batch as pending before its POST, then records outcomes; a second run sends nothing', async () => {
    const list = ids(5);
    const { store, api, run } = setup(list);
    api.onPost = (posted) => {
      // The write-ahead has happened: every posted id is pending in the store already.
      for (const id of posted) expect(store.recordsFor(id).at(-1)?.state).toBe('pending');
    };
    const first = done(await run());
    expect(api.posts).toEqual([list.slice(0, 2), list.slice(2, 4), list.slice(4)]);
    expect(first.results.map((r) => r.state)).toEqual(Array(5).fill('released'));
    expect(store.recordsFor(list[0] as string).map((r) => [r.seq, r.state])).toEqual([
      [1, 'pending'],
      [2, 'released'],
    ]);
    expect(store.recordsFor(list[0] as string)[0]).toMatchObject({
      reason: 'false positive',
      actor: 'tester',
      run: 'test-run',
    });

    const second = done(await run());
    expect(api.posts).toHaveLength(3);
    expect(second.results).toEqual([]);
    expect([...api.deliveries.values()]).toEqual(Array(5).fill(1));
  });

  it('sends nothing when the write-ahead fails', async () => {
    const { store, api, run } = setup(ids(3));
    store.failNextWriteAhead = new Error('disk full');
    const r = done(await run());
    expect(api.posts).toEqual([]);
    expect(r.stopped).toContain('cannot write the pending records (disk full)');
    expect(r.notStarted).toHaveLength(3);
    expect(store.all()).toEqual([]);
  });

  it('on 429 records the batch as never sent, stops, and the next run sends it without read-back', async () => {
    const list = ids(4);
    const { store, api, run } = setup(list);
    api.script.push('429');
    const r = done(await run());
    expect(r.stopped).toMatch(/rate limited/);
    expect(api.posts).toHaveLength(1);
    expect(r.results.map((x) => [x.id, x.state, x.via])).toEqual([
      [list[0], 'pending', 'not-sent'],
      [list[1], 'pending', 'not-sent'],
    ]);
    expect(r.notStarted.map((x) => x.id)).toEqual(list.slice(2));
    expect(store.recordsFor(list[0] as string).at(-1)).toMatchObject({
      state: 'pending',
      sent: false,
    });

    const next = done(await run());
    expect(api.actionLogs).toEqual([]); // no read-back needed: the 429 proved nothing was done
    expect(next.results.every((x) => x.state === 'released')).toBe(true);
    expect([...api.deliveries.values()]).toEqual(Array(4).fill(1));
  });

  it('an unreachable API (nothing sent) is recorded as never sent, not unknown', async () => {
    const { store, api, run } = setup(ids(1));
    api.script.push('refused');
    const r = done(await run());
    expect(r.results[0]).toMatchObject({ state: 'pending', via: 'not-sent' });
    expect(store.recordsFor(messageId(1)).at(-1)).toMatchObject({ sent: false });
  });

  it('a lost answer is unknown; the next run reads back and never sends a released message twice', async () => {
    const list = ids(2);
    const { api, run } = setup(list);
    api.script.push('reset-after'); // the server acted, the answer was lost
    const r = done(await run());
    expect(r.results.map((x) => x.state)).toEqual(['unknown', 'unknown']);
    const next = done(await run());
    expect(api.posts).toHaveLength(1);
    expect(next.results.map((x) => [x.state, x.via])).toEqual([
      ['released', 'readback'],
      ['released', 'readback'],
    ]);
    expect([...api.deliveries.values()]).toEqual([1, 1]);
  });

  it('a timeout before the server acted: read-back proves it still quarantined, so it is sent once more', async () => {
    const list = ids(1);
    const { api, run, store } = setup(list);
    api.script.push('timeout');
    done(await run());
    const next = done(await run());
    expect(api.posts).toEqual([list, list]);
    expect(next.results).toMatchObject([{ state: 'released', via: 'release', attempt: 1 }]);
    expect(store.recordsFor(list[0] as string).map((r) => r.state)).toEqual([
      'pending',
      'unknown',
      'pending',
      'released',
    ]);
    expect(api.deliveries.get(list[0] as string)).toBe(1);
  });

  it('a 401 fails the batch and stops the run before the next one', async () => {
    const { api, run } = setup(ids(4));
    api.script.push('401');
    const r = done(await run());
    expect(api.posts).toHaveLength(1);
    expect(r.results.map((x) => x.state)).toEqual(['failed', 'failed']);
    expect(r.results[0]?.error).toMatchObject({ status: 401, code: 10000 });
    expect(r.stopped).toMatch(/credentials/);
    expect(r.notStarted).toHaveLength(2);
  });

  it('5xx, malformed answers and ids missing from the answer are unknown, never guessed', async () => {
    const { api, run } = setup(ids(6));
    api.script.push('500', 'malformed', 'drop-first');
    const r = done(await run());
    expect(r.results.map((x) => x.state)).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'released',
    ]);
  });

  it('partial deliveries are held until the entry asks for a retry, which is sent once', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, run, setYaml, store } = setup(list);
    api.script.push('partial');
    expect(done(await run()).results[0]?.state).toBe('partial');
    expect(done(await run()).results).toEqual([]);
    setYaml(yamlFor(list, { [id]: 'retry: 2' }));
    const retried = done(await run());
    expect(retried.results).toMatchObject([{ state: 'released', attempt: 2 }]);
    expect(done(await run()).results).toEqual([]);
    expect(api.posts).toHaveLength(2);
    expect(store.recordsFor(id).map((r) => `${r.state}#${r.attempt}`)).toEqual([
      'pending#1',
      'partial#1',
      'pending#2',
      'released#2',
    ]);
  });

  it('SIGINT: no new batch starts, the one in flight is recorded', async () => {
    const controller = new AbortController();
    const { api, run } = setup(ids(6));
    api.onPost = () => controller.abort();
    const r = done(await run({ signal: controller.signal }));
    expect(api.posts).toHaveLength(1);
    expect(r.results.map((x) => x.state)).toEqual(['released', 'released']);
    expect(r.notStarted).toHaveLength(4);
    expect(r.stopped).toBe('interrupted');
  });

  it("'run' scope: one write-ahead for the run; batches never sent are closed as not sent", async () => {
    const list = ids(6);
    const { store, api, run } = setup(list);
    api.script.push('ok' as never, '429');
    const r = done(await run({ pendingScope: 'run' }));
    expect(
      store.writes.filter((w) => w.kind === 'writeAhead').map((w) => w.records.length),
    ).toEqual([6]);
    expect(r.results.map((x) => [x.state, x.via])).toEqual([
      ['released', 'release'],
      ['released', 'release'],
      ['pending', 'not-sent'],
      ['pending', 'not-sent'],
      ['pending', 'not-sent'],
      ['pending', 'not-sent'],
    ]);
    const next = done(await run({ pendingScope: 'run' }));
    expect(next.results.map((x) => x.state)).toEqual(Array(4).fill('released'));
    expect(api.actionLogs).toEqual([]);
  });

  it('re-plans when another run moved the ledger, and does not send what it released', async () => {
    const list = ids(2);
    const { store, api, run } = setup(list);
    const original = store.writeAhead.bind(store);
    let first = true;
    store.writeAhead = async (records) => {
      if (first) {
        first = false;
        // Another run released the first message meanwhile.
        store.seed([record({ id: list[0], seq: 1, state: 'released' })]);
        throw new LedgerConflictError('branch moved');
      }
      return original(records);
    };
    const r = done(await run({ pendingScope: 'run' }));
    expect(api.posts).toEqual([[list[1]]]);
    expect(r.results.map((x) => x.id)).toEqual([list[1]]);
  });

  it('dry run reads back but sends and writes nothing', async () => {
    const list = ids(3);
    const { store, api, run } = setup(list);
    store.seed([record({ id: list[0], seq: 1, state: 'unknown' })]);
    const r = done(await run({ dryRun: true }));
    expect(api.posts).toEqual([]);
    expect(store.writes).toEqual([]);
    expect(r.wouldRelease.map((w) => w.id)).toEqual([list[1], list[2], list[0]]);
  });

  it('refuses an invalid file or a corrupt ledger before any call', async () => {
    const { api, run, setYaml, store } = setup(ids(1));
    setYaml('version: 1\nreleases: [oops\n');
    expect((await run()).kind).toBe('invalid');
    setYaml(yamlFor(ids(1)));
    store.lines.set('2026-11.jsonl', ['{broken']);
    const r = await run();
    expect(r).toMatchObject({ kind: 'invalid', stage: 'ledger' });
    expect(api.posts).toEqual([]);
    expect(api.gets).toEqual([]);
  });
});

describe('apply: a send that may still be in flight is never answered by a second send', () => {
  // fixedClock starts at 2026-11-24T10:00:00Z and sleeps by moving time on.
  const T0 = Date.parse('2026-11-24T10:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();

  it('pending records say until when their send may be in flight (batch and run scope)', async () => {
    const batch = setup(ids(1));
    done(await batch.run({ inFlightMs: 90_000 }));
    const [pending] = batch.store.all();
    // The clock of these tests ticks a millisecond per reading.
    const window = Date.parse(pending?.in_flight_until ?? '') - Date.parse(pending?.at ?? '');
    expect(window).toBeGreaterThan(89_990);
    expect(window).toBeLessThanOrEqual(90_000);

    const whole = setup(ids(1));
    const deadline = T0 + 3_600_000;
    done(await whole.run({ pendingScope: 'run', deadline, inFlightMs: 90_000 }));
    expect(whole.store.all()[0]?.in_flight_until).toBe(iso(deadline + 90_000));
  });

  it('still quarantined but possibly still in flight: left pending, not sent; resolved once settled', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, run, store } = setup(list);
    // Another host's run wrote it a minute ago and may wait 10 more minutes for its answer.
    store.seed([
      record({
        id,
        state: 'pending',
        at: iso(T0 - 60_000),
        in_flight_until: iso(T0 + 600_000),
        run: 'cli@other-host',
      }),
    ]);
    const first = done(await run({ settleMs: 30_000 }));
    expect(api.posts).toEqual([]);
    expect(first.deferred).toEqual([
      { account_id: ACCOUNT, id, since: iso(T0 - 60_000), until: iso(T0 + 630_000) },
    ]);
    expect(store.recordsFor(id)).toHaveLength(1);

    // Later the same message is still quarantined with nothing in its action log: now that
    // proves the earlier send did nothing, and it is sent once.
    const later = done(await run({ settleMs: 30_000, settleWaitMs: 700_000 }));
    expect(later.deferred).toEqual([]);
    expect(api.posts).toEqual([list]);
    expect(api.deliveries.get(id)).toBe(1);
  });

  it('waits for a send that settles soon, then reads it back (its late release is seen, not repeated)', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, store, log } = setup(list);
    store.seed([
      record({
        id,
        state: 'pending',
        at: iso(T0 - 1_000),
        in_flight_until: iso(T0 + 5_000),
        run: 'cli@other-host',
      }),
    ]);
    // The earlier request is still being processed: it lands while this run waits.
    let now = T0;
    const clock = {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        now += ms;
        await api.release(ACCOUNT, [id]);
      },
    };
    const r = done(
      await apply(
        { ...depsOf(store, api, log, list), clock },
        { ...baseSettings, settleMs: 10_000, settleWaitMs: 20_000 },
      ),
    );
    expect(log.lines).toContain(
      'info: Waiting 15s for earlier sends to settle at Cloudflare before reading them back',
    );
    expect(r.results).toMatchObject([{ id, state: 'released', via: 'readback' }]);
    expect(api.deliveries.get(id)).toBe(1);
    // The only POST is the earlier run's late one.
    expect(api.posts).toEqual([[id]]);
  });

  it('a send by a run that is still going is left alone without a read-back', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, store, log } = setup(list);
    store.seed([record({ id, state: 'pending', at: iso(T0 - 60_000), run: 'run-42' })]);
    const asked: string[] = [];
    const runs = {
      state: async (run: string) => {
        asked.push(run);
        return { running: true as const };
      },
    };
    const r = done(
      await apply({ ...depsOf(store, api, log, list), runs }, { ...baseSettings, settleMs: 0 }),
    );
    expect(asked).toEqual(['run-42']);
    expect(r.deferred).toEqual([{ account_id: ACCOUNT, id, since: iso(T0 - 60_000) }]);
    expect(api.gets).toEqual([]);
    expect(api.posts).toEqual([]);
  });

  it('a run known to have ended bounds the wait: settled from its end, not from in_flight_until', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, store, log } = setup(list);
    store.seed([
      record({
        id,
        state: 'pending',
        at: iso(T0 - 120_000),
        in_flight_until: iso(T0 + 5 * 3_600_000),
        run: 'run-7',
      }),
    ]);
    const runs = { state: async () => ({ running: false as const, endedAt: T0 - 60_000 }) };
    const r = done(
      await apply(
        { ...depsOf(store, api, log, list), runs },
        { ...baseSettings, settleMs: 30_000 },
      ),
    );
    expect(r.deferred).toEqual([]);
    expect(r.results).toMatchObject([{ id, state: 'released', via: 'release' }]);
    expect(api.posts).toEqual([list]);
  });

  it('an earlier record of our own run id (an earlier attempt) counts as ended when this run began', async () => {
    const list = ids(1);
    const id = list[0] as string;
    const { api, run, store } = setup(list);
    store.seed([
      record({
        id,
        state: 'pending',
        at: iso(T0 - 600_000),
        in_flight_until: iso(T0 + 5 * 3_600_000),
        run: 'test-run',
      }),
    ]);
    const r = done(await run({ settleMs: 1_000 }));
    expect(r.deferred).toEqual([]);
    expect(api.posts).toEqual([list]);
  });
});

const baseSettings: ApplySettings = {
  batchSize: 2,
  concurrency: 1,
  dryRun: false,
  pendingScope: 'batch',
  inFlightMs: 60_000,
  accounts: [],
  provenance: { actor: 'tester', run: 'test-run' },
  safety: {
    lookupBudget: 1000,
    guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'],
    maxReleases: 1000,
    force: false,
    gate: { requirePlan: false },
  },
};

function depsOf(
  store: MemoryStore,
  api: FakeApi,
  log: ReturnType<typeof collectingLogger>,
  list: string[],
) {
  const text = yamlFor(list);
  return {
    releases: async () => ({ ok: true as const, text }),
    releasesPath: 'releases.yaml',
    store,
    api,
    clock: fixedClock(),
    log,
  };
}

/** The digest a reviewed plan carries for one entry (first attempt unless said). */
function digest(id: string, disposition = 'SPAM', attempt = 1): string {
  const item = { request: { id }, attempt, message: { disposition } } as unknown as ToRelease;
  return entryDigest(ACCOUNT, item, 'dispositions');
}

describe('apply: held to the plan a person reviewed', () => {
  it('releases the reviewed entries and refuses, one by one, those not reviewed', async () => {
    const list = ids(4);
    const { api, run } = setup(list);
    // Reviewed: the first two as SPAM, the third as SPAM but it is BULK now; the fourth never.
    api.dispositions.set(list[2] as string, 'BULK');
    const entries = new Set([digest(list[0] as string), digest(list[1] as string)]);
    entries.add(digest(list[2] as string, 'SPAM'));
    const r = done(
      await run({
        safety: {
          lookupBudget: 1000,
          guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'],
          maxReleases: 1000,
          force: false,
          gate: {
            requirePlan: true,
            expected: new Map([
              [ACCOUNT, { fingerprint: '0'.repeat(32), basis: 'dispositions', entries }],
            ]),
            reviewedOn: 'on PR #7',
          },
        },
      }),
    );
    expect(r.blocked).toBeUndefined();
    expect(r.results.map((x) => [x.id, x.state])).toEqual([
      [list[0], 'released'],
      [list[1], 'released'],
    ]);
    const refused = r.plan.accounts[0]?.refused ?? [];
    expect(refused.map((x) => [x.item.request.id, x.reason])).toEqual([
      [list[2], { kind: 'not-reviewed', where: 'on PR #7' }],
      [list[3], { kind: 'not-reviewed', where: 'on PR #7' }],
    ]);
    expect(api.posts.flat().sort()).toEqual([list[0], list[1]].sort());
  });

  it('a fingerprint without a basis (the CLI) matches a plan printed with or without credentials', async () => {
    const list = ids(2);
    const base = {
      lookupBudget: 1000,
      guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'],
      maxReleases: 1000,
      force: false,
      gate: { requirePlan: false },
    };
    const { run } = setup(list);
    const dry = done(await run({ dryRun: true }));
    const account = dry.plan.accounts[0];
    if (!account) throw new Error('no account');
    const idsFingerprint = planFingerprint({ ...account, checked: undefined }, 'ids');
    // The same text under the other basis is another fingerprint: they cannot be confused.
    expect(planFingerprint(account, 'dispositions')).not.toBe(idsFingerprint);

    // Held to the ids basis, an ids fingerprint is refused: that is not what it is.
    const held = done(
      await run({
        safety: {
          ...base,
          gate: {
            requirePlan: true,
            expected: new Map([['*', { fingerprint: idsFingerprint, basis: 'dispositions' }]]),
          },
        },
      }),
    );
    expect(held.blocked).toMatch(/differs from the plan whose fingerprint was given/);
    expect(held.results).toEqual([]);

    const r = done(
      await run({
        safety: {
          ...base,
          gate: { requirePlan: true, expected: new Map([['*', { fingerprint: idsFingerprint }]]) },
        },
      }),
    );
    expect(r.blocked).toBeUndefined();
    expect(r.results.map((x) => x.state)).toEqual(['released', 'released']);
  });
});

describe('apply: entries merged after the pushed commit', () => {
  it('releases only entries also in the pushed commit; the others are left for a later run', async () => {
    const list = ids(4);
    const pushed = yamlFor(list.slice(0, 3), { [list[2] as string]: 'retry: 2' });
    const { api, run } = setup(list, {
      pushed: async () => ({ ok: true as const, text: pushed }),
    });
    const r = done(await run());
    // The third entry's retry was removed after the pushed commit: it is not the same entry.
    expect(r.results.map((x) => x.id)).toEqual(list.slice(0, 2));
    expect(r.later).toEqual([
      { account_id: ACCOUNT, id: list[2] },
      { account_id: ACCOUNT, id: list[3] },
    ]);
    expect(r.plan.accounts[0]?.refused).toEqual([]);
    expect(api.gets.sort()).toEqual(list.slice(0, 2).sort());
  });

  it('a pushed commit whose file cannot be read releases nothing, and says why', async () => {
    const list = ids(2);
    const { api, log, run } = setup(list, {
      pushed: async () => ({
        ok: false as const,
        error: {
          file: 'x',
          line: 1,
          column: 1,
          pointer: '',
          message: 'file not found at commit abc',
        },
      }),
    });
    const r = done(await run());
    expect(r.results).toEqual([]);
    expect(r.later.map((l) => l.id)).toEqual(list);
    expect(api.posts).toEqual([]);
    expect(log.lines.join('\n')).toContain('of the pushed commit cannot be read (file not found');
  });
});
