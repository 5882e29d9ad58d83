// The GitHub client: Octokit with the pagination, retry and throttling plugins the well-kept
// actions use. Routes are called by name through `octokit.request`, typed by @octokit/types,
// instead of loading the whole REST table. It sends with Node's built-in fetch, which costs
// nothing to load; when a proxy is configured (HTTPS_PROXY...), with the same undici as the
// Cloudflare client, whose EnvHttpProxyAgent honours the proxy variables.
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../engine/ports.js';

const GitHub = Octokit.plugin(paginateRest, retry, throttling);
export type GitHubClient = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  baseUrl: string;
  log: Logger;
  /** The environment, for proxy variables. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Longest wait accepted for a rate limit before giving up, in seconds. */
const MAX_RETRY_AFTER_SECONDS = 60;

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** A fetch through undici's EnvHttpProxyAgent, loaded on first use. */
function proxiedFetch(): typeof fetch {
  let ready: Promise<{ send: typeof import('undici').fetch; dispatcher: Dispatcher }> | undefined;
  return (async (url: string, init: RequestInit) => {
    ready ??= import('undici').then((u) => ({
      send: u.fetch,
      dispatcher: new u.EnvHttpProxyAgent(),
    }));
    const { send, dispatcher } = await ready;
    return send(url, { ...(init as object), dispatcher });
  }) as unknown as typeof fetch;
}

export function githubClient(token: string, options: GitHubClientOptions): GitHubClient {
  const env = options.env ?? process.env;
  const proxied = PROXY_VARIABLES.some((name) => (env[name] ?? '') !== '');
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ): boolean => {
      const again = retryCount < 2 && retryAfter <= MAX_RETRY_AFTER_SECONDS;
      options.log.warn(
        `GitHub ${kind} rate limit on ${request.method} ${request.url}; ${again ? `retrying in ${retryAfter} s` : 'giving up'}`,
      );
      return again;
    };
  return new GitHub({
    auth: token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'quarantine-release',
    ...(proxied ? { request: { fetch: proxiedFetch() } } : {}),
    retry: { retries: 2 },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
  });
}
