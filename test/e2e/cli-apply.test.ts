// The bundled CLI against the emulator over loopback, through every fault the release call
// can meet. After each scenario: no message delivered twice, no id POSTed twice unless a
// read-back proved it still quarantined, every outcome in the ledger matching the emulator's
// own record, and the documented exit codes.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EMAIL,
  DEFAULT_KEY,
  DEFAULT_READ_TOKEN,
  type FaultKind,
  type ScriptedFault,
} from '../../src/emulator/index.js';
import { spawnDistCli } from '../support/cli.js';
import { releaseRequests, type Scenario, scenarioForThisTest } from '../support/scenario.js';

const apply = (x: Scenario, ...args: string[]) =>
  x.cli([
    'apply',
    '--unreviewed',
    '--batch-size',
    '2',
    '--timeout-seconds',
    '2',
    '--settle-seconds',
    '0',
    ...args,
  ]);

/** The emulator's record and the ledger agree, and nothing was delivered twice. */
async function expectConsistent(x: Scenario, ids: string[]): Promise<void> {
  const delivered = x.deliveries();
  const states = await x.states();
  for (const id of ids) {
    expect(delivered.get(id) ?? 0, `${id} delivered at most once`).toBeLessThanOrEqual(1);
    const state = states.get(id)?.state;
    if ((delivered.get(id) ?? 0) === 1) expect(['released', 'partial'], id).toContain(state);
  }
}

