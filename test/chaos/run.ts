// One seeded chaos run: build a world, drive the real bundled apply (the CLI as a subprocess,
// or the action against the fake GitHub API) through faults and kills, reconcile with clean
// runs until nothing changes, then check the invariants against the emulator's truth.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { createRandom, deriveSeed, type Random } from '../../src/emulator/random.js';
import { actionScenario } from '../support/action.js';
import type { LoggedRequest } from '../support/fake-github/index.js';
import { commitSealed, LEDGER_KEY } from '../support/sealed.js';
import {
  actionInterlude,
  countAct,
  countFlips,
  freshIds,
  HOSTILE_KINDS,
  type HostileKind,
  type HostileLog,
  ledgerView,
  MALLORY,
  newHostileLog,
  noteRefusals,
  pickRetryFlip,
} from './hostile.js';
import {
  checkHostile,
  checkInvariants,
  checkLedgerCopies,
  checkSealedHistory,
  countFigures,
  didItsWork,
  type Figures,
  type FinalMessage,
  parseSnapshot,
  type Snapshot,
  type Violation,
} from './invariants.js';
import { type InterceptProxy, type ProxiedCall, startProxy } from './proxy.js';
import { buildWorld, faultScript, SECOND_ACCOUNT, type World, weighted } from './world.js';

export interface RunOutcome {
  seed: number;
  mode: 'cli' | 'action';
  violations: Violation[];
  /** Faults that hit a request, by kind (emulator faults, proxy and GitHub faults). */
  faults: Record<string, number>;
  /** Kills (and signals) by crash point. */
  kills: Record<string, number>;
  /** What the hostile actor did and what came of it (hostile.ts). */
  hostile: Record<string, number>;
  /** The hostile actor's acts, by kind (HOSTILE_KINDS), and by kind and variant. */
  acts: Record<string, number>;
  variants: Record<string, number>;
  /** Double releases, lost records, unreviewed releases (invariants.ts countFigures). */
  figures: Figures;
  /** Clean runs until one changed nothing (the last, unchanged one included). */
  rounds: number;
  converged: boolean;
  ms: number;
  /** One line: what happened. */
  summary: string;
}

export interface RunSettings {
  seed: number;
  mode: 'cli' | 'action';
  /** The CLI bundle to run (dist/cli.js or a planted copy); the action's is beside it. */
  cliBundle: string;
  /** Keep the work folder (printed) instead of removing it. */
  keep?: boolean;
}

const MAX_CLEAN_RUNS = 5;
/** Chance of a hostile act at each boundary between runs (before a step, before the clean runs). */
const HOSTILE_CLI = 0.35;
const HOSTILE_ACTION = 0.45;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

export function modeOf(seed: number, actionShare: number): 'cli' | 'action' {
  return createRandom(deriveSeed(seed, 'mode')).next() < actionShare ? 'action' : 'cli';
}

export async function chaosRun(settings: RunSettings): Promise<RunOutcome> {
  const started = Date.now();
  const rng = createRandom(deriveSeed(settings.seed, 'chaos'));
  const accounts = rng.chance(0.2) ? [DEFAULT_ACCOUNT, SECOND_ACCOUNT] : [DEFAULT_ACCOUNT];
  const ctx: Ctx = {
    rng,
    // The hostile actor's own stream: a seed plays the same faults and kills with it or without.
    hrng: createRandom(deriveSeed(settings.seed, 'hostile')),
    hostile: newHostileLog(),
    seed: settings.seed,
    faults: {},
    kills: {},
    notes: [],
    snapshots: [],
    violations: [],
  };
  const run = settings.mode === 'cli' ? cliRun : actionRun;
  const r = await run(ctx, accounts, settings);
  countFlips(ctx.hostile);
  const violations = [...ctx.violations, ...ctx.hostile.violations, ...r.violations];
  // The headline figures are violations too (usually already found by a finer invariant).
  const f = r.figures;
  if (f.doubleReleases > 0)
    violations.push({
      invariant: 1,
      kind: 'double-release',
      detail: `${f.doubleReleases} message(s) released more often than asked`,
    });
  if (f.lostRecords > 0)
    violations.push({
      invariant: 2,
      kind: 'lost-record',
      detail: `${f.lostRecords} release(s) or ledger line(s) missing from the final ledger`,
    });
  if (f.unreviewedReleases > 0)
    violations.push({
      invariant: 4,
      kind: 'unreviewed-release',
      detail: `${f.unreviewedReleases} delivery(ies) of messages no reviewed request asked for`,
    });
  const summary = `seed ${settings.seed} ${settings.mode}: ${r.entries} ids, ${ctx.notes.join('; ')}; ${r.rounds} clean run(s)${r.converged ? '' : ' (no convergence)'}; ${violations.length === 0 ? 'ok' : `${violations.length} VIOLATION(S): ${[...new Set(violations.map((x) => x.kind))].join(', ')}`}`;
  return {
    seed: settings.seed,
    mode: settings.mode,
    violations,
    faults: ctx.faults,
    kills: ctx.kills,
    hostile: ctx.hostile.counts,
    acts: ctx.hostile.acts,
    variants: ctx.hostile.variants,
    figures: r.figures,
    rounds: r.rounds,
    converged: r.converged,
    ms: Date.now() - started,
    summary,
  };
}

