// Clients built the way the action builds them, and the compare-and-swap ledger append it
// performs, so these tests exercise the fake through the same calls.
import { Octokit as Core } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { FakeGitHub } from '../support/fake-github/index.js';

export const TOKEN = 'ghs_fake_token';
export const OWNER = 'octo-org';
export const REPO = 'mail-releases';
export const repo = { owner: OWNER, repo: REPO };

// The product calls routes through `octokit.request`; tests use the `.rest` methods for brevity.
const Plain = Core.plugin(restEndpointMethods, paginateRest);
const Resilient = Core.plugin(restEndpointMethods, paginateRest, retry, throttling);
export type Octokit = InstanceType<typeof Plain>;

export function plainOctokit(fake: FakeGitHub, token = TOKEN): Octokit {
  return new Plain({ auth: token, baseUrl: fake.url });
}

export interface LimitEvent {
  kind: 'primary' | 'secondary';
  retryAfter: number;
  retryCount: number;
}

/**
 * An Octokit with plugin-retry and plugin-throttling. Waits are scaled down (100 ms per
 * second of retry-after, 10 ms back-off steps) so the tests stay short.
 */
export function resilientOctokit(fake: FakeGitHub, events: LimitEvent[] = []): Octokit {
  const onLimit =
    (kind: LimitEvent['kind']) =>
    (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
      events.push({ kind, retryAfter, retryCount });
      return retryCount < 2;
    };
  return new Resilient({
    auth: TOKEN,
    baseUrl: fake.url,
    retry: { retries: 2, retryAfterBaseValue: 10 },
    throttle: {
      retryAfterBaseValue: 100,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
  });
}

/** The HTTP status of an Octokit error, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number(error.status)
    : undefined;
}

/** Runs a call expected to fail and returns the RequestError's status and body. */
export async function rejected(
  call: Promise<unknown>,
): Promise<{ status: number | undefined; data: unknown; headers: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { data?: unknown; headers?: Record<string, unknown> } })
      .response;
    return { status: statusOf(error), data: response?.data, headers: response?.headers ?? {} };
  }
  throw new Error('expected the call to fail');
}

/**
 * Appends text to a file on a branch through the Git Data API: read the head, build a
 * commit on it, move the branch without force, and on 422 start over (bounded).
 */
export async function appendWithCas(
  octokit: Octokit,
  file: { branch?: string; path: string; text: string; attempts?: number },
): Promise<{ sha: string; attempts: number }> {
  const ref = `heads/${file.branch ?? 'main'}`;
  const maxAttempts = file.attempts ?? 3;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { data: head } = await octokit.rest.git.getRef({ ...repo, ref });
    const { data: commit } = await octokit.rest.git.getCommit({
      ...repo,
      commit_sha: head.object.sha,
    });
    const { data: tree } = await octokit.rest.git.getTree({
      ...repo,
      tree_sha: commit.tree.sha,
      recursive: '1',
    });
    const existing = tree.tree.find((e) => e.path === file.path)?.sha;
    const before = existing
      ? Buffer.from(
          (await octokit.rest.git.getBlob({ ...repo, file_sha: existing })).data.content,
          'base64',
        ).toString('utf8')
      : '';
    const { data: blob } = await octokit.rest.git.createBlob({
      ...repo,
      content: before + file.text,
      encoding: 'utf-8',
    });
    const { data: newTree } = await octokit.rest.git.createTree({
      ...repo,
      base_tree: commit.tree.sha,
      tree: [{ path: file.path, mode: '100644', type: 'blob', sha: blob.sha }],
    });
    const { data: newCommit } = await octokit.rest.git.createCommit({
      ...repo,
      message: `ledger: append to ${file.path}`,
      tree: newTree.sha,
      parents: [head.object.sha],
    });
    try {
      await octokit.rest.git.updateRef({ ...repo, ref, sha: newCommit.sha });
      return { sha: newCommit.sha, attempts: attempt };
    } catch (error) {
      if (statusOf(error) !== 422) throw error;
    }
  }
  throw new Error(`the branch moved on each of ${maxAttempts} attempts`);
}
