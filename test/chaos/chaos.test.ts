// The chaos proof that CI runs after `npm test` (`npm run test:chaos`, which sets the seeds):
// seeded runs of the real bundled apply (CLI and action) through faults, kills and a hostile
// actor (the ledger edited, forged or replayed, retries flipped, the plan comment's marker
// removed, reviews bypassed: hostile.ts), with zero invariant violations, zero double
// releases, zero lost records and nothing released that no reviewed plan listed; every kind of
// hostile act exercised; and planted bugs (a release POST retried at once, no pending write,
// no settling, a retry or a ledger edit or a missing review let through) that the same
// harness must catch. The long proof is `npm run bench:chaos -- --runs 1000`.
import { describe, type ExpectStatic, expect, it } from 'vitest';
import { type ChaosReport, formatReport, runChaos } from './harness.js';
import { HOSTILE_KINDS } from './hostile.js';

const RUNS = Number(process.env.CHAOS_RUNS ?? 50);
const SEED = Number(process.env.CHAOS_SEED ?? 1);

/** Hostile acts by kind, over every seeded run of this file. */
const acts: Record<string, number> = {};

function clean(report: ChaosReport, text: string): void {
  expect(report.errors, text).toEqual([]);
  expect(report.violations, text).toEqual([]);
  expect(report.figures, text).toEqual({
    doubleReleases: 0,
    lostRecords: 0,
    unreviewedReleases: 0,
  });
  for (const [k, n] of Object.entries(report.acts)) acts[k] = (acts[k] ?? 0) + n;
}

describe('chaos (seeded faults, kills and a hostile actor against the bundled CLI and action)', () => {
  // The CLI runs here; the action's are in the next test (a few, slower: their own seeds).
  it(`${RUNS} seeded CLI runs: no message released twice, no record lost, every state matches the emulator, the ledger always parses`, async () => {
    const report = await runChaos({ seed: SEED, runs: RUNS, jobs: 2, actionShare: 0 });
    const text = formatReport(report);
    console.log(text);
    clean(report, text);
    expect(report.runs).toBe(RUNS);
    // The runs did meet faults, kills and the hostile actor, or they proved nothing.
    expect(Object.keys(report.faults).length, text).toBeGreaterThan(5);
    expect(Object.keys(report.kills).length, text).toBeGreaterThan(3);
    expect(report.hostile['retry flips refused (said so)'] ?? 0, text).toBeGreaterThan(5);
  }, 900_000);

  // As many action runs as there are kinds of hostile act (each action run plays the kind its
  // seed picks), so that every kind is exercised.
  it(`${HOSTILE_KINDS.length} seeded action runs with the hostile actor: every ledger edit refused and repaired, nothing unreviewed sent, every kind of act exercised`, async () => {
    const report = await runChaos({
      seed: SEED,
      runs: HOSTILE_KINDS.length,
      jobs: 2,
      actionShare: 1,
    });
    const text = formatReport(report);
    console.log(text);
    clean(report, text);
    const refused = report.hostile['ledger edits refused'] ?? 0;
    expect(refused, text).toBeGreaterThan(0);
    expect(report.hostile.repairs, text).toBe(refused);
    expect(report.hostile['review bypasses refused'] ?? 0, text).toBeGreaterThan(0);
    // Over every seeded run of this file: a kind never played proves nothing.
    const missing = HOSTILE_KINDS.filter((k) => (acts[k] ?? 0) === 0);
    expect(missing, `hostile acts by kind: ${JSON.stringify(acts)}\n${text}`).toEqual([]);
  }, 600_000);

  // Each planted bug is a patched copy of the bundle; the harness must catch it, and the
  // hostile actor's controls by the hostile actor's own checks. The hunts run a few at once
  // (maxConcurrency in vitest.chaos.config.ts): most of their time is spent waiting.
  it.concurrent.for<Hunt>([
    ['skip-pending', 'no pending write-ahead before a POST'],
    ['retry-post', 'a release POST retried at once when its answer is lost'],
    ['no-settle', 'a send still in flight at the server read back at once'],
    [
      'retry-unchecked',
      'a retry of a message the ledger never sent let through',
      ['hostile-retry-sent'],
    ],
  ])(
    'finds the planted bug %s (%s) within 80 seeds',
    { timeout: 600_000 },
    async ([plant, , kinds], { expect }) => {
      await findsPlant(expect, plant, 80, kinds);
    },
  );

  // Planted in the action's controls: found by the action runs and the hostile actor.
  it.concurrent.for<Hunt>([
    [
      'seal-unchecked',
      'a ledger edited by someone else read and sealed over',
      ['hostile-edit-accepted', 'hostile-plan-passed'],
    ],
    ['review-open', 'entries nobody reviewed released', ['unreviewed-sent', 'unreviewed-release']],
  ])(
    'finds the planted bug %s (%s) within 10 action seeds',
    { timeout: 600_000 },
    async ([plant, , kinds], { expect }) => {
      await findsPlant(expect, plant, 10, kinds);
    },
  );
});

/** A plant, what it breaks, and the violation kinds of which one must be among those found. */
type Hunt = [plant: string, what: string, kinds?: string[]];

async function findsPlant(
  expect: ExpectStatic,
  plant: string,
  runs: number,
  kinds: string[] | undefined,
) {
  const report = await runChaos({
    seed: SEED,
    runs,
    jobs: 2,
    actionShare: 0,
    plant,
    stopOnViolation: true,
  });
  const text = formatReport(report);
  expect(report.errors, text).toEqual([]);
  expect(report.violations.length, text).toBeGreaterThan(0);
  const found = [...new Set(report.violations.map((v) => v.violation.kind))];
  // Caught by the check meant for it, not by chance elsewhere.
  if (kinds)
    expect(
      found.filter((k) => kinds.includes(k)),
      text,
    ).not.toEqual([]);
  // Found, as it must be: one line, not the violation report (which reads like a failure).
  console.log(
    `planted bug ${plant} found as expected (${found.join(', ')}) at seed ${report.failingSeeds[0]}, after ${report.runs} run(s)`,
  );
}
