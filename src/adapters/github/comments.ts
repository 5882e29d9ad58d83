// Pull-request comments: one page walk to list them, then one call per comment written.
// Which comment is ours is decided by pure code (core/render/comment.ts).
import type { IssueComment } from '../../core/render/comment.js';
import type { GitHubClient } from './octokit.js';

export interface Repo {
  owner: string;
  repo: string;
}

export async function listComments(
  gh: GitHubClient,
  repo: Repo,
  issue: number,
): Promise<IssueComment[]> {
  const all = await gh.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    ...repo,
    issue_number: issue,
    per_page: 100,
  });
  return all.map((c) => ({
    id: c.id,
    body: c.body ?? '',
    user: c.user ? { login: c.user.login, type: c.user.type } : null,
  }));
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'forbidden';

/** Creates or updates our comment. A read-only token (fork pull request) is not an error. */
export async function upsertComment(
  gh: GitHubClient,
  repo: Repo,
  issue: number,
  existing: IssueComment | undefined,
  body: string,
): Promise<WriteOutcome> {
  try {
    if (existing) {
      if (existing.body === body) return 'unchanged';
      await gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        ...repo,
        comment_id: existing.id,
        body,
      });
      return 'updated';
    }
    await gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repo,
      issue_number: issue,
      body,
    });
    return 'created';
  } catch (error) {
    if ((error as { status?: number }).status === 403) return 'forbidden';
    throw error;
  }
}
