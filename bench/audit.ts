// Benchmark: `audit` over a 1,000,000-record ledger, against a baseline measured in the same
// run. No target: it prints time and peak memory, and the ratios to the baseline.
//
//   npm run bench:audit [-- --runs 3 --records 1000000 --cli dist/cli.js]
//   npm run bench:audit -- --help
//
// What is compared, each in its own process of the same node binary (bench/measure.ts):
// - floor (bench/audit-floor.ts): reads every shard and JSON.parses every line, nothing else,
//   as bench/plan-floor.ts reads the ledger. Bundled as the CLI is.
// - the bundled CLI as a user runs it, output to a file: `audit --format csv` and
//   `audit --format json` over the whole ledger (every attempt is in the period: the most it
//   can hold), and `audit --format csv` over one month (--since/--until: what a monthly report
//   holds).
// The ledger is test/support/audit-ledger.ts's: attempts over 2026 in pull requests of 50,
// two accounts, retries, outcomes read back days later. Sides alternate (and which goes
// first); the first round warms the disk cache and is dropped; medians are reported. Every
// output is checked against what the generated ledger implies: a fast wrong answer is none.
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir, uptime } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ExpectedAudit, writeAuditLedger } from '../test/support/audit-ledger.js';
import { bundleLikeCli, distIsStale, median, run, type Sample, writeProbe } from './measure.js';

const HELP = `Usage: npm run bench:audit [-- options]

Times the bundled CLI's \`audit\` (csv and json over the whole ledger, csv over one month)
against a floor that only reads and JSON.parses every ledger line, each in its own process,
alternating, and prints medians: wall time, CPU time, peak RSS, and the ratios to the floor.

Options:
  --runs N        measured rounds (default 3; one more warm-up round is dropped)
  --records N     ledger records (default 1000000)
  --month YYYY-MM the month of the one-month report (default 2026-06)
  --cli FILE      the bundled CLI to time (default dist/cli.js; run \`npm run build\` first)
  --node FILE     node binary for every side (default: the one running this script)
  --generate DIR  only write the ledger into DIR/releases.ledger, then exit
  -h, --help      show this help
`;

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    generate: { type: 'string' },
    runs: { type: 'string', default: '3' },
    records: { type: 'string', default: '1000000' },
    month: { type: 'string', default: '2026-06' },
    cli: { type: 'string', default: join(root, 'dist', 'cli.js') },
    node: { type: 'string', default: process.execPath },
  },
});

type Side = 'floor' | 'csv' | 'json' | 'month';

/** Bytes of `pattern` in a file, read in pieces (the outputs are hundreds of megabytes). */
async function countIn(path: string, pattern: string): Promise<number> {
  let count = 0;
  let tail = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    const text = tail + (chunk as string);
    let at = text.indexOf(pattern);
    while (at !== -1) {
      count++;
      at = text.indexOf(pattern, at + pattern.length);
    }
    tail = text.slice(Math.max(0, text.length - pattern.length + 1));
  }
  return count;
}

/** The JSON output's summary: it comes before the rows, so only the head is parsed. */
async function jsonSummary(path: string): Promise<{ attempts: number; by_outcome: unknown }> {
  for await (const chunk of createReadStream(path, { encoding: 'utf8', end: 1 << 20 })) {
    const head = chunk as string;
    const end = head.indexOf(',"rows":');
    if (end === -1) break;
    return (
      JSON.parse(`${head.slice(0, end)}}`) as { summary: { attempts: number; by_outcome: unknown } }
    ).summary;
  }
  throw new Error('bench: no summary at the head of the JSON output');
}

async function verify(side: Side, out: string, expected: ExpectedAudit, month: string) {
  const fail = (what: string) => {
    throw new Error(`bench: ${side} output: ${what}`);
  };
  if (side === 'floor') {
    const got = JSON.parse(await readFile(out, 'utf8')) as { lines: number };
    if (got.lines !== expected.records) fail(`${got.lines} lines, expected ${expected.records}`);
    return;
  }
  if (side === 'json') {
    const summary = await jsonSummary(out);
    if (summary.attempts !== expected.attempts)
      fail(`${summary.attempts} attempts, expected ${expected.attempts}`);
    if (JSON.stringify(summary.by_outcome) !== JSON.stringify(expected.by_outcome))
      fail(`outcomes ${JSON.stringify(summary.by_outcome)}`);
    const rows = await countIn(out, '{"first_at":');
    if (rows !== expected.attempts) fail(`${rows} rows`);
    return;
  }
  // CSV: a header line, then a line per attempt (the generated reasons hold no line break).
  const lines = await countIn(out, '\r\n');
  const attempts = side === 'csv' ? expected.attempts : expected.by_month[month];
  if (lines !== (attempts ?? 0) + 1) fail(`${lines} lines, expected ${(attempts ?? 0) + 1}`);
}

