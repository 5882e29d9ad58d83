// Pull request and issue comment endpoints, shaped like api.github.com's answers.
import {
  failure,
  forbiddenForIntegration,
  githubTime,
  json,
  linkHeader,
  nodeId,
  notFound,
  pageParams,
  type Reply,
  unprocessable,
} from './http.js';
import type { IssueComment, PullRequest } from './issues.js';
import { bodyObject, htmlUrl, type Repo, type Route, type RouteRequest, userJson } from './repo.js';

/** GitHub's limit, counted in characters (code points), not UTF-16 units. */
const MAX_COMMENT_LENGTH = 65_536;

export function issueRoutes(repo: Repo): Route[] {
  const { git, issues } = repo;
  const startedAt = githubTime();

  function pullJson(req: RouteRequest, pull: PullRequest, detailed: boolean) {
    const { number, merge } = pull;
    const label = (ref: string) => `${repo.owner}:${ref}`;
    return {
      url: `${req.repoUrl}/pulls/${number}`,
      id: 1_500_000_000 + number,
      node_id: nodeId('PR', number),
      html_url: htmlUrl(repo, `/pull/${number}`),
      number,
      state: merge ? 'closed' : 'open',
      locked: false,
      title: pull.title,
      user: userJson(pull.user),
      body: null,
      created_at: pull.createdAt,
      updated_at: merge?.at ?? pull.createdAt,
      closed_at: merge?.at ?? null,
      merged_at: merge?.at ?? null,
      merge_commit_sha: merge?.sha ?? null,
      draft: false,
      head: { label: label(pull.head.ref), ref: pull.head.ref, sha: pull.head.sha },
      base: { label: label(pull.base), ref: pull.base, sha: git.ref(pull.base) ?? null },
      author_association: 'CONTRIBUTOR',
      // Only the single-PR endpoint carries these.
      ...(detailed
        ? { merged: merge !== undefined, comments: issues.comments(number).length }
        : {}),
    };
  }

  function commentJson(req: RouteRequest, comment: IssueComment) {
    const kind = issues.pull(comment.issue) ? 'pull' : 'issues';
    return {
      id: comment.id,
      node_id: nodeId('IC', comment.id),
      url: `${req.repoUrl}/issues/comments/${comment.id}`,
      html_url: htmlUrl(repo, `/${kind}/${comment.issue}#issuecomment-${comment.id}`),
      issue_url: `${req.repoUrl}/issues/${comment.issue}`,
      body: comment.body,
      user: userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: 'NONE',
    };
  }

  function listPullsForCommit(req: RouteRequest, [ref = '']: string[]): Reply {
    const sha = git.resolve(ref);
    if (!sha) return unprocessable(`No commit found for SHA: ${ref}`);
    return json(issues.pullsForCommit(sha).map((pull) => pullJson(req, pull, false)));
  }

  function getPull(req: RouteRequest, [number = '']: string[]): Reply {
    const pull = issues.pull(Number(number));
    return pull ? json(pullJson(req, pull, true)) : notFound();
  }

  function listComments(req: RouteRequest, [number = '']: string[]): Reply {
    const issue = Number(number);
    if (!issues.hasIssue(issue)) return notFound();
    const all = issues.comments(issue);
    const { page, perPage } = pageParams(req.query);
    const pageItems = all.slice((page - 1) * perPage, page * perPage);
    const link = linkHeader(req.url, page, Math.ceil(all.length / perPage));
    return {
      status: 200,
      body: pageItems.map((c) => commentJson(req, c)),
      ...(link ? { headers: { link } } : {}),
    };
  }

  function createComment(req: RouteRequest, [number = '']: string[]): Reply {
    const issue = Number(number);
    if (!issues.hasIssue(issue)) return notFound();
    const body = validateBody(req.body);
    if (typeof body !== 'string') return body;
    return json(commentJson(req, issues.addComment(issue, body, repo.bot)), 201);
  }

  function getComment(req: RouteRequest, [id = '']: string[]): Reply {
    const comment = issues.comment(Number(id));
    return comment ? json(commentJson(req, comment)) : notFound();
  }

  function updateComment(req: RouteRequest, [id = '']: string[]): Reply {
    const comment = issues.comment(Number(id));
    if (!comment) return notFound();
    // An installation token may only edit what its own bot wrote.
    if (comment.user.login !== repo.bot.login) return forbiddenForIntegration();
    const body = validateBody(req.body);
    if (typeof body !== 'string') return body;
    issues.editComment(comment, body, repo.bot);
    return json(commentJson(req, comment));
  }

  /** A workflow run: its status, and when that was last set (a completed run's end). */
  function getRun(_req: RouteRequest, [id = '']: string[]): Reply {
    const runId = Number(id);
    const run = repo.runs.get(runId) ?? { status: 'completed', updatedAt: startedAt };
    return json({
      id: runId,
      status: run.status,
      conclusion: run.status === 'completed' ? 'success' : null,
      updated_at: run.updatedAt,
      html_url: `${htmlUrl(repo)}/actions/runs/${runId}`,
    });
  }

  return [
    { method: 'GET', pattern: /^\/commits\/([^/]+)\/pulls$/, handle: listPullsForCommit },
    { method: 'GET', pattern: /^\/actions\/runs\/(\d+)$/, handle: getRun },
    { method: 'GET', pattern: /^\/pulls\/(\d+)$/, handle: getPull },
    { method: 'GET', pattern: /^\/issues\/(\d+)\/comments$/, handle: listComments },
    { method: 'POST', pattern: /^\/issues\/(\d+)\/comments$/, handle: createComment },
    { method: 'GET', pattern: /^\/issues\/comments\/(\d+)$/, handle: getComment },
    { method: 'PATCH', pattern: /^\/issues\/comments\/(\d+)$/, handle: updateComment },
  ];
}

/** The comment body of a request, or GitHub's 422 for a missing or oversized one. */
function validateBody(requestBody: unknown): string | Reply {
  const body = bodyObject(requestBody)?.body;
  if (typeof body !== 'string') {
    return commentInvalid({ code: 'missing_field' });
  }
  if ([...body].length > MAX_COMMENT_LENGTH) {
    return commentInvalid({
      code: 'custom',
      message: `body is too long (maximum is ${MAX_COMMENT_LENGTH} characters)`,
    });
  }
  return body;
}

function commentInvalid(error: { code: string; message?: string }): Reply {
  return failure(422, 'Validation Failed', {
    errors: [{ resource: 'IssueComment', field: 'body', ...error }],
  });
}
