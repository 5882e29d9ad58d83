// Attacks on review (issue 11, "Why" 3, and approvals; the plan comment's own attacks, its
// marker removed or forged, are in comment.test.ts): on a push, apply releases an entry only
// when the merged pull request's own plan comment reviewed it and the pull request was
// approved on its final head by someone other than its author. Without that (no pull request,
// a run by hand, comments off, an approval that does not count), nothing new is sent, and the
// run says why.
import { describe, expect, it } from 'vitest';
import { demoFixtures } from '../../src/emulator/index.js';
import {
  type ActionRun,
  type ActionScenario,
  actionScenario,
  REVIEWER,
} from '../support/action.js';
import {
  type Earlier,
  expectNothingSent,
  expectTrailAtHead,
  MALLORY,
  mergeAttack,
  openAttack,
  releasedEarlier,
} from './support.js';

/** The apply run refused `id` with `reason` (its line in the log) and sent nothing new. */
function expectRefused(r: ActionRun, id: string, reason: string): void {
  expect(r.code, r.stdout).toBe(1);
  const line = r.stdout.split('\n').find((l) => l.includes(`refused  ${id}  `));
  expect(line, r.stdout).toBeDefined();
  expect(line).toContain(`refused  ${id}  ${reason}`);
  expect(r.outputs.released ?? '0').toBe('0');
}

/** Each attack on its own repository whose ledger records one earlier release. */
const attack = (
  name: string,
  fn: (s: ActionScenario, earlier: Earlier, wanted: string) => Promise<void>,
) =>
  it(name, async () => {
    const s = await actionScenario();
    try {
      const earlier = await releasedEarlier(s, s.quarantined(1));
      // A quarantined, releasable message nobody reviewed the release of.
      const wanted = s.quarantined(2)[1] as string;
      await fn(s, earlier, wanted);
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    } finally {
      await s.close();
    }
  });

const yamlWith = (s: ActionScenario, e: Earlier, ...ids: string[]) =>
  s.releasesYaml([...e.ids, ...ids]);

describe.concurrent('no reviewed plan: nothing new is released', () => {
  attack(
    'comments turned off (comment: false): no comment, so no reviewed plan',
    async (s, e, wanted) => {
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
      expectRefused(
        r,
        wanted,
        `not reviewed: no plan for account ${s.account} was reviewed on PR #53`,
      );
    },
  );

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
      expectRefused(
        r,
        malicious,
        'not in the plan reviewed on PR #54 (its disposition or attempt differs, or it was added later)',
      );
    },
  );

  attack('a direct push to main (no pull request)', async (s, e, wanted) => {
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
    expectRefused(
      r,
      wanted,
      'not reviewed: the push has no merged pull request (a direct push), so no plan was reviewed',
    );
  });

  attack('workflow_dispatch on a head with an entry nobody reviewed', async (s, e, wanted) => {
    s.gh.commitFiles(
      'main',
      { 'releases.yaml': yamlWith(s, e, wanted) },
      'release it',
      MALLORY.author,
    );
    const r = await s.run({ event: 'workflow_dispatch' });
    expectRefused(
      r,
      wanted,
      'not reviewed: the run was started by hand (workflow_dispatch), not by a merge, so no plan was reviewed',
    );
  });

  attack(
    'workflow_dispatch on the merge commit of a reviewed, approved pull request',
    async (s, e, wanted) => {
      const yaml = yamlWith(s, e, wanted);
      const head = openAttack(s, 55, { 'releases.yaml': yaml });
      await s.run({ event: 'pull_request', pr: 55, sha: head });
      const merged = mergeAttack(s, 55, { 'releases.yaml': yaml });
      // A run by hand is not the merge's run, whichever commit it is on.
      const r = await s.run({ event: 'workflow_dispatch', sha: merged });
      expectRefused(r, wanted, 'not reviewed: the run was started by hand (workflow_dispatch)');
    },
  );

  attack(
    'a pull request merged into another branch, whose merge commit is then pushed to main',
    async (s, e, wanted) => {
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
      expectRefused(r, wanted, 'not reviewed: the push has no merged pull request (a direct push)');
    },
  );

  attack(
    "re-running an old reviewed merge's workflow after a direct push added an entry",
    async (s, e, wanted) => {
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
      expect(r.stdout).toContain(wanted);
    },
  );
});

