// The API front: authentication, scripted faults, read-only tokens, routing, rate-limit
// headers and the request log, in the order GitHub applies them.
import { faultReply, type RateLimitOverride } from './faults.js';
import { gitRoutes } from './git-routes.js';
import { graphqlHandler } from './graphql.js';
import { failure, forbiddenForIntegration, notFound, type Reply } from './http.js';
import { issueRoutes } from './issue-routes.js';
import type { Repo, Route } from './repo.js';

export interface ApiRequest {
  method: string;
  url: URL;
  authorization: string | undefined;
  body: string;
}

export interface LoggedRequest {
  method: string;
  /** Path and query as sent, e.g. "/repos/o/r/issues/1/comments?per_page=100". */
  path: string;
  status: number;
  /** The JSON body, when the request had one. */
  body?: unknown;
  at: number;
}

// GITHUB_TOKEN's budget: 1,000 requests per hour per repository.
const RATE_LIMIT = 1000;

export class GitHubApi {
  private readonly routes: Route[];
  private readonly graphql: (body: unknown) => Reply;
  private readonly log: LoggedRequest[] = [];
  private readonly listeners: ((request: LoggedRequest) => void)[] = [];
  private readonly rateLimitReset = Math.floor(Date.now() / 1000) + 3600;
  private rateLimitUsed = 0;

  constructor(
    private readonly repo: Repo,
    private readonly token: string,
  ) {
    this.routes = [...gitRoutes(repo), ...issueRoutes(repo)];
    this.graphql = graphqlHandler(repo);
  }

  handle(request: ApiRequest): Reply {
    const at = Date.now();
    const body = parseJson(request.body);
    const reply = this.answer(request, body, at);
    const entry: LoggedRequest = {
      method: request.method,
      path: request.url.pathname + request.url.search,
      status: reply.status,
      ...(body === undefined ? {} : { body: body.ok ? body.value : request.body }),
      at,
    };
    this.log.push(entry);
    // Before the reply is written: a test can kill the client after the write took effect
    // but before the client learns of it.
    for (const listener of this.listeners) listener({ ...entry });
    return reply;
  }

  onHandled(listener: (request: LoggedRequest) => void): void {
    this.listeners.push(listener);
  }

  requests(): LoggedRequest[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  resetRequests(): void {
    this.log.length = 0;
  }

  private answer(request: ApiRequest, body: ParsedBody | undefined, now: number): Reply {
    if (!this.authenticated(request.authorization)) {
      return this.withHeaders(failure(401, 'Bad credentials'));
    }
    this.rateLimitUsed += 1;
    const path = repoPath(request.url.pathname, this.repo);
    const fault = this.repo.faults.take(request.method, path ?? request.url.pathname);
    if (fault) {
      const { reply, rateLimit } = faultReply(fault, now);
      return this.withHeaders(reply, rateLimit);
    }
    if (body && !body.ok) return this.withHeaders(failure(400, 'Problems parsing JSON'));
    if (request.method === 'POST' && request.url.pathname === '/graphql')
      return this.withHeaders(this.graphql(body?.value));
    return this.withHeaders(this.route(request, path, body?.value));
  }

  private route(request: ApiRequest, path: string | undefined, body: unknown): Reply {
    if (path === undefined) return notFound();
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      // A fork PR's token can read everything and write nothing.
      if (request.method !== 'GET' && this.repo.faults.readOnly) return forbiddenForIntegration();
      const repoUrl = `${request.url.origin}/repos/${this.repo.owner}/${this.repo.name}`;
      const params = match.slice(1).map((p) => p ?? '');
      try {
        return route.handle(
          {
            path,
            query: request.url.searchParams,
            url: request.url,
            repoUrl,
            body,
          },
          params,
        );
      } catch (error) {
        // A bug in the fake must fail the test loudly, not look like a GitHub outage.
        return failure(500, `fake GitHub failed: ${error instanceof Error ? error.stack : error}`);
      }
    }
    return notFound();
  }

  private authenticated(header: string | undefined): boolean {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
    return match?.[1] === this.token;
  }

  private withHeaders(reply: Reply, rateLimit?: RateLimitOverride): Reply {
    const remaining = rateLimit?.remaining ?? Math.max(0, RATE_LIMIT - this.rateLimitUsed);
    return {
      ...reply,
      headers: {
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': `FAKE:${this.log.length.toString(16).toUpperCase()}`,
        'x-ratelimit-limit': String(RATE_LIMIT),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(rateLimit?.resetEpochSeconds ?? this.rateLimitReset),
        'x-ratelimit-used': String(this.rateLimitUsed),
        'x-ratelimit-resource': 'core',
        ...reply.headers,
      },
    };
  }
}

type ParsedBody = { ok: true; value: unknown } | { ok: false };

/** The request body as JSON; undefined when there is none. */
function parseJson(text: string): ParsedBody | undefined {
  if (text.trim() === '') return undefined;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The decoded path after /repos/{owner}/{repo} (matched case-insensitively, as GitHub does). */
function repoPath(pathname: string, repo: Repo): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const prefix = `/repos/${repo.owner}/${repo.name}`.toLowerCase();
  const rest = decoded.slice(prefix.length);
  if (decoded.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
  return rest === '' || rest.startsWith('/') ? rest : undefined;
}
