// What every endpoint works with: the repository's state and the request, already
// authenticated and stripped of its /repos/{owner}/{repo} prefix.
import type { Faults } from './faults.js';
import type { Person } from './git-objects.js';
import type { GitStore } from './git-store.js';
import { githubTime, type Reply } from './http.js';
import type { IssueStore, User } from './issues.js';

export interface Repo {
  owner: string;
  name: string;
  defaultBranch: string;
  /** The user the token belongs to: the author of everything written through the API. */
  bot: User;
  git: GitStore;
  issues: IssueStore;
  faults: Faults;
  /**
   * Workflow runs the tests set a status for, with when it was last set (a completed run's
   * `updated_at` is when it ended); any other run id is completed, at the fake's start.
   */
  runs: Map<number, { status: 'queued' | 'in_progress' | 'completed'; updatedAt: string }>;
}

export interface RouteRequest {
  /** Decoded path after /repos/{owner}/{repo}, e.g. "/git/refs/heads/main". */
  path: string;
  query: URLSearchParams;
  /** The full request URL, for pagination links. */
  url: URL;
  /** The API URL of the repository, e.g. http://127.0.0.1:1234/repos/o/r. */
  repoUrl: string;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  pattern: RegExp;
  /** `params` are the pattern's capture groups, in order. */
  handle(request: RouteRequest, params: string[]): Reply;
}

/** Who pushes when a test simulates someone else's push. */
export const OTHER_PUSHER = 'octocat <octocat@users.noreply.github.com>';

/** A commit identity from "Name <email>" (or a bare name), dated now. */
export function identity(spec: string): Person {
  const match = /^(.*?)\s*<([^<>]*)>$/.exec(spec.trim());
  const name = match?.[1] || spec.trim();
  const email = match?.[2] ?? `${name}@users.noreply.github.com`;
  return { name, email, date: githubTime() };
}

/** The web address GitHub puts in `html_url`. */
export function htmlUrl(repo: Repo, path = ''): string {
  return `https://github.com/${repo.owner}/${repo.name}${path}`;
}

export function userJson(user: User): Record<string, unknown> {
  return { login: user.login, id: user.id, type: user.type, site_admin: false };
}

/** Narrows a JSON request body to an object, or undefined when it is anything else. */
export function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}
