// Cloudflare v4 envelopes and the error codes the emulator answers with. Codes below 9000
// that are not Cloudflare-wide (1xxx) are the emulator's own: the contract does not list
// Email Security error codes, only the envelope shape.

export interface ApiError {
  code: number;
  message: string;
  /** Cloudflare nests the precise cause of some errors (6003 → 6111). */
  error_chain?: ApiError[];
}

export function success(result: unknown, extra?: Record<string, unknown>): Record<string, unknown> {
  return { success: true, errors: [], messages: [], result, ...extra };
}

export function failure(...errors: ApiError[]): Record<string, unknown> {
  return { success: false, errors, messages: [], result: null };
}

export const ERR = {
  missingAuth: {
    code: 9106,
    message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers',
  },
  badAuthHeader: {
    code: 6003,
    message: 'Invalid request headers',
    error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
  },
  authentication: { code: 10000, message: 'Authentication error' },
  unknownKey: { code: 9103, message: 'Unknown X-Auth-Key or X-Auth-Email' },
  forbidden: { code: 9109, message: 'Unauthorized to access requested resource' },
  rateLimited: { code: 971, message: 'Please wait and consider throttling your request speed' },
  noRoute: { code: 7000, message: 'No route for that URI' },
  methodNotAllowed: { code: 7001, message: 'Method not allowed for this route' },
  malformedJson: { code: 6007, message: 'Malformed JSON in request body' },
  tooLarge: { code: 1002, message: 'Request body too large' },
  notFound: { code: 1404, message: 'Message not found' },
  searchNotFound: { code: 1405, message: 'Search not found or expired' },
  internal: { code: 1000, message: 'Internal server error' },
} as const satisfies Record<string, ApiError>;

/** An answer to send: its status, the JSON body, and headers of its own. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function errorReply(status: number, ...errors: ApiError[]): Reply {
  return { status, body: failure(...errors) };
}

export function rateLimited(retryAfterSeconds: number): Reply {
  return {
    ...errorReply(429, ERR.rateLimited),
    headers: { 'Retry-After': String(retryAfterSeconds) },
  };
}

export function badRequest(detail: string): ApiError {
  return { code: 1001, message: `Invalid request: ${detail}` };
}

/** Cloudflare's answer to a path whose identifier is not even well-formed. */
export function cannotRoute(path: string): ApiError {
  return {
    code: 7003,
    message: `Could not route to ${path}, perhaps your object identifier is invalid?`,
  };
}
