// Attacks with `retry: N` (issue 11, "Why" 1), through the bundled CLI and the bundled action:
// a retry is a second send of a message this ledger sent and saw fail, never a way around the
// quarantine check. Refused at plan (with the entry's file:line:col) and again at apply, with
// no release request; a retry the ledger allows is still held to Cloudflare's action log.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueIdOf } from '../../src/core/ids.js';
import { type LedgerRecord, serializeRecord, shardNameFor } from '../../src/core/ledger/record.js';
import { DEFAULT_TOKEN, demoFixtures } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { type Scenario, scenario } from '../support/scenario.js';
import { commitSealed } from '../support/sealed.js';
import {
  expectNothingSent,
  expectPlanRefused,
  expectTrailAtHead,
  mergeAttack,
  openAttack,
  releasedEarlier,
  SHARD,
} from './support.js';

/** The emulator's message that was released before the start (issue 11's example). */
const ALREADY_RELEASED = 'LKLpvbFK7WFS1mF-2026-10-21T00:11:12-42568617';

/** Ledger lines of a first attempt that failed (Cloudflare answered an error: nothing done). */
function failedAttempt(account: string, id: string): LedgerRecord[] {
  const at = new Date().toISOString();
  const base = { v: 1 as const, account_id: account, id, attempt: 1, at };
  return [
    { ...base, seq: 1, state: 'pending', disposition: 'SPAM', reason: 'false positive' },
    {
      ...base,
      seq: 2,
      state: 'failed',
      via: 'release',
      error: { status: 500, message: 'Internal Server Error' },
    },
  ];
}

const text = (records: readonly LedgerRecord[]) =>
  records.map((r) => `${serializeRecord(r)}\n`).join('');

/** A release by hand in the Cloudflare dashboard (outside this repository). */
async function releaseOutside(url: string, account: string, id: string): Promise<void> {
  const r = await fetch(`${url}/accounts/${account}/email-security/investigate/release`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ids: [id] }),
  });
  expect(r.status).toBe(200);
}

