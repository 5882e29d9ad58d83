// Merges that land close together, through the bundled action: two pull requests planned and
// merged before either push run starts. Each run releases the entries of its own pushed
// commit that were reviewed on its own pull request; entries merged later wait for their own
// run, and entries reviewed elsewhere are refused one by one, never blocking the rest.
import { describe, expect, it } from 'vitest';
import { type ActionScenario, mergePr, openPr, scenarioForThisTest } from '../support/action.js';

/** Two pull requests, each planned on its own branch, then both merged: returns the merges. */
async function twoMergedPrs(x: ActionScenario) {
  const [a1, a2, b1, b2] = x.quarantined(4) as [string, string, string, string];
  // Both branched from main before either merged: each plans only its own entries.
  const first = await x.run({
    event: 'pull_request',
    pr: 1,
    sha: openPr(x, 1, x.releasesYaml([a1, a2])),
  });
  const second = await x.run({
    event: 'pull_request',
    pr: 2,
    sha: openPr(x, 2, x.releasesYaml([b1, b2])),
  });
  expect(first.code, first.stdout).toBe(0);
  expect(second.code, second.stdout).toBe(0);
  const m1 = mergePr(x, 1, x.releasesYaml([a1, a2]));
  const m2 = mergePr(x, 2, x.releasesYaml([a1, a2, b1, b2]));
  return { a: [a1, a2], b: [b1, b2], m1, m2 };
}

describe.concurrent('two pull requests merged before their push runs', () => {
  it('the two runs in order: each releases its own entries, nothing is refused, each message once', async (t) => {
    const s = await scenarioForThisTest(t);
    const { a, b, m1, m2 } = await twoMergedPrs(s);

    // PR #1's run sees PR #2's entries at the head: left for PR #2's run, not an error.
    const r1 = await s.run({ event: 'push', sha: m1 });
    expect(r1.code, r1.stdout).toBe(0);
    expect(r1.outputs).toMatchObject({ released: '2', refused: '0', later: '2' });
    expect([...s.deliveries().keys()].sort()).toEqual([...a].sort());
    expect(r1.stdout).toContain('left for a later run');
    expect(r1.summary).toContain('2 message(s) left for a later run');
    expect(s.gh.comments(1)[0]?.body).toContain('✅ Applied on merge');
    // The checkout is at the pushed commit: its releases.yaml is read there, not downloaded.
    expect(r1.github.filter((q) => q.path.includes('/contents/'))).toEqual([]);
    expect(r1.github.length, 'GitHub calls').toBeLessThanOrEqual(12);

    // A workflow that checks out the branch head instead: the file is asked of GitHub.
    const r2 = await s.run({ event: 'push', sha: m2, checkout: s.gh.headSha('main') });
    expect(r2.code, r2.stdout).toBe(0);
    expect(r2.outputs).toMatchObject({ released: '2', refused: '0', later: '0' });
    expect(r2.github.filter((q) => q.path.includes('/contents/'))).toHaveLength(1);
    expect(r2.github.length, 'GitHub calls').toBeLessThanOrEqual(12);

    const deliveries = s.deliveries();
    expect([...deliveries.keys()].sort()).toEqual([...a, ...b].sort());
    expect([...deliveries.values()]).toEqual([1, 1, 1, 1]);
    expect(s.releasePosts()).toBe(2);
    // Each run recorded its own pull request.
    const pending = s.ledgerLines().filter((l) => l.state === 'pending');
    expect(pending.map((l) => [l.id, l.pull_request])).toEqual([
      [a[0], 1],
      [a[1], 1],
      [b[0], 2],
      [b[1], 2],
    ]);
  });

  it('only the second run runs (the first was cancelled): the first PR’s entries are refused as not reviewed there; a dispatch releases nothing new, re-running the first run releases them', async (t) => {
    const s = await scenarioForThisTest(t);
    const { a, b, m1, m2 } = await twoMergedPrs(s);

    const r2 = await s.run({ event: 'push', sha: m2 });
    expect(r2.code, r2.stdout).toBe(1);
    expect(r2.outputs).toMatchObject({ released: '2', refused: '2', later: '0' });
    expect([...s.deliveries().keys()].sort()).toEqual([...b].sort());
    for (const id of a)
      expect(r2.stdout).toContain(
        `refused  ${id}  not in the plan reviewed on PR #2 (its disposition or attempt differs, or it was added later)`,
      );
    expect(r2.stdout).toMatch(/::error::not every message was released \(.*2 refused\)/);
    // The comment shows both: what was released and what was refused, and why.
    const comment = s.gh.comments(2)[0]?.body ?? '';
    expect(comment).toContain('✅ Applied on merge');
    expect(comment).toContain('2 message(s) refused');
    expect(comment).toContain('not in the plan reviewed on PR');
    expect(r2.summary).toContain('2 refused');
    // Nothing was written for the refused ones: a later run plans them afresh.
    expect(s.ledgerLines().filter((l) => a.includes(l.id as string))).toEqual([]);

    // Someone runs the workflow by hand: no pull request reviewed anything, so nothing new goes.
    const dispatch = await s.run({ event: 'workflow_dispatch' });
    expect(dispatch.code, dispatch.stdout).toBe(1);
    expect(dispatch.stdout).toContain(
      'the run was started by hand (workflow_dispatch), not by a merge, so no plan was reviewed',
    );
    expect(s.releasePosts()).toBe(1);

    // Re-running the cancelled run of the first merge holds its entries to PR #1's review.
    const rerun = await s.run({ event: 'push', sha: m1 });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.outputs).toMatchObject({ released: '2', refused: '0' });
    expect([...s.deliveries().values()]).toEqual([1, 1, 1, 1]);
    expect(s.releasePosts()).toBe(2);
  });

  it('an entry reverted at the head after its merge is never released by the earlier run', async (t) => {
    const s = await scenarioForThisTest(t);
    const [keep, reverted] = s.quarantined(2) as [string, string];
    const yaml = s.releasesYaml([keep, reverted]);
    await s.run({ event: 'pull_request', pr: 3, sha: openPr(s, 3, yaml) });
    const merge = mergePr(s, 3, yaml);
    s.gh.commitFiles('main', { 'releases.yaml': s.releasesYaml([keep]) }, 'Revert one entry');
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ released: '1', refused: '0', later: '0' });
    expect([...s.deliveries().keys()]).toEqual([keep]);
  });
});
