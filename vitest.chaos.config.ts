// `npm run test:chaos`: the seeded chaos runs only, with the seeds the script sets.
import { defineConfig } from 'vitest/config';
import base, { CHAOS_TESTS } from './vitest.config.js';

export default defineConfig({ test: { ...base.test, include: [CHAOS_TESTS], exclude: [] } });
