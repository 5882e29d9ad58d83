// Cloudflare settings from the environment, for the commands that talk to the API.
import { type ApiSettings, apiSettings } from '../adapters/cloudflare/settings.js';

/**
 * The API settings, or undefined when no credential variable is set and `required` is false
 * (plan then runs without lookups). Half-given credentials are always an error.
 */
export function cloudflareFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  required: boolean,
  searchPageSize?: number,
): ApiSettings | undefined {
  const given = ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_EMAIL', 'CLOUDFLARE_API_KEY'].some(
    (n) => (env[n] ?? '').trim() !== '',
  );
  if (!given && !required) return undefined;
  return apiSettings({
    token: env.CLOUDFLARE_API_TOKEN,
    email: env.CLOUDFLARE_EMAIL,
    key: env.CLOUDFLARE_API_KEY,
    baseUrl: env.CLOUDFLARE_API_BASE_URL,
    ...(searchPageSize !== undefined ? { searchPageSize } : {}),
    names: {
      token: 'CLOUDFLARE_API_TOKEN',
      email: 'CLOUDFLARE_EMAIL',
      key: 'CLOUDFLARE_API_KEY',
      baseUrl: 'CLOUDFLARE_API_BASE_URL',
    },
  });
}
