// The bundled action, run as the runner runs it, against a fake GitHub API and the emulator:
// plan on pull requests, apply on merge with its two ledger commits, races on the branch, a
// re-run, a kill between the pending commit and the POST, forks, hijack attempts, limits.
import { describe, expect, it } from 'vitest';
import {
  type ActionScenario,
  mergePr as mergePrAs,
  openPr as openPrAs,
  type PrAuthor,
  planAndMerge as planAndMergeAs,
  scenarioForThisTest,
} from '../support/action.js';
import { commitSealed } from '../support/sealed.js';

const BOT = { login: 'github-actions[bot]', type: 'Bot' as const };

/** Octokit sends the ref parameter encoded: heads%2Fmain. */
const isMainRef = (path: string) => decodeURIComponent(path).endsWith('/git/refs/heads/main');

// The pull requests here are Alice's.
const ALICE: PrAuthor = { author: 'Alice <alice@example.com>', user: 'alice' };
const openPr = (x: ActionScenario, n: number, yaml: string) => openPrAs(x, n, yaml, ALICE);
const mergePr = (x: ActionScenario, n: number, yaml: string) => mergePrAs(x, n, yaml, ALICE);
/** Opened, planned, approved and merged: the pushed sha. */
const planAndMerge = async (x: ActionScenario, n: number, yaml: string) =>
  (await planAndMergeAs(x, n, yaml, ALICE)).sha;

