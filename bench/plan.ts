// Benchmark: `plan` over 10,000 entries and a 100,000-record ledger, against a floor measured
// in the same run. Targets: plan <= 1.30x the floor in wall time and <= 1.50x in peak RSS.
//
//   npm run bench:plan [-- --runs 7 --entries 10000 --records 100000 --cli dist/cli.js]
//   npm run bench:plan -- --help
//
// What is compared:
// - plan: the bundled CLI as a user runs it, `node dist/cli.js plan --format json` (output to a
//   file), without Cloudflare credentials so nothing is looked up. Whole-process wall time from
//   spawn to exit, and the process's peak RSS. No TypeScript is compiled at run time.
// - floor (bench/plan-floor.ts): the same work done naively with the same libraries: yaml's
//   parse(), ajv validation of the file and of every ledger line, JSON.parse of every line,
//   and a set difference. It locates, folds and renders nothing. It is bundled here with the
//   CLI's esbuild settings (one minified ESM file), so both sides load their libraries the
//   same way.
// Both run as child processes of the same node binary with the same preloaded probe (it only
// records resourceUsage() at exit). Runs alternate floor/plan (and which goes first), the first
// round warms the disk cache and is dropped, and medians are reported. CPU time (user + sys)
// is printed too: on a shared machine it varies less than wall time. Every plan run's output is
// checked against the totals the generated data implies, and the floor's counts likewise.
// `--format text|markdown` times the other output formats (checked less closely: their
// totals line); the targets are for json.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleLikeCli, distIsStale, median, run, type Sample, writeProbe } from './measure.js';

const HELP = `Usage: npm run bench:plan [-- options]

Times \`plan --format json\` of the bundled CLI against a floor (the same work done naively
with the same libraries: yaml parse, ajv, JSON.parse of every ledger line, a set difference),
each in its own process, alternating, and prints medians and the ratios plan/floor (targets:
time <= 1.30x, peak RSS <= 1.50x).

Options:
  --runs N        measured rounds (default 7; one more warm-up round is dropped)
  --entries N     entries in releases.yaml (default 10000, even)
  --records N     ledger records (default 100000, even; two per message)
  --cli FILE      the bundled CLI to time (default dist/cli.js; run \`npm run build\` first)
  --format F      plan's output format: json (default), text or markdown
  --node FILE     node binary for both sides (default: the one running this script)
  --generate DIR  only write the inputs into DIR, then exit
  -h, --help      show this help
`;

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    generate: { type: 'string' },
    runs: { type: 'string', default: '7' },
    entries: { type: 'string', default: '10000' },
    records: { type: 'string', default: '100000' },
    cli: { type: 'string', default: join(root, 'dist', 'cli.js') },
    format: { type: 'string', default: 'json' },
    node: { type: 'string', default: process.execPath },
  },
});

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const id = (n: number) =>
  `Q${n.toString(36).toUpperCase().padStart(13, '0')}-2026-${String(1 + (n % 12)).padStart(2, '0')}-1${n % 10}T10:00:00-${10000000 + n}`;

interface Expected {
  entries: number;
  lines: number;
  totals: Record<string, number>;
}

/** Writes the inputs and returns what a correct plan of them must report. */
async function generate(dir: string, entries: number, records: number): Promise<Expected> {
  // The ledger covers ids 0..records/2-1 with a pending then an outcome record each; the
  // file asks for the last entries/2 of those and entries/2 new ones.
  const messages = records / 2;
  const yaml = ['version: 1', `account_id: ${ACCOUNT}`, 'releases:'];
  let held = 0;
  for (let i = 0; i < entries; i++) {
    const n = messages - entries / 2 + i;
    if (n < messages && n % 10 === 0) held++;
    yaml.push(
      `  - id: ${id(n)}`,
      `    reason: "False positive from vendor ${i % 97}, ticket checked"`,
    );
    if (i % 3 === 0) yaml.push(`    ticket: SEC-${1000 + i}`);
    if (i % 4 === 0) yaml.push('    requested_by: alice@example.com');
  }
  await writeFile(join(dir, 'releases.yaml'), `${yaml.join('\n')}\n`);
  const ledgerDir = join(dir, 'releases.ledger');
  await mkdir(ledgerDir, { recursive: true });
  const shards = new Map<string, string[]>();
  for (let r = 0; r < messages; r++) {
    const month = `2026-${String(1 + (r % 11)).padStart(2, '0')}`;
    // As apply writes them: the records of one send share a time, a send per 100 messages of
    // the month (the month of message r is r % 11).
    const at = new Date(Date.UTC(2026, r % 11, 15, 10) + Math.floor(r / 1100) * 1000).toISOString();
    const base = { v: 1, account_id: ACCOUNT, id: id(r) };
    const lines = shards.get(month) ?? [];
    lines.push(
      JSON.stringify({
        ...base,
        seq: 1,
        attempt: 1,
        state: 'pending',
        at,
        reason: 'False positive',
        run: 'bench',
      }),
      JSON.stringify({
        ...base,
        seq: 2,
        attempt: 1,
        state: r % 10 === 0 ? 'partial' : 'released',
        at,
        via: 'release',
        delivered: ['alice@example.com', 'bob@example.com'],
        ...(r % 10 === 0 ? { failed: ['carol@example.com'] } : {}),
        run: 'bench',
      }),
    );
    shards.set(month, lines);
  }
  for (const [month, lines] of shards)
    await writeFile(join(ledgerDir, `${month}.jsonl`), `${lines.join('\n')}\n`);
  return {
    entries,
    lines: records,
    totals: {
      to_release: entries / 2,
      refused: 0,
      to_verify: 0,
      already_released: entries / 2 - held,
      held,
      orphaned: messages - entries / 2,
    },
  };
}

