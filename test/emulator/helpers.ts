// Shared by the emulator tests: a small fetch wrapper with a timeout, so no test can hang.
import type { Emulator } from '../../src/emulator/index.js';
import { DEFAULT_ACCOUNT } from '../../src/emulator/index.js';

export const ACCOUNT = DEFAULT_ACCOUNT;
export const BEARER = { Authorization: 'Bearer emulator-token' };
export const READ_ONLY = { Authorization: 'Bearer emulator-read-token' };
export const LEGACY = { 'X-Auth-Email': 'demo@example.com', 'X-Auth-Key': 'emulator-global-key' };

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body; undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes
  json: any;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Raw body text, sent as is. */
  raw?: string;
  timeoutMs?: number;
}

/** `path` is relative to the API base (starts with /accounts/...), or an absolute URL. */
export async function call(em: Emulator, path: string, options: CallOptions = {}): Promise<Answer> {
  const url = path.startsWith('http') ? path : `${em.url}${path}`;
  const body =
    options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.headers ?? BEARER),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const investigate = (account = ACCOUNT) => `/accounts/${account}/email-security/investigate`;

/** A release in the current body form, `{"ids": [...]}`. */
export function release(
  em: Emulator,
  ids: readonly string[],
  headers?: Record<string, string>,
  account = ACCOUNT,
) {
  return call(em, `${investigate(account)}/release`, {
    method: 'POST',
    body: { ids },
    ...(headers ? { headers } : {}),
  });
}

export function getMessage(em: Emulator, id: string, account = ACCOUNT) {
  return call(em, `${investigate(account)}/${encodeURIComponent(id)}`);
}

export function getActionLog(em: Emulator, id: string, account = ACCOUNT) {
  return call(em, `${investigate(account)}/${encodeURIComponent(id)}/action_log`);
}

export function search(em: Emulator, params: Record<string, string> = {}, account = ACCOUNT) {
  const query = new URLSearchParams(params).toString();
  return call(em, `${investigate(account)}${query ? `?${query}` : ''}`);
}

/** How many deliveries truth() records per message id. */
export function releasesPerId(em: Emulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of em.truth().releases) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

/** Expects the request to fail at the transport level (reset, or no answer before timeoutMs). */
export async function transportFailure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.name);
  }
  throw new Error('expected the request to fail');
}