describe.concurrent('the action on a pull request (plan)', () => {
  it('posts one sticky comment per account, writes the summary, and updates the comment in place', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(3);
    const sha = openPr(s, 7, s.releasesYaml(ids));
    const r = await s.run({ event: 'pull_request', pr: 7, sha });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ mode: 'plan', 'to-release': '3' });
    expect(r.stdout.split('\n').filter((l) => /^::(end)?group::/.test(l))).toEqual([
      '::group::Load',
      '::endgroup::',
      '::group::Screen with Cloudflare',
      '::endgroup::',
    ]);
    const comments = s.gh.comments(7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.user.login).toBe('github-actions[bot]');
    expect(comments[0]?.body).toMatch(
      new RegExp(
        // Each of the 3 entries' digest (8 characters) follows the fingerprint.
        `^<!-- quarantine-release account=${s.account} plan=[0-9a-f]{32} basis=dispositions entries=[A-Za-z0-9_-]{24} -->`,
      ),
    );
    expect(comments[0]?.body).toContain(
      '📋 Plan: nothing is released until this pull request is merged',
    );
    for (const id of ids) expect(comments[0]?.body).toContain(id);
    expect(r.summary).toContain('quarantine-release plan');
    expect(s.releasePosts()).toBe(0);
    // The comments, the base's tree (its ledger: the pull request may not change it; the
    // checkout has the same files, so no blob is downloaded), the new comment.
    expect(r.github.map((q) => `${q.method} ${q.path.split('?')[0]}`)).toEqual([
      'GET /repos/octo-org/mail-releases/issues/7/comments',
      `GET /repos/octo-org/mail-releases/git/trees/${s.gh.headSha('main')}`,
      'POST /repos/octo-org/mail-releases/issues/7/comments',
    ]);

    // The author adds a message: the same comment is edited, no second one appears.
    const more = s.quarantined(4);
    const sha2 = s.gh.commitFiles(
      'feature-7',
      { 'releases.yaml': s.releasesYaml(more) },
      'one more',
    );
    const again = await s.run({ event: 'pull_request', pr: 7, sha: sha2 });
    expect(again.code).toBe(0);
    expect(s.gh.comments(7)).toHaveLength(1);
    expect(s.gh.comments(7)[0]?.body).toContain(more[3]);
    expect(again.github.filter((q) => q.method === 'PATCH')).toHaveLength(1);
  });

  it('annotates each problem of an invalid file on its exact line and fails, with no Cloudflare call', async (t) => {
    const s = await scenarioForThisTest(t);
    const yaml = `version: 1\naccount_id: ${s.account}\nreleases:\n  - id: 123456789012345678901234\n    reason: x\n  - id: ${s.quarantined(1)[0]}\n    reasn: y\n`;
    const sha = openPr(s, 3, yaml);
    const r = await s.run({ event: 'pull_request', pr: 3, sha });
    expect(r.code).toBe(1);
    expect(
      r.annotations
        .filter((a) => a.level === 'error' && a.file)
        .map((a) => [a.file, a.line, a.col]),
    ).toEqual([
      ['releases.yaml', 4, 9],
      // `reasn`: one problem, the typo, not also the missing `reason`.
      ['releases.yaml', 7, 5],
    ]);
    expect(r.annotations[0]?.message).toContain('quote it');
    expect(r.annotations[1]?.message).toContain('did you mean `reason`?');
    expect(r.stdout).toMatch(/::error::.*problem\(s\) in releases\.yaml; nothing can be planned/);
    const comments = s.gh.comments(3);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body.startsWith('<!-- quarantine-release file -->')).toBe(true);
    expect(r.summary).toContain('releases.yaml:4:9');
    expect(s.emulator.truth().requests).toEqual([]);

    // Fixed: the same comment says so, and the plan comment appears.
    const fixed = s.gh.commitFiles(
      'feature-3',
      { 'releases.yaml': s.releasesYaml(s.quarantined(1)) },
      'fix',
    );
    const ok = await s.run({ event: 'pull_request', pr: 3, sha: fixed });
    expect(ok.code).toBe(0);
    const after = s.gh.comments(3);
    expect(after).toHaveLength(2);
    expect(after[0]?.body).toContain('It reads again');
  });

  it('a fork pull request (read-only token, no secrets) still plans: summary only, no failure', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = openPr(s, 9, s.releasesYaml(s.quarantined(2)));
    s.gh.setReadOnlyToken(true);
    const r = await s.run({
      event: 'pull_request',
      pr: 9,
      sha,
      fork: true,
      inputs: { 'api-token': '' },
    });
    expect(r.code, r.stderr).toBe(0);
    // A read-only token still reads the base's ledger (the pull request may not change it).
    expect(r.github.map((q) => `${q.method} ${q.path.split('?')[0]}`)).toEqual([
      `GET /repos/octo-org/mail-releases/git/trees/${s.gh.headSha('main')}`,
    ]);
    expect(r.summary).toContain('To release (2)');
    expect(r.stdout).toContain('Pull request from a fork');
  });

  it('a read-only token that is not a fork: the comment is refused, the run warns and succeeds', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = openPr(s, 4, s.releasesYaml(s.quarantined(1)));
    s.gh.setReadOnlyToken(true);
    const r = await s.run({ event: 'pull_request', pr: 4, sha });
    expect(r.code, r.stderr).toBe(0);
    expect(r.annotations.map((a) => a.level)).toContain('warning');
    expect(s.gh.comments(4)).toEqual([]);
  });

  it('never edits a comment by someone else that carries the marker', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = openPr(s, 5, s.releasesYaml(s.quarantined(1)));
    const fake = `<!-- quarantine-release account=${s.account} -->\nApproved, release everything!`;
    s.gh.addComment(5, fake, { login: 'mallory', type: 'User' });
    const r = await s.run({ event: 'pull_request', pr: 5, sha });
    expect(r.code).toBe(0);
    const comments = s.gh.comments(5);
    expect(comments).toHaveLength(2);
    expect(comments[0]?.body).toBe(fake);
    expect(comments[1]?.user.login).toBe(BOT.login);
  });

  it('keeps a huge plan under the comment limit, pointing to the job summary', async (t) => {
    const s = await scenarioForThisTest(t, { emulator: { messagesPerAccount: 3000 } });
    const ids = s.quarantined(1200);
    const sha = openPr(s, 11, s.releasesYaml(ids));
    const r = await s.run({ event: 'pull_request', pr: 11, sha });
    expect(r.code, r.stderr).toBe(0);
    const body = s.gh.comments(11)[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(60_000);
    expect(body).toContain('more not shown here; see the job summary');
    expect(r.summary).toContain(ids[1199]);
  });

  it('runs on Node 20, this machine’s version, as well as on Node 24, the runner’s (every other run)', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = openPr(s, 12, s.releasesYaml(s.quarantined(1)));
    const r = await s.run({ event: 'pull_request', pr: 12, sha, node: process.execPath });
    expect(r.code, r.stderr).toBe(0);
    expect(s.gh.comments(12)).toHaveLength(1);
    // The apply on merge too: pending commit, POST, outcome commit, results comment.
    const merge = await planAndMerge(s, 13, s.releasesYaml(s.quarantined(2)));
    const applied = await s.run({ event: 'push', sha: merge, node: process.execPath });
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.outputs.released).toBe('2');
    expect([...s.deliveries().values()]).toEqual([1, 1]);
  });

  it('does nothing, with a clear message, on an event it does not handle', async (t) => {
    const s = await scenarioForThisTest(t);
    const r = await s.run({ event: 'issues' });
    expect(r.code).toBe(0);
    expect(r.outputs.mode).toBe('none');
    expect(r.stdout).toContain('the issues event does not plan or apply releases');
    expect(r.github).toEqual([]);
  });
});

