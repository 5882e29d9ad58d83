// The embedded Cloudflare Email Security emulator: what the CLI, the demo, end-to-end tests
// and benchmarks use.
export {
  DEFAULT_EMAIL,
  DEFAULT_KEY,
  DEFAULT_READ_TOKEN,
  DEFAULT_TOKEN,
} from './auth.js';
export { FaultConfigError, parseFaultConfig } from './faults.js';
export {
  DEFAULT_ACCOUNT,
  DEFAULT_MESSAGES_PER_ACCOUNT,
  DEFAULT_SEED,
  type DemoFixtures,
  demoFixtures,
  FIXTURE_ROLES,
  HOSTILE_SUBJECT,
  SCRIPT_SENDER_NAME,
} from './generate.js';
export { releaseBodyIds } from './handlers.js';
export { DEFAULT_MAX_PER_PAGE } from './search.js';
export { parseSeedMessages } from './seed-messages.js';
export { startEmulator } from './server.js';
export * from './types.js';