describe.concurrent('apply (CLI, emulator, loopback)', () => {
  it('releases in batches, records pending then the outcome, and a second run sends nothing', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(5);
    await s.writeReleases(ids);
    const first = await apply(s, '--format', 'json');
    expect(first.code, first.stderr).toBe(0);
    const json = JSON.parse(first.stdout);
    expect(json.results.map((r: { id: string; state: string }) => [r.id, r.state])).toEqual(
      ids.map((id) => [id, 'released']),
    );
    expect(json.results[0].delivered.length).toBeGreaterThan(0);
    expect(first.stderr).toMatch(/batch 3\/3 .*5\/5 ids done/);
    expect(releaseRequests(s.emulator)).toHaveLength(3);
    for (const id of ids) {
      expect((await s.ledger()).filter((r) => r.id === id).map((r) => r.state)).toEqual([
        'pending',
        'released',
      ]);
    }

    const second = await apply(s);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing to release');
    expect(releaseRequests(s.emulator)).toHaveLength(3);
    await expectConsistent(s, ids);
  });

  it('on an account that takes only the earlier bare array, falls back once and says so', async (t) => {
    const s = await scenarioForThisTest(t, { releaseBody: 'array' });
    const ids = s.quarantined(5);
    await s.writeReleases(ids);
    const r = await apply(s, '--concurrency', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/took the earlier bare array/);
    // The first batch twice (refused, then the earlier form), the next two once each.
    expect(releaseRequests(s.emulator).map((q) => [q.form, q.status])).toEqual([
      ['ids', 400],
      ['array', 200],
      ['array', 200],
      ['array', 200],
    ]);
    for (const id of ids) expect(s.deliveries().get(id), id).toBe(1);
    await expectConsistent(s, ids);
  });

  it('works with the legacy email + global key scheme', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    const r = await s.cli(['apply', '--unreviewed'], {
      CLOUDFLARE_API_TOKEN: '',
      CLOUDFLARE_EMAIL: DEFAULT_EMAIL,
      CLOUDFLARE_API_KEY: DEFAULT_KEY,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(s.deliveries().get(ids[0] as string)).toBe(1);
  });

  // Faults after which the server has acted: the next run must read back, not re-send.
  it.for<[FaultKind, Partial<ScriptedFault>]>([
    ['reset_after', {}],
    ['timeout_after', {}],
    ['malformed', {}],
    ['success_false', { acted: true }],
  ])(
    '%s: outcome unknown, then resolved by read-back with no second POST',
    async ([kind, extra], t) => {
      const s = await scenarioForThisTest(t);
      const ids = s.quarantined(2);
      await s.writeReleases(ids);
      s.emulator.setFaults({ script: [{ kind, route: 'release', ...extra }] });
      const first = await apply(s, '--format', 'json');
      expect(first.code).toBe(3);
      expect(JSON.parse(first.stdout).results.map((r: { state: string }) => r.state)).toEqual([
        'unknown',
        'unknown',
      ]);
      expect([...(await s.states()).values()].map((r) => r.state)).toEqual(['unknown', 'unknown']);

      const second = await apply(s, '--format', 'json');
      expect(second.code, second.stderr).toBe(0);
      expect(
        JSON.parse(second.stdout).results.map((r: { state: string; via: string }) => [
          r.state,
          r.via,
        ]),
      ).toEqual([
        ['released', 'readback'],
        ['released', 'readback'],
      ]);
      for (const id of ids) expect(s.posts().get(id)).toBe(1);
      await expectConsistent(s, ids);
    },
  );

  // Faults before the server acted: read-back proves it, and the message is sent once more.
  it.for<[FaultKind, Partial<ScriptedFault>]>([
    ['5xx', { status: 503 }],
    ['5xx', { status: 502, html: true }],
    ['reset_before', {}],
    ['timeout_before', {}],
    ['success_false', { acted: false }],
  ])(
    '%s %j: outcome unknown, proven not released, sent exactly once more',
    async ([kind, extra], t) => {
      const s = await scenarioForThisTest(t);
      const ids = s.quarantined(2);
      await s.writeReleases(ids);
      s.emulator.setFaults({ script: [{ kind, route: 'release', ...extra }] });
      expect((await apply(s)).code).toBe(3);
      expect(s.deliveries().size).toBe(0);
      const second = await apply(s, '--format', 'json');
      expect(second.code, second.stderr).toBe(0);
      expect(
        JSON.parse(second.stdout).results.map((r: { state: string; via: string }) => [
          r.state,
          r.via,
        ]),
      ).toEqual([
        ['released', 'release'],
        ['released', 'release'],
      ]);
      for (const id of ids) expect(s.posts().get(id)).toBe(2);
      await expectConsistent(s, ids);
    },
  );

  it('429: nothing done, recorded as never sent, the run stops; the next run sends without read-back', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(4);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: '429', route: 'release', retryAfterSeconds: 1 }] });
    const first = await apply(s, '--format', 'json');
    expect(first.code).toBe(3);
    const json = JSON.parse(first.stdout);
    expect(json.stopped).toMatch(/rate limited/);
    // The refused batch, and a batch that was waiting for its turn, are recorded as never
    // sent; a batch not started yet has no record at all. Either way: no read-back needed.
    for (const r of json.results) expect([r.state, r.via]).toEqual(['pending', 'not-sent']);
    const accounted = [...json.results, ...json.not_started]
      .map((r: { id: string }) => r.id)
      .sort();
    expect(accounted).toEqual([...ids].sort());
    expect((await s.states()).get(ids[0] as string)).toMatchObject({
      state: 'pending',
      sent: false,
    });

    const readBacks = () =>
      s?.emulator.truth().requests.filter((r) => r.path.endsWith('/action_log')).length;
    const before = readBacks();
    const second = await apply(s);
    expect(second.code, second.stderr).toBe(0);
    // Checked before sending, like every message, but never read back: the 429 proved nothing was done.
    expect(readBacks()).toBe(before);
    await expectConsistent(s, ids);
    expect([...s.deliveries().values()]).toEqual([1, 1, 1, 1]);
  });

  it('partial delivery is held; `retry: 2` sends it once more, to the recipients still waiting', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(1);
    const id = ids[0] as string;
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'partial', route: 'release' }] });
    const first = await apply(s, '--format', 'json');
    expect(first.code).toBe(3);
    const result = JSON.parse(first.stdout).results[0];
    expect(result.state).toBe('partial');
    expect(result.failed.length + result.undelivered.length).toBeGreaterThan(0);

    expect((await apply(s)).stdout).toContain('Nothing to release');
    expect(s.posts().get(id)).toBe(1);

    await s.writeReleases(ids, { [id]: 'retry: 2' });
    const retried = await apply(s, '--format', 'json');
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout).results[0]).toMatchObject({ state: 'released', attempt: 2 });
    const truth = s.emulator.truth().releases.filter((r) => r.id === id);
    expect(truth).toHaveLength(2);
    // The retry reached exactly those the first attempt missed.
    expect(truth[1]?.delivered.sort()).toEqual([...result.failed, ...result.undelivered].sort());
    expect((await apply(s)).code).toBe(0);
    expect(s.posts().get(id)).toBe(2);
  });

  it('a lost answer to a partial delivery is resolved as partial by read-back, not as released', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'partial', route: 'release' }] });
    // First run: partial. Retry whose answer is lost after acting (still partial: the
    // fault script is empty, so the retry completes).
    await apply(s);
    await s.writeReleases(ids, { [ids[0] as string]: 'retry: 2' });
    s.emulator.setFaults({ script: [{ kind: 'reset_after', route: 'release' }] });
    expect((await apply(s)).code).toBe(3);
    const r = await apply(s, '--format', 'json');
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({
      state: 'released',
      via: 'readback',
      attempt: 2,
    });
  });

  it('ids missing from the answer, postfix_id-only answers and null recipient lists', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(6);
    await s.writeReleases(ids);
    s.emulator.setFaults({
      script: [
        { kind: 'missing_id', route: 'release' },
        { kind: 'postfix_only', route: 'release' },
        { kind: 'null_recipients', route: 'release' },
      ],
    });
    const first = await apply(s, '--format', 'json');
    const states = JSON.parse(first.stdout).results.map(
      (r: { state: string; delivered: unknown }) => [r.state, r.delivered === null],
    );
    expect(states.filter(([st]: [string]) => st === 'unknown')).toHaveLength(1);
    expect(states.slice(2, 4)).toEqual([
      ['released', false],
      ['released', false],
    ]);
    expect(states.slice(4, 6)).toEqual([
      ['released', true],
      ['released', true],
    ]);
    const second = await apply(s);
    expect(second.code, second.stderr).toBe(0);
    await expectConsistent(s, ids);
    for (const id of ids) expect(s.posts().get(id)).toBe(1);
  });

  it('401 fails the batch and stops the run; a read-only token is refused with 403', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(4);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'auth', route: 'release' }] });
    // One batch at a time, so "the next batch" has not started when the 401 arrives.
    const r = await apply(s, '--format', 'json', '--concurrency', '1');
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.results.map((x: { state: string }) => x.state)).toEqual(['failed', 'failed']);
    expect(json.results[0].error.status).toBe(401);
    expect(json.not_started).toHaveLength(2);
    expect(releaseRequests(s.emulator)).toHaveLength(1);

    const readOnly = await s.cli(
      ['apply', '--unreviewed', '--batch-size', '2', '--format', 'json'],
      {
        CLOUDFLARE_API_TOKEN: DEFAULT_READ_TOKEN,
      },
    );
    expect(readOnly.code).toBe(3);
    expect(
      JSON.parse(readOnly.stdout).results.map((x: { error: { status: number } }) => x.error.status),
    ).toEqual([403, 403]);
    expect(s.deliveries().size).toBe(0);
  });

  it('an id the API does not know is refused before anything is sent, and the others go on', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = [...s.quarantined(1), 'NoSuchQueue1234-2026-10-20T10:00:00-99999999'];
    await s.writeReleases(ids);
    const r = await apply(s, '--format', 'json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.results.map((x: { id: string; state: string }) => [x.id, x.state])).toEqual([
      [ids[0], 'released'],
    ]);
    expect(json.refused).toMatchObject([{ id: ids[1], reason: { kind: 'not-found' } }]);
    expect(s.posts().get(ids[1] as string)).toBeUndefined();
    expect((await s.ledger()).filter((l) => l.id === ids[1])).toEqual([]);
  });

  it('an id sent but missing from the answer is unknown, then resolved by read-back', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'missing_id', route: 'release' }] });
    expect((await apply(s)).code).toBe(3);
    // The answer lost the id; the next run reads it back (released: the server had acted).
    const r = await apply(s, '--format', 'json');
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ state: 'released', via: 'readback' });
  });

  it('refuses bad settings with exit 1 before any request, without echoing secrets', async (t) => {
    const s = await scenarioForThisTest(t);
    await s.writeReleases(s.quarantined(1));
    const half = await s.cli(['apply', '--unreviewed'], {
      CLOUDFLARE_API_TOKEN: '',
      CLOUDFLARE_EMAIL: 'a@example.com',
    });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('CLOUDFLARE_API_KEY is missing');
    const none = await s.cli(['apply', '--unreviewed'], {
      CLOUDFLARE_API_TOKEN: '',
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no Cloudflare credentials');
    const creds = await s.cli(['apply', '--unreviewed'], {
      CLOUDFLARE_API_BASE_URL: 'https://user:hunter2secret@api.example.com/client/v4',
    });
    expect(creds.code).toBe(1);
    expect(creds.stderr).toContain('must not contain credentials');
    expect(creds.stderr + creds.stdout).not.toContain('hunter2secret');
    const http = await s.cli(['apply', '--unreviewed'], {
      CLOUDFLARE_API_BASE_URL: 'http://api.example.com/client/v4',
    });
    expect(http.code).toBe(1);
    expect(s.emulator.truth().requests).toEqual([]);
    expect(await s.ledger()).toEqual([]);
  });

  it('an invalid releases.yaml or a corrupt ledger: exit 1, no request, no ledger change', async (t) => {
    const s = await scenarioForThisTest(t);
    await writeFile(
      join(s.dir, 'releases.yaml'),
      `version: 1\naccount_id: ${s.account}\nreleases:\n  - id: "<img src=x>"\n    reason: x\n`,
    );
    const r = await s.cli(['apply', '--unreviewed']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^releases\.yaml:4:9: `releases\[0\]\.id` "<img src=x>" is not a message id/m,
    );
    expect(s.emulator.truth().requests).toEqual([]);

    await s.writeReleases(s.quarantined(1));
    await apply(s);
    const shard = (await import('node:fs/promises')).readdir(join(s.dir, 'releases.ledger'));
    const name = (await shard).find((n) => n.endsWith('.jsonl')) as string;
    const path = join(s.dir, 'releases.ledger', name);
    await writeFile(path, `${await readFile(path, 'utf8')}{"v":1,"state":"bogus"}\n`);
    const before = s.emulator.truth().requests.length;
    const corrupt = await s.cli(['apply', '--unreviewed']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain(`${name}:3:1`);
    expect(s.emulator.truth().requests.length).toBe(before);
  });

  /**
   * Waits until the emulator has received `n` release requests: at most 30 s, the child's own
   * time limit (a loaded machine can take seconds to start it).
   */
  async function untilReleases(x: Scenario, n: number): Promise<void> {
    for (let i = 0; i < 1200 && releaseRequests(x.emulator).length < n; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(releaseRequests(x.emulator).length).toBeGreaterThanOrEqual(n);
  }

  it('a second run while one is going is refused (the ledger is locked)', async (t) => {
    const s = await scenarioForThisTest(t);
    // 20 sends of 400 ms one after the other: the first run is still going (8 s) when the
    // second has started, even on a loaded machine.
    const ids = s.quarantined(20);
    await s.writeReleases(ids);
    s.emulator.setFaults({ latencyMs: 400 });
    const first = apply(s, '--batch-size', '1', '--concurrency', '1');
    // Wait until the first run has sent something, so it holds the lock.
    await untilReleases(s, 1);
    const second = await apply(s);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('the ledger is in use by another run');
    expect((await first).code).toBe(0);
    await expectConsistent(s, ids);
  });

  it('kill -9 mid-run: the ledger stays readable and the next run verifies instead of re-sending', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(8);
    await s.writeReleases(ids);
    // Slow answers, so the kill lands while a request is in flight.
    s.emulator.setFaults({ latencyMs: 300 });
    const run = spawnDistCli(['apply', '--unreviewed', '--batch-size', '1', '--concurrency', '1'], {
      cwd: s.dir,
      env: s.env,
    });
    await untilReleases(s, 3);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const states = await s.states(); // parses every line: nothing torn
    expect([...states.values()].some((r) => r.state === 'pending')).toBe(true);

    // The request in flight when the process died is still being worked on by the server
    // (300 ms latency): the next run starts at once, but reads it back only once it has
    // settled, so it sees that release instead of sending a second one.
    const inFlight = [...states.values()].filter((r) => r.state === 'pending').map((r) => r.id);
    s.emulator.setFaults({});
    const next = await apply(s, '--format', 'json', '--settle-seconds', '1');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/Waiting 1s for earlier sends to settle/);
    const json = JSON.parse(next.stdout);
    for (const id of inFlight) {
      expect(json.results).toContainEqual(
        expect.objectContaining({ id, state: 'released', via: 'readback' }),
      );
      expect(s.posts().get(id)).toBe(1);
    }
    await expectConsistent(s, ids);
    // Only a read-back that proved a message still quarantined allowed a second POST of it.
    for (const id of ids) expect(s.posts().get(id) ?? 0).toBeLessThanOrEqual(2);
    expect([...s.deliveries().values()].every((n) => n === 1)).toBe(true);
    expect(s.deliveries().size).toBe(8);
  });

  it('SIGINT: no new batch starts, the one in flight is recorded, exit 3; the next run finishes', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(6);
    await s.writeReleases(ids);
    s.emulator.setFaults({ latencyMs: 400 });
    const run = spawnDistCli(
      ['apply', '--unreviewed', '--batch-size', '1', '--concurrency', '1', '--format', 'json'],
      { cwd: s.dir, env: s.env },
    );
    await untilReleases(s, 1);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.stopped).toBe('interrupted');
    expect(
      json.results.filter((x: { state: string }) => x.state === 'released').length,
    ).toBeGreaterThanOrEqual(1);
    expect(json.results.length + json.not_started.length).toBe(6);
    // Everything that reached the server is in the ledger with its outcome.
    const states = await s.states();
    for (const id of s.deliveries().keys()) expect(states.get(id)?.state).toBe('released');

    s.emulator.setFaults({});
    expect((await apply(s)).code).toBe(0);
    await expectConsistent(s, ids);
    expect(s.deliveries().size).toBe(6);
  });
});