describe.concurrent('the CLI', () => {
  const withCli = (name: string, fn: (s: Scenario) => Promise<void>) =>
    it(name, async () => {
      const s = await scenario();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });
  const shardPath = (s: Scenario) =>
    join(s.dir, 'releases.ledger', shardNameFor(new Date().toISOString()));

  withCli(
    "retry: 2 of a message this ledger never sent (issue 11's attack 1: the already-released demo message)",
    async (s) => {
      expect(demoFixtures(1, s.account).released).toBe(ALREADY_RELEASED);
      await s.writeReleases([ALREADY_RELEASED], { [ALREADY_RELEASED]: 'retry: 2' });
      const plan = await s.cli(['plan']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(1);
      expect(plan.stdout).toMatch(
        new RegExp(
          `REFUSED\\s+${ALREADY_RELEASED}\\s+retry refused: the ledger has no earlier attempt of this message in account ${s.account}.*releases\\.yaml:4:9`,
        ),
      );
      expect(plan.stdout).not.toContain('1 to release');
      const apply = await s.cli(['apply', '--unreviewed']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(1);
      expect(apply.stdout).toContain('retry refused');
      expect(s.releasePostsCount()).toBe(0);
      expect(s.deliveries().size, 'no delivery at all').toBe(0);
      expect(await s.ledger()).toEqual([]);
    },
  );

  withCli(
    'retry: 2 of a quarantined message never sent (a first release in disguise)',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      await s.writeReleases([id], { [id]: 'retry: 2' });
      const apply = await s.cli(['apply', '--unreviewed']);
      expect(apply.code).toBe(1);
      expect(apply.stdout).toContain(`retry refused: the ledger has no earlier attempt`);
      expect(s.releasePostsCount()).toBe(0);
      expect(await s.ledger()).toEqual([]);
    },
  );

  withCli('retry: 2 of a message this ledger released: nothing is sent again', async (s) => {
    const [id] = s.quarantined(1) as [string];
    await s.writeReleases([id]);
    const first = await s.cli(['apply', '--unreviewed']);
    expect(first.code, first.stderr).toBe(0);
    const trail = await s.ledger();
    await s.writeReleases([id], { [id]: 'retry: 2' });
    const plan = await s.cli(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`= released ${id}`);
    const again = await s.cli(['apply', '--unreviewed']);
    expect(again.code, again.stderr).toBe(0);
    expect(s.releasePostsCount()).toBe(1);
    expect(s.deliveries().get(id)).toBe(1);
    expect(await s.ledger()).toEqual(trail);
  });

  withCli('retry: 3 after a failed attempt 1 (skipping attempt 2) is refused', async (s) => {
    const [id] = s.quarantined(1) as [string];
    await writeFile(shardPath(s), text(failedAttempt(s.account, id)));
    await s.writeReleases([id], { [id]: 'retry: 3' });
    const plan = await s.cli(['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      "retry refused: the ledger's latest attempt of this message is 1 (failed); the next retry is `retry: 2`",
    );
    expect(plan.stdout).toContain('releases.yaml:4:9');
    const apply = await s.cli(['apply', '--unreviewed']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('retry refused');
    expect(s.releasePostsCount()).toBe(0);
    expect(await s.ledger()).toHaveLength(2);
  });

  withCli(
    'retry: 2 with a forged ledger (the release rewritten as failed) is refused by the action log',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      await s.writeReleases([id]);
      expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
      const real = await s.ledger();
      // The CLI cannot tell a forged ledger from its own (that check is being built); Cloudflare's
      // action log still shows the release the forged ledger hides.
      await writeFile(shardPath(s), text(failedAttempt(s.account, id)));
      await s.writeReleases([id], { [id]: 'retry: 2' });
      const plan = await s.cli(['plan']);
      expect(plan.code).toBe(1);
      expect(plan.stdout).toContain(
        "Cloudflare's action log shows 1 release(s) but this ledger records 0: released since the last attempt, outside this repository; not sent again",
      );
      const apply = await s.cli(['apply', '--unreviewed']);
      expect(apply.code).toBe(1);
      expect(apply.stdout).toContain('released since the last attempt');
      expect(s.releasePostsCount()).toBe(1);
      expect(s.deliveries().get(id)).toBe(1);
      expect(real.map((r) => r.state)).toEqual(['pending', 'released']);
    },
  );

  withCli('retry: 2 of a failed message released by hand since is refused', async (s) => {
    const [id] = s.quarantined(1) as [string];
    await writeFile(shardPath(s), text(failedAttempt(s.account, id)));
    await releaseOutside(s.emulator.url, s.account, id);
    await s.writeReleases([id], { [id]: 'retry: 2' });
    const apply = await s.cli(['apply', '--unreviewed']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain(
      "Cloudflare's action log shows 1 release(s) but this ledger records 0",
    );
    expect(s.releasePostsCount()).toBe(1);
    expect(s.deliveries().get(id)).toBe(1);
  });

  withCli(
    'retry: 2 of a send whose outcome is unknown (it did release): read back, never sent again',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      // Attempt 1 timed out (recorded unknown), but Cloudflare did act on it.
      const at = new Date(Date.now() - 60_000).toISOString();
      const base = { v: 1 as const, account_id: s.account, id, attempt: 1, at };
      await writeFile(
        shardPath(s),
        text([
          { ...base, seq: 1, state: 'pending', in_flight_until: at, reason: 'false positive' },
          { ...base, seq: 2, state: 'unknown', error: { message: 'timed out' } },
        ]),
      );
      await releaseOutside(s.emulator.url, s.account, id);
      await s.writeReleases([id], { [id]: 'retry: 2' });
      const apply = await s.cli(['apply', '--unreviewed']);
      expect(s.releasePostsCount(), apply.stdout + apply.stderr).toBe(1);
      expect(s.deliveries().get(id)).toBe(1);
      expect((await s.states()).get(id)).toMatchObject({ attempt: 1, state: 'released' });
    },
  );

  withCli(
    'the allowed retry (attempt 1 failed, retry: 2) does go: the controls are not a wall',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      await writeFile(shardPath(s), text(failedAttempt(s.account, id)));
      await s.writeReleases([id], { [id]: 'retry: 2' });
      const apply = await s.cli(['apply', '--unreviewed']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      expect(s.deliveries().get(id)).toBe(1);
      expect((await s.states()).get(id)).toMatchObject({ attempt: 2, state: 'released' });
    },
  );
});

describe.concurrent('the action', () => {
  const withAction = (name: string, fn: (s: ActionScenario) => Promise<void>) =>
    it(name, async () => {
      const s = await actionScenario();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });

  withAction(
    "retry: 2 of the already-released demo message (issue 11's attack 1): refused on the PR and on merge",
    async (s) => {
      const yaml = s.releasesYaml([ALREADY_RELEASED], { [ALREADY_RELEASED]: 'retry: 2' });
      const head = openAttack(s, 41, { 'releases.yaml': yaml });
      const plan = await s.run({ event: 'pull_request', pr: 41, sha: head });
      expectPlanRefused(
        plan,
        ALREADY_RELEASED,
        'retry refused: the ledger has no earlier attempt',
        'releases.yaml:4:9',
      );
      expect(plan.outputs).toMatchObject({ 'to-release': '0', refused: '1' });
      const comment = s.gh.comments(41)[0]?.body ?? '';
      expect(comment).toContain('⛔ 1 refused');
      expect(comment).toContain(ALREADY_RELEASED);
      const merged = mergeAttack(s, 41, { 'releases.yaml': yaml });
      const apply = await s.run({ event: 'push', sha: merged });
      expect(apply.code).toBe(1);
      expect(apply.outputs).toMatchObject({ released: '0', refused: '1' });
      expect(apply.stdout).toContain('retry refused');
      expectNothingSent(s, 0);
      expect(s.ledgerLines()).toEqual([]);
    },
  );

  withAction(
    'retry: 2 of a message the ledger shows released: nothing is sent again',
    async (s) => {
      const earlier = await releasedEarlier(s, s.quarantined(1));
      const [a] = earlier.ids as [string];
      const yaml = s.releasesYaml([a], { [a]: 'retry: 2' });
      const head = openAttack(s, 42, { 'releases.yaml': yaml });
      const plan = await s.run({ event: 'pull_request', pr: 42, sha: head });
      expect(plan.code, plan.stdout).toBe(0);
      expect(plan.outputs['to-release']).toBe('0');
      const merged = mergeAttack(s, 42, { 'releases.yaml': yaml });
      const apply = await s.run({ event: 'push', sha: merged });
      expect(apply.code, apply.stdout).toBe(0);
      expect(apply.outputs.released ?? '0').toBe('0');
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    },
  );

  withAction(
    'retry: 3 after a failed attempt 1 (skipping attempt 2) is refused on the PR and on merge',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      const path = SHARD;
      commitSealed(s.gh, { [path]: text(failedAttempt(s.account, id)) });
      const trail = s.gh.readFile(path) ?? '';
      const yaml = s.releasesYaml([id], { [id]: 'retry: 3' });
      const head = openAttack(s, 43, { 'releases.yaml': yaml });
      const plan = await s.run({ event: 'pull_request', pr: 43, sha: head });
      expectPlanRefused(
        plan,
        id,
        "retry refused: the ledger's latest attempt of this message is 1 (failed)",
        'releases.yaml:4:9',
      );
      const merged = mergeAttack(s, 43, { 'releases.yaml': yaml });
      const apply = await s.run({ event: 'push', sha: merged });
      expect(apply.code).toBe(1);
      expect(apply.stdout).toContain('the next retry is `retry: 2`');
      expectNothingSent(s, 0);
      expect(s.gh.readFile(path)).toBe(trail);
    },
  );

  withAction(
    'retry: 2 of a failed message released by hand since is refused on merge',
    async (s) => {
      const [id] = s.quarantined(1) as [string];
      const path = SHARD;
      commitSealed(s.gh, { [path]: text(failedAttempt(s.account, id)) });
      const yaml = s.releasesYaml([id], { [id]: 'retry: 2' });
      const head = openAttack(s, 44, { 'releases.yaml': yaml });
      expect((await s.run({ event: 'pull_request', pr: 44, sha: head })).code).toBe(0);
      // Between the review and the merge, someone releases it in the dashboard.
      await releaseOutside(s.emulator.url, s.account, id);
      const before = s.releasePosts();
      const merged = mergeAttack(s, 44, { 'releases.yaml': yaml });
      const apply = await s.run({ event: 'push', sha: merged });
      expect(apply.code).toBe(1);
      expect(apply.stdout).toContain(
        "Cloudflare's action log shows 1 release(s) but this ledger records 0",
      );
      expectNothingSent(s, before);
    },
  );
  withAction(
    'the released message asked again under its bare queue id, then with retry: 2',
    async (s) => {
      const earlier = await releasedEarlier(s, s.quarantined(1));
      const bare = queueIdOf(earlier.ids[0] as string);
      const yaml = s.releasesYaml([bare]);
      const head = openAttack(s, 45, { 'releases.yaml': yaml });
      const plan = await s.run({ event: 'pull_request', pr: 45, sha: head });
      expect(plan.stdout).toContain(
        `? verify   ${bare}  the ledger has the same message as ${earlier.ids[0]} (released); read back before sending`,
      );
      const first = await s.run({
        event: 'push',
        sha: mergeAttack(s, 45, { 'releases.yaml': yaml }),
      });
      expect(first.stdout).toContain('Reading back 1 message(s)');
      expectNothingSent(s, earlier.posts);
      // The read-back left a record for the bare id (see the report); a retry of it still
      // meets Cloudflare's check.
      const retry = s.releasesYaml([bare], { [bare]: 'retry: 2' });
      const head2 = openAttack(s, 46, { 'releases.yaml': retry });
      await s.run({ event: 'pull_request', pr: 46, sha: head2 });
      const second = await s.run({
        event: 'push',
        sha: mergeAttack(s, 46, { 'releases.yaml': retry }),
      });
      expect(second.code).toBe(1);
      // The emulator does not know the bare form (Cloudflare's lookups take the long id); had it
      // resolved it, the action log's release would refuse it (released since).
      expect(second.stdout).toContain(`refused  ${bare}  no such message in this account`);
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    },
  );
});
