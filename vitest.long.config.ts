// `npm run test:long`: the suites too slow for `npm test` that CI runs after it (see LONG_TESTS).
import { defineConfig } from 'vitest/config';
import base, { LONG_TESTS } from './vitest.config.js';

export default defineConfig({
  test: { ...base.test, include: [LONG_TESTS], exclude: [] },
});
