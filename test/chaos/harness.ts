// Many seeded chaos runs, a few at a time, and the report: runs, faults injected by kind,
// kills by crash point, what the hostile actor did and what came of it, violations with the
// seeds that reproduce them, convergence rounds, wall time.
import { DIST_CLI } from '../support/cli.js';
import { HOSTILE_KINDS } from './hostile.js';
import type { Figures, Violation } from './invariants.js';
import { PLANTS, plantedBundle } from './plants.js';
import { chaosRun, modeOf, type RunOutcome } from './run.js';

export interface ChaosOptions {
  /** First seed; run i uses seed + i. */
  seed: number;
  runs: number;
  /** Runs in flight at once. */
  jobs: number;
  /** Share of runs that drive the action (the rest drive the CLI). */
  actionShare: number;
  /** Force every run to this mode (to reproduce a seed whatever the share). */
  mode?: 'cli' | 'action';
  /** Run patched bundles with this bug planted (CLI runs, or action runs for the action's). */
  plant?: string;
  /** Stop scheduling runs after the first violation. */
  stopOnViolation?: boolean;
  /** Asked before each new run: true stops scheduling (runs in flight finish, the report is made). */
  stopRequested?: () => boolean;
  /** Called with each run's one-line summary. */
  onRun?: (outcome: RunOutcome) => void;
}

export interface ChaosReport {
  options: ChaosOptions;
  runs: number;
  cliRuns: number;
  actionRuns: number;
  violations: { seed: number; mode: string; violation: Violation }[];
  failingSeeds: number[];
  /** Runs that threw (a harness problem, reported apart from violations). */
  errors: { seed: number; message: string }[];
  faults: Record<string, number>;
  kills: Record<string, number>;
  /** The outcomes of the hostile actor's acts (hostile.ts), summed over the runs. */
  hostile: Record<string, number>;
  /** The hostile actor's acts by kind (every one of HOSTILE_KINDS, zeros too), and by variant. */
  acts: Record<string, number>;
  variants: Record<string, number>;
  /** Summed over the runs: double releases, lost records, releases no reviewed plan listed. */
  figures: Figures;
  rounds: Record<number, number>;
  wallMs: number;
  /** Per mode: total run time, to show where the time goes. */
  ms: { cli: number; action: number };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const bundle = options.plant ? await plantedBundle(options.plant) : DIST_CLI;
  // A planted bug runs where it can be found: the CLI, or the action for the action's controls.
  const planted = options.plant ? PLANTS[options.plant] : undefined;
  const actionShare = planted ? (planted.action ? 1 : 0) : options.actionShare;
  const report: ChaosReport = {
    options,
    runs: 0,
    cliRuns: 0,
    actionRuns: 0,
    violations: [],
    failingSeeds: [],
    errors: [],
    faults: {},
    kills: {},
    hostile: {},
    acts: Object.fromEntries(HOSTILE_KINDS.map((k) => [k, 0])),
    variants: {},
    figures: { doubleReleases: 0, lostRecords: 0, unreviewedReleases: 0 },
    rounds: {},
    wallMs: 0,
    ms: { cli: 0, action: 0 },
  };
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < options.runs && !options.stopRequested?.()) {
      const seed = options.seed + next++;
      const mode = options.mode ?? modeOf(seed, actionShare);
      let outcome: RunOutcome;
      try {
        outcome = await chaosRun({
          seed,
          mode,
          cliBundle: bundle,
        });
      } catch (error) {
        report.errors.push({
          seed,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        continue;
      }
      report.runs++;
      if (mode === 'cli') report.cliRuns++;
      else report.actionRuns++;
      report.ms[mode] += outcome.ms;
      for (const [k, n] of Object.entries(outcome.faults))
        report.faults[k] = (report.faults[k] ?? 0) + n;
      for (const [k, n] of Object.entries(outcome.kills))
        report.kills[k] = (report.kills[k] ?? 0) + n;
      for (const [k, n] of Object.entries(outcome.hostile))
        report.hostile[k] = (report.hostile[k] ?? 0) + n;
      for (const [k, n] of Object.entries(outcome.acts)) report.acts[k] = (report.acts[k] ?? 0) + n;
      for (const [k, n] of Object.entries(outcome.variants))
        report.variants[k] = (report.variants[k] ?? 0) + n;
      report.figures.doubleReleases += outcome.figures.doubleReleases;
      report.figures.lostRecords += outcome.figures.lostRecords;
      report.figures.unreviewedReleases += outcome.figures.unreviewedReleases;
      report.rounds[outcome.rounds] = (report.rounds[outcome.rounds] ?? 0) + 1;
      for (const violation of outcome.violations) report.violations.push({ seed, mode, violation });
      if (outcome.violations.length > 0) {
        report.failingSeeds.push(seed);
        if (options.stopOnViolation) stop = true;
      }
      options.onRun?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  report.failingSeeds.sort((a, b) => a - b);
  report.wallMs = Date.now() - started;
  return report;
}

function table(counts: Record<string, number>): string[] {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (rows.length === 0) return ['  (none)'];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, n]) => `  ${k.padEnd(width)}  ${n}`);
}

