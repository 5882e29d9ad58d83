// The one way to get a Cloudflare client, for the CLI and the action alike.

import { systemClock } from '../../engine/ports.js';
import type { ClientOptions, CloudflareClient } from './client.js';
import { Pacer } from './rate-limit.js';
import type { ApiSettings } from './settings.js';

/**
 * A client for these settings, paced on the system clock (a pacing wait ends on abort). The
 * client class is imported here, when a command is about to talk to the API: with it comes
 * undici, the largest part of the bundle, which validate, --help and an offline plan never use.
 */
export async function openCloudflareClient(
  settings: ApiSettings,
  options: Omit<ClientOptions, 'settings' | 'pacer'> = {},
): Promise<CloudflareClient> {
  const { CloudflareClient: Client } = await import('./client.js');
  const pacer = new Pacer({ now: () => Date.now(), sleep: systemClock.sleep });
  return new Client({ settings, pacer, ...options });
}