describe.concurrent('the action on merge (apply)', () => {
  it('commits pending before the POST, then the outcomes, and reports on the merged pull request', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(3);
    const yaml = s.releasesYaml(ids);
    const prHead = openPr(s, 21, yaml);
    await s.run({ event: 'pull_request', pr: 21, sha: prHead });
    const merge = mergePr(s, 21, yaml);

    const originalHead = s.gh.headSha('main');
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The log reads like the pipeline: one group per phase, each closed, the results outside.
    const groups = r.stdout.split('\n').filter((l) => /^::(end)?group::/.test(l));
    expect(groups).toEqual([
      '::group::Load',
      '::endgroup::',
      '::group::Read back earlier sends',
      '::endgroup::',
      '::group::Screen with Cloudflare',
      '::endgroup::',
      '::group::Send',
      '::endgroup::',
    ]);
    // The pending commit was on the branch before the release request left.
    const refUpdates = r.github.filter((q) => q.method === 'PATCH' && isMainRef(q.path));
    expect(refUpdates.map((q) => q.status)).toEqual([200, 200]);
    const post = s.emulator.truth().requests.find((q) => q.method === 'POST');
    expect(refUpdates[0]?.at).toBeLessThanOrEqual(Date.parse(post?.at ?? ''));
    expect(refUpdates[1]?.at).toBeGreaterThanOrEqual(Date.parse(post?.at ?? ''));
    expect(r.outputs).toMatchObject({
      mode: 'apply',
      released: '3',
      partial: '0',
      failed: '0',
      unknown: '0',
      pending: '0',
    });

    const history = s.gh.commits('main');
    expect(history[0]?.message).toMatch(
      /^quarantine-release: outcomes of 3 message\(s\): 3 released \[skip ci\]/,
    );
    expect(history[1]?.message).toMatch(
      /^quarantine-release: pending release of 3 message\(s\) \[skip ci\]/,
    );
    expect(history[1]?.message).toContain('Pull request: #21');
    expect(history[1]?.message).toContain(
      'Run: https://github.com/octo-org/mail-releases/actions/runs/',
    );
    expect(history[2]?.sha).toBe(originalHead);

    const lines = s.ledgerLines();
    expect(lines.map((l) => [l.id, l.state])).toEqual([
      ...ids.map((id) => [id, 'pending']),
      ...ids.map((id) => [id, 'released']),
    ]);
    expect(lines[0]).toMatchObject({
      pull_request: 21,
      commit: merge,
      actor: 'octocat',
      ticket: 'SEC-7',
    });
    expect([...s.deliveries().values()]).toEqual([1, 1, 1]);

    // The PR's comment now carries the results, edited in place.
    const comments = s.gh.comments(21);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('✅ Applied on merge');
    expect(comments[0]?.body).toContain('3 released');
    expect(r.summary).toContain('**Result:** 3 released');
    // GitHub calls stay few and constant in the number of messages.
    expect(r.github.length).toBeLessThanOrEqual(12);
  });

  it('the number of GitHub calls does not grow with the number of messages', async (t) => {
    const s = await scenarioForThisTest(t, { emulator: { messagesPerAccount: 800 } });
    const few = s.quarantined(2);
    const many = s.quarantined(250);
    const first = await s.run({
      event: 'push',
      sha: await planAndMerge(s, 31, s.releasesYaml(few)),
    });
    const second = await s.run({
      event: 'push',
      sha: await planAndMerge(s, 32, s.releasesYaml(many)),
    });
    expect(first.code).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(second.outputs.released).toBe('248');
    expect(second.github.length).toBe(first.github.length);
    expect(second.github.length).toBeLessThanOrEqual(12);
  });

  it('a re-run releases nothing and commits nothing', async (t) => {
    const s = await scenarioForThisTest(t);
    const merge = await planAndMerge(s, 22, s.releasesYaml(s.quarantined(2)));
    expect((await s.run({ event: 'push', sha: merge })).code).toBe(0);
    const commits = s.gh.commits('main').length;
    const again = await s.run({ event: 'push', sha: merge });
    expect(again.code).toBe(0);
    expect(s.gh.commits('main')).toHaveLength(commits);
    expect(s.releasePosts()).toBe(1);
    expect(again.outputs.released).toBe('0');
  });

  it('the branch moves between read and write: re-read, re-plan, commit on the new head', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const merge = await planAndMerge(s, 23, s.releasesYaml(ids));
    s.gh.moveBranchBeforeNextRefUpdate(
      { 'docs/notes.md': 'someone else pushed\n' },
      'Unrelated push',
    );
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('the ledger moved while this run was writing');
    expect(s.gh.readFile('docs/notes.md')).toBe('someone else pushed\n');
    expect(s.ledgerLines().map((l) => l.state)).toEqual([
      'pending',
      'pending',
      'released',
      'released',
    ]);
    expect([...s.deliveries().values()]).toEqual([1, 1]);
  });

  it('another run released the same message meanwhile: it is not sent again', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const merge = await planAndMerge(s, 24, s.releasesYaml(ids));
    // The concurrent push is another run's ledger commit: the first message is released.
    const line = JSON.stringify({
      v: 1,
      account_id: s.account,
      id: ids[0],
      seq: 1,
      attempt: 1,
      state: 'released',
      at: '2026-11-24T10:00:00.000Z',
      via: 'release',
    });
    // Another run of the tool: its commit is sealed like ours.
    s.gh.beforeNextRefUpdate(() =>
      commitSealed(s?.gh as NonNullable<typeof s>['gh'], {
        'releases.ledger/2026-11.jsonl': `${line}\n`,
      }),
    );
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.deliveries().get(ids[0] as string)).toBeUndefined();
    expect(s.deliveries().get(ids[1] as string)).toBe(1);
    expect(r.outputs.released).toBe('1');
  });

  it('killed after the pending commit landed, before the POST: the next run verifies instead of re-sending blindly', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const merge = await planAndMerge(s, 25, s.releasesYaml(ids));
    let child: import('node:child_process').ChildProcess | undefined;
    s.gh.onHandled((req) => {
      // The pending commit is on the branch; the action dies before it hears so.
      if (req.method === 'PATCH' && req.status === 200 && isMainRef(req.path))
        child?.kill('SIGKILL');
    });
    const killed = await s.run({ event: 'push', sha: merge, onStart: (c) => (child = c) });
    expect(killed.signal).toBe('SIGKILL');
    expect(s.releasePosts()).toBe(0);
    expect(s.ledgerLines().map((l) => l.state)).toEqual(['pending', 'pending']);

    child = undefined;
    const next = await s.run({ event: 'push', sha: merge });
    expect(next.code, next.stderr + next.stdout).toBe(0);
    expect(next.stdout).toContain('Reading back 2 message(s)');
    expect([...s.deliveries().values()]).toEqual([1, 1]);
    expect(s.releasePosts()).toBe(1);
    expect(s.ledgerLines().map((l) => l.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'released',
      'released',
    ]);
  });

  it('pending in another run that is still going: left alone, then verified once that run ended', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const merge = await planAndMerge(s, 26, s.releasesYaml(ids));
    let child: import('node:child_process').ChildProcess | undefined;
    s.gh.onHandled((req) => {
      if (req.method === 'PATCH' && req.status === 200 && isMainRef(req.path))
        child?.kill('SIGKILL');
    });
    await s.run({ event: 'push', sha: merge, onStart: (c) => (child = c) });
    child = undefined;
    const pending = s.ledgerLines();
    expect(pending.map((l) => l.state)).toEqual(['pending', 'pending']);
    // That run is still going as far as GitHub knows: its POST may be on the way.
    const other = Number(/\/actions\/runs\/(\d+)$/.exec(String(pending[0]?.run))?.[1]);
    s.gh.setRunStatus(other, 'in_progress');

    const waiting = await s.run({ event: 'push', sha: merge });
    expect(waiting.code).toBe(1);
    expect(waiting.outputs.deferred).toBe('2');
    expect(waiting.stdout).toContain('left alone');
    expect(s.releasePosts()).toBe(0);
    expect(s.ledgerLines()).toEqual(pending);
    expect(
      waiting.github.some((q) => q.method === 'GET' && q.path.endsWith(`/actions/runs/${other}`)),
    ).toBe(true);

    s.gh.setRunStatus(other, 'completed');
    const next = await s.run({ event: 'push', sha: merge });
    expect(next.code, next.stderr + next.stdout).toBe(0);
    expect(next.outputs.deferred).toBe('0');
    expect(next.stdout).toContain('Reading back 2 message(s)');
    expect([...s.deliveries().values()]).toEqual([1, 1]);
    expect(s.releasePosts()).toBe(1);
  });

  it('a direct push without a pull request releases nothing new and says why; opted out, it applies', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = s.gh.commitFiles(
      'main',
      { 'releases.yaml': s.releasesYaml(s.quarantined(1)) },
      'direct push',
    );
    const refused = await s.run({ event: 'push', sha });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'Nothing new will be released: the push has no merged pull request (a direct push), so no plan was reviewed',
    );
    expect(refused.outputs.refused).toBe('1');
    expect(s.releasePosts()).toBe(0);

    const r = await s.run({
      event: 'push',
      sha,
      inputs: { 'require-reviewed-plan': 'false', 'required-approvals': '0' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('require-reviewed-plan is off');
    expect(r.stdout).toContain('Pushed without a pull request');
    expect(r.outputs.released).toBe('1');
  });

  it('a secondary rate limit on the comment is waited out and retried', async (t) => {
    const s = await scenarioForThisTest(t);
    const merge = await planAndMerge(s, 26, s.releasesYaml(s.quarantined(1)));
    // The plan's comment is edited into the results.
    s.gh.failNext({ method: 'PATCH', pathPrefix: '/issues/comments/' }, 'secondary-rate-limit');
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.gh.comments(26)).toHaveLength(1);
    expect(r.annotations.some((a) => a.message.includes('secondary rate limit'))).toBe(true);
  });

  it('refuses to release with an invalid file on the branch: annotations, no Cloudflare call, no commit', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = s.gh.commitFiles(
      'main',
      { 'releases.yaml': 'version: 1\nreleases: [\n' },
      'broken',
    );
    const commits = s.gh.commits('main').length;
    const r = await s.run({ event: 'push', sha });
    expect(r.code).toBe(1);
    expect(r.annotations.find((a) => a.level === 'error')).toMatchObject({
      file: 'releases.yaml',
    });
    expect(s.emulator.truth().requests).toEqual([]);
    expect(s.gh.commits('main')).toHaveLength(commits);
  });

  it('refuses mode apply on a pull request, and apply without Cloudflare credentials', async (t) => {
    const s = await scenarioForThisTest(t);
    const sha = openPr(s, 27, s.releasesYaml(s.quarantined(1)));
    const pr = await s.run({ event: 'pull_request', pr: 27, sha, inputs: { mode: 'apply' } });
    expect(pr.code).toBe(0);
    expect(pr.stdout).toContain('mode `apply` is refused on a pull request');
    const merge = mergePr(s, 27, s.releasesYaml(s.quarantined(1)));
    const noCreds = await s.run({ event: 'push', sha: merge, inputs: { 'api-token': '' } });
    expect(noCreds.code).toBe(1);
    expect(noCreds.stdout).toContain('no Cloudflare credentials');
    expect(s.releasePosts()).toBe(0);
  });
});