async function benchMain(): Promise<void> {
  const runs = Number(values.runs);
  const entries = Number(values.entries);
  const records = Number(values.records);
  if (!(runs >= 1 && entries >= 2 && entries % 2 === 0 && records >= entries && records % 2 === 0))
    throw new Error('--runs >= 1; --entries and --records even, records >= entries');
  const node = values.node as string;
  const cli = resolve(values.cli as string);

  const stale = cli === join(root, 'dist', 'cli.js') && distIsStale(root, node);

  const work = await mkdtemp(join(tmpdir(), 'qr-bench-plan-'));
  try {
    const expected = await generate(work, entries, records);
    const probe = await writeProbe(work);
    const floor = join(work, 'floor.mjs');
    await bundleLikeCli(root, join(root, 'bench', 'plan-floor.ts'), floor);

    const format = values.format as string;
    if (!['json', 'text', 'markdown'].includes(format))
      throw new Error('--format is json, text or markdown');
    const sides = {
      floor: [floor, work],
      plan: [
        cli,
        'plan',
        '--format',
        format,
        '--releases',
        'releases.yaml',
        '--ledger',
        'releases.ledger',
      ],
    } as const;
    const samples: Record<keyof typeof sides, Sample[]> = { floor: [], plan: [] };
    const out = join(work, 'out.txt');
    const orders = [
      ['floor', 'plan'],
      ['plan', 'floor'],
    ] as const;
    for (let round = 0; round <= runs; round++) {
      for (const side of orders[round % orders.length] ?? orders[0]) {
        const sample = run(node, probe, [...sides[side]], work, out);
        await verify(side === 'floor' ? 'floor' : format, await readFile(out, 'utf8'), expected);
        if (round > 0) samples[side].push(sample); // round 0 warms the disk cache
      }
    }

    const m = (side: keyof typeof sides, key: keyof Sample) =>
      median(samples[side].map((s) => s[key]));
    const range = (side: keyof typeof sides, key: 'ms' | 'rssMb') => {
      const xs = samples[side].map((s) => s[key]);
      return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
    };
    // Ranges too: peak RSS depends on when the collector runs, and varies from run to run.
    const line = (label: string, side: keyof typeof sides) =>
      `${label}: ${m(side, 'ms').toFixed(1)} ms wall (range ${range(side, 'ms')}), ${m(side, 'cpuMs').toFixed(1)} ms cpu, peak RSS ${m(side, 'rssMb').toFixed(1)} MB (range ${range(side, 'rssMb')})`;
    console.log(
      `plan benchmark: ${entries} entries, ${records} ledger records, ${runs} runs (median), --format ${format}, node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}, load average ${loadavg()[0]?.toFixed(2)}`,
    );
    if (stale)
      console.log('WARNING: dist/ differs from a fresh build of src/; run `npm run build` first');
    console.log(`plan totals: ${JSON.stringify(expected.totals)} (checked on every run)`);
    console.log(line('floor (naive: yaml parse, ajv, JSON.parse, set difference)', 'floor'));
    console.log(line(`plan (${relative(root, cli) || cli})`, 'plan'));
    console.log(
      `time ratio   plan/floor = ${(m('plan', 'ms') / m('floor', 'ms')).toFixed(2)}x wall, ${(m('plan', 'cpuMs') / m('floor', 'cpuMs')).toFixed(2)}x cpu   (target <= 1.30x)`,
    );
    console.log(
      `memory ratio plan/floor = ${(m('plan', 'rssMb') / m('floor', 'rssMb')).toFixed(2)}x   (target <= 1.50x)`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A fast wrong answer is no answer: every run's output must match the inputs. */
async function verify(side: string, text: string, expected: Expected): Promise<void> {
  if (side === 'floor') {
    const got = JSON.parse(text) as { entries: number; lines: number; to_release: number };
    if (
      got.entries !== expected.entries ||
      got.lines !== expected.lines ||
      got.to_release !== expected.totals.to_release
    )
      throw new Error(
        `floor read ${text.trim()}, expected ${expected.entries} entries, ${expected.lines} lines, ${expected.totals.to_release} to release`,
      );
    return;
  }
  let totals: Record<string, number> | undefined;
  if (side === 'json') totals = (JSON.parse(text) as { totals: Record<string, number> }).totals;
  else {
    // Text and markdown: the totals line, which comes after every message's line.
    const t = expected.totals;
    const wanted =
      side === 'text'
        ? `${t.to_release} to release, ${t.to_verify} to verify, ${t.already_released} already released, ${t.held} held, ${t.orphaned} no longer in the file.`
        : `${t.to_release} to release`;
    if (text.includes(wanted)) return;
    throw new Error(`plan --format ${side} does not say "${wanted}": ${text.slice(-500)}`);
  }
  if (JSON.stringify(totals) !== JSON.stringify(expected.totals))
    throw new Error(
      `plan reported ${JSON.stringify(totals)}, expected ${JSON.stringify(expected.totals)}`,
    );
}

if (values.help) process.stdout.write(HELP);
else if (values.generate) {
  await mkdir(values.generate, { recursive: true });
  await generate(values.generate, Number(values.entries), Number(values.records));
} else await benchMain();
