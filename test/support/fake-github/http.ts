// GitHub's wire formats: replies, error bodies, timestamps, base64 and pagination links.

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

/** An error the way GitHub shapes it (its newer responses carry the status as a string). */
export function failure(
  status: number,
  message: string,
  extra: { errors?: unknown[]; headers?: Record<string, string> } = {},
): Reply {
  const body = {
    message,
    ...(extra.errors ? { errors: extra.errors } : {}),
    documentation_url: DOCS,
    status: String(status),
  };
  return { status, body, ...(extra.headers ? { headers: extra.headers } : {}) };
}

export const notFound = (message = 'Not Found'): Reply => failure(404, message);

/** A 422 with GitHub's plain message, as the Git Data endpoints answer. */
export const unprocessable = (message: string): Reply => failure(422, message);

/** The answer GitHub gives when a required field is missing from the JSON body. */
export const missingField = (field: string): Reply =>
  unprocessable(`Invalid request.\n\n"${field}" wasn't supplied.`);

export const forbiddenForIntegration = (): Reply =>
  failure(403, 'Resource not accessible by integration');

/** GitHub's timestamp format: UTC, second precision. */
export function githubTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Base64 wrapped at 60 characters with a trailing newline, as blobs and contents come. */
export function wrappedBase64(data: Buffer): string {
  const base64 = data.toString('base64');
  return base64.length === 0 ? '' : `${base64.match(/.{1,60}/g)?.join('\n')}\n`;
}

/** A stable opaque GraphQL id, so repeated reads of the same thing agree. */
export function nodeId(kind: string, key: string | number): string {
  return `${kind}_${Buffer.from(String(key)).toString('base64url')}`;
}

/** The `link` header of page `page` out of `last`, in GitHub's order; undefined for one page. */
export function linkHeader(url: URL, page: number, last: number): string | undefined {
  if (last <= 1) return undefined;
  const at = (n: number) => {
    const target = new URL(url);
    target.searchParams.set('page', String(n));
    return `<${target.href}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.join(', ');
}

/** Reads `page` and `per_page` the way GitHub does: defaults 1 and 30, at most 100 per page. */
export function pageParams(query: URLSearchParams): { page: number; perPage: number } {
  const int = (name: string, fallback: number) => {
    const value = Number.parseInt(query.get(name) ?? '', 10);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return { page: int('page', 1), perPage: Math.min(int('per_page', 30), 100) };
}
