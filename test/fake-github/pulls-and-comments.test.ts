import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/index.js';
import { type Octokit, plainOctokit, rejected, repo } from './helpers.js';

let fake: FakeGitHub;
let octokit: Octokit;

beforeEach(async () => {
  fake = await startFakeGitHub();
  octokit = plainOctokit(fake);
});

afterEach(async () => {
  await fake.close();
});

describe('pull requests', () => {
  it('finds the merged PR of a merge commit, and none for a direct push', async () => {
    const merge = fake.commitFiles('main', { 'releases.yaml': 'v: 1\n' }, 'Merge pull request #7');
    fake.addPullRequest({
      number: 7,
      head: 'add-release',
      mergeCommitSha: merge,
      title: 'Release',
    });

    const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: merge,
    });
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      number: 7,
      state: 'closed',
      base: { ref: 'main' },
      head: { ref: 'add-release' },
      title: 'Release',
      user: { login: 'octocat' },
    });
    expect(data[0]?.merged_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const direct = fake.commitFiles('main', { 'x.txt': 'x' }, 'direct push');
    const none = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: direct,
    });
    expect(none.data).toEqual([]);

    fake.associateCommit(direct, 7);
    const associated = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: direct,
    });
    expect(associated.data.map((p) => p.number)).toEqual([7]);

    const unknown = await rejected(
      octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...repo,
        commit_sha: 'f'.repeat(40),
      }),
    );
    expect(unknown.status).toBe(422);
  });

  it('serves a single PR, open or merged', async () => {
    fake.addPullRequest({ number: 3, head: 'feature', user: 'alice' });
    const { data: open } = await octokit.rest.pulls.get({ ...repo, pull_number: 3 });
    expect(open).toMatchObject({ number: 3, state: 'open', merged: false, merged_at: null });
    expect(open.head.sha).toBe(fake.headSha());

    fake.addPullRequest({ number: 4, head: 'other', merged: true });
    const { data: merged } = await octokit.rest.pulls.get({ ...repo, pull_number: 4 });
    expect(merged).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: fake.headSha(),
    });

    expect((await rejected(octokit.rest.pulls.get({ ...repo, pull_number: 99 }))).status).toBe(404);
  });
});

describe('issue comments', () => {
  beforeEach(() => {
    fake.addPullRequest({ number: 1, head: 'feature' });
  });

  it('pages comments with a link header like GitHub', async () => {
    for (let i = 1; i <= 5; i++) {
      fake.addComment(1, `comment ${i}`, { login: 'alice', type: 'User' });
    }
    const first = await octokit.rest.issues.listComments({ ...repo, issue_number: 1, per_page: 2 });
    expect(first.data.map((c) => c.body)).toEqual(['comment 1', 'comment 2']);
    const base = `${fake.url}/repos/octo-org/mail-releases/issues/1/comments?per_page=2`;
    expect(first.headers.link).toBe(`<${base}&page=2>; rel="next", <${base}&page=3>; rel="last"`);

    const middle = await octokit.rest.issues.listComments({
      ...repo,
      issue_number: 1,
      per_page: 2,
      page: 2,
    });
    expect(middle.headers.link).toBe(
      `<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", ` +
        `<${base}&page=3>; rel="last", <${base}&page=1>; rel="first"`,
    );

    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      ...repo,
      issue_number: 1,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual([1, 2, 3, 4, 5].map((i) => `comment ${i}`));

    const single = await octokit.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(single.data).toHaveLength(5);
    expect(single.headers.link).toBeUndefined();
  });

  it("creates, reads and edits the bot's own comment", async () => {
    const created = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: 1,
      body: 'a',
    });
    expect(created.status).toBe(201);
    expect(created.data.user).toMatchObject({ login: 'github-actions[bot]', type: 'Bot' });

    const id = created.data.id;
    const updated = await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body: 'b' });
    expect(updated.data.body).toBe('b');
    const { data: read } = await octokit.rest.issues.getComment({ ...repo, comment_id: id });
    expect(read.body).toBe('b');
    expect(fake.comments(1)).toEqual([
      {
        id,
        body: 'b',
        user: { login: 'github-actions[bot]', type: 'Bot' },
        created_at: created.data.created_at,
        updated_at: expect.any(String),
      },
    ]);
  });

  it("refuses to edit someone else's comment, even one carrying the marker", async () => {
    const id = fake.addComment(1, '<!-- quarantine-release -->\nhijack', {
      login: 'mallory',
      type: 'User',
    });
    const response = await rejected(
      octokit.rest.issues.updateComment({ ...repo, comment_id: id, body: 'x' }),
    );
    expect(response.status).toBe(403);
    expect(response.data).toMatchObject({ message: 'Resource not accessible by integration' });
    expect(fake.comments(1)[0]?.body).toBe('<!-- quarantine-release -->\nhijack');
  });

  it('refuses a body over 65,536 characters', async () => {
    const response = await rejected(
      octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x'.repeat(65_537) }),
    );
    expect(response.status).toBe(422);
    expect(response.data).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'IssueComment',
          code: 'custom',
          field: 'body',
          message: 'body is too long (maximum is 65536 characters)',
        },
      ],
    });
    expect(fake.comments(1)).toEqual([]);

    const atLimit = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: 1,
      body: 'x'.repeat(65_536),
    });
    expect(atLimit.status).toBe(201);
    const tooLongEdit = await rejected(
      octokit.rest.issues.updateComment({
        ...repo,
        comment_id: atLimit.data.id,
        body: 'y'.repeat(65_537),
      }),
    );
    expect(tooLongEdit.status).toBe(422);
  });

  it('answers 404 for unknown issues and comments', async () => {
    const calls = [
      () => octokit.rest.issues.listComments({ ...repo, issue_number: 2 }),
      () => octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: 'x' }),
      () => octokit.rest.issues.getComment({ ...repo, comment_id: 1 }),
      () => octokit.rest.issues.updateComment({ ...repo, comment_id: 1, body: 'x' }),
    ];
    for (const call of calls) expect((await rejected(call())).status).toBe(404);
  });
});
