// Runs the bundled action (dist/action.js) the way the Actions runner does: a Node process
// with INPUT_* variables (defaults from action.yml), the event payload in a file, and the
// step summary and outputs written to files. Against a fake GitHub API and the emulator.
// On Node 24, as action.yml asks of the runner (a test can choose another Node: `node`).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { REPO } from './cli.js';
import type { LoggedRequest } from './fake-github/api.js';
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from './fake-github/index.js';
import { LEDGER_KEY } from './sealed.js';

export const DIST_ACTION = join(REPO, 'dist', 'action.js');
export const NODE24 = join(REPO, 'node_modules', 'node24', 'bin', 'node');
export const GH_TOKEN = 'ghs_fake_token';

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  file?: string;
  line?: number;
  col?: number;
  message: string;
}

export interface ActionRun {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  annotations: Annotation[];
  /** GitHub API calls made during this run. */
  github: LoggedRequest[];
}

export interface RunOptions {
  event: 'pull_request' | 'push' | 'workflow_dispatch' | 'schedule' | 'issues';
  /** The repository's visibility in the event (private: no redaction by default). */
  private?: boolean;
  /** For pull_request: its number; fork: head repo differs from the base repo. */
  pr?: number;
  fork?: boolean;
  /** Commit checked out and named in GITHUB_SHA; default: the branch head. */
  sha?: string;
  /** Commit the workspace holds, when not `sha` (a workflow checking out another ref). */
  checkout?: string;
  ref?: string;
  inputs?: Record<string, string>;
  /** The Node that runs the action: Node 24 by default, the runner's (process.execPath: this machine's). */
  node?: string;
  /** Called with the child once started (to kill it at a chosen moment). */
  onStart?: (child: ChildProcess) => void;
}

export interface ActionScenario {
  gh: FakeGitHub;
  emulator: Emulator;
  account: string;
  run(options: RunOptions): Promise<ActionRun>;
  /** releases.yaml text for these ids. */
  releasesYaml(ids: string[], extra?: Record<string, string>): string;
  /** Quarantined, releasable (not malicious) messages of the emulator's mailbox. */
  quarantined(n: number): string[];
  /** Lines of every ledger shard at the branch head. */
  ledgerLines(): Record<string, unknown>[];
  deliveries(): Map<string, number>;
  releasePosts(): number;
  close(): Promise<void>;
}

/** Who writes a pull request's commits (`Name <email>`) and opens it (a login). */
export interface PrAuthor {
  author: string;
  user: string;
}

/** Opens PR #n from a branch off main as it is now; returns the branch's head commit. */
export function openPr(x: ActionScenario, n: number, yaml: string, by?: PrAuthor): string {
  const head = x.gh.commitFiles(
    `feature-${n}`,
    { 'releases.yaml': yaml },
    `Release request ${n}`,
    by?.author,
  );
  x.gh.addPullRequest({
    number: n,
    head: `feature-${n}`,
    base: 'main',
    merged: false,
    ...(by ? { user: by.user } : {}),
  });
  return head;
}

/** Who approves a pull request before it is merged, unless a test says otherwise. */
export const REVIEWER = 'security-lead';

/**
 * Merges PR #n: main gets `yaml` in a merge commit, returned as the pushed sha. By default
 * REVIEWER approved the pull request's head first, as branch protection would require.
 */
export function mergePr(
  x: ActionScenario,
  n: number,
  yaml: string,
  by?: PrAuthor,
  options: { approvedBy?: readonly string[] } = {},
): string {
  const sha = x.gh.commitFiles(
    'main',
    { 'releases.yaml': yaml },
    `Merge pull request #${n}`,
    by?.author,
  );
  x.gh.addPullRequest({
    number: n,
    head: `feature-${n}`,
    base: 'main',
    merged: true,
    mergeCommitSha: sha,
    ...(by ? { user: by.user } : {}),
  });
  for (const user of options.approvedBy ?? [REVIEWER]) x.gh.addReview(n, { user });
  return sha;
}

/**
 * The usual life of a request: PR #n is opened, planned (the sticky comment a reviewer reads),
 * approved and merged. Returns the pushed sha; the plan run is returned for tests that look.
 */
export async function planAndMerge(
  x: ActionScenario,
  n: number,
  yaml: string,
  by?: PrAuthor,
  run: Partial<RunOptions> = {},
): Promise<{ sha: string; plan: ActionRun }> {
  const head = openPr(x, n, yaml, by);
  const plan = await x.run({ event: 'pull_request', pr: n, sha: head, ...run });
  return { sha: mergePr(x, n, yaml, by), plan };
}

