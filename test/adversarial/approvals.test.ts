// Approvals that do not count (issue 11, "Review fails closed"): on a push, apply releases
// anything new only when the merged pull request was approved on its final head commit by
// someone other than its author, not a bot, whose latest verdict is an approval. Otherwise
// nothing new is sent and the run says why. And what a reviewer approves is what the plan
// showed: an entry added after the plan, even approved on the final head, is not sent.
import { describe, expect, it } from 'vitest';
import { type ActionScenario, actionScenario, REVIEWER } from '../support/action.js';
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

describe.concurrent('approvals that do not count', () => {
  /** The plan is posted for `wanted`; the merge carries only the reviews `review` adds. */
  const approvals = (
    name: string,
    review: (s: ActionScenario, n: number) => void,
    reason: (s: ActionScenario, n: number) => string,
  ) =>
    attack(name, async (s, e) => {
      const wanted = wantedOf(s);
      const n = 60;
      const yaml = yamlWith(s, e, wanted);
      const head = openAttack(s, n, { 'releases.yaml': yaml });
      expect((await s.run({ event: 'pull_request', pr: n, sha: head })).code).toBe(0);
      review(s, n);
      const merged = mergeAttack(s, n, { 'releases.yaml': yaml }, { approvedBy: [] });
      const r = await s.run({ event: 'push', sha: merged });
      expect(r.stdout).toContain('::warning::Nothing new will be released: pull request #');
      expectApplyRefused(r, wanted, `not reviewed: ${reason(s, n)}`);
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

  attack('an approval on an earlier commit, then a push after it', async (s, e) => {
    const wanted = wantedOf(s);
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
    expectApplyRefused(
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
