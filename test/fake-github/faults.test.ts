import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/index.js';
import {
  appendWithCas,
  type LimitEvent,
  type Octokit,
  plainOctokit,
  rejected,
  repo,
  resilientOctokit,
} from './helpers.js';

let fake: FakeGitHub;
let octokit: Octokit;

beforeEach(async () => {
  fake = await startFakeGitHub({ files: { 'releases.ledger/a.jsonl': '' } });
  fake.addPullRequest({ number: 1, head: 'feature' });
  octokit = plainOctokit(fake);
});

afterEach(async () => {
  await fake.close();
});

describe('the API front', () => {
  it('requires the token, as "token" or "Bearer"', async () => {
    const wrong = await rejected(
      plainOctokit(fake, 'ghs_other').rest.git.getRef({
        ...repo,
        ref: 'heads/main',
      }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.data).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });

    const path = `${fake.url}/repos/octo-org/mail-releases/git/ref/heads/main`;
    expect((await fetch(path)).status).toBe(401);
    const bearer = await fetch(path, { headers: { authorization: 'Bearer ghs_fake_token' } });
    expect(bearer.status).toBe(200);
  });

  it('answers like api.github.com: JSON, rate-limit headers, 404 for unknown routes', async () => {
    const { headers } = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['x-ratelimit-limit']).toBe('1000');
    expect(Number(headers['x-ratelimit-remaining'])).toBeLessThan(1000);
    expect(headers['x-ratelimit-resource']).toBe('core');

    const unknown = [
      () => octokit.request('GET /repos/{owner}/{repo}/actions/runs', repo),
      () =>
        octokit.request('GET /repos/{owner}/{repo}/git/refs/heads/main', {
          ...repo,
          owner: 'someone-else',
        }),
      () => octokit.request('DELETE /repos/{owner}/{repo}/git/refs/heads/main', repo),
    ];
    for (const call of unknown) {
      const response = await rejected(call());
      expect(response.status).toBe(404);
      expect(response.data).toMatchObject({ message: 'Not Found' });
    }
  });

  it('logs every request with its status and body', async () => {
    fake.resetRequests();
    await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'hi' });
    await rejected(plainOctokit(fake, 'bad').rest.pulls.get({ ...repo, pull_number: 1 }));
    expect(fake.requests()).toEqual([
      {
        method: 'POST',
        path: '/repos/octo-org/mail-releases/issues/1/comments',
        status: 201,
        body: { body: 'hi' },
        at: expect.any(Number),
      },
      {
        method: 'GET',
        path: '/repos/octo-org/mail-releases/pulls/1',
        status: 401,
        at: expect.any(Number),
      },
    ]);
    fake.resetRequests();
    expect(fake.requests()).toEqual([]);
  });
});

describe('scripted faults', () => {
  it('matches method and path prefix, and lasts for count requests', async () => {
    fake.failNext({ method: 'GET', pathPrefix: '/contents' }, 'not-found', 2);
    fake.failNext({ pathPrefix: '/issues/' }, 'forbidden');
    const content = () =>
      octokit.rest.repos.getContent({ ...repo, path: 'releases.ledger/a.jsonl' });

    expect((await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).status).toBe(200);
    expect((await rejected(content())).status).toBe(404);
    expect((await rejected(content())).status).toBe(404);
    expect((await content()).status).toBe(200);

    const forbidden = await rejected(
      octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x' }),
    );
    expect(forbidden.status).toBe(403);
    expect(fake.comments(1)).toEqual([]);
  });

  it('a read-only token reads everything and writes nothing', async () => {
    fake.setReadOnlyToken(true);
    const head = fake.headSha();
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).status).toBe(200);
    const writes = [
      () => octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'plan' }),
      () => octokit.rest.git.createBlob({ ...repo, content: 'x' }),
      () => octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: head }),
    ];
    for (const write of writes) {
      const response = await rejected(write());
      expect(response.status).toBe(403);
      expect(response.data).toMatchObject({ message: 'Resource not accessible by integration' });
    }
    expect(fake.comments(1)).toEqual([]);

    fake.setReadOnlyToken(false);
    await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'plan' });
    expect(fake.comments(1)).toHaveLength(1);
  });

  it('a secondary rate limit carries retry-after and is retried by plugin-throttling', async () => {
    fake.failNext({ method: 'POST', pathPrefix: '/issues/1/comments' }, 'secondary-rate-limit');
    const plain = await rejected(
      octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x' }),
    );
    expect(plain.status).toBe(403);
    expect(plain.headers['retry-after']).toBe('1');
    expect(plain.data).toMatchObject({ message: expect.stringMatching(/secondary rate limit/) });

    fake.failNext({ method: 'POST', pathPrefix: '/issues/1/comments' }, 'secondary-rate-limit');
    const events: LimitEvent[] = [];
    const created = await resilientOctokit(fake, events).rest.issues.createComment({
      ...repo,
      issue_number: 1,
      body: 'summary',
    });
    expect(created.status).toBe(201);
    expect(events).toEqual([{ kind: 'secondary', retryAfter: 1, retryCount: 0 }]);
    expect(fake.comments(1).map((c) => c.body)).toEqual(['summary']);
  });

  it('a primary rate limit empties the budget until a reset 1-2 s ahead, then is retried', async () => {
    fake.failNext({ pathPrefix: '/git/ref/' }, 'primary-rate-limit');
    const limited = await rejected(octokit.rest.git.getRef({ ...repo, ref: 'heads/main' }));
    expect(limited.status).toBe(403);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    const resetIn = Number(limited.headers['x-ratelimit-reset']) - Date.now() / 1000;
    expect(resetIn).toBeGreaterThan(0);
    expect(resetIn).toBeLessThanOrEqual(2);

    fake.failNext({ pathPrefix: '/git/ref/' }, 'primary-rate-limit');
    const events: LimitEvent[] = [];
    const { data } = await resilientOctokit(fake, events).rest.git.getRef({
      ...repo,
      ref: 'heads/main',
    });
    expect(data.object.sha).toBe(fake.headSha());
    expect(events.map((e) => e.kind)).toEqual(['primary']);
  });

  it('server errors are retried by plugin-retry and leave no trace', async () => {
    fake.failNext({ method: 'POST', pathPrefix: '/git/blobs' }, 'server-error', 2);
    fake.resetRequests();
    const { data } = await resilientOctokit(fake).rest.git.createBlob({ ...repo, content: 'x' });
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(fake.requests().map((r) => r.status)).toEqual([500, 500, 201]);
  });

  it('a full commit goes through with the resilient client despite a 5xx on the ref update', async () => {
    fake.failNext({ method: 'PATCH', pathPrefix: '/git/refs/heads/main' }, 'server-error');
    const { sha } = await appendWithCas(resilientOctokit(fake), {
      path: 'releases.ledger/a.jsonl',
      text: '{"id":"a"}\n',
    });
    expect(fake.headSha()).toBe(sha);
    expect(fake.readFile('releases.ledger/a.jsonl')).toBe('{"id":"a"}\n');
  });
});
