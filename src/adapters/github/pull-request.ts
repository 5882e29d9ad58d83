// The merged pull request of a pushed commit, with its reviews and comments, in one GraphQL
// query: who approved which commit is read from GitHub's own record of reviews, and each
// comment comes with its author and its last editor, so a comment someone else edited is
// never taken for the tool's.
import type { IssueComment } from '../../core/render/comment.js';
import type { ReviewedPullRequest } from '../../core/safety/approval.js';
import type { GitHubClient } from './octokit.js';

export interface MergedPullRequest extends ReviewedPullRequest {
  comments: IssueComment[];
}

interface Login {
  login: string;
}

interface CommentNode {
  databaseId: number;
  body: string;
  author: Login | null;
  editor: Login | null;
}

interface CommentPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: CommentNode[];
}

interface PullNode {
  number: number;
  merged: boolean;
  baseRefName: string;
  headRefOid: string;
  author: Login | null;
  reviews: {
    nodes: {
      author: Login | null;
      state: string;
      submittedAt: string | null;
      commit: { oid: string } | null;
    }[];
  };
  comments: CommentPage;
}

const COMMENT_FIELDS =
  'pageInfo { hasNextPage endCursor } nodes { databaseId body author { login } editor { login } }';

const BY_COMMIT = `query QuarantineReleaseMergedPullRequest($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        associatedPullRequests(first: 10) {
          nodes {
            number merged baseRefName headRefOid
            author { login }
            reviews(last: 100) { nodes { author { login } state submittedAt commit { oid } } }
            comments(first: 100) { ${COMMENT_FIELDS} }
          }
        }
      }
    }
  }
}`;

const MORE_COMMENTS = `query QuarantineReleaseComments($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) { comments(first: 100, after: $after) { ${COMMENT_FIELDS} } }
  }
}`;

/** Comment pages read at most (100 each): our comments are among a pull request's first. */
const MAX_COMMENT_PAGES = 10;

/** The merged pull request `sha` came from on `base`, if any (a direct push has none). */
export async function mergedPullRequest(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  sha: string,
  base: string,
): Promise<MergedPullRequest | undefined> {
  const vars = { owner: repo.owner, name: repo.repo };
  const data = await gh.graphql<{
    repository: { object: { associatedPullRequests?: { nodes: PullNode[] } } | null } | null;
  }>(BY_COMMIT, { ...vars, oid: sha });
  const pulls = data.repository?.object?.associatedPullRequests?.nodes ?? [];
  const pr = pulls.find((p) => p.merged && p.baseRefName === base);
  if (!pr) return undefined;
  const comments = [...pr.comments.nodes];
  let page = pr.comments.pageInfo;
  for (let n = 1; page.hasNextPage && page.endCursor && n < MAX_COMMENT_PAGES; n++) {
    const more = await gh.graphql<{
      repository: { pullRequest: { comments: CommentPage } | null } | null;
    }>(MORE_COMMENTS, { ...vars, number: pr.number, after: page.endCursor });
    const got = more.repository?.pullRequest?.comments;
    if (!got) break;
    comments.push(...got.nodes);
    page = got.pageInfo;
  }
  return {
    number: pr.number,
    author: pr.author?.login,
    headOid: pr.headRefOid,
    reviews: pr.reviews.nodes.map((r) => ({
      author: r.author?.login,
      state: r.state,
      commit: r.commit?.oid,
      submittedAt: r.submittedAt ?? undefined,
    })),
    comments: comments.map((c) => ({
      id: c.databaseId,
      body: c.body,
      user: c.author ? { login: c.author.login } : null,
      editor: c.editor ? { login: c.editor.login } : null,
    })),
  };
}
