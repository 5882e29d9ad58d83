// Attacks on the plan comment (issue 11, "Why" 3 and 4): the comment stands for a review only
// when quarantine-release wrote it and nobody else edited it since; a marker anyone else posts
// or edits is not a review. And what needs attention (an acknowledged MALICIOUS entry) is
// counted in the headline and listed whatever else the plan holds.
import { describe, expect, it } from 'vitest';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import type { ToRelease } from '../../src/core/plan/plan.js';
import { markerLine } from '../../src/core/render/comment.js';
import { entryDigest } from '../../src/core/safety/review.js';
import { demoFixtures } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { commitSealed } from '../support/sealed.js';
import {
  type Earlier,
  expectApplyRefused,
  expectNothingSent,
  expectTrailAtHead,
  MALLORY,
  mergeAttack,
  openAttack,
  releasedEarlier,
} from './support.js';

const BOT = 'github-actions[bot]';

/** The digest the plan comment's marker would carry for a first attempt of `id`. */
function digestOf(s: ActionScenario, id: string): string {
  const disposition = s.emulator.messages(s.account).find((m) => m.details.id === id)
    ?.details.final_disposition;
  const item = { request: { id }, attempt: 1, message: { disposition } } as unknown as ToRelease;
  return entryDigest(s.account, item, 'dispositions');
}

/** The comment with `digest` added to its marker's entries. */
function withDigest(body: string, digest: string): string {
  const out = body.replace(
    / entries=([A-Za-z0-9_-]*) -->/,
    (_m, list) => ` entries=${list}${digest} -->`,
  );
  expect(out).not.toBe(body);
  return out;
}

interface Reviewed {
  earlier: Earlier;
  /** Held (its attempt 1 failed, no retry): the plan shows it, nothing is sent for it. */
  held: string;
  /** Added in a push after the plan ([skip ci]): nobody reviewed its plan. */
  added: string;
  /** releases.yaml as merged. */
  yaml: string;
}

/**
 * Pull request #n: the plan ran (A already released, X held) and the bot posted its comment;
 * then Mallory pushed Y without the plan running again. Nothing in it may be sent.
 */
async function plannedThenGrown(
  s: ActionScenario,
  n: number,
  plan: { comment?: boolean } = {},
): Promise<Reviewed> {
  const earlier = await releasedEarlier(s, s.quarantined(1));
  const [held, added] = s.quarantined(3).slice(1) as [string, string];
  const at = new Date().toISOString();
  const base = { v: 1 as const, account_id: s.account, id: held, attempt: 1, at };
  const failed: LedgerRecord[] = [
    { ...base, seq: 1, state: 'pending', disposition: 'SPAM', reason: 'false positive' },
    { ...base, seq: 2, state: 'failed', via: 'release', error: { status: 500, message: 'oops' } },
  ];
  const withHeld = earlier.text + failed.map((r) => `${serializeRecord(r)}\n`).join('');
  commitSealed(s.gh, { [earlier.path]: withHeld });
  const head = openAttack(s, n, { 'releases.yaml': s.releasesYaml([...earlier.ids, held]) });
  const r = await s.run({
    event: 'pull_request',
    pr: n,
    sha: head,
    ...(plan.comment === false ? { inputs: { comment: 'false' } } : {}),
  });
  expect(r.code, r.stdout).toBe(0);
  const yaml = s.releasesYaml([...earlier.ids, held, added]);
  s.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, 'one more [skip ci]', MALLORY.author);
  return { earlier, held, added, yaml };
}

/**
 * An attack that succeeds today, kept as it.fails: `setup` plays everything up to the step the
 * control should stop and must run cleanly (if it throws, the test passes, which it.fails
 * reports as a failure: a broken set-up is never taken for the bug); `check` holds the control
 * to what it should do and fails while the bug is there.
 */
function knownGap<T>(
  name: string,
  setup: (s: ActionScenario) => Promise<T>,
  check: (s: ActionScenario, ctx: T) => Promise<void>,
): void {
  it.fails(name, async () => {
    const s = await actionScenario();
    try {
      let ctx: T;
      try {
        ctx = await setup(s);
      } catch (error) {
        console.error(`set-up of "${name}" failed, not the attack:`, error);
        return;
      }
      await check(s, ctx);
    } finally {
      await s.close();
    }
  });
}

/** An attack played in two steps (`setup`, then `check`), expected to be stopped. */
function twoSteps<T>(
  name: string,
  setup: (s: ActionScenario) => Promise<T>,
  check: (s: ActionScenario, ctx: T) => Promise<void>,
): void {
  it(name, async () => {
    const s = await actionScenario();
    try {
      await check(s, await setup(s));
    } finally {
      await s.close();
    }
  });
}

const attack = (name: string, fn: (s: ActionScenario) => Promise<Earlier>) =>
  it(name, async () => {
    const s = await actionScenario();
    try {
      const earlier = await fn(s);
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    } finally {
      await s.close();
    }
  });

