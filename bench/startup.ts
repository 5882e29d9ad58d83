// Benchmark: time from process start of the bundled action (dist/action.js) to its first API
// call, against `node -e 0` (start to exit) measured in the same run. Target: at most 100 ms
// over the baseline.
//
//   npm run bench:startup [-- --runs 21 --node /path/to/node]
//
// A loopback server stands in for the GitHub API and records when the first request arrives;
// the action is then killed. Two events are measured: a pull request (plan: first call lists
// the comments) and a push to the default branch (apply: first call finds the merged PR).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELP = `Usage: npm run bench:startup [-- --runs N --node PATH --action FILE]

Time from process start of dist/action.js to its first API call (plan on a pull request,
apply on a push), against \`node -e 0\` measured in the same run with the same node.
  --runs N      runs per case, the median is reported (default 21)
  --node PATH   the node binary (default: this one; node_modules/node24/bin/node for Node 24)
  --action FILE the bundled action to time (default dist/action.js), e.g. an older build
  -h, --help    this help
`;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    node: { type: 'string', default: process.execPath },
    help: { type: 'boolean', short: 'h', default: false },
    action: { type: 'string' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const runs = Number(values.runs);
const node = values.node as string;
const action = resolve(
  values.action ?? join(fileURLToPath(import.meta.url), '..', '..', 'dist', 'action.js'),
);

let firstRequestAt: ((t: bigint) => void) | undefined;
const server = createServer((req, res) => {
  firstRequestAt?.(process.hrtime.bigint());
  firstRequestAt = undefined;
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const work = await mkdtemp(join(tmpdir(), 'qr-bench-startup-'));
const releases =
  'version: 1\naccount_id: 023e105f4ecef8ad9ca31a8372d0c353\nreleases:\n  - id: 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678\n    reason: benchmark\n';
await writeFile(join(work, 'releases.yaml'), releases);
const prEvent = join(work, 'pr.json');
await writeFile(
  prEvent,
  JSON.stringify({
    pull_request: {
      number: 7,
      head: { repo: { full_name: 'acme/mail' } },
      base: { repo: { full_name: 'acme/mail' } },
    },
    repository: { default_branch: 'main' },
  }),
);
const pushEvent = join(work, 'push.json');
await writeFile(
  pushEvent,
  JSON.stringify({ ref: 'refs/heads/main', repository: { default_branch: 'main' } }),
);

const baseEnv = {
  PATH: process.env.PATH,
  GITHUB_REPOSITORY: 'acme/mail',
  GITHUB_WORKSPACE: work,
  GITHUB_API_URL: apiUrl,
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '1',
  RUNNER_TEMP: work,
  'INPUT_GITHUB-TOKEN': 'ghs_benchmark',
  'INPUT_API-TOKEN': 'benchmark-token',
  'INPUT_API-BASE-URL': `${apiUrl}/client/v4`,
  // Apply refuses to start without the key that seals the ledger.
  'INPUT_LEDGER-KEY': 'benchmark-ledger-key-0123456789abcdef0123456789',
};
const scenarios = {
  'pull request (plan)': {
    ...baseEnv,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: prEvent,
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_SHA: 'a'.repeat(40),
  },
  'push to main (apply)': {
    ...baseEnv,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: pushEvent,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: 'b'.repeat(40),
  },
};

/** ms from spawn to the first API request (then the child is killed). */
function toFirstRequest(env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(node, [action], { env, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no API request within 10 s'));
    }, 10_000);
    firstRequestAt = (t) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(Number(t - start) / 1e6);
    };
    child.on('error', reject);
  });
}

/** ms from spawn to exit of `node -e 0`. */
function baseline(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(node, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
  });
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

try {
  const base: number[] = [];
  const measured: Record<string, number[]> = Object.fromEntries(
    Object.keys(scenarios).map((k) => [k, []]),
  );
  for (let i = 0; i < runs + 2; i++) {
    const b = await baseline();
    const round: Record<string, number> = {};
    for (const [name, env] of Object.entries(scenarios)) round[name] = await toFirstRequest(env);
    if (i < 2) continue; // warm the file cache
    base.push(b);
    for (const [name, ms] of Object.entries(round)) measured[name]?.push(ms);
  }
  const b = median(base);
  const version = await new Promise<string>((resolve) => {
    const c = spawn(node, ['--version']);
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.on('close', () => resolve(out.trim()));
  });
  console.log(`startup benchmark: ${runs} runs (median), node ${version}, ${action}`);
  console.log(`baseline  node -e 0 (start to exit)      : ${b.toFixed(1)} ms`);
  for (const [name, xs] of Object.entries(measured)) {
    const m = median(xs);
    console.log(
      `${name.padEnd(22)} start to first API call: ${m.toFixed(1)} ms  (+${(m - b).toFixed(1)} ms over baseline; target <= +100 ms)`,
    );
  }
} finally {
  server.close();
  await rm(work, { recursive: true, force: true });
}