export function formatReport(r: ChaosReport): string {
  const o = r.options;
  const out: string[] = [];
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  out.push(
    `chaos: ${r.runs} run(s) from seed ${o.seed} (${r.cliRuns} CLI, ${r.actionRuns} action), ${o.jobs} at a time${o.plant ? `, planted bug: ${o.plant} (${PLANTS[o.plant]?.what})` : ''}`,
  );
  out.push(
    `wall time ${secs(r.wallMs)}; run time CLI ${secs(r.ms.cli)} (${r.cliRuns ? secs(r.ms.cli / r.cliRuns) : '-'} each), action ${secs(r.ms.action)} (${r.actionRuns ? secs(r.ms.action / r.actionRuns) : '-'} each)`,
  );
  out.push('faults injected (that hit a request), by kind:', ...table(r.faults));
  out.push('kills and signals, by crash point:', ...table(r.kills));
  out.push('hostile actions, by kind (each merged, then the tool ran):');
  out.push(...HOSTILE_KINDS.map((k) => `  ${k.padEnd(38)}  ${r.acts[k] ?? 0}`));
  out.push('hostile actions, by variant:', ...table(r.variants));
  out.push('what came of them:', ...table(r.hostile));
  const h = (k: string) => r.hostile[k] ?? 0;
  out.push(
    `hostile edits refused: ${h('ledger edits refused')}; repairs: ${h('repairs')}; review bypasses refused: ${h('review bypasses refused')}; retry flips: ${Object.entries(
      r.hostile,
    )
      .filter(([k]) => k.startsWith('retry flips ('))
      .reduce((a, [, n]) => a + n, 0)}`,
  );
  out.push(
    `convergence: clean runs until one changed nothing: ${Object.entries(r.rounds)
      .map(([k, n]) => `${k}: ${n} run(s)`)
      .join(', ')}`,
  );
  if (r.errors.length > 0) {
    out.push(`HARNESS ERRORS: ${r.errors.length}`);
    for (const e of r.errors.slice(0, 10))
      out.push(`  seed ${e.seed}: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
  }
  const f = r.figures;
  out.push(
    `double releases: ${f.doubleReleases}; lost records: ${f.lostRecords}; released with no reviewed plan listing them: ${f.unreviewedReleases}`,
  );
  if (r.violations.length === 0) out.push('violations: 0');
  else {
    out.push(
      `VIOLATIONS: ${r.violations.length} in ${r.failingSeeds.length} run(s); seeds: ${r.failingSeeds.join(', ')}`,
    );
    for (const { seed, mode, violation: v } of r.violations.slice(0, 40))
      out.push(
        `  seed ${seed} (${mode}) invariant ${v.invariant} ${v.kind}${v.key ? ` ${v.key}` : ''}: ${v.detail}`,
      );
    if (r.violations.length > 40) out.push(`  ... and ${r.violations.length - 40} more`);
    out.push(
      `reproduce one: npm run bench:chaos -- --seed ${r.failingSeeds[0]} --runs 1 --verbose --mode ${r.violations[0]?.mode}${o.plant ? ` --plant ${o.plant}` : ''}`,
    );
  }
  return out.join('\n');
}
