// Benchmark: `apply` of 50,000 ids against the embedded emulator with 50 ms of latency and
// Cloudflare's 1,200 requests / 5 minutes scaled down to the same rate over 30 s (120 / 30 s),
// for several batch sizes, against a lower bound on wall time computed for the same settings.
//
//   npm run bench:release [-- --ids 50000 --latency-ms 50 --limit 120 --window-s 30 \
//                             --batch-sizes 100,250,500,1000 --concurrency 2 --also-concurrency 1,4]
//   smoke (about 30 s): npm run bench:release -- --ids 5000 --limit 20 --window-s 5 --batch-sizes 100,500 --cheap-s 2
//   more apply options: --apply-args="--timeout-seconds 60" (with `=`, as the value starts with a dash)
//
// Each run is the real CLI in its own process (`node --import tsx src/cli.ts apply`, or the
// bundle with `--cli dist`) in a fresh folder with a fresh ledger, against an emulator in this
// process (reset between runs: mailbox, truth and rate-limit counters). Figures:
// - req/id: every API request the emulator received (GETs included) / ids it released;
// - 429s: answers with status 429 in the emulator's truth (target 0);
// - load: from spawning the CLI to the first API request (start, read, validate, plan, lock,
//   first write-ahead); release: from the first API request's arrival (emulator truth) to the
//   CLI's progress line saying every id is done (after the last answer and its ledger write);
// - local: the same release phase against a second emulator with no latency and no rate limit:
//   what the CLI and the emulator cost on this machine, which no pacing can go below;
// - efficiency = lower bound / release phase (target >= 0.9 against the tool's own budget);
// - peak/win: the most requests the emulator counted in one of its fixed windows (rebuilt from
//   truth: counted at arrival + latency), against the budget the pacer allows itself;
//   lag: mean/max delay from the end of a spent window to the next request being counted
//   (the price of learning when a window ends from whole-second headers).
// No assertions: the figures are printed for people to judge.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_MAX_PER_SECOND,
  DEFAULT_RESERVE_SHARE,
} from '../src/adapters/cloudflare/rate-limit.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  type Emulator,
  startEmulator,
} from '../src/emulator/index.js';

const { values } = parseArgs({
  options: {
    ids: { type: 'string', default: '50000' },
    'latency-ms': { type: 'string', default: '50' },
    limit: { type: 'string', default: '120' },
    'window-s': { type: 'string', default: '30' },
    'batch-sizes': { type: 'string', default: '100,250,500,1000' },
    concurrency: { type: 'string', default: '2' },
    /** Extra concurrency levels, run only where their bound is at most --cheap-s. */
    'also-concurrency': { type: 'string', default: '1,4' },
    'cheap-s': { type: 'string', default: '15' },
    cli: { type: 'string', default: 'src' },
    /** More options for every `apply` run, space-separated (e.g. "--timeout-seconds 60"). */
    'apply-args': { type: 'string', default: '' },
    /** Skip the runs without latency and limit (the `local` column). */
    'no-local': { type: 'boolean', default: false },
  },
});