interface Ctx {
  rng: Random;
  hrng: Random;
  hostile: HostileLog;
  seed: number;
  faults: Record<string, number>;
  kills: Record<string, number>;
  notes: string[];
  snapshots: Snapshot[];
  violations: Violation[];
}

interface Phase {
  violations: Violation[];
  rounds: number;
  converged: boolean;
  entries: number;
  figures: Figures;
}

/** The final ledger's complete lines (a torn tail, if any, left out: invariant 3 says so). */
const finalLinesOf = (shards: Map<string, string>) =>
  parseSnapshot({ label: 'final', shards, afterKill: true }).lines;

function finalState(emulator: Emulator, world: World): Map<string, FinalMessage> {
  const out = new Map<string, FinalMessage>();
  for (const account of world.accounts)
    for (const m of emulator.messages(account))
      out.set(`${account}/${m.details.id}`, {
        awaiting: m.awaiting,
        quarantined: m.details.is_quarantined,
      });
  return out;
}

function countEmulatorFaults(ctx: Ctx, emulator: Emulator, world: World): void {
  for (const r of emulator.truth().requests.slice(world.baselineRequests)) {
    if (!r.fault || r.fault === 'none') continue;
    const route = r.path.includes('/release') ? 'release' : 'get';
    bump(ctx.faults, `${route} ${r.fault}`);
  }
}

// --- kill plans --------------------------------------------------------------------------

type KillPlan =
  | { kind: 'none' }
  | { kind: 'timer'; ms: number }
  | { kind: 'readback'; nth: number }
  | { kind: 'before-post'; nth: number }
  | { kind: 'post-acted'; nth: number }
  /** holdMs 0: the server acts as soon as the next run has read the message back. */
  | { kind: 'server-late'; nth: number; holdMs: number }
  | { kind: 'after-answer'; nth: number; delayMs: number }
  | { kind: 'torn-outcome'; nth: number }
  | { kind: 'sigint'; nth: number }
  | { kind: 'slow-post'; holdMs: number }
  | { kind: 'concurrent'; gapMs: number }
  | { kind: 'gh-commit-created' }
  | { kind: 'gh-pending-landed' }
  | { kind: 'gh-outcome-landed' };

function describePlan(p: KillPlan): string {
  switch (p.kind) {
    case 'timer':
      return `kill at ${p.ms} ms`;
    case 'readback':
    case 'before-post':
    case 'post-acted':
    case 'torn-outcome':
    case 'sigint':
      return `${p.kind} #${p.nth}`;
    case 'after-answer':
      return `after-answer #${p.nth} +${p.delayMs} ms`;
    case 'server-late':
      return `server-late #${p.nth} ${p.holdMs > 0 ? `+${p.holdMs} ms` : 'until a second send'}`;
    case 'slow-post':
      return `slow POSTs ${p.holdMs} ms`;
    case 'concurrent':
      return `two runs ${p.gapMs} ms apart`;
    default:
      return p.kind;
  }
}

/**
 * The tools under test are told Cloudflare may act on a request up to SETTLE_SECONDS after
 * its sender stopped waiting; the harness's "server" (proxy + emulator) never takes longer
 * than SERVER_LINGER_MS to act on a request whose sender died. Faster than the settle time,
 * so a double release here is a bug of the tool, not of the assumption.
 */
export const SETTLE_SECONDS = 3;
const SERVER_LINGER_MS = 2500;
/** How long the server sits on the request: 0 for "until a second send of it" (worst case). */
const serverHold = (rng: Random) => rng.pick([0, 0, 0, 0, 50, 300]);

/** Which release POST a kill waits for: mostly the first ones, as small files make few batches. */
const nthPost = (rng: Random) =>
  weighted(rng, [
    [1, 6],
    [2, 3],
    [3, 1],
  ] as const);

function cliPlan(rng: Random): KillPlan {
  const nth = nthPost(rng);
  switch (
    weighted(rng, [
      ['none', 3],
      ['timer', 2],
      ['readback', 1],
      ['before-post', 2],
      ['post-acted', 2],
      ['server-late', 3],
      ['after-answer', 2],
      ['torn-outcome', 1],
      ['sigint', 1],
      ['slow-post', 1],
      ['concurrent', 1],
    ] as const)
  ) {
    case 'timer':
      return { kind: 'timer', ms: 80 + rng.int(700) };
    case 'readback':
      return { kind: 'readback', nth };
    case 'before-post':
      return { kind: 'before-post', nth };
    case 'post-acted':
      return { kind: 'post-acted', nth };
    case 'server-late':
      return { kind: 'server-late', nth, holdMs: serverHold(rng) };
    case 'after-answer':
      return { kind: 'after-answer', nth, delayMs: rng.pick([0, 0, 1, 2, 5, 10]) };
    case 'torn-outcome':
      return { kind: 'torn-outcome', nth };
    case 'sigint':
      return { kind: 'sigint', nth };
    case 'slow-post':
      return { kind: 'slow-post', holdMs: 100 + rng.int(400) };
    case 'concurrent':
      return { kind: 'concurrent', gapMs: rng.int(400) };
    default:
      return { kind: 'none' };
  }
}

