// Benchmark: `apply` of 50,000 ids against the embedded emulator with 50 ms of latency and
// Cloudflare's 1,200 requests / 5 minutes scaled down to the same rate over 30 s (120 / 30 s),
// for several batch sizes, against a lower bound on wall time computed for the same settings
// that counts every request the run must make: the checks before releasing and the releases.
//
//   npm run bench:release [-- --ids 50000 --latency-ms 50 --limit 120 --window-s 30 \
//                             --batch-sizes 100,250,500,1000 --concurrency 2 --also-concurrency 1,4]
//   smoke (under a minute): npm run bench:release -- --smoke
//     (= --ids 5000 --limit 20 --window-s 5 --batch-sizes 100,500 --cheap-s 2)
//   more apply options: --apply-args="--timeout-seconds 60" (with `=`, as the value starts with a dash)
//   npm run bench:release -- --help
//   release by search (issue 14): npm run bench:release -- --search
//     (= --ids 10000 --batch-sizes 100: one `search:` entry resolving to every id, limit N)
//
// Each run is the real CLI in its own process (`node --import tsx src/cli.ts apply`, or the
// bundle with `--cli dist`) in a fresh folder with a fresh ledger, against an emulator in this
// process (reset between runs: mailbox, truth and rate-limit counters). The mailbox holds the
// ids to release, all quarantined SPAM, scanned over the two weeks before the benchmark starts
// (ids carry their scan time, as Cloudflare's do). The CLI keeps its safety defaults except
// the limit on releases per run, raised to the number of ids with `--max-releases` (as a user
// releasing that many must); its lookup budget is its default unless the ids need more pages.
// Figures:
// - searches / GETs / POSTs: the requests the emulator received, by kind; req/id: all of them
//   (and each kind) per id released; 429s: answers with status 429 in its truth (target 0);
// - load: CLI spawn -> first API request (start, read, validate, plan, lock);
//   check: first API request -> first release POST (the look-ups before releasing);
//   release: first release POST's arrival -> the CLI's progress line saying every id is done;
//   run = check + release (every API request of the run); total: spawn -> exit;
// - local: the run phase against a second emulator with no latency and no rate limit: what
//   the CLI and the emulator cost on this machine, which no pacing can go below;
// - efficiency = lower bound / measured (target >= 0.9): for the run (checks and releases)
//   against the tool's own budget and against the whole limit, and for the release phase alone;
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
import { DEFAULT_LOOKUP_BUDGET } from '../src/cli/safety-options.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  type Emulator,
  startEmulator,
} from '../src/emulator/index.js';
import { SEARCH_PER_PAGE } from '../src/engine/inspect.js';

const HELP = `Usage: npm run bench:release [-- OPTIONS]

apply of --ids ids against the embedded emulator (latency, scaled rate limit), per batch size;
prints requests by kind, 429s, phases and efficiency against a lower bound (see bench/release.ts).

  --ids N               ids to release (default 50000)
  --latency-ms N        emulator latency per request (default 50)
  --limit N             requests per window (default 120: Cloudflare's 1,200 / 5 min over 30 s)
  --window-s N          window length in seconds (default 30)
  --batch-sizes LIST    ids per release POST, one run each (default 100,250,500,1000)
  --concurrency N       requests in flight (default 2, the CLI's default)
  --also-concurrency L  more concurrency levels, run only where their bound is <= --cheap-s (default 1,4)
  --cheap-s N           see --also-concurrency (default 15)
  --lookup-budget N     the CLI's --lookup-budget (default: its own, or more if the ids need it)
  --cli src|dist        run src/cli.ts through tsx (default) or the bundle dist/cli.js
  --apply-args="..."    more apply options, space-separated
  --no-local            skip the runs without latency and limit (the local column)
  --smoke               a short run: --ids 5000 --limit 20 --window-s 5 --batch-sizes 100,500 --cheap-s 2
  --search              release by search: releases.yaml is one \`search:\` entry (a sender, a
                        window over the 14 days, limit N) that apply resolves to the N ids
                        (default --ids 10000 --batch-sizes 100; at most 10,000, the limit's maximum)
  -h, --help            this help
`;