export interface ScenarioOptions {
  github?: FakeGitHubOptions;
  emulator?: EmulatorOptions;
  /** The action bundle to run: dist/action.js, or a copy with a bug planted (test/chaos). */
  bundle?: string;
  /** The Node that runs the action when a run names none: Node 24, the runner's, by default. */
  node?: string;
}

/**
 * A scenario of the test's own, closed when it ends: for files whose tests run at once
 * (describe.concurrent), which share nothing but the bundle. The test's context, because in
 * concurrent tests only the context knows which test is which.
 */
export async function scenarioForThisTest(
  test: TestContext,
  options: ScenarioOptions = {},
): Promise<ActionScenario> {
  const scenario = await actionScenario(options);
  test.onTestFinished(() => scenario.close());
  return scenario;
}

export async function actionScenario(options: ScenarioOptions = {}): Promise<ActionScenario> {
  const emulator = await startEmulator({ messagesPerAccount: 80, ...options.emulator });
  const gh = await startFakeGitHub({
    files: { 'README.md': '# mail releases\n' },
    ...options.github,
  });
  const temp = await mkdtemp(join(tmpdir(), 'qr-action-'));
  const account = emulator.accounts[0] ?? DEFAULT_ACCOUNT;
  const defaults = actionDefaults(await readFile(join(REPO, 'action.yml'), 'utf8'));
  let runs = 0;

  const scenario: ActionScenario = {
    gh,
    emulator,
    account,
    releasesYaml(ids, extra = {}) {
      const lines = ['version: 1', `account_id: ${account}`, 'releases:'];
      for (const id of ids) {
        lines.push(
          `  - id: ${id}`,
          '    reason: false positive, checked by the security team',
          '    ticket: SEC-7',
        );
        if (extra[id]) lines.push(`    ${extra[id]}`);
      }
      return `${lines.join('\n')}\n`;
    },
    quarantined(n) {
      const ok = new Set(['SPAM', 'BULK', 'NONE', 'SUSPICIOUS']);
      const ids = emulator
        .messages(account)
        .filter(
          (m) =>
            m.details.is_quarantined &&
            ok.has(m.details.final_disposition) &&
            m.action_log.length === 0,
        )
        .map((m) => m.details.id);
      if (ids.length < n) throw new Error(`only ${ids.length} quarantined messages`);
      return ids.slice(0, n);
    },
    ledgerLines() {
      return gh
        .listFiles()
        .filter((p) => p.startsWith('releases.ledger/') && p.endsWith('.jsonl'))
        .flatMap((p) => (gh.readFile(p) ?? '').split('\n').filter((l) => l !== ''))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    deliveries() {
      const count = new Map<string, number>();
      for (const r of emulator.truth().releases) count.set(r.id, (count.get(r.id) ?? 0) + 1);
      return count;
    },
    releasePosts() {
      return emulator
        .truth()
        .requests.filter((r) => r.method === 'POST' && r.path.endsWith('/release')).length;
    },
    async run(o) {
      const dir = join(temp, `run-${++runs}`);
      const workspace = join(dir, 'workspace');
      await mkdir(workspace, { recursive: true });
      const sha = o.sha ?? gh.headSha('main');
      const checkout = o.checkout ?? sha;
      const base = gh.headSha('main');
      // The checkout: the files of the commit, as actions/checkout would leave them, and the
      // .git entries that say which commit it is (a branch on a push, detached on a PR). On a
      // pull request GitHub checks out its merge into the base: the base's files with the
      // pull request's changes.
      const files =
        o.event === 'pull_request' && o.checkout === undefined
          ? mergedFiles(gh, base, checkout)
          : Object.fromEntries(
              gh.listFiles(checkout).map((p) => [p, gh.readFile(p, checkout) ?? '']),
            );
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(workspace, path)), { recursive: true });
        await writeFile(join(workspace, path), text);
      }
      await mkdir(join(workspace, '.git', 'refs', 'heads'), { recursive: true });
      if (o.event === 'pull_request')
        await writeFile(join(workspace, '.git', 'HEAD'), `${checkout}\n`);
      else {
        await writeFile(join(workspace, '.git', 'HEAD'), 'ref: refs/heads/main\n');
        await writeFile(join(workspace, '.git', 'refs', 'heads', 'main'), `${checkout}\n`);
      }
      const event =
        o.event === 'pull_request'
          ? {
              pull_request: {
                number: o.pr ?? 1,
                head: {
                  repo: { full_name: o.fork ? 'someone/mail-releases' : 'octo-org/mail-releases' },
                },
                base: { sha: base, ref: 'main', repo: { full_name: 'octo-org/mail-releases' } },
              },
              repository: { default_branch: 'main', private: o.private ?? true },
            }
          : {
              ref: o.ref ?? 'refs/heads/main',
              repository: { default_branch: 'main', private: o.private ?? true },
            };
      const eventPath = join(dir, 'event.json');
      await writeFile(eventPath, JSON.stringify(event));
      const summaryPath = join(dir, 'summary.md');
      const outputPath = join(dir, 'output.txt');
      await writeFile(summaryPath, '');
      await writeFile(outputPath, '');
      const inputs = {
        ...defaults,
        'api-token': DEFAULT_TOKEN,
        'api-base-url': emulator.url,
        // The emulator acts before it answers: a send it did not answer has settled at once.
        'settle-seconds': '0',
        'ledger-key': LEDGER_KEY,
        ...o.inputs,
      };
      const env: Record<string, string | undefined> = {
        PATH: process.env.PATH,
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: o.event,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REF:
          o.ref ??
          (o.event === 'pull_request' ? `refs/pull/${o.pr ?? 1}/merge` : 'refs/heads/main'),
        GITHUB_SHA: sha,
        GITHUB_REPOSITORY: 'octo-org/mail-releases',
        GITHUB_API_URL: gh.url,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_RUN_ID: String(1000 + runs),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_ACTOR: 'octocat',
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryPath,
        GITHUB_OUTPUT: outputPath,
        RUNNER_TEMP: dir,
      };
      for (const [name, value] of Object.entries(inputs))
        env[`INPUT_${name.toUpperCase()}`] = value;

      const before = gh.requests().length;
      const runId = 1000 + runs;
      // As on GitHub: the run is in progress while its process lives.
      gh.setRunStatus(runId, 'in_progress');
      const result = await new Promise<{
        code: number;
        signal: NodeJS.Signals | null;
        stdout: string;
        stderr: string;
      }>((resolve, reject) => {
        const child = spawn(o.node ?? options.node ?? NODE24, [options.bundle ?? DIST_ACTION], {
          cwd: workspace,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          gh.setRunStatus(runId, 'completed');
          resolve({ code: code ?? -1, signal, stdout, stderr });
        });
        o.onStart?.(child);
      });
      return {
        ...result,
        summary: await readFile(summaryPath, 'utf8'),
        outputs: parseOutputs(await readFile(outputPath, 'utf8')),
        annotations: parseAnnotations(result.stdout),
        github: gh.requests().slice(before),
      };
    },
    async close() {
      await emulator.close();
      await gh.close();
      await rm(temp, { recursive: true, force: true });
    },
  };
  return scenario;
}

