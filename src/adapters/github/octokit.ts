// The GitHub client: Octokit with the pagination, retry and throttling plugins the well-kept
// actions use, sending over the same undici as the Cloudflare client (one HTTP stack, proxy
// variables honoured by EnvHttpProxyAgent). Routes are called by name through
// `octokit.request`, typed by @octokit/types, instead of loading the whole REST table.
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { type Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { Logger } from '../../engine/ports.js';

const GitHub = Octokit.plugin(paginateRest, retry, throttling);
export type GitHubClient = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  baseUrl: string;
  log: Logger;
  /** Longest wait accepted for a rate limit before giving up, in seconds. */
  maxRetryAfterSeconds?: number;
  dispatcher?: Dispatcher;
}

export function githubClient(token: string, options: GitHubClientOptions): GitHubClient {
  const maxWait = options.maxRetryAfterSeconds ?? 60;
  const dispatcher = options.dispatcher ?? new EnvHttpProxyAgent();
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ): boolean => {
      const again = retryCount < 2 && retryAfter <= maxWait;
      options.log.warn(
        `GitHub ${kind} rate limit on ${request.method} ${request.url}; ${again ? `retrying in ${retryAfter} s` : 'giving up'}`,
      );
      return again;
    };
  return new GitHub({
    auth: token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'quarantine-release',
    request: {
      fetch: (url: string, init: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher }),
    },
    retry: { retries: 2 },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
  });
}
