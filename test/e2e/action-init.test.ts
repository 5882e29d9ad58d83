// A repository set up by `init`, through the bundled action against the fake GitHub API: its
// ledger folder holds only the README that keeps it in git, and reads as an empty ledger on
// the pull request that adds it, on the push that merges it and in the drift check; the first
// release then goes as usual, its shard beside the README.
import { afterEach, describe, expect, it } from 'vitest';
import { setupFiles } from '../../src/core/setup/init.js';
import { type ActionScenario, actionScenario, planAndMerge, REVIEWER } from '../support/action.js';

let s: ActionScenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('a repository set up by init', () => {
  it('plan, apply and the drift check read its ledger folder as an empty ledger; the first release goes', async () => {
    s = await actionScenario();
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
