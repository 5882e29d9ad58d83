// Chaos harness for the at-most-once release: seeded, reproducible runs of the real bundled
// apply (the CLI as a subprocess, the action against a fake GitHub API) through Cloudflare
// faults, kills at every crash point, a branch moving under the action, two runs at once and
// a hostile actor between runs (retries flipped; for the action, the ledger edited and
// reviews bypassed: test/chaos/hostile.ts); then clean runs until nothing changes, and the
// invariants checked against the emulator's own record of what it delivered and the tool's
// own (sealed) commits.
//
//   npm run bench:chaos -- --runs 1000                 # the full proof (see --jobs)
//   npm run bench:chaos -- --seed 4242 --runs 1 --verbose --mode cli   # reproduce one seed
//   npm run bench:chaos -- --plant retry-post --runs 200               # a planted bug is found
//
// A seed fixes the world, the fault script and the kill plan; where a timer kill lands, and
// how requests interleave, still depend on timing, so a failing seed is re-run with
// --verbose a few times when it does not fail at once.
import { parseArgs } from 'node:util';
import { formatReport, runChaos } from '../test/chaos/harness.js';
import { PLANTS } from '../test/chaos/plants.js';

const HELP = `Usage: npm run bench:chaos -- [options]

Seeded chaos runs of the bundled apply (CLI and action) through Cloudflare faults, kills at
every crash point, a moving branch, two runs at once and a hostile actor between runs
(retries flipped; for the action, ledger edits and replays, the plan comment's marker
removed, review bypasses); then clean runs until nothing changes, and the invariants checked
against the emulator's record and the tool's sealed commits. The report counts the hostile
acts by kind, double releases, lost records and releases no reviewed plan listed.

Options:
  --seed N            first seed (default 1); run i uses seed + i
  --runs N            number of runs (default 100)
  --jobs N            runs at once (default 2)
  --action-share X    share of runs driving the action, 0-1 (default 0.08)
  --mode cli|action   every run in this mode (to reproduce a seed)
  --plant NAME        run with a planted bug (${Object.keys(PLANTS).join(', ')});
                      CLI runs, or action runs for a bug of the action's controls
                      (${Object.keys(PLANTS)
                        .filter((k) => PLANTS[k]?.action)
                        .join(', ')}); stops at the first violation unless --all
  --all               with --plant: run every seed anyway
  --verbose           one line per run, and every violation
  -h, --help          this help

Exit code: 0 when no invariant was violated (with --plant: when the planted bug was found),
1 otherwise, 2 for a usage error.
`;

let parsed: ReturnType<typeof parseOptions>;
try {
  parsed = parseOptions();
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function parseOptions() {
  return parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '100' },
      jobs: { type: 'string', default: '2' },
      'action-share': { type: 'string', default: '0.08' },
      mode: { type: 'string' },
      plant: { type: 'string' },
      all: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

const int = (name: string, value: string | undefined, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number of at least ${min}`);
    process.exit(2);
  }
  return n;
};
const mode = values.mode;
if (mode !== undefined && mode !== 'cli' && mode !== 'action') {
  console.error('--mode must be cli or action');
  process.exit(2);
}
if (values.plant !== undefined && !PLANTS[values.plant]) {
  console.error(`--plant must be one of: ${Object.keys(PLANTS).join(', ')}`);
  process.exit(2);
}
const runs = int('runs', values.runs, 1);
let done = 0;
// SIGINT/SIGTERM: start no new run, let those in flight finish, print the report so far.
let interrupted = false;
const interrupt = () => {
  interrupted = true;
  console.log('interrupted: finishing the runs in flight, then reporting');
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);
const report = await runChaos({
  seed: int('seed', values.seed, 0),
  runs,
  jobs: int('jobs', values.jobs, 1),
  actionShare: Number(values['action-share']),
  ...(mode ? { mode } : {}),
  stopRequested: () => interrupted,
  ...(values.plant ? { plant: values.plant, stopOnViolation: !values.all } : {}),
  onRun: (o) => {
    done++;
    if (values.verbose)
      console.log(`[${done}/${runs}] ${o.summary} (${(o.ms / 1000).toFixed(1)} s)`);
    else if (done % 50 === 0 || o.violations.length > 0)
      console.log(`[${done}/${runs}] ${o.violations.length > 0 ? o.summary : 'ok so far'}`);
    if (values.verbose)
      for (const v of o.violations)
        console.log(
          `    invariant ${v.invariant} ${v.kind}${v.key ? ` ${v.key}` : ''}: ${v.detail}`,
        );
  },
});
console.log(formatReport(report));
if (interrupted)
  console.log(
    `stopped after ${report.runs} of ${runs} runs; the rest: npm run bench:chaos -- --seed ${Number(values.seed) + report.runs + report.errors.length} --runs ${runs - report.runs - report.errors.length}`,
  );
if (values.plant) {
  if (report.violations.length > 0)
    console.log(
      `planted bug ${values.plant} DETECTED after ${report.runs} run(s) (first failing seed ${report.failingSeeds[0]})`,
    );
  else console.log(`planted bug ${values.plant} NOT detected in ${report.runs} run(s)`);
  process.exit(report.violations.length > 0 ? 0 : 1);
}
process.exit(report.violations.length === 0 && report.errors.length === 0 ? 0 : 1);
