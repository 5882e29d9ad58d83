// Where the API is and how to authenticate, read from the environment (CLI) or action
// inputs, and checked before any request: half-given credentials or a base URL carrying
// secrets are refused with a clear message.

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

export type Credentials =
  | { kind: 'token'; token: string }
  | { kind: 'key'; email: string; key: string };

export interface ApiSettings {
  baseUrl: string;
  credentials: Credentials;
  /** Results per search page asked for (`per_page`); default DEFAULT_SEARCH_PAGE_SIZE. */
  searchPageSize?: number;
}

/**
 * `per_page` of searches. The API's description gives a default of 20 and no maximum (one
 * rendering of the reference says 1,000, the SDK nothing): 100 is five times the default and
 * far below that, and a 400 makes the client ask again for smaller pages, down to 20.
 */
export const DEFAULT_SEARCH_PAGE_SIZE = 100;
/** The API's documented default page size: never refused for its size. */
export const MIN_SEARCH_PAGE_SIZE = 20;
export const MAX_SEARCH_PAGE_SIZE = 1000;

export class SettingsError extends Error {}

export interface CredentialSources {
  token?: string;
  email?: string;
  key?: string;
  baseUrl?: string;
  /** `per_page` of searches, already checked (1 to MAX_SEARCH_PAGE_SIZE). */
  searchPageSize?: number;
  /** Names to use in messages, e.g. CLOUDFLARE_API_TOKEN or the input `api-token`. */
  names: { token: string; email: string; key: string; baseUrl: string };
}

export function apiSettings(src: CredentialSources): ApiSettings {
  const token = clean(src.token);
  const email = clean(src.email);
  const key = clean(src.key);
  const { names } = src;
  let credentials: Credentials;
  if (token !== undefined) {
    if (email !== undefined || key !== undefined) {
      throw new SettingsError(
        `give either ${names.token}, or ${names.email} with ${names.key}, not both`,
      );
    }
    credentials = { kind: 'token', token };
  } else if (email !== undefined && key !== undefined) {
    credentials = { kind: 'key', email, key };
  } else if (email !== undefined || key !== undefined) {
    throw new SettingsError(
      `${email === undefined ? names.email : names.key} is missing: the legacy scheme needs both ${names.email} and ${names.key}`,
    );
  } else {
    throw new SettingsError(
      `no Cloudflare credentials: set ${names.token} (an API token with "Cloud Email Security: Write"), or ${names.email} and ${names.key}`,
    );
  }
  for (const [name, value] of [
    [names.token, token],
    [names.key, key],
  ] as const) {
    if (value !== undefined && !/^[\x21-\x7e]{1,1024}$/.test(value)) {
      throw new SettingsError(
        `${name} contains spaces or characters that cannot go in an HTTP header`,
      );
    }
  }
  if (email !== undefined && !/^[^\s@]{1,200}@[^\s@]{1,200}$/.test(email)) {
    throw new SettingsError(`${names.email} is not an email address`);
  }
  const settings: ApiSettings = {
    baseUrl: baseUrl(clean(src.baseUrl) ?? DEFAULT_API_BASE_URL, names.baseUrl),
    credentials,
  };
  if (src.searchPageSize !== undefined) settings.searchPageSize = src.searchPageSize;
  return settings;
}

/** Checks and normalises the API base URL (no trailing slash). */
export function baseUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${name} is not a URL`);
  }
  if (url.username !== '' || url.password !== '') {
    // Never echo it: it holds a secret.
    throw new SettingsError(
      `${name} must not contain credentials (user:password@); use the credential variables`,
    );
  }
  // A bare `?` or `#` parses as no query at all, yet would shift every path sent.
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    throw new SettingsError(`${name} must not have a query or fragment`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SettingsError(
      `${name} must use https (plain http only for localhost, e.g. the emulator)`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/** Every secret in the settings, to mask in logs. */
export function secretsOf(settings: ApiSettings): string[] {
  return settings.credentials.kind === 'token'
    ? [settings.credentials.token]
    : [settings.credentials.key];
}

export function authHeaders(credentials: Credentials): Record<string, string> {
  return credentials.kind === 'token'
    ? { authorization: `Bearer ${credentials.token}` }
    : { 'x-auth-email': credentials.email, 'x-auth-key': credentials.key };
}

function clean(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}