describe.concurrent('forged markers and edited comments are not a review', () => {
  attack("someone else's comment with a well-formed marker listing the entry", async (s) => {
    const x = await plannedThenGrown(s, 71, { comment: false });
    expect(s.gh.comments(71)).toEqual([]);
    const marker = markerLine({
      account: s.account,
      plan: { fingerprint: '0'.repeat(32), basis: 'dispositions', entries: [digestOf(s, x.added)] },
    });
    s.gh.addComment(71, `${marker}\nPlan reviewed, all good.`, { login: 'mallory', type: 'User' });
    const r = await s.run({ event: 'push', sha: mergeAttack(s, 71, { 'releases.yaml': x.yaml }) });
    expectApplyRefused(
      r,
      x.added,
      `not reviewed: no plan for account ${s.account} was reviewed on PR #71`,
    );
    return x.earlier;
  });

  attack(
    "someone else's marker posted before the bot's comment, then the entry swapped",
    async (s) => {
      const earlier = await releasedEarlier(s, s.quarantined(1));
      const [planned, swapped] = s.quarantined(3).slice(1) as [string, string];
      // Mallory's comment comes first and lists both; the plan shows `planned` only.
      const marker = markerLine({
        account: s.account,
        plan: {
          fingerprint: '0'.repeat(32),
          basis: 'dispositions',
          entries: [digestOf(s, planned), digestOf(s, swapped)],
        },
      });
      const head = openAttack(s, 72, {
        'releases.yaml': s.releasesYaml([...earlier.ids, planned]),
      });
      s.gh.addComment(72, `${marker}\nsee below`, { login: 'mallory', type: 'User' });
      await s.run({ event: 'pull_request', pr: 72, sha: head });
      // The plan run posted its own comment; it never takes over someone else's.
      expect(s.gh.comments(72).map((c) => c.user.login)).toEqual(['mallory', BOT]);
      const yaml = s.releasesYaml([...earlier.ids, swapped]);
      s.gh.commitFiles('feature-72', { 'releases.yaml': yaml }, 'swap [skip ci]', MALLORY.author);
      const r = await s.run({ event: 'push', sha: mergeAttack(s, 72, { 'releases.yaml': yaml }) });
      expectApplyRefused(
        r,
        swapped,
        'not in the plan reviewed on PR #72 (its disposition or attempt differs, or it was added later)',
      );
      return earlier;
    },
  );

  attack(
    "the bot's comment edited by a person: the entry's digest added to the marker",
    async (s) => {
      const x = await plannedThenGrown(s, 73);
      const c = s.gh.comments(73)[0];
      expect(c?.user.login).toBe(BOT);
      s.gh.editComment(c?.id ?? 0, withDigest(c?.body ?? '', digestOf(s, x.added)), 'mallory');
      const r = await s.run({
        event: 'push',
        sha: mergeAttack(s, 73, { 'releases.yaml': x.yaml }),
      });
      expectApplyRefused(
        r,
        x.added,
        `not reviewed: the plan comment for account ${s.account} was edited by mallory after quarantine-release wrote it`,
      );
      return x.earlier;
    },
  );

  attack("the bot's comment edited by a person: its marker removed", async (s) => {
    const x = await plannedThenGrown(s, 74);
    const c = s.gh.comments(74)[0];
    s.gh.editComment(c?.id ?? 0, c?.body.replace(/^<!--[^\n]*-->\n/, '') ?? '', 'mallory');
    const r = await s.run({ event: 'push', sha: mergeAttack(s, 74, { 'releases.yaml': x.yaml }) });
    expectApplyRefused(
      r,
      x.added,
      `not reviewed: no plan for account ${s.account} was reviewed on PR #74 (comments of quarantine-release on it were edited by mallory)`,
    );
    return x.earlier;
  });

  attack("the bot's comment edited by a person: visible text only, marker intact", async (s) => {
    const x = await plannedThenGrown(s, 75);
    const c = s.gh.comments(75)[0];
    s.gh.editComment(c?.id ?? 0, `${c?.body ?? ''}\n\nReviewed by security ✅`, 'mallory');
    const r = await s.run({ event: 'push', sha: mergeAttack(s, 75, { 'releases.yaml': x.yaml }) });
    expectApplyRefused(
      r,
      x.added,
      `not reviewed: the plan comment for account ${s.account} was edited by mallory after quarantine-release wrote it`,
    );
    return x.earlier;
  });

  attack("the bot's marker removed with the bot's own token (another workflow)", async (s) => {
    const x = await plannedThenGrown(s, 76);
    const c = s.gh.comments(76)[0];
    s.gh.editComment(c?.id ?? 0, c?.body.replace(/^<!--[^\n]*-->\n/, '') ?? '', BOT);
    const r = await s.run({ event: 'push', sha: mergeAttack(s, 76, { 'releases.yaml': x.yaml }) });
    expectApplyRefused(
      r,
      x.added,
      `not reviewed: no plan for account ${s.account} was reviewed on PR #76`,
    );
    return x.earlier;
  });

  // KNOWN GAP (see the suite's report): every workflow of the repository writes as
  // github-actions[bot], the default comment-author, so a workflow on any branch Mallory can
  // push (on: push, `permissions: pull-requests: write`) can edit the plan comment as the bot:
  // GitHub then records the bot as its editor, and the marker is trusted. The entry still
  // passes every other check (approval on the final head, Cloudflare's), but its plan was never
  // shown. Not fixable in test code; the attack is kept and expected to succeed until it is.
  knownGap(
    "the bot's comment edited with the bot's own token to add the entry's digest",
    async (s) => {
      const x = await plannedThenGrown(s, 77);
      const c = s.gh.comments(77)[0];
      s.gh.editComment(c?.id ?? 0, withDigest(c?.body ?? '', digestOf(s, x.added)), BOT);
      return { x, merged: mergeAttack(s, 77, { 'releases.yaml': x.yaml }) };
    },
    async (s, { x, merged }) => {
      const r = await s.run({ event: 'push', sha: merged });
      expectNothingSent(s, x.earlier.posts);
      expectApplyRefused(r, x.added, 'not reviewed');
    },
  );
});

