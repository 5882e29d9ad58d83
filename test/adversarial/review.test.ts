// Attacks on review (issue 11, "Why" 3): on a push, apply releases an entry only when the
// merged pull request's own plan comment reviewed it. Without a reviewed plan (comments off,
// a refusal acknowledged behind the plan's back, a direct push, a run by hand, a merge into
// another branch, a re-run of an old merge) nothing new is sent, and the run says why.
// Approvals are in approvals.test.ts, the comment's own attacks in comment.test.ts.
import { describe, expect } from 'vitest';
import { demoFixtures } from '../../src/emulator/index.js';
import { type ActionScenario, REVIEWER } from '../support/action.js';
import {
  attack,
  type Earlier,
  expectApplyRefused,
  MALLORY,
  mergeAttack,
  openAttack,
} from './support.js';

/** A quarantined, releasable message nobody reviewed the release of. */
const wantedOf = (s: ActionScenario) => s.quarantined(2)[1] as string;

const yamlWith = (s: ActionScenario, e: Earlier, ...ids: string[]) =>
  s.releasesYaml([...e.ids, ...ids]);

describe.concurrent('no reviewed plan: nothing new is released', () => {
  attack('comments turned off (comment: false): no comment, so no reviewed plan', async (s, e) => {
    const wanted = wantedOf(s);
    const yaml = yamlWith(s, e, wanted);
    const head = openAttack(s, 53, { 'releases.yaml': yaml });
    const plan = await s.run({
      event: 'pull_request',
      pr: 53,
      sha: head,
      inputs: { comment: 'false' },
    });
    expect(plan.code).toBe(0);
    expect(s.gh.comments(53)).toEqual([]);
    const r = await s.run({
      event: 'push',
      sha: mergeAttack(s, 53, { 'releases.yaml': yaml }),
      inputs: { comment: 'false' },
    });
    expectApplyRefused(
      r,
      wanted,
      `not reviewed: no plan for account ${s.account} was reviewed on PR #53`,
    );
  });

  attack(
    'every entry refused at plan, then acknowledged in a push that skipped the plan ([skip ci])',
    async (s, e) => {
      const malicious = demoFixtures(1, s.account).malicious;
      const head = openAttack(s, 54, { 'releases.yaml': yamlWith(s, e, malicious) });
      const plan = await s.run({ event: 'pull_request', pr: 54, sha: head });
      expect(plan.code).toBe(1);
      // The refusal is on the pull request for the reviewer to see (it used to post nothing).
      const body = s.gh.comments(54)[0]?.body ?? '';
      expect(body).toContain('⛔ 1 refused');
      expect(body).toContain(malicious);
      const yaml = s.releasesYaml([...e.ids, malicious], { [malicious]: 'acknowledge: MALICIOUS' });
      s.gh.commitFiles('feature-54', { 'releases.yaml': yaml }, 'ack [skip ci]', MALLORY.author);
      const r = await s.run({ event: 'push', sha: mergeAttack(s, 54, { 'releases.yaml': yaml }) });
      expectApplyRefused(
        r,
        malicious,
        'not in the plan reviewed on PR #54 (its disposition or attempt differs, or it was added later)',
      );
    },
  );

  attack('a direct push to main (no pull request)', async (s, e) => {
    const wanted = wantedOf(s);
    const sha = s.gh.commitFiles(
      'main',
      { 'releases.yaml': yamlWith(s, e, wanted) },
      'release it',
      MALLORY.author,
    );
    const r = await s.run({ event: 'push', sha });
    expect(r.stdout).toContain(
      '::warning::Nothing new will be released: the push has no merged pull request (a direct push), so no plan was reviewed.',
    );
    expectApplyRefused(
      r,
      wanted,
      'not reviewed: the push has no merged pull request (a direct push), so no plan was reviewed',
    );
  });

  attack('workflow_dispatch on a head with an entry nobody reviewed', async (s, e) => {
    const wanted = wantedOf(s);
    s.gh.commitFiles(
      'main',
      { 'releases.yaml': yamlWith(s, e, wanted) },
      'release it',
      MALLORY.author,
    );
    const r = await s.run({ event: 'workflow_dispatch' });
    expectApplyRefused(
      r,
      wanted,
      'not reviewed: the run was started by hand (workflow_dispatch), not by a merge, so no plan was reviewed',
    );
  });

  attack(
    'workflow_dispatch on the merge commit of a reviewed, approved pull request',
    async (s, e) => {
      const wanted = wantedOf(s);
      const yaml = yamlWith(s, e, wanted);
      const head = openAttack(s, 55, { 'releases.yaml': yaml });
      await s.run({ event: 'pull_request', pr: 55, sha: head });
      const merged = mergeAttack(s, 55, { 'releases.yaml': yaml });
      // A run by hand is not the merge's run, whichever commit it is on.
      const r = await s.run({ event: 'workflow_dispatch', sha: merged });
      expectApplyRefused(
        r,
        wanted,
        'not reviewed: the run was started by hand (workflow_dispatch)',
      );
    },
  );

  attack(
    'a pull request merged into another branch, whose merge commit is then pushed to main',
    async (s, e) => {
      const wanted = wantedOf(s);
      const yaml = yamlWith(s, e, wanted);
      const head = openAttack(s, 56, { 'releases.yaml': yaml });
      await s.run({ event: 'pull_request', pr: 56, sha: head });
      s.gh.addReview(56, { user: REVIEWER });
      const sha = s.gh.commitFiles(
        'main',
        { 'releases.yaml': yaml },
        'Merge pull request #56',
        MALLORY.author,
      );
      s.gh.addPullRequest({
        number: 56,
        head: 'feature-56',
        base: 'staging',
        merged: true,
        mergeCommitSha: sha,
        user: 'mallory',
      });
      const r = await s.run({ event: 'push', sha });
      expectApplyRefused(
        r,
        wanted,
        'not reviewed: the push has no merged pull request (a direct push)',
      );
    },
  );

  attack(
    "re-running an old reviewed merge's workflow after a direct push added an entry",
    async (s, e) => {
      const wanted = wantedOf(s);
      const reviewed = yamlWith(s, e);
      const head = openAttack(s, 57, { 'releases.yaml': reviewed });
      await s.run({ event: 'pull_request', pr: 57, sha: head });
      const old = mergeAttack(s, 57, { 'releases.yaml': reviewed });
      s.gh.commitFiles(
        'main',
        { 'releases.yaml': yamlWith(s, e, wanted) },
        'one more',
        MALLORY.author,
      );
      const r = await s.run({ event: 'push', sha: old });
      expect(r.outputs.released ?? '0').toBe('0');
      expect(r.outputs.later).toBe('1');
      expect(r.stdout).toContain(
        `left for a later run ${wanted} (account ${s.account}): added after the pushed commit; the run of its own push releases it`,
      );
      // And the run of its own push (a direct push) sends nothing new either.
      const own = await s.run({ event: 'push' });
      expectApplyRefused(own, wanted, 'not reviewed: the push has no merged pull request');
    },
  );
});
