import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { WaitingFilesFirst } from './test/support/sequencer.js';

/** The seeded chaos runs take minutes: `npm run test:chaos` (vitest.chaos.config.ts) runs them. */
export const CHAOS_TESTS = 'test/chaos/**/*.test.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', CHAOS_TESTS],
    // End-to-end tests start servers and subprocesses; keep them bounded but not flaky on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files share their worker's module cache instead of re-importing the source for each
    // file: about 50 s less CPU for the whole suite. No test mocks modules or changes process-wide
    // state (process.env, cwd, exitCode), which is what isolation would protect.
    isolate: false,
    sequence: { sequencer: WaitingFilesFirst },
    // Three files at once per core (vitest's default is one less than the cores): the
    // end-to-end files spend most of their time waiting, on subprocesses and on the GitHub
    // client's pacing of writes (one a second), so their waits overlap instead of adding up.
    // On 2 cores shared with other work: 2 workers 268 s, 4 workers 155-179 s, 6 workers 145 s.
    maxWorkers: availableParallelism() * 3,
  },
});