export function actionPlan(rng: Random): KillPlan {
  const nth = nthPost(rng);
  switch (
    weighted(rng, [
      ['none', 3],
      ['timer', 1],
      ['gh-commit-created', 1],
      ['gh-pending-landed', 2],
      ['gh-outcome-landed', 1],
      ['before-post', 1],
      ['post-acted', 2],
      ['server-late', 2],
      ['readback', 1],
      ['sigint', 1],
      ['after-answer', 1],
      ['concurrent', 2],
    ] as const)
  ) {
    case 'timer':
      return { kind: 'timer', ms: 300 + rng.int(4000) };
    case 'gh-commit-created':
      return { kind: 'gh-commit-created' };
    case 'gh-pending-landed':
      return { kind: 'gh-pending-landed' };
    case 'gh-outcome-landed':
      return { kind: 'gh-outcome-landed' };
    case 'before-post':
      return { kind: 'before-post', nth };
    case 'post-acted':
      return { kind: 'post-acted', nth };
    case 'server-late':
      return { kind: 'server-late', nth, holdMs: serverHold(rng) };
    case 'readback':
      return { kind: 'readback', nth };
    case 'sigint':
      return { kind: 'sigint', nth };
    case 'after-answer':
      return { kind: 'after-answer', nth, delayMs: rng.int(30) };
    case 'concurrent':
      return { kind: 'concurrent', gapMs: rng.int(1500) };
    default:
      return { kind: 'none' };
  }
}

/**
 * The harness broke its own promise (a held POST reached the server more than SETTLE_SECONDS
 * after its sender died, as a loaded machine can make it): said in the run's line and counted,
 * so that a double release in that run is read for what it is.
 */
function late(ctx: Ctx, ms: number): void {
  bump(ctx.faults, 'harness held a POST past its promised time (a loaded machine)');
  ctx.notes.push(`harness late: a held POST went out ${ms} ms after its sender died`);
}

/** Arms the proxy for a plan; `kill` ends the process(es) of the step. */
function armProxy(
  proxy: InterceptProxy,
  plan: KillPlan,
  kill: (signal: NodeJS.Signals, point: string) => void,
  onAnswer?: (call: ProxiedCall) => void,
  /** A held POST went to the server later than promised (a loaded machine): the time held. */
  onLate?: (ms: number) => void,
): void {
  const base = proxy.counts.release;
  const baseGets = proxy.counts.message + proxy.counts.action_log;
  const isNth = (call: ProxiedCall, nth: number) =>
    call.route === 'release' && call.nth === base + nth;
  proxy.hooks = {
    beforeForward: async (call) => {
      if (plan.kind === 'slow-post' && call.route === 'release') await sleep(plan.holdMs);
      if (
        plan.kind === 'readback' &&
        (call.route === 'message' || call.route === 'action_log') &&
        proxy.counts.message + proxy.counts.action_log - baseGets === plan.nth
      ) {
        kill('SIGKILL', 'during read-back (GET never answered)');
        return 'drop';
      }
      if (plan.kind === 'before-post' && isNth(call, plan.nth)) {
        kill('SIGKILL', 'after pending write, before the POST reached the server');
        return 'drop';
      }
      if (plan.kind === 'server-late' && isNth(call, plan.nth)) {
        // The POST reached the server, the sender died, and the server acts only later,
        // while the next run may already be reading the message back.
        kill('SIGKILL', 'during the POST: sender killed, server acts later');
        const from = Date.now();
        if (plan.holdMs > 0) await sleep(plan.holdMs);
        else await proxy.nextRelease(call.ids ?? [], SERVER_LINGER_MS);
        const held = Date.now() - from;
        if (held > Math.max(plan.holdMs, SERVER_LINGER_MS) + 250) onLate?.(held);
        return 'forward';
      }
      if (plan.kind === 'sigint' && isNth(call, plan.nth))
        kill('SIGINT', 'SIGINT while a POST is in flight');
      return 'forward';
    },
    beforeRelay: (call) => {
      if (plan.kind === 'post-acted' && isNth(call, plan.nth)) {
        kill('SIGKILL', 'during the POST: server acted, answer lost');
        return 'drop';
      }
      return 'relay';
    },
    afterRelay: (call) => {
      if ((plan.kind === 'after-answer' || plan.kind === 'torn-outcome') && isNth(call, plan.nth))
        onAnswer?.(call);
    },
  };
}

// --- the CLI -------------------------------------------------------------------------------

function spawnCli(
  bundle: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<{ code: number; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<{ code: number; signal: string | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stderr });
    });
  });
  return { child, done };
}

async function readShardsDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return out;
  }
  for (const n of names) out.set(n, await readFile(join(dir, n), 'utf8'));
  return out;
}

