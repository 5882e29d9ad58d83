// A repository set up by `init`, through the bundled action against the fake GitHub API: its
// ledger folder holds only the README that keeps it in git, and reads as an empty ledger on
// the pull request that adds it, on the push that merges it and in the drift check; the first
// release then goes as usual, its shard beside the README.
import { describe, expect, it } from 'vitest';
import { setupFiles } from '../../src/core/setup/init.js';
import { mergePr, openPr, planAndMerge, REVIEWER, scenarioForThisTest } from '../support/action.js';

describe.concurrent('a repository set up by init', () => {
  it('plan, apply and the drift check read its ledger folder as an empty ledger; the first release goes', async (t) => {
    const s = await scenarioForThisTest(t);
    const files = Object.fromEntries(
      setupFiles({ action: 'OWNER/quarantine-release@v1', branch: 'main', account: s.account }).map(
        (f) => [f.path, f.text],
      ),
    );
    // The set-up pull request: planned (nothing asked, so no comment), approved, merged.
    const head = s.gh.commitFiles('setup', files, 'Set up quarantine-release');
    s.gh.addPullRequest({ number: 1, head: 'setup', base: 'main', merged: false });
    const plan = await s.run({ event: 'pull_request', pr: 1, sha: head });
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.outputs).toMatchObject({ mode: 'plan', 'to-release': '0' });
    expect(s.gh.comments(1)).toEqual([]);
    const merge = s.gh.commitFiles('main', files, 'Merge pull request #1');
    s.gh.addPullRequest({ number: 1, head: 'setup', base: 'main', mergeCommitSha: merge });
    s.gh.addReview(1, { user: REVIEWER });

    const apply = await s.run({ event: 'push', sha: merge });
    expect(apply.code, apply.stdout).toBe(0);
    expect(apply.outputs).toMatchObject({ mode: 'apply', released: '0', refused: '0' });
    const check = await s.run({ event: 'schedule' });
    expect(check.code, check.stdout).toBe(0);
    expect(check.outputs).toMatchObject({ mode: 'check', drift: '0', checked: '0' });
    // Neither wrote anything: the branch is the merge.
    expect(s.gh.headSha('main')).toBe(merge);

    const ids = s.quarantined(1);
    const { sha } = await planAndMerge(s, 2, s.releasesYaml(ids));
    const first = await s.run({ event: 'push', sha });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs.released).toBe('1');
    expect(s.gh.listFiles().filter((p) => p.startsWith('releases.ledger/'))).toEqual([
      expect.stringMatching(/^releases\.ledger\/\d{4}-\d{2}\.jsonl$/),
      'releases.ledger/README.md',
    ]);
    const after = await s.run({ event: 'schedule' });
    expect(after.code, after.stdout).toBe(0);
    expect(after.outputs).toMatchObject({ drift: '0', checked: '1' });
  });
});

describe.concurrent('apply runs of two merges at once (each commit in a concurrency group of its own)', () => {
  // The later run may plan before the earlier one has recorded anything: it then refuses the
  // earlier pull request's entry (not reviewed on its own), and plans again when the ledger
  // moves under its write; whether it ends green depends on the timing.
  it('each message is released once and recorded; a run can only be red for the other pull request’s entries', async (t) => {
    const x = await scenarioForThisTest(t);
    const [a, b] = x.quarantined(2) as [string, string];
    await x.run({ event: 'pull_request', pr: 1, sha: openPr(x, 1, x.releasesYaml([a])) });
    await x.run({ event: 'pull_request', pr: 2, sha: openPr(x, 2, x.releasesYaml([b])) });
    const m1 = mergePr(x, 1, x.releasesYaml([a]));
    const m2 = mergePr(x, 2, x.releasesYaml([a, b]));
    const runs = await Promise.all([
      x.run({ event: 'push', sha: m1 }),
      x.run({ event: 'push', sha: m2 }),
    ]);
    expect([...x.deliveries().entries()].sort()).toEqual(
      [
        [a, 1],
        [b, 1],
      ].sort(),
    );
    const states = new Map(x.ledgerLines().map((l) => [l.id, l.state]));
    expect(states.get(a)).toBe('released');
    expect(states.get(b)).toBe('released');
    expect(runs.some((r) => r.code === 0)).toBe(true);
    const [, second] = runs;
    if (second && second.code !== 0) {
      expect(second.outputs).toMatchObject({ released: '1', refused: '1' });
      expect(second.stdout).toContain(`refused  ${a}  not in the plan reviewed on PR #2`);
    }
  });
});