const { values } = parseArgs({
  options: {
    ids: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    limit: { type: 'string' },
    'window-s': { type: 'string' },
    'batch-sizes': { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    /** Extra concurrency levels, run only where their bound is at most --cheap-s. */
    'also-concurrency': { type: 'string', default: '1,4' },
    'cheap-s': { type: 'string' },
    'lookup-budget': { type: 'string' },
    cli: { type: 'string', default: 'src' },
    /** More options for every `apply` run, space-separated (e.g. "--timeout-seconds 60"). */
    'apply-args': { type: 'string', default: '' },
    /** Skip the runs without latency and limit (the `local` column). */
    'no-local': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    search: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
// Explicit options win over the smoke preset.
const SEARCH = values.search;
const preset = values.smoke
  ? { ids: SEARCH ? '2000' : '5000', limit: '20', window: '5', batches: '100,500', cheap: '2' }
  : SEARCH
    ? { ids: '10000', limit: '120', window: '30', batches: '100', cheap: '15' }
    : { ids: '50000', limit: '120', window: '30', batches: '100,250,500,1000', cheap: '15' };

function whole(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number >= ${min}`);
  return n;
}
const list = (name: string, text: string) =>
  text === '' ? [] : text.split(',').map((s) => whole(name, s.trim(), 1));

const N = whole('ids', values.ids ?? preset.ids, 1);
const L = whole('latency-ms', values['latency-ms'], 0);
const LIMIT = whole('limit', values.limit ?? preset.limit, 1);
const W = whole('window-s', values['window-s'] ?? preset.window, 1) * 1000;
const BATCH_SIZES = list('batch-sizes', values['batch-sizes'] ?? preset.batches);
const CONCURRENCY = whole('concurrency', values.concurrency, 1);
const ALSO = list('also-concurrency', values['also-concurrency']).filter((c) => c !== CONCURRENCY);
const CHEAP_MS = whole('cheap-s', values['cheap-s'] ?? preset.cheap, 0) * 1000;
if (values.cli !== 'src' && values.cli !== 'dist') throw new Error('--cli must be src or dist');
if (SEARCH && N > 10_000)
  throw new Error('--search: at most 10000 ids (a search limit is at most 10,000)');
/** Fewest search pages that can answer for N ids: each page holds at most SEARCH_PER_PAGE. */
const MIN_SEARCHES = Math.ceil(N / SEARCH_PER_PAGE);
// The CLI's own budget unless the ids need more pages (a part-filled page per extra cursor).
const LOOKUP_BUDGET =
  values['lookup-budget'] !== undefined
    ? whole('lookup-budget', values['lookup-budget'], 1)
    : Math.max(DEFAULT_LOOKUP_BUDGET, MIN_SEARCHES + 16);

const APPLY_ARGS = [
  // The one safety default a run of N ids must change: at most 1,000 releases per run.
  '--max-releases',
  String(N),
  ...(LOOKUP_BUDGET !== DEFAULT_LOOKUP_BUDGET ? ['--lookup-budget', String(LOOKUP_BUDGET)] : []),
  ...values['apply-args'].split(/\s+/).filter((a) => a !== ''),
];
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

/** The window open when the releases start: requests it already counted, when it ends. */
interface Carry {
  used: number;
  /** Its end (in counted time: arrival + L), ms after the first POST's arrival. */
  endsMs: number;
}

/**
 * Earliest end of the last answer, time 0 being the first request's arrival, for R requests,
 * at most C in flight, each taking L, Q accepted per fixed window of W that opens when its
 * first request is counted, and at most `perSecond` request starts per second:
 * - latency: ceil(R/C) × L;
 * - budget: k = floor((R-1)/Q) windows must be spent before the last one opens (no earlier than
 *   k × W after the first request), and the r = R - k×Q requests left for it need ceil(r/C)
 *   round trips: k × W + ceil(r/C) × L (the floor((R-1)/Q) × W + L, plus the rounds
 *   the last window's requests need at concurrency C, which no schedule avoids);
 * - rate: (R-1) / perSecond + L;
 * and the bound is the largest of the three. It holds for any order of the requests, so it
 * also holds for a run whose checks must come before the releases they allow.
 *
 * With `carry` (the release phase alone), the first window is the one the checks left open:
 * Q - used requests fit in it, and the next window opens no earlier than its end, so the
 * budget term is (end - L) + k × W + ceil(r/C) × L over the requests that do not fit.
 */
function lowerBound(
  requests: number,
  c: number,
  q: number,
  perSecond: number,
  carry?: Carry,
): Bound {
  const latencyMs = Math.ceil(requests / c) * L;
  let budgetMs: number;
  const left = carry ? Math.max(0, q - carry.used) : 0;
  if (carry && requests <= left) budgetMs = latencyMs;
  else {
    const rest = requests - left;
    const k = Math.floor((rest - 1) / q);
    const opens = carry ? carry.endsMs - L : 0;
    budgetMs = opens + k * W + Math.ceil((rest - k * q) / c) * L;
  }
  const rateMs = ((requests - 1) * 1000) / perSecond + L;
  return { requests, latencyMs, budgetMs, rateMs, ms: Math.max(latencyMs, budgetMs, rateMs) };
}
const posts = (b: number) => Math.ceil(N / b);
/** The whole run: the fewest search pages that answer for every id, then the release POSTs. */
const runBound = (b: number, c: number, q = OWN_Q, p = DEFAULT_MAX_PER_SECOND) =>
  lowerBound(MIN_SEARCHES + posts(b), c, q, p);
/** The release phase, from the state of the window the checks left. */
const releaseBound = (b: number, c: number, carry: Carry) =>
  lowerBound(posts(b), c, OWN_Q, DEFAULT_MAX_PER_SECOND, carry);

// --- inputs ---------------------------------------------------------------------------------

const queueId = (n: number) => `B${n.toString(36).toUpperCase().padStart(13, '0')}`;
// Scan times spread over the two weeks before the benchmark, never in the future (the search
// cannot reach there): a whole hour back from now, then a stride through 14 days of seconds.
const SPAN_S = 14 * 86_400;
const LATEST = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
const scanned = (n: number) =>
  new Date(LATEST - ((n * 7_919) % SPAN_S) * 1000).toISOString().slice(0, 19);
const messageId = (n: number) => `${queueId(n)}-${scanned(n)}-${10000000 + n}`;

/** The sender of every message: what the search entry asks for. */
const SENDER = 'bench@vendor.example';

function releasesYaml(): string {
  if (SEARCH) {
    // Every id, by one search over the window the scan times span (14 days, at most 30).
    const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return [
      'version: 1',
      `account_id: ${DEFAULT_ACCOUNT}`,
      'releases:',
      '  - search:',
      `      sender: ${SENDER}`,
      `      start: "${second(LATEST - SPAN_S * 1000 - 1000)}"`,
      `      end: "${second(LATEST + 1000)}"`,
      `      limit: ${N}`,
      '    reason: "False positives from one vendor, checked by security"',
      '    ticket: SEC-1000',
      '',
    ].join('\n');
  }
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
  searches: number;
  /** GETs of one message or its action log. */
  gets: number;
  posts: number;
  rateLimited: number;
  released: number;
  loadMs: number;
  /** From the first API request to the first release POST. */
  checkMs: number;
  releaseMs: number;
  /** From the first API request to the end of the release phase. */
  runMs: number;
  /** The release phase ended without the "N/N ids done" line: estimated from truth. */
  estimatedEnd: boolean;
  totalMs: number;
  peakPerWindow: number;
  windows: number;
  resetLagMs: number[];
  /** The window the checks left open when the first POST was counted. */
  carry: Carry;
  /** Run phase of the same run without latency and rate limit. */
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
      [
        'apply',
        '--unreviewed',
        '--batch-size',
        String(batch),
        '--concurrency',
        String(concurrency),
        ...APPLY_ARGS,
      ],
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
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let releaseStart = Number.POSITIVE_INFINITY;
    const arrivals = requests.map((r) => {
      const at = Date.parse(r.at);
      first = Math.min(first, at);
      last = Math.max(last, at);
      if (r.method === 'POST') releaseStart = Math.min(releaseStart, at);
      return at;
    });
    if (releaseStart === Number.POSITIVE_INFINITY) releaseStart = last;
    const runEnd = doneAt ?? last + latencyMs;
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
    let carry: Carry | undefined;
    const order = arrivals
      .map((at, i) => ({ at, post: requests[i]?.method === 'POST' }))
      .sort((a, b) => a.at - b.at);
    for (const { at, post } of order) {
      const counted = at + latencyMs;
      if (counted >= windowStart + W) {
        if (spentEnd !== undefined) resetLagMs.push(counted - spentEnd);
        windows++;
        windowStart = counted;
        count = 0;
      }
      if (post && carry === undefined)
        carry = { used: count, endsMs: windowStart + W - releaseStart };
      count++;
      peak = Math.max(peak, count);
      // A window whose budget is spent ends a wait; others end on their own.
      spentEnd = count >= OWN_Q ? windowStart + W : undefined;
    }

    const searches = requests.filter((r) => r.method === 'GET' && r.path.includes('?')).length;
    const gets = requests.filter((r) => r.method === 'GET').length - searches;
    return {
      batch,
      concurrency,
      code,
      requests: requests.length,
      searches,
      gets,
      posts: requests.filter((r) => r.method === 'POST').length,
      rateLimited: requests.filter((r) => r.status === 429).length,
      released,
      loadMs: first - start,
      checkMs: releaseStart - first,
      releaseMs: runEnd - releaseStart,
      runMs: runEnd - first,
      estimatedEnd: doneAt === undefined,
      totalMs: end - start,
      peakPerWindow: peak,
      windows,
      resetLagMs,
      carry: carry ?? { used: 0, endsMs: latencyMs + W },
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
const perId = (n: number, r: Run) => (n / Math.max(1, r.released)).toFixed(4);

function row(r: Run): string[] {
  const own = runBound(r.batch, r.concurrency);
  const full = runBound(r.batch, r.concurrency, LIMIT, IP_PER_SECOND);
  const rel = releaseBound(r.batch, r.concurrency, r.carry);
  const lag =
    r.resetLagMs.length > 0
      ? `${Math.round(r.resetLagMs.reduce((a, b) => a + b, 0) / r.resetLagMs.length)}/${Math.max(...r.resetLagMs)}`
      : '-';
  return [
    String(r.batch),
    String(r.concurrency),
    String(r.searches),
    String(r.gets),
    String(r.posts),
    `${r.released}`,
    perId(r.requests, r),
    `${perId(r.searches, r)}/${perId(r.gets, r)}/${perId(r.posts, r)}`,
    String(r.rateLimited),
    `${r.peakPerWindow}/${OWN_Q}`,
    String(r.windows),
    lag,
    s(r.loadMs),
    s(r.checkMs, 2),
    `${s(r.releaseMs, 2)}${r.estimatedEnd ? '*' : ''}`,
    s(r.runMs, 2),
    r.localMs === undefined ? '-' : s(r.localMs, 2),
    s(own.ms, 2),
    (own.ms / r.runMs).toFixed(3),
    (full.ms / r.runMs).toFixed(3),
    s(rel.ms, 2),
    (rel.ms / r.releaseMs).toFixed(3),
    s(r.totalMs),
    r.code === 0 ? '0' : `${r.code}!`,
  ];
}

const HEADER = [
  'batch',
  'conc',
  'searches',
  'GETs',
  'POSTs',
  'released',
  'req/id',
  'search/GET/POST per id',
  '429s',
  'peak/win',
  'wins',
  'lag ms',
  'load s',
  'check s',
  'release s',
  'run s',
  'local s',
  'LB run s',
  'eff run',
  'eff run/full',
  'LB rel s',
  'eff rel',
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
  from: SENDER,
}));
const emulator = await startEmulator({ messages, rateLimit: { limit: LIMIT, windowMs: W } });
const unlimited = values['no-local']
  ? undefined
  : await startEmulator({ messages, rateLimit: false });
try {
  const plan: [number, number][] = [];
  for (const b of BATCH_SIZES) {
    plan.push([b, CONCURRENCY]);
    for (const c of ALSO) if (runBound(b, c).ms <= CHEAP_MS) plan.push([b, c]);
  }
  const baseline = await startupBaseline();
  console.log(
    `release benchmark${SEARCH ? ' (release by search: one search: entry resolved by apply)' : ''}: ${N} ids (releases.yaml ${(Buffer.byteLength(yaml) / 1024 / 1024).toFixed(1)} MiB, scanned over the 14 days before ${new Date(LATEST).toISOString()}), latency ${L} ms, ` +
      `limit ${LIMIT} per ${W / 1000} s (fixed windows, block ${W / 1000} s), ` +
      `CLI ${values.cli === 'dist' ? 'dist/cli.js' : 'src/cli.ts via tsx'}, node ${process.version}, ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(`apply ${APPLY_ARGS.join(' ')} --batch-size B --concurrency C`);
  console.log(
    `pacer: reserve ${DEFAULT_RESERVE_SHARE * 100}% => own budget Q' = ${LIMIT} - ${RESERVE} = ${OWN_Q} per window; ` +
      `at most ${DEFAULT_MAX_PER_SECOND} starts/s; checks: at least ceil(${N}/${SEARCH_PER_PAGE}) = ${MIN_SEARCHES} search pages`,
  );
  console.log(
    `rate-budget bound: Cloudflare's 1,200 requests / 300 s less the ${DEFAULT_RESERVE_SHARE * 100}% reserve = 1,080 / 300 s = 3.6 requests/s; ` +
      `scaled here to ${OWN_Q} / ${W / 1000} s = ${((OWN_Q * 1000) / W).toFixed(2)} requests/s (the same per-second rate${OWN_Q * 300_000 === 1080 * W ? '' : ', NOT the same: see --limit/--window-s'})`,
  );
  const rows: Run[] = [];
  for (const [b, c] of plan) {
    const own = runBound(b, c);
    process.stderr.write(
      `running batch ${b}, concurrency ${c}: at least ${own.requests} requests, own bound ${s(own.ms)} s...\n`,
    );
    const measured = await run(emulator, L, yaml, b, c);
    if (unlimited) measured.localMs = (await run(unlimited, 0, yaml, b, c)).runMs;
    rows.push(measured);
  }
  console.log('');
  console.log(table(rows.map(row)));
  console.log(`(load average at the end: ${loadavg()[0]?.toFixed(1)})`);
  for (const r of rows) {
    const own = runBound(r.batch, r.concurrency);
    console.log(
      `batch ${r.batch}, concurrency ${r.concurrency}: ${r.requests} requests (${r.searches} search pages, ${r.posts} POSTs, ${perId(r.requests, r)} per id), ${r.rateLimited} answered 429; ` +
        `${r.released} ids in ${s(r.runMs, 2)} s = ${((r.released * 1000) / r.runMs).toFixed(0)} ids/s and ${((r.requests * 1000) / r.runMs).toFixed(2)} requests/s; ` +
        `the rate-budget bound allows it in ${s(own.ms, 2)} s at the least: achieved ${(own.ms / r.runMs).toFixed(3)} of the bound (target >= 0.9)`,
    );
  }
  console.log('');
  console.log(`Lower bound (LB), time 0 = the first request's arrival, R requests, C in flight, each L = ${L} ms:
  LB = max( ceil(R/C) x L,                                  latency
            k x W + ceil((R - k x Q)/C) x L, k = floor((R-1)/Q),  budget: fixed windows of W = ${W / 1000} s
            (R-1)/P + L )                                   request-rate cap P per second
  LB run: R = ${MIN_SEARCHES} search pages (ceil(N/${SEARCH_PER_PAGE}), the fewest that answer for every id) + ceil(N/B) POSTs,
          Q = ${OWN_Q} (the limit minus the ${DEFAULT_RESERVE_SHARE * 100}% reserve the pacer keeps for the dashboard), P = ${DEFAULT_MAX_PER_SECOND} (the pacer's cap)
  eff run = LB run / run; eff run/full = the same LB with Q = ${LIMIT} (the whole limit), P = ${IP_PER_SECOND} (Cloudflare's per-IP limit) / run
  LB rel: R = ceil(N/B) POSTs, Q = ${OWN_Q}, P = ${DEFAULT_MAX_PER_SECOND}, time 0 = the first POST, the first window being the one the
          checks left (Q - used fit in it, the next opens at its end); eff rel = LB rel / release
  target: eff >= 0.9 against the tool's own budget (the reserve is a promise, not waste)
  check = first API request -> first release POST (the look-ups before releasing)
  release = first release POST's arrival (emulator truth) -> the CLI printing "${N}/${N} ids done"${rows.some((r) => r.estimatedEnd) ? '\n  * no such line: last arrival + L used instead' : ''}
  run = check + release; local = run against an emulator with no latency and no rate limit (this machine's floor)
  load = CLI spawn -> first API request (start-up alone, \`--version\` spawn to exit: ${s(baseline, 2)} s)
  req/id = every API request the emulator received / ids it released, then by kind; 429s from its truth
  peak/win = most requests counted in one emulator window / own budget; wins = windows used;
  lag ms = mean/max delay from the end of a spent window to the next request counted (0 ideal)`);
} finally {
  await emulator.close();
  await unlimited?.close();
}
