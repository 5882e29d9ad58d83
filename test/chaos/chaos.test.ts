// The chaos proof that CI runs after `npm test` (`npm run test:chaos`, which sets the seeds):
// seeded runs of the real bundled apply (CLI and action) through faults, kills and a hostile
// actor (retries flipped, the ledger edited, reviews bypassed: hostile.ts), with zero
// invariant violations; and planted bugs (a release POST retried at once, no pending write, no
// settling, a retry or a ledger edit or a missing review let through) that the same harness
// must catch. The long proof is `npm run bench:chaos -- --runs 1000`.
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
    // The runs did meet faults, kills and the hostile actor, or they proved nothing.
    expect(Object.keys(report.faults).length, text).toBeGreaterThan(5);
    expect(Object.keys(report.kills).length, text).toBeGreaterThan(3);
    expect(report.hostile['retry flips refused (said so)'] ?? 0, text).toBeGreaterThan(5);
  }, 900_000);

  // The action runs are few among the seeds above: a few more, for the hostile actor's ledger
  // edits (each refused, then repaired) and review bypasses (each refused).
  it('6 seeded action runs with the hostile actor: every ledger edit refused and repaired, nothing unreviewed sent', async () => {
    const report = await runChaos({ seed: SEED, runs: 6, jobs: 2, actionShare: 1 });
    const text = formatReport(report);
    console.log(text);
    expect(report.errors, text).toEqual([]);
    expect(report.violations, text).toEqual([]);
    const refused = report.hostile['ledger edits refused'] ?? 0;
    expect(refused, text).toBeGreaterThan(0);
    expect(report.hostile.repairs, text).toBe(refused);
    expect(report.hostile['review bypasses refused'] ?? 0, text).toBeGreaterThan(0);
  }, 600_000);

  // Each planted bug is a patched copy of the bundled CLI; the harness must catch it.
  it.each([
    ['skip-pending', 'no pending write-ahead before a POST'],
    ['retry-post', 'a release POST retried at once when its answer is lost'],
    ['no-settle', 'a send still in flight at the server read back at once'],
    ['retry-unchecked', 'a retry of a message the ledger never sent let through'],
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

  // Planted in the action's controls: found by the action runs and the hostile actor.
  it.each([
    ['seal-unchecked', 'a ledger edited by someone else read and sealed over'],
    ['review-open', 'entries nobody reviewed released'],
  ])(
    'finds the planted bug %s (%s) within 10 action seeds',
    async (plant) => {
      const report = await runChaos({
        seed: SEED,
        runs: 10,
        jobs: 2,
        actionShare: 1,
        plant,
        stopOnViolation: true,
      });
      const text = formatReport(report);
      expect(report.errors, text).toEqual([]);
      expect(report.violations.length, text).toBeGreaterThan(0);
      console.log(
        `planted bug ${plant} found as expected: ${report.violations.length} violation(s) at seed ${report.failingSeeds[0]}, after ${report.runs} run(s)`,
      );
    },
    600_000,
  );
});