function whole(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number >= ${min}`);
  return n;
}
const list = (name: string, text: string) =>
  text === '' ? [] : text.split(',').map((s) => whole(name, s.trim(), 1));

const N = whole('ids', values.ids, 1);
const L = whole('latency-ms', values['latency-ms'], 0);
const LIMIT = whole('limit', values.limit, 1);
const W = whole('window-s', values['window-s'], 1) * 1000;
const BATCH_SIZES = list('batch-sizes', values['batch-sizes']);
const CONCURRENCY = whole('concurrency', values.concurrency, 1);
const ALSO = list('also-concurrency', values['also-concurrency']).filter((c) => c !== CONCURRENCY);
const CHEAP_MS = whole('cheap-s', values['cheap-s'], 0) * 1000;
if (values.cli !== 'src' && values.cli !== 'dist') throw new Error('--cli must be src or dist');

const APPLY_ARGS = values['apply-args'].split(/\s+/).filter((a) => a !== '');
const REPO = join(fileURLToPath(import.meta.url), '..', '..');
const CLI =
  values.cli === 'dist'
    ? [join(REPO, 'dist', 'cli.js')]
    : ['--import', import.meta.resolve('tsx'), join(REPO, 'src', 'cli.ts')];
/** Cloudflare's other limit: 200 requests per second per IP (the emulator does not enforce it). */
const IP_PER_SECOND = 200;
const RESERVE = Math.max(1, Math.ceil(LIMIT * DEFAULT_RESERVE_SHARE));
const OWN_Q = LIMIT - RESERVE;

// --- the lower bound ------------------------------------------------------------------------

interface Bound {
  requests: number;
  latencyMs: number;
  budgetMs: number;
  rateMs: number;
  ms: number;
}

/**
 * Earliest end of the last answer, time 0 being the first POST's arrival, for R = ceil(N/B)
 * requests, at most C in flight, each taking L, Q accepted per fixed window of W that opens
 * when its first request is counted, and at most `perSecond` request starts per second:
 * - latency: ceil(R/C) × L;
 * - budget: k = floor((R-1)/Q) windows must be spent before the last one opens (no earlier than
 *   k × W after the first request), and the r = R - k×Q requests left for it need ceil(r/C)
 *   round trips: k × W + ceil(r/C) × L (the floor((R-1)/Q) × W + L, plus the rounds
 *   the last window's requests need at concurrency C, which no schedule avoids);
 * - rate: (R-1) / perSecond + L;
 * and the bound is the largest of the three.
 */
function lowerBound(ids: number, b: number, c: number, q: number, perSecond: number): Bound {
  const requests = Math.ceil(ids / b);
  const latencyMs = Math.ceil(requests / c) * L;
  const k = Math.floor((requests - 1) / q);
  const budgetMs = k * W + Math.ceil((requests - k * q) / c) * L;
  const rateMs = ((requests - 1) * 1000) / perSecond + L;
  return { requests, latencyMs, budgetMs, rateMs, ms: Math.max(latencyMs, budgetMs, rateMs) };
}
const fullBound = (b: number, c: number) => lowerBound(N, b, c, LIMIT, IP_PER_SECOND);
const ownBound = (b: number, c: number) => lowerBound(N, b, c, OWN_Q, DEFAULT_MAX_PER_SECOND);

// --- inputs ---------------------------------------------------------------------------------

const queueId = (n: number) => `B${n.toString(36).toUpperCase().padStart(13, '0')}`;
const messageId = (n: number) =>
  `${queueId(n)}-2026-${String(1 + (n % 12)).padStart(2, '0')}-1${n % 10}T10:00:00-${10000000 + n}`;

function releasesYaml(): string {
  const lines = ['version: 1', `account_id: ${DEFAULT_ACCOUNT}`, 'releases:'];
  for (let i = 0; i < N; i++) {
    lines.push(
      `  - id: ${messageId(i)}`,
      `    reason: "False positive from vendor ${i % 97}, checked by security"`,
    );
    if (i % 3 === 0) lines.push(`    ticket: SEC-${1000 + i}`);
    if (i % 4 === 0) lines.push('    requested_by: alice@example.com');
  }
  return `${lines.join('\n')}\n`;
}

// --- one run --------------------------------------------------------------------------------

interface Run {
  batch: number;
  concurrency: number;
  code: number;
  requests: number;
  gets: number;
  posts: number;
  rateLimited: number;
  released: number;
  loadMs: number;
  /** From the first API request to the first release POST. */
  preMs: number;
  releaseMs: number;
  /** The release phase ended without the "N/N ids done" line: estimated from truth. */
  estimatedEnd: boolean;
  totalMs: number;
  peakPerWindow: number;
  windows: number;
  resetLagMs: number[];
  /** Release phase of the same run without latency and rate limit. */
  localMs?: number;
}

function spawnCli(args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function run(
  emulator: Emulator,
  latencyMs: number,
  yaml: string,
  batch: number,
  concurrency: number,
): Promise<Run> {
  emulator.reset(); // also clears the faults: set the latency again
  emulator.setFaults({ latencyMs });
  const dir = await mkdtemp(join(tmpdir(), 'qr-bench-release-'));
  try {
    await writeFile(join(dir, 'releases.yaml'), yaml);
    const doneLine = new RegExp(`; ${N}/${N} ids done`);
    let doneAt: number | undefined;
    let stderrTail = '';
    let pending = '';
    const start = Date.now();
    const child = spawnCli(
      ['apply', '--batch-size', String(batch), '--concurrency', String(concurrency), ...APPLY_ARGS],
      dir,
      { CLOUDFLARE_API_BASE_URL: emulator.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN },
    );
    child.stdout?.resume(); // the per-id report: read and dropped
    child.stderr?.on('data', (chunk: Buffer) => {
      const now = Date.now();
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (doneAt === undefined && doneLine.test(line)) doneAt = now;
        if (!line.startsWith('batch ')) stderrTail = `${stderrTail}${line}\n`.slice(-4000);
      }
    });
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    const end = Date.now();

    const truth = emulator.truth();
    const requests = truth.requests;
    if (requests.length === 0) throw new Error(`no API request (exit ${code}):\n${stderrTail}`);
    const arrivals = requests.map((r) => Date.parse(r.at));
    const first = Math.min(...arrivals);
    const last = Math.max(...arrivals);
    // The release phase starts with the first release POST; requests before it (read-backs,
    // checks) are reported apart.
    const posts = requests.filter((r) => r.method === 'POST').map((r) => Date.parse(r.at));
    const releaseStart = posts.length > 0 ? Math.min(...posts) : first;
    const released = new Set(
      truth.releases
        .filter((r) => r.failed.length === 0 && r.undelivered.length === 0)
        .map((r) => r.id),
    ).size;
    if (code !== 0 || released !== N)
      process.stderr.write(
        `warning: batch ${batch} concurrency ${concurrency}: exit ${code}, ${released}/${N} released\n${stderrTail}`,
      );

    // The emulator's fixed windows, rebuilt: a request is counted after the latency.
    let windowStart = Number.NEGATIVE_INFINITY;
    let count = 0;
    let peak = 0;
    let windows = 0;
    const resetLagMs: number[] = [];
    let spentEnd: number | undefined;
    for (const counted of [...arrivals].sort((a, b) => a - b).map((t) => t + latencyMs)) {
      if (counted >= windowStart + W) {
        if (spentEnd !== undefined) resetLagMs.push(counted - spentEnd);
        windows++;
        windowStart = counted;
        count = 0;
      }
      count++;
      peak = Math.max(peak, count);
      // A window whose budget is spent ends a wait; others end on their own.
      spentEnd = count >= OWN_Q ? windowStart + W : undefined;
    }

    return {
      batch,
      concurrency,
      code,
      requests: requests.length,
      gets: requests.filter((r) => r.method === 'GET').length,
      posts: requests.filter((r) => r.method === 'POST').length,
      rateLimited: requests.filter((r) => r.status === 429).length,
      released,
      loadMs: first - start,
      preMs: releaseStart - first,
      releaseMs: (doneAt ?? last + latencyMs) - releaseStart,
      estimatedEnd: doneAt === undefined,
      totalMs: end - start,
      peakPerWindow: peak,
      windows,
      resetLagMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** ms from spawn to exit of `quarantine-release --version`: the start-up part of `load`. */
async function startupBaseline(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = Date.now();
    const child = spawnCli(['--version'], REPO, {});
    child.stdout?.resume();
    child.stderr?.resume();
    await new Promise((resolve) => child.on('close', resolve));
    if (i > 0) times.push(Date.now() - start); // the first warms the caches
  }
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN;
}

// --- main -----------------------------------------------------------------------------------

const s = (ms: number, digits = 1) => (ms / 1000).toFixed(digits);

function row(r: Run): string[] {
  const full = fullBound(r.batch, r.concurrency);
  const own = ownBound(r.batch, r.concurrency);
  const lag =
    r.resetLagMs.length > 0
      ? `${Math.round(r.resetLagMs.reduce((a, b) => a + b, 0) / r.resetLagMs.length)}/${Math.max(...r.resetLagMs)}`
      : '-';
  return [
    String(r.batch),
    String(r.concurrency),
    String(r.posts),
    String(r.gets),
    `${r.released}`,
    (r.requests / Math.max(1, r.released)).toFixed(4),
    String(r.rateLimited),
    `${r.peakPerWindow}/${OWN_Q}`,
    String(r.windows),
    lag,
    s(r.loadMs),
    s(r.preMs),
    `${s(r.releaseMs, 2)}${r.estimatedEnd ? '*' : ''}`,
    r.localMs === undefined ? '-' : s(r.localMs, 2),
    s(full.ms, 2),
    (full.ms / r.releaseMs).toFixed(3),
    s(own.ms, 2),
    (own.ms / r.releaseMs).toFixed(3),
    s(r.totalMs),
    r.code === 0 ? '0' : `${r.code}!`,
  ];
}

const HEADER = [
  'batch',
  'conc',
  'POSTs',
  'GETs',
  'released',
  'req/id',
  '429s',
  'peak/win',
  'wins',
  'lag ms',
  'load s',
  'pre s',
  'release s',
  'local s',
  'full LB s',
  'eff full',
  'own LB s',
  'eff own',
  'total s',
  'exit',
];

function table(rows: string[][]): string {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const yaml = releasesYaml();
const messages = Array.from({ length: N }, (_, i) => ({
  id: messageId(i),
  to: [`user${i % 1000}@example.com`],
}));
const emulator = await startEmulator({ messages, rateLimit: { limit: LIMIT, windowMs: W } });
const unlimited = values['no-local']
  ? undefined
  : await startEmulator({ messages, rateLimit: false });
try {
  const plan: [number, number][] = [];
  for (const b of BATCH_SIZES) {
    plan.push([b, CONCURRENCY]);
    for (const c of ALSO) if (ownBound(b, c).ms <= CHEAP_MS) plan.push([b, c]);
  }
  const baseline = await startupBaseline();
  console.log(
    `release benchmark: ${N} ids (releases.yaml ${(Buffer.byteLength(yaml) / 1024 / 1024).toFixed(1)} MiB), latency ${L} ms, ` +
      `limit ${LIMIT} per ${W / 1000} s (fixed windows, block ${W / 1000} s), ` +
      `CLI ${values.cli === 'dist' ? 'dist/cli.js' : 'src/cli.ts via tsx'}, node ${process.version}, ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `pacer: reserve ${DEFAULT_RESERVE_SHARE * 100}% => own budget Q' = ${LIMIT} - ${RESERVE} = ${OWN_Q} per window; ` +
      `at most ${DEFAULT_MAX_PER_SECOND} starts/s`,
  );
  const rows: Run[] = [];
  for (const [b, c] of plan) {
    const own = ownBound(b, c);
    process.stderr.write(
      `running batch ${b}, concurrency ${c}: ${own.requests} requests, own bound ${s(own.ms)} s...\n`,
    );
    const measured = await run(emulator, L, yaml, b, c);
    if (unlimited) measured.localMs = (await run(unlimited, 0, yaml, b, c)).releaseMs;
    rows.push(measured);
  }
  console.log('');
  console.log(table(rows.map(row)));
  console.log(`(load average at the end: ${loadavg()[0]?.toFixed(1)})`);
  console.log('');
  console.log(`Lower bound (LB), time 0 = first release POST's arrival, R = ceil(N/B) requests, C in flight, each L = ${L} ms:
  LB = max( ceil(R/C) x L,                                  latency
            k x W + ceil((R - k x Q)/C) x L, k = floor((R-1)/Q),  budget: fixed windows of W = ${W / 1000} s
            (R-1)/P + L )                                   request-rate cap P per second
  full LB: Q = ${LIMIT} (the whole limit), P = ${IP_PER_SECOND} (Cloudflare's per-IP limit)
  own  LB: Q = ${OWN_Q} (the limit minus the ${DEFAULT_RESERVE_SHARE * 100}% reserve the pacer keeps for the dashboard), P = ${DEFAULT_MAX_PER_SECOND} (the pacer's cap)
  efficiency = LB / release phase; target >= 0.9 against the own LB (the reserve is a promise, not waste).
  pre = first API request -> first release POST (read-backs and checks before releasing, if any)
  release phase = first release POST's arrival (emulator truth) -> the CLI printing "${N}/${N} ids done"${rows.some((r) => r.estimatedEnd) ? '\n  * no such line: last arrival + L used instead' : ''}
  local = the same release phase with no latency and no rate limit (this machine's floor)
  load = CLI spawn -> first API request (start-up alone, \`--version\` spawn to exit: ${s(baseline, 2)} s)
  req/id = every API request the emulator received / ids it released; 429s from its truth
  peak/win = most requests counted in one emulator window / own budget; wins = windows used;
  lag ms = mean/max delay from the end of a spent window to the next request counted (0 ideal)`);
} finally {
  await emulator.close();
  await unlimited?.close();
}
