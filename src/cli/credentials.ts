// Cloudflare settings from the environment, for the commands that talk to the API.
import type { ClientOptions, CloudflareClient } from '../adapters/cloudflare/client.js';
import { Pacer } from '../adapters/cloudflare/rate-limit.js';
import { type ApiSettings, apiSettings } from '../adapters/cloudflare/settings.js';
import { systemClock } from '../engine/ports.js';

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

/**
 * The Cloudflare client class, imported when a command is about to talk to the API: with it
 * comes undici, the largest part of the bundle, which validate, --help and plan without
 * credentials never use.
 */
async function loadCloudflareClient(): Promise<typeof CloudflareClient> {
  return (await import('../adapters/cloudflare/client.js')).CloudflareClient;
}

/** A client for these settings, paced on the system clock (a pacing wait ends on abort). */
export async function openCloudflareClient(
  settings: ApiSettings,
  options: Omit<ClientOptions, 'settings' | 'pacer'> = {},
): Promise<CloudflareClient> {
  const Client = await loadCloudflareClient();
  const pacer = new Pacer({
    now: () => Date.now(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  });
  return new Client({ settings, pacer, ...options });
}