describe.concurrent('approvals that do not count', () => {
  /** The plan is posted for `wanted`; the merge carries only the reviews `review` adds. */
  const approvals = (
    name: string,
    review: (s: ActionScenario, n: number) => void,
    reason: (s: ActionScenario, n: number) => string,
  ) =>
    attack(name, async (s, e, wanted) => {
      const n = 60;
      const yaml = yamlWith(s, e, wanted);
      const head = openAttack(s, n, { 'releases.yaml': yaml });
      expect((await s.run({ event: 'pull_request', pr: n, sha: head })).code).toBe(0);
      review(s, n);
      const merged = mergeAttack(s, n, { 'releases.yaml': yaml }, { approvedBy: [] });
      const r = await s.run({ event: 'push', sha: merged });
      expect(r.stdout).toContain('::warning::Nothing new will be released: pull request #');
      expectRefused(r, wanted, `not reviewed: ${reason(s, n)}`);
    });
  const none = (n: number, s: ActionScenario, note = '') =>
    `pull request #${n} has 0 approval(s) on its final commit ${s.gh.headSha(`feature-${n}`).slice(0, 7)} by someone other than its author, 1 required${note}`;

  approvals(
    'no approval at all',
    () => {},
    (s, n) => none(n, s),
  );
  approvals(
    "the author's own approval",
    (s, n) => s.gh.addReview(n, { user: MALLORY.user }),
    (s, n) => none(n, s, ' (not counted (the author or a bot): mallory)'),
  );
  approvals(
    'an approval by a bot',
    (s, n) => s.gh.addReview(n, { user: 'github-actions[bot]' }),
    (s, n) => none(n, s, ' (not counted (the author or a bot): github-actions[bot])'),
  );
  approvals(
    'an approval followed by changes requested by the same reviewer',
    (s, n) => {
      s.gh.addReview(n, { user: REVIEWER });
      s.gh.addReview(n, { user: REVIEWER, state: 'CHANGES_REQUESTED' });
    },
    (s, n) => none(n, s),
  );
  approvals(
    'an approval dismissed',
    (s, n) => {
      s.gh.addReview(n, { user: REVIEWER });
      s.gh.addReview(n, { user: REVIEWER, state: 'DISMISSED' });
    },
    (s, n) => none(n, s),
  );
  approvals(
    '"approved" written in a comment, not a review',
    (s, n) => {
      s.gh.addComment(n, 'LGTM, approved ✅', { login: REVIEWER, type: 'User' });
    },
    (s, n) => none(n, s),
  );

  attack('an approval on an earlier commit, then a push after it', async (s, e, wanted) => {
    const first = openAttack(s, 58, { 'releases.yaml': yamlWith(s, e) });
    await s.run({ event: 'pull_request', pr: 58, sha: first });
    s.gh.addReview(58, { user: REVIEWER, commit: first });
    // After the approval: the entry that matters, planned (the comment shows it) but not approved.
    const yaml = yamlWith(s, e, wanted);
    const head = s.gh.commitFiles(
      'feature-58',
      { 'releases.yaml': yaml },
      'one more',
      MALLORY.author,
    );
    await s.run({ event: 'pull_request', pr: 58, sha: head });
    const r = await s.run({
      event: 'push',
      sha: mergeAttack(s, 58, { 'releases.yaml': yaml }, { approvedBy: [] }),
    });
    expectRefused(
      r,
      wanted,
      `not reviewed: ${none(58, s, ` (approved before the last push only: ${REVIEWER})`)}`,
    );
  });
});

describe('an entry added after the plan was posted ([skip ci]), approved on the final head', () => {
  it('only the reviewed entry is released; the added one is refused and never sent', async () => {
    const s = await actionScenario();
    try {
      const [reviewed, added] = s.quarantined(2) as [string, string];
      const head = openAttack(s, 59, { 'releases.yaml': s.releasesYaml([reviewed]) });
      expect((await s.run({ event: 'pull_request', pr: 59, sha: head })).code).toBe(0);
      const yaml = s.releasesYaml([reviewed, added]);
      s.gh.commitFiles(
        'feature-59',
        { 'releases.yaml': yaml },
        'one more [skip ci]',
        MALLORY.author,
      );
      const r = await s.run({ event: 'push', sha: mergeAttack(s, 59, { 'releases.yaml': yaml }) });
      expect(r.code).toBe(1);
      expect(r.outputs).toMatchObject({ released: '1', refused: '1' });
      expect(r.stdout).toContain(
        `refused  ${added}  not in the plan reviewed on PR #59 (its disposition or attempt differs, or it was added later)`,
      );
      const posted = s.emulator
        .truth()
        .requests.flatMap((q) => (q.method === 'POST' ? (q.ids ?? []) : []));
      expect(posted).toEqual([reviewed]);
      // Who approved is in every record of the run.
      expect(s.ledgerLines().map((l) => [l.id, l.state, l.approved_by])).toEqual([
        [reviewed, 'pending', [REVIEWER]],
        [reviewed, 'released', [REVIEWER]],
      ]);
    } finally {
      await s.close();
    }
  });
});