/**
 * The files of a pull request's merge into `base`: the base's files, with each file the pull
 * request's head changed since it left the base's first-parent line.
 */
function mergedFiles(gh: FakeGitHub, base: string, head: string): Record<string, string> {
  const onBase = new Set(gh.commits('main').map((c) => c.sha));
  let fork: string | undefined;
  for (const c of gh.commits(head)) {
    if (onBase.has(c.sha)) {
      fork = c.sha;
      break;
    }
  }
  const out: Record<string, string> = {};
  for (const path of gh.listFiles(base)) out[path] = gh.readFile(path, base) ?? '';
  const at = (path: string, ref: string | undefined) =>
    ref === undefined ? undefined : gh.readFile(path, ref);
  for (const path of new Set([...gh.listFiles(head), ...(fork ? gh.listFiles(fork) : [])])) {
    const mine = at(path, head);
    if (mine === at(path, fork)) continue;
    if (mine === undefined) delete out[path];
    else out[path] = mine;
  }
  return out;
}

/** Input defaults as the runner computes them from action.yml. */
function actionDefaults(text: string): Record<string, string> {
  const doc = parse(text) as { inputs: Record<string, { default?: string }> };
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(doc.inputs)) {
    const value = spec.default ?? '';
    out[name] = value.includes('${{ github.token }}') ? GH_TOKEN : value;
  }
  return out;
}

/** The GITHUB_OUTPUT file: `name<<DELIMITER\nvalue\nDELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] as string] = m[3] as string;
  return out;
}

/** Workflow commands for annotations in the log: `::error file=F,line=L,col=C::message`. */
function parseAnnotations(stdout: string): Annotation[] {
  const out: Annotation[] = [];
  for (const m of stdout.matchAll(/^::(error|warning|notice)(?: ([^:]*))?::(.*)$/gm)) {
    const props = Object.fromEntries(
      (m[2] ?? '')
        .split(',')
        .filter((p) => p.includes('='))
        .map((p) => [
          p.slice(0, p.indexOf('=')),
          decodeURIComponent(p.slice(p.indexOf('=') + 1).replace(/%2C/g, ',')),
        ]),
    );
    const a: Annotation = {
      level: m[1] as Annotation['level'],
      message: (m[3] ?? '').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'),
    };
    if (props.file) a.file = props.file;
    if (props.line) a.line = Number(props.line);
    if (props.col) a.col = Number(props.col);
    out.push(a);
  }
  return out;
}