function readShardsDirSync(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const n of readdirSync(dir)
      .filter((x) => x.endsWith('.jsonl'))
      .sort())
      out.set(n, readFileSync(join(dir, n), 'utf8'));
  } catch {
    // no ledger yet
  }
  return out;
}

function linesOf(shards: Map<string, string>): string[] {
  return [...shards.values()].flatMap((t) => t.split('\n').filter((l) => l.endsWith('}')));
}

/** Exit codes the CLI documents for apply; anything else is a crash of the tool. */
function cliExitProblem(r: {
  code: number;
  signal: string | null;
  stderr: string;
}): string | undefined {
  if (r.signal !== null) return undefined;
  if (r.code === 0 || r.code === 3) return undefined;
  if (r.code === 1 && r.stderr.includes('the ledger is in use by another run')) return undefined;
  // The safety review refused some messages (exit 1 by design); the rest went on.
  if (r.code === 1 && /: refused: /.test(r.stderr) && !/corrupt/.test(r.stderr)) return undefined;
  return `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`;
}

async function cliRun(ctx: Ctx, accounts: string[], settings: RunSettings): Promise<Phase> {
  const { rng } = ctx;
  const emulator = await startEmulator({ seed: ctx.seed, accounts, messagesPerAccount: 40 });
  const proxy = await startProxy(emulator.url);
  const dir = await mkdtemp(join(tmpdir(), 'qr-chaos-'));
  const ledgerDir = join(dir, 'releases.ledger');
  try {
    const world = await buildWorld(rng, emulator, ctx.seed, { accounts });
    await writeFile(join(dir, 'releases.yaml'), world.yaml);
    if (world.shards.size > 0) {
      await mkdir(ledgerDir, { recursive: true });
      for (const [name, text] of world.shards) await writeFile(join(ledgerDir, name), text);
    }
    ctx.snapshots.push({
      label: 'start',
      shards: await readShardsDir(ledgerDir),
      afterKill: false,
    });
    const args = [
      'apply',
      '--unreviewed',
      '--batch-size',
      String(1 + rng.int(4)),
      '--concurrency',
      String(1 + rng.int(3)),
      '--timeout-seconds',
      '1',
      '--settle-seconds',
      String(SETTLE_SECONDS),
      '--format',
      'json',
    ];
    const env = { CLOUDFLARE_API_BASE_URL: proxy.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
    const latencyMs = rng.int(15);
    emulator.setFaults({
      script: faultScript(rng, true),
      latencyMs,
      jitterMs: rng.int(15),
      seed: ctx.seed,
    });
    ctx.notes.push(`${world.history.length} in history`);

    // The hostile actor, between two runs: a `retry` the ledger cannot justify, in the file.
    const used = new Set<string>();
    const account = accounts[0] as string;
    const hostileFlip = async () => {
      if (!ctx.hrng.chance(HOSTILE_CLI)) return;
      const path = join(dir, 'releases.yaml');
      const picked = pickRetryFlip(
        ctx.hrng,
        world,
        ledgerView(world, await readShardsDir(ledgerDir)),
        await readFile(path, 'utf8'),
        () => {
          const id = freshIds(emulator, world, account, used)[0];
          if (id) used.add(`${account}/${id}`);
          return id;
        },
      );
      if (!picked) return;
      await writeFile(path, picked.yaml);
      ctx.hostile.flips.push({ ...picked.flip, afterPost: proxy.counts.release });
      countAct(ctx.hostile, 'retry number flipped', picked.flip.kind);
      ctx.notes.push(`hostile retry: ${picked.flip.n} (${picked.flip.kind})`);
    };
    const steps = 1 + (rng.chance(0.4) ? 1 : 0) + (rng.chance(0.15) ? 1 : 0);
    for (let step = 1; step <= steps; step++) {
      const plan = cliPlan(rng);
      if (step > 1) await hostileFlip();
      ctx.notes.push(describePlan(plan));
      const out = await cliStep(
        ctx,
        settings.cliBundle,
        args,
        dir,
        env,
        proxy,
        plan,
        `step ${step}`,
      );
      noteRefusals(ctx.hostile, out);
    }
    await hostileFlip();
    countEmulatorFaults(ctx, emulator, world);

    // Reconcile: clean runs until one changes nothing.
    emulator.setFaults({});
    proxy.hooks = {};
    let rounds = 0;
    let converged = false;
    for (let i = 1; i <= MAX_CLEAN_RUNS && !converged; i++) {
      rounds = i;
      const before = linesOf(await readShardsDir(ledgerDir)).length;
      let r = await spawnCli(settings.cliBundle, args, dir, env).done;
      // A lock file half-written by a killed run is honoured for 5 s: wait it out.
      for (
        let wait = 0;
        wait < 8 && r.code === 1 && r.stderr.includes('in use by another run');
        wait++
      ) {
        bump(ctx.kills, 'clean run waited for a lock left by a killed run');
        await sleep(1000);
        r = await spawnCli(settings.cliBundle, args, dir, env).done;
      }
      noteRefusals(ctx.hostile, r.stderr);
      const problem = cliExitProblem(r);
      if (problem)
        ctx.violations.push({
          invariant: 5,
          kind: 'tool-error',
          detail: `clean run ${i}: ${problem}`,
        });
      const after = await readShardsDir(ledgerDir);
      ctx.snapshots.push({ label: `clean run ${i}`, shards: after, afterKill: false });
      converged = linesOf(after).length === before && didItsWork(r.stderr);
    }
    // Requests a killed run left at the server land before the truth is read.
    await proxy.idle();
    const violations = checkInvariants({
      world,
      truth: emulator.truth(),
      final: finalState(emulator, world),
      snapshots: ctx.snapshots,
      converged,
    });
    violations.push(
      ...checkHostile({
        world,
        releases: proxy.releases,
        flips: ctx.hostile.flips,
        forbidden: ctx.hostile.forbidden,
        truth: emulator.truth(),
        ledger: linesOf(await readShardsDir(ledgerDir)),
      }),
    );
    const figures = countFigures({
      world,
      truth: emulator.truth(),
      copies: ctx.snapshots,
      finalLines: finalLinesOf(await readShardsDir(ledgerDir)),
      forbidden: ctx.hostile.forbidden,
    });
    if (settings.keep) ctx.notes.push(`kept ${dir}`);
    return { violations, rounds, converged, entries: world.entries.length, figures };
  } finally {
    await proxy.close();
    await emulator.close();
    if (!settings.keep) await rm(dir, { recursive: true, force: true });
  }
}

async function cliStep(
  ctx: Ctx,
  bundle: string,
  args: string[],
  dir: string,
  env: Record<string, string>,
  proxy: InterceptProxy,
  plan: KillPlan,
  label: string,
): Promise<string> {
  const ledgerDir = join(dir, 'releases.ledger');
  const before = linesOf(await readShardsDir(ledgerDir));
  const children: ChildProcess[] = [];
  let point: string | undefined;
  let killed = false;
  let tear: { path: string; from: number; ids: Set<string> } | undefined;
  const kill = (signal: NodeJS.Signals, p: string) => {
    if (point !== undefined) return;
    point = p;
    if (signal === 'SIGKILL') killed = true;
    for (const c of children) c.kill(signal);
  };
  const onAnswer = (call: ProxiedCall) => {
    const ids = new Set(call.ids ?? []);
    const atAnswer = readShardsDirSync(ledgerDir);
    if (plan.kind === 'after-answer') {
      setTimeout(() => {
        const now = linesOf(readShardsDirSync(ledgerDir));
        const known = new Set(linesOf(atAnswer));
        const outcome = now.some((l) => {
          if (known.has(l)) return false;
          const r = JSON.parse(l) as LedgerRecord;
          return ids.has(r.id) && r.state !== 'pending';
        });
        kill(
          'SIGKILL',
          outcome ? 'after the outcome write' : 'after the answer, before the outcome write',
        );
      }, plan.delayMs);
      return;
    }
    // torn-outcome: wait for the outcome write to land, kill, then cut it short.
    void (async () => {
      for (let i = 0; i < 300; i++) {
        const now = readShardsDirSync(ledgerDir);
        for (const [name, text] of now) {
          const old = atAnswer.get(name) ?? '';
          if (text.length <= old.length) continue;
          const added = text
            .slice(old.length)
            .split('\n')
            .filter((l) => l !== '');
          const records = added.map((l) => JSON.parse(l) as LedgerRecord);
          if (records.some((r) => ids.has(r.id) && r.state !== 'pending')) {
            kill('SIGKILL', 'torn outcome write');
            // Only a write made wholly of this batch's outcomes may be cut: any other write
            // (another batch's pending records) had resolved before something was sent.
            if (records.every((r) => ids.has(r.id) && r.state !== 'pending'))
              tear = { path: join(ledgerDir, name), from: Buffer.byteLength(old), ids };
            return;
          }
        }
        await sleep(1);
      }
      kill('SIGKILL', 'after the answer (no outcome write seen)');
    })();
  };
  armProxy(proxy, plan, kill, onAnswer, (ms) => late(ctx, ms));

  const first = spawnCli(bundle, args, dir, env);
  children.push(first.child);
  const runs = [first.done];
  if (plan.kind === 'timer') setTimeout(() => kill('SIGKILL', 'timer'), plan.ms).unref();
  if (plan.kind === 'concurrent') {
    await sleep(plan.gapMs);
    const second = spawnCli(bundle, args, dir, env);
    children.push(second.child);
    runs.push(second.done);
  }
  const results = await Promise.all(runs);
  // No pause here: a request the dead process left at the server may still be acted on
  // while the next run starts, as in real life. Hooks stay armed for it (kill() is a no-op).

  if (tear) {
    const { path, from, ids } = tear;
    const bytes = await readFile(path);
    const size = bytes.length;
    // Re-checked now the process is dead: everything after the cut point must still be this
    // batch's outcomes (a later pending write may have resolved, and must never be cut).
    const added = bytes
      .subarray(from)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    const onlyOutcomes = added.every((l) => {
      try {
        const r = JSON.parse(l) as LedgerRecord;
        return ids.has(r.id) && r.state !== 'pending';
      } catch {
        return false;
      }
    });
    if (onlyOutcomes && size - from > 2) {
      const cut = from + 1 + ctx.rng.int(size - from - 1);
      await truncate(path, cut);
      point = 'torn outcome write (cut short)';
    }
  }
  for (const r of results) {
    const problem = cliExitProblem(r);
    if (problem)
      ctx.violations.push({ invariant: 5, kind: 'tool-error', detail: `${label}: ${problem}` });
  }
  if (plan.kind === 'concurrent') {
    const refused = results.some((r) => r.code === 1);
    bump(
      ctx.kills,
      refused
        ? 'two runs at once: second refused by the lock'
        : 'two runs at once: ran one after the other',
    );
  }
  const after = await readShardsDir(ledgerDir);
  if (point === 'timer') {
    const added = linesOf(after).filter((l) => !before.includes(l));
    point = added.length === 0 ? 'timer: before the pending write' : 'timer: mid-run';
  }
  if (point !== undefined) bump(ctx.kills, point);
  else if (plan.kind !== 'none' && plan.kind !== 'concurrent' && plan.kind !== 'slow-post')
    bump(ctx.kills, 'planned kill not reached (run ended first)');
  if (plan.kind === 'slow-post') bump(ctx.faults, 'proxy slow POST');
  ctx.snapshots.push({
    label: `${label} (${describePlan(plan)})`,
    shards: after,
    afterKill: killed,
  });
  return results.map((r) => r.stderr).join('\n');
}

// --- the action ----------------------------------------------------------------------------

const isRefUpdate = (q: LoggedRequest) =>
  q.method === 'PATCH' && decodeURIComponent(q.path).includes('/git/refs/heads/main');

async function actionRun(ctx: Ctx, accounts: string[], settings: RunSettings): Promise<Phase> {
  const { rng } = ctx;
  const s = await actionScenario({
    emulator: { seed: ctx.seed, accounts, messagesPerAccount: 40 },
    bundle: join(dirname(settings.cliBundle), 'action.js'),
    // The machine's Node (20 here), as the CLI runs: npm test runs the action on Node 24.
    node: process.execPath,
  });
  const proxy = await startProxy(s.emulator.url);
  let onGitHub: ((q: LoggedRequest) => void) | undefined;
  s.gh.onHandled((q) => onGitHub?.(q));
  try {
    const world = await buildWorld(rng, s.emulator, ctx.seed, { accounts });
    // The harness's own release requests for "another run" that delivered nothing.
    const standInPosts: number[] = [];
    // The starting ledger, as earlier runs of the tool left it (sealed), then the requests merged.
    const ledger: Record<string, string> = {};
    for (const [name, text] of world.shards) ledger[`releases.ledger/${name}`] = text;
    if (world.shards.size > 0) commitSealed(s.gh, ledger);
    s.gh.commitFiles(
      'main',
      { 'releases.yaml': world.yaml },
      'Merge pull request #1 from feature',
      'Alice <alice@example.com>',
    );
    const ghShards = () => {
      const out = new Map<string, string>();
      for (const p of s.gh.listFiles())
        if (p.startsWith('releases.ledger/') && p.endsWith('.jsonl'))
          out.set(p.slice('releases.ledger/'.length), s.gh.readFile(p) ?? '');
      return out;
    };
    ctx.snapshots.push({ label: 'start', shards: ghShards(), afterKill: false });
    const inputs = {
      'api-base-url': proxy.url,
      'batch-size': String(1 + rng.int(4)),
      concurrency: String(1 + rng.int(2)),
      comment: 'false',
      'settle-seconds': String(SETTLE_SECONDS),
      // Faults and crashes, not reviews: the pushes apply the file as it is.
      'require-reviewed-plan': 'false',
      'required-approvals': '0',
    };
    s.emulator.setFaults({
      script: faultScript(rng, false),
      latencyMs: rng.int(15),
      jitterMs: rng.int(15),
      seed: ctx.seed,
    });
    ctx.notes.push(`${world.history.length} in history`);

    // The hostile actor, between two runs (before a step, before the clean runs).
    let nextPr = 100;
    const used = new Set<string>();
    // At the last boundary, one act of the kind the seed picks, whatever the chances: a few
    // action runs exercise every kind.
    const hostile = async (scheduled?: HostileKind) => {
      if (!scheduled && !ctx.hrng.chance(HOSTILE_ACTION)) return;
      // Hooks a step armed and never reached stay out of the actor's runs.
      proxy.hooks = {};
      const interlude = {
        rng: ctx.hrng,
        s,
        world,
        proxy,
        inputs,
        log: ctx.hostile,
        nextPr: () => nextPr++,
        used,
      };
      const note = await actionInterlude(interlude, scheduled);
      ctx.notes.push(note);
      ctx.snapshots.push({ label: `after ${note}`, shards: ghShards(), afterKill: false });
    };

    const steps = 1 + rng.int(2);
    for (let step = 1; step <= steps; step++) {
      await hostile();
      const plan = actionPlan(rng);
      const moves = rng.chance(0.3) ? (rng.chance(0.4) ? 'other-run' : 'unrelated') : undefined;
      const refFails = rng.chance(0.1);
      const hold = 1000 + rng.int(2000);
      const slow =
        // Two actions at once with release POSTs held 1-3 s on the way: one run meets the
        // other's pending records while that run's POSTs have not arrived yet.
        plan.kind === 'concurrent' && rng.chance(0.5) ? hold : 0;
      ctx.notes.push(
        [
          describePlan(plan),
          moves && `branch moves (${moves})`,
          refFails && 'ref update 5xx x3',
          slow && `slow POSTs ${slow} ms`,
        ]
          .filter(Boolean)
          .join(' + '),
      );
      if (refFails) {
        s.gh.failNext({ method: 'PATCH', pathPrefix: '/git/refs' }, 'server-error', 3);
        bump(ctx.faults, 'github ref update 5xx x3');
      }

      // Another run's outcome commit: a real release it made, recorded on the branch.
      let otherRun: (() => void) | undefined;
      if (moves === 'other-run') {
        const led = new Set(
          linesOf(ghShards()).map((l) => {
            const r = JSON.parse(l) as LedgerRecord;
            return world.canon(r.account_id, r.id);
          }),
        );
        const delivered = new Set(
          s.emulator.truth().releases.map((r) => `${r.account_id}/${r.id}`),
        );
        const target = world.entries.find(
          (e) =>
            e.exists &&
            e.quarantined0 &&
            e.retry === undefined &&
            e.hostileRetry === undefined &&
            !led.has(e.key) &&
            !delivered.has(e.key),
        );
        if (target) {
          const releasesBefore = s.emulator.truth().releases.length;
          const requestsBefore = s.emulator.truth().requests.length;
          try {
            const res = await fetch(
              `${s.emulator.url}/accounts/${target.account}/email-security/investigate/release`,
              {
                method: 'POST',
                headers: {
                  authorization: `Bearer ${DEFAULT_TOKEN}`,
                  'content-type': 'application/json',
                },
                body: JSON.stringify({ ids: [target.id] }),
              },
            );
            await res.arrayBuffer();
          } catch {
            // The chaos fault script may have hit this POST too (a reset): the truth says.
          }
          // What the emulator did, whatever its answer said (a fault may have made the answer
          // malformed, or the delivery partial): recorded as a real run would have.
          const item = s.emulator
            .truth()
            .releases.slice(releasesBefore)
            .find((r) => `${r.account_id}/${r.id}` === target.key);
          const post = s.emulator
            .truth()
            .requests.slice(requestsBefore)
            .find((r) => r.method === 'POST');
          if (!item && post) standInPosts.push(post.seq);
          const partial = (item?.failed?.length ?? 0) + (item?.undelivered?.length ?? 0) > 0;
          const line = serializeRecord({
            v: 1,
            account_id: target.account,
            id: target.id,
            seq: 1,
            attempt: 1,
            state: partial ? 'partial' : 'released',
            at: new Date().toISOString(),
            via: 'release',
            delivered: item?.delivered ?? [],
            ...(item?.failed?.length ? { failed: item.failed } : {}),
            ...(item?.undelivered?.length ? { undelivered: item.undelivered } : {}),
            run: 'another-run',
          });
          const path = 'releases.ledger/2025-01.jsonl';
          // Only a real delivery is recorded.
          if (item)
            otherRun = () => {
              otherRun = undefined;
              // Another run of the tool: its commit is sealed like ours.
              commitSealed(s.gh, { [path]: `${s.gh.readFile(path) ?? ''}${line}\n` });
            };
        }
      }

      const children: ChildProcess[] = [];
      let point: string | undefined;
      let killed = false;
      const kill = (signal: NodeJS.Signals, p: string) => {
        if (point !== undefined) return;
        point = p;
        if (signal === 'SIGKILL') killed = true;
        for (const c of children) c.kill(signal);
      };
      let commits = 0;
      let refs = 0;
      let moved = false;
      onGitHub = (q) => {
        if (moves && !moved && q.method === 'GET' && q.path.includes('/git/trees/')) {
          moved = true;
          if (otherRun) otherRun();
          else
            s.gh.commitFiles(
              'main',
              { 'docs/notes.md': `pushed during seed ${ctx.seed}\n` },
              'Unrelated push',
            );
          bump(ctx.faults, `github branch moved (${moves})`);
        }
        if (q.method === 'POST' && q.path.endsWith('/git/commits') && q.status === 201) {
          commits++;
          if (plan.kind === 'gh-commit-created' && commits === 1)
            kill('SIGKILL', 'pending commit created, branch not moved yet');
        }
        if (isRefUpdate(q) && q.status === 200) {
          refs++;
          if (plan.kind === 'gh-pending-landed' && refs === 1)
            kill('SIGKILL', 'pending commit landed, before the action heard');
          if (plan.kind === 'gh-outcome-landed' && refs === 2)
            kill('SIGKILL', 'outcome commit landed, before the action heard');
        }
      };
      armProxy(
        proxy,
        slow > 0 ? { kind: 'slow-post', holdMs: slow } : plan,
        kill,
        () => {
          if (plan.kind === 'after-answer')
            setTimeout(
              () => kill('SIGKILL', 'after the answer, before the outcome commit'),
              plan.delayMs,
            );
        },
        (ms) => late(ctx, ms),
      );
      const start = () =>
        s.run({
          event: 'push',
          sha: s.gh.headSha('main'),
          inputs,
          onStart: (c) => {
            children.push(c);
          },
        });
      const runs = [start()];
      if (plan.kind === 'timer') setTimeout(() => kill('SIGKILL', 'timer'), plan.ms).unref();
      if (plan.kind === 'concurrent') {
        await sleep(plan.gapMs);
        runs.push(start());
      }
      const results = await Promise.all(runs);
      onGitHub = undefined;
      otherRun?.();
      for (const r of results) noteRefusals(ctx.hostile, r.stdout);
      for (const r of results)
        if (/problem\(s\) in the ledger/.test(r.stdout))
          ctx.violations.push({
            invariant: 3,
            kind: 'ledger-refused',
            detail: r.stdout.slice(0, 300),
          });
      if (plan.kind === 'concurrent')
        bump(ctx.kills, `two actions at once${slow ? ' (slow POSTs)' : ''}`);
      if (point !== undefined) bump(ctx.kills, point === 'timer' ? 'timer (action)' : point);
      else if (plan.kind !== 'none' && plan.kind !== 'concurrent')
        bump(ctx.kills, 'planned kill not reached (run ended first)');
      ctx.snapshots.push({
        label: `step ${step} (${describePlan(plan)})`,
        shards: ghShards(),
        afterKill: killed,
      });
    }
    await hostile(HOSTILE_KINDS[ctx.seed % HOSTILE_KINDS.length]);
    countEmulatorFaults(ctx, s.emulator, world);

    s.emulator.setFaults({});
    proxy.hooks = {};
    let rounds = 0;
    let converged = false;
    for (let i = 1; i <= MAX_CLEAN_RUNS && !converged; i++) {
      rounds = i;
      const head = s.gh.headSha('main');
      const r = await s.run({ event: 'push', sha: head, inputs });
      noteRefusals(ctx.hostile, r.stdout);
      if (/problem\(s\) in the ledger/.test(r.stdout))
        ctx.violations.push({
          invariant: 3,
          kind: 'ledger-refused',
          detail: r.stdout.slice(0, 300),
        });
      ctx.snapshots.push({ label: `clean run ${i}`, shards: ghShards(), afterKill: false });
      // A run that stopped early (e.g. a GitHub fault armed for a step that was killed before
      // it reached it) did not get to do its work: not a fixed point.
      converged =
        s.gh.headSha('main') === head &&
        didItsWork(r.stdout) &&
        (r.outputs.deferred ?? '0') === '0';
    }
    await proxy.idle();
    // Every commit of the branch, oldest first: the ledger only ever grew along the history
    // (the hostile actor's commits aside: checkSealedHistory holds the tool to them).
    const history = s.gh.commits('main').reverse();
    const isHostile = (c: (typeof history)[number]) =>
      `${c.author?.name} <${c.author?.email}>` === MALLORY;
    const chain: Snapshot[] = history
      .filter((c) => !isHostile(c))
      .map((c) => {
        const shards = new Map<string, string>();
        for (const [p, text] of Object.entries(c.files))
          if (p.startsWith('releases.ledger/') && p.endsWith('.jsonl'))
            shards.set(p.slice('releases.ledger/'.length), text);
        return {
          label: `commit ${c.sha.slice(0, 7)} ${c.message.split('\n')[0]}`,
          shards,
          afterKill: false,
        };
      });
    const violations = checkInvariants({
      world,
      truth: s.emulator.truth(),
      final: finalState(s.emulator, world),
      snapshots: ctx.snapshots,
      converged,
      standInPosts,
    });
    violations.push(
      ...checkLedgerCopies(chain).violations.map((x) => ({
        ...x,
        detail: `branch history: ${x.detail}`,
      })),
      ...checkSealedHistory(history, LEDGER_KEY, 'releases.ledger', isHostile),
      ...checkHostile({
        world,
        releases: proxy.releases,
        flips: ctx.hostile.flips,
        forbidden: ctx.hostile.forbidden,
        truth: s.emulator.truth(),
        ledger: linesOf(ghShards()),
      }),
    );
    const figures = countFigures({
      world,
      truth: s.emulator.truth(),
      copies: [...chain, ...ctx.snapshots],
      finalLines: finalLinesOf(ghShards()),
      forbidden: ctx.hostile.forbidden,
    });
    return { violations, rounds, converged, entries: world.entries.length, figures };
  } finally {
    onGitHub = undefined;
    await proxy.close();
    await s.close();
  }
}
