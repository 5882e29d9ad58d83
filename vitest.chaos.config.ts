// `npm run test:chaos`: the seeded chaos runs only, with the seeds the script sets.
import { defineConfig } from 'vitest/config';
import base, { CHAOS_TESTS } from './vitest.config.js';

// The planted-bug hunts run three at once (it.concurrent): each waits on subprocesses most of
// the time, two runs at a time.
export default defineConfig({
  test: { ...base.test, include: [CHAOS_TESTS], exclude: [], maxConcurrency: 3 },
});
