// The chaos proof that CI runs after `npm test` (`npm run test:chaos`, which sets the seeds):
// seeded runs of the real bundled apply (CLI and action) through faults and kills, with zero
// invariant violations; and planted bugs (a release POST retried at once, no pending write, no
// settling) that the same harness must catch. The long proof is
// `npm run bench:chaos -- --runs 1000`.
import { describe, expect, it } from 'vitest';
import { formatReport, runChaos } from './harness.js';

const RUNS = Number(process.env.CHAOS_RUNS ?? 50);
const SEED = Number(process.env.CHAOS_SEED ?? 1);

describe('chaos (seeded faults and kills against the bundled CLI and action)', () => {
  it(`${RUNS} seeded runs: no message released twice, every state matches the emulator, the ledger always parses`, async () => {
    const report = await runChaos({ seed: SEED, runs: RUNS, jobs: 2, actionShare: 0.06 });
    const text = formatReport(report);
    console.log(text);
    expect(report.errors, text).toEqual([]);
    expect(report.runs).toBe(RUNS);
    expect(report.violations, text).toEqual([]);
    // The runs did meet faults and kills, or they proved nothing.
    expect(Object.keys(report.faults).length, text).toBeGreaterThan(5);
    expect(Object.keys(report.kills).length, text).toBeGreaterThan(3);
  }, 900_000);

  // Each planted bug is a patched copy of the bundled CLI; the harness must catch it.
  it.each([
    ['skip-pending', 'no pending write-ahead before a POST'],
    ['retry-post', 'a release POST retried at once when its answer is lost'],
    ['no-settle', 'a send still in flight at the server read back at once'],
  ])(
    'finds the planted bug %s (%s) within 80 seeds',
    async (plant) => {
      const report = await runChaos({
        seed: SEED,
        runs: 80,
        jobs: 2,
        actionShare: 0,
        plant,
        stopOnViolation: true,
      });
      const text = formatReport(report);
      expect(report.errors, text).toEqual([]);
      expect(report.violations.length, text).toBeGreaterThan(0);
      // Found, as it must be: one line, not the violation report (which reads like a failure).
      console.log(
        `planted bug ${plant} found as expected: ${report.violations.length} violation(s) at seed ${report.failingSeeds[0]}, after ${report.runs} run(s)`,
      );
    },
    600_000,
  );
});
