// Authentication as the Cloudflare API does it: an API token (`Authorization: Bearer`) or
// the legacy pair `X-Auth-Email` + `X-Auth-Key`. Read-only credentials may read, not release.
import type { IncomingHttpHeaders } from 'node:http';
import { type ApiError, ERR } from './envelope.js';
import type { Credentials } from './types.js';

export const DEFAULT_TOKEN = 'emulator-token';
export const DEFAULT_READ_TOKEN = 'emulator-read-token';
export const DEFAULT_EMAIL = 'demo@example.com';
export const DEFAULT_KEY = 'emulator-global-key';

export const DEFAULT_CREDENTIALS: Required<Credentials> = {
  tokens: [
    { token: DEFAULT_TOKEN, write: true },
    { token: DEFAULT_READ_TOKEN, write: false },
  ],
  keys: [{ email: DEFAULT_EMAIL, key: DEFAULT_KEY, write: true }],
};

export interface Principal {
  /** Rate-limit bucket: one per token, one per user for the legacy key. */
  key: string;
  write: boolean;
  /** Recorded as `requested_by` in the action log; never the secret itself. */
  label: string;
}

type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: number; error: ApiError };

// Token characters: visible ASCII, at least one. Anything else is a malformed header (6003).
const BEARER = /^Bearer ([\x21-\x7E]{1,4096})$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class Authenticator {
  private readonly tokens: Map<string, boolean>;
  private readonly keys: Map<string, { key: string; write: boolean }>;

  constructor(credentials: Credentials | undefined) {
    const tokens = credentials?.tokens ?? DEFAULT_CREDENTIALS.tokens;
    const keys = credentials?.keys ?? DEFAULT_CREDENTIALS.keys;
    this.tokens = new Map(tokens.map((t) => [t.token, t.write]));
    this.keys = new Map(keys.map((k) => [k.email.toLowerCase(), { key: k.key, write: k.write }]));
  }

  authenticate(headers: IncomingHttpHeaders): AuthResult {
    const authorization = header(headers, 'authorization');
    if (authorization !== undefined) {
      const match = BEARER.exec(authorization.trim());
      if (!match) return { ok: false, status: 400, error: ERR.badAuthHeader };
      const token = match[1] as string;
      const write = this.tokens.get(token);
      if (write === undefined) return { ok: false, status: 401, error: ERR.authentication };
      return { ok: true, principal: { key: `token:${token}`, write, label: 'api_token' } };
    }
    const email = header(headers, 'x-auth-email');
    const key = header(headers, 'x-auth-key');
    if (email === undefined || key === undefined) {
      return { ok: false, status: 400, error: ERR.missingAuth };
    }
    const known = this.keys.get(email.trim().toLowerCase());
    if (!known || known.key !== key.trim()) {
      return { ok: false, status: 403, error: ERR.unknownKey };
    }
    const user = email.trim().toLowerCase();
    return { ok: true, principal: { key: `user:${user}`, write: known.write, label: user } };
  }
}