async function benchMain(): Promise<void> {
  const runs = Number(values.runs);
  const records = Number(values.records);
  const month = values.month as string;
  if (!(runs >= 1 && records >= 100 && /^2026-(0[1-9]|1[0-2])$/.test(month)))
    throw new Error('--runs >= 1, --records >= 100, --month a month of 2026');
  const node = values.node as string;
  const cli = resolve(values.cli as string);
  const stale = cli === join(root, 'dist', 'cli.js') && distIsStale(root, node);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const until = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);

  const work = await mkdtemp(join(tmpdir(), 'qr-bench-audit-'));
  try {
    const started = Date.now();
    const expected = await writeAuditLedger(join(work, 'releases.ledger'), { records });
    const generated = Date.now() - started;
    const probe = await writeProbe(work);
    const floor = join(work, 'floor.mjs');
    await bundleLikeCli(root, join(root, 'bench', 'audit-floor.ts'), floor);

    const audit = (...args: string[]) => [cli, 'audit', '--ledger', 'releases.ledger', ...args];
    const sides: Record<Side, string[]> = {
      floor: [floor, 'releases.ledger'],
      csv: audit('--format', 'csv'),
      json: audit('--format', 'json'),
      month: audit('--format', 'csv', '--since', `${month}-01`, '--until', until),
    };
    const samples: Record<Side, Sample[]> = { floor: [], csv: [], json: [], month: [] };
    const loads: string[] = [];
    const order: Side[] = ['floor', 'csv', 'json', 'month'];
    const out = join(work, 'out');
    for (let round = 0; round <= runs; round++) {
      // Rotated each round, so no side always runs first or last.
      const sequence = [...order.slice(round % 4), ...order.slice(0, round % 4)];
      for (const side of sequence) {
        const sample = run(node, probe, sides[side], work, out);
        await verify(side, out, expected, month);
        if (round > 0) samples[side].push(sample); // round 0 warms the disk cache
      }
      loads.push(
        loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      );
    }

    const med = (side: Side, key: keyof Sample) => median(samples[side].map((s) => s[key]));
    const range = (side: Side, key: keyof Sample) => {
      const xs = samples[side].map((s) => s[key]);
      return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
    };
    const line = (label: string, side: Side) =>
      `${label.padEnd(34)} ${med(side, 'ms').toFixed(0).padStart(6)} ms wall (${range(side, 'ms')}), ${med(side, 'cpuMs').toFixed(0).padStart(6)} ms cpu, peak RSS ${med(side, 'rssMb').toFixed(1).padStart(6)} MB (${range(side, 'rssMb')})`;
    const ratio = (side: Side) =>
      `${side.padEnd(5)} / floor: ${(med(side, 'ms') / med('floor', 'ms')).toFixed(2)}x wall, ${(med(side, 'cpuMs') / med('floor', 'cpuMs')).toFixed(2)}x cpu, ${(med(side, 'rssMb') / med('floor', 'rssMb')).toFixed(2)}x peak RSS`;
    console.log(
      `audit benchmark: ${expected.records} ledger records (${expected.attempts} attempts, written in ${(generated / 1000).toFixed(1)} s), ${runs} runs (median), node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`,
    );
    console.log(
      `load average (1, 5, 15 min) after each round: ${loads.join(' | ')}; up ${(uptime() / 60).toFixed(0)} min`,
    );
    if (stale)
      console.log('WARNING: dist/ differs from a fresh build of src/; run `npm run build` first');
    console.log(
      `outcomes: ${JSON.stringify(expected.by_outcome)}; ${month}: ${expected.by_month[month]} attempts (checked on every run)`,
    );
    console.log(line('floor (read + JSON.parse)', 'floor'));
    console.log(line(`audit csv (${relative(root, cli) || cli})`, 'csv'));
    console.log(line('audit json', 'json'));
    console.log(line(`audit csv, ${month} only`, 'month'));
    for (const side of ['csv', 'json', 'month'] as const) console.log(ratio(side));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (values.help) process.stdout.write(HELP);
else if (values.generate) {
  await mkdir(values.generate, { recursive: true });
  await writeAuditLedger(join(values.generate, 'releases.ledger'), {
    records: Number(values.records),
  });
} else await benchMain();