// Once a gap: a plan reviewed by its fingerprint only (a plan of more than MAX_ENTRY_DIGESTS
// entries, or a comment written by an earlier version, played here by stripping the digests as
// such a version wrote it) is held as a whole: a different plan blocks the run, which then
// rewrites the comment with the plan as it is now. A re-run of the same workflow (anyone with
// write access) found that comment, by the bot and edited by nobody else, and took it for the
// review. The rewritten comment's marker now keeps the plan reviewed before the merge.
describe('a refused run rewrites the plan comment', () => {
  twoSteps(
    'a re-run after a refusal for a different plan is held to the same review',
    async (s) => {
      const earlier = await releasedEarlier(s, s.quarantined(1));
      const [planned, added] = s.quarantined(3).slice(1) as [string, string];
      const head = openAttack(s, 79, {
        'releases.yaml': s.releasesYaml([...earlier.ids, planned]),
      });
      await s.run({ event: 'pull_request', pr: 79, sha: head });
      const c = s.gh.comments(79)[0];
      s.gh.editComment(c?.id ?? 0, c?.body.replace(/ entries=[A-Za-z0-9_-]*/, '') ?? '', BOT);
      const yaml = s.releasesYaml([...earlier.ids, planned, added]);
      s.gh.commitFiles(
        'feature-79',
        { 'releases.yaml': yaml },
        'one more [skip ci]',
        MALLORY.author,
      );
      const merged = mergeAttack(s, 79, { 'releases.yaml': yaml });
      const first = await s.run({ event: 'push', sha: merged });
      expect(first.code).toBe(1);
      expect(first.stdout).toContain('differs from the one reviewed on PR #79');
      expectNothingSent(s, earlier.posts);
      return { earlier, merged };
    },
    async (s, { earlier, merged }) => {
      // Nobody reviews or approves anything more; the job is re-run.
      const rerun = await s.run({ event: 'push', sha: merged });
      expect(rerun.outputs.released ?? '0', 'released by the re-run').toBe('0');
      expect(rerun.code).toBe(1);
      expect(rerun.stdout).toContain('differs from the one reviewed on PR #79');
      expectNothingSent(s, earlier.posts);
    },
  );
});

describe('what needs attention is never hidden', () => {
  // Issue 11's attack used 40; reasons are now cut to a few hundred characters in the table,
  // so 70 are needed to make the comment shrink.
  it("an acknowledged MALICIOUS entry after 70 long entries (issue 11's attack 4) is counted and listed", async () => {
    const s = await actionScenario({ emulator: { messagesPerAccount: 160 } });
    try {
      const malicious = demoFixtures(1, s.account).malicious;
      const many = s.quarantined(70);
      const reason =
        `false positive: ${'the sender is a known partner and the content was checked by hand. '.repeat(7)}`.slice(
          0,
          480,
        );
      const lines = ['version: 1', `account_id: ${s.account}`, 'releases:'];
      for (const id of many) lines.push(`  - id: ${id}`, `    reason: "${reason}"`);
      lines.push(
        `  - id: ${malicious}`,
        '    reason: the CFO asked for it',
        '    acknowledge: MALICIOUS',
      );
      const head = openAttack(s, 78, { 'releases.yaml': `${lines.join('\n')}\n` });
      const r = await s.run({ event: 'pull_request', pr: 78, sha: head });
      expect(r.code, r.stdout).toBe(0);
      expect(r.outputs['to-release']).toBe('71');
      const body = s.gh.comments(78)[0]?.body ?? '';
      expect(body).toContain(
        '**⚠️ 1 released on an acknowledgement (1 MALICIOUS)**: listed first below.',
      );
      expect(body).toContain(malicious);
      // The comment had to shrink: the 70 others do not all fit.
      expect(body).toContain('more not shown here; see the job summary');
      // Listed before the others, whatever the comment has room for.
      expect(body.indexOf(malicious)).toBeLessThan(body.indexOf(many[0] as string));
      expect(r.summary).toContain('1 MALICIOUS');
      expectNothingSent(s, 0);
    } finally {
      await s.close();
    }
  });
});
