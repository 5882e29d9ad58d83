// Cloudflare settings from the environment, for the commands that talk to the API.
import { type ApiSettings, apiSettings, SettingsError } from '../adapters/cloudflare/settings.js';
import { type CliIO, EXIT } from './command.js';

/**
 * cloudflareFromEnv for a command's run: a settings error is said on stderr and comes back as
 * EXIT.invalid, for the command to return before it reads anything else.
 */
export function commandSettings(
  io: CliIO,
  command: string,
  required: boolean,
  searchPageSize?: number,
): ApiSettings | undefined | typeof EXIT.invalid {
  try {
    return cloudflareFromEnv(io.env, required, searchPageSize);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    io.stderr(`quarantine-release ${command}: ${error.message}\n`);
    return EXIT.invalid;
  }
}

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
