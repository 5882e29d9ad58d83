// The hostile actor of the chaos runs: someone with write access who wants a message out (or a
// record gone), acting between runs of the tool, never inside one. Its decisions come from a
// random stream of their own (deriveSeed(seed, 'hostile')), so the faults and kills a seed
// plays are the same with or without it.
//
// - Retry flips (CLI and action): `retry: N` put on an entry the ledger never sent, on one whose
//   attempts it skips, on one already released, or on a new id. None may ever cause a send.
// - Ledger edits (action): a commit by a person that deletes, changes, reorders, duplicates,
//   tears or forges ledger lines or shards, or puts back an older state the tool sealed (its
//   seal trailer copied into the merge commit, sometimes), alone or with a retry flip (delete
//   the release and ask for a retry; forge a failed attempt and ask for a retry), sometimes
//   through a pull request whose plan must fail first. The next run must refuse the whole ledger; then a
//   maintainer puts the ledger back as the tool last sealed it, and the runs go on.
// - Review bypasses (action, with review switched on for that merge): the plan comment's
//   marker removed or the comment edited, a push after the approval, the author approving
//   their own pull request, an entry added after the plan, no plan at all, a direct push or
//   a run by hand, a reviewed `retry` of a message never sent. The entry nobody reviewed must
//   never be sent; a maintainer then reverts it. One control merge is reviewed properly, and
//   its entry joins the world's requests.
//
// Every act is counted under one of HOSTILE_KINDS (and its exact variant); each action run
// plays one act of the kind its seed picks (seed mod the number of kinds), so a few action
// runs exercise them all, and more at random. What the tool must do about each is checked in
// invariants.ts (checkHostile, and checkSealedHistory over the branch's commits).
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import { parseSeal, sealIsValid } from '../../src/core/ledger/seal.js';
import { compareRecords } from '../../src/core/ledger/state.js';
import type { Emulator } from '../../src/emulator/index.js';
import type { Random } from '../../src/emulator/random.js';
import { type ActionScenario, mergePr, openPr, REVIEWER } from '../support/action.js';
import type { FakeGitHub } from '../support/fake-github/index.js';
import { LEDGER_KEY } from '../support/sealed.js';
import type { Violation } from './invariants.js';
import type { InterceptProxy } from './proxy.js';
import { SAFE_DISPOSITIONS, type World, weighted } from './world.js';

export const MALLORY = 'Mallory <m@example.com>';
export const MALLORY_LOGIN = 'mallory';
export const MAINTAINER = 'Maintainer <maintainer@example.com>';
const BOT_LOGIN = 'github-actions[bot]';
const LEDGER_DIR = 'releases.ledger';

/**
 * A `retry` the hostile actor set: from then on, no release POST may name the message; or,
 * when the ledger held an attempt still unresolved (pending or unknown), no attempt after it
 * may be recorded (that attempt was asked for before the flip, and may be resumed).
 */
export interface RetryFlip {
  key: string;
  account: string;
  id: string;
  kind: 'never-sent' | 'skips-attempts' | 'already-released' | 'new-id';
  n: number;
  /** The unresolved attempt the ledger held at the flip, if any. */
  resumes?: number;
  /** The ledger had it released at the flip: nothing is sent, whatever the retry says. */
  released?: boolean;
  /** Release POSTs the proxy had seen when the flip landed (later ones must not name it). */
  afterPost: number;
  /** A run said it refused the retry (its output has the id and "retry refused"). */
  said?: boolean;
}

/** The kinds of hostile act, as counted and required by the tests (each must be exercised). */
export const HOSTILE_KINDS = [
  'ledger lines deleted',
  'ledger lines changed',
  'ledger record forged',
  'older sealed ledger replayed',
  'retry number flipped',
  'plan comment marker removed or edited',
  'review bypassed',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** The kind each ledger edit counts as. */
const EDIT_KIND: Record<LedgerEditKind, HostileKind> = {
  'delete-line': 'ledger lines deleted',
  'delete-shard': 'ledger lines deleted',
  'delete-release+retry': 'ledger lines deleted',
  'change-state': 'ledger lines changed',
  reorder: 'ledger lines changed',
  'duplicate-line': 'ledger lines changed',
  'torn-tail': 'ledger lines changed',
  'forge-append': 'ledger record forged',
  'add-shard': 'ledger record forged',
  'forge-failed+retry': 'ledger record forged',
  'replay-sealed': 'older sealed ledger replayed',
};

/** Counts one act: by kind, and by kind and variant. */
export function countAct(log: HostileLog, kind: HostileKind, variant: string): void {
  bump(log.acts, kind);
  bump(log.variants, `${kind}: ${variant}`);
}

/** What the hostile actor did and what came of it, for one chaos run. */
export interface HostileLog {
  /** Acts, by kind (HOSTILE_KINDS). */
  acts: Record<string, number>;
  /** Acts, by kind and variant ("ledger lines changed: reorder"). */
  variants: Record<string, number>;
  /** By what happened: "ledger edit refused (delete-line)", "repairs", ... */
  counts: Record<string, number>;
  flips: RetryFlip[];
  /** Messages added without a review that counts: never to be sent, by any run. */
  forbidden: { key: string; id: string; why: string }[];
  violations: Violation[];
  notes: string[];
}

export function newHostileLog(): HostileLog {
  return {
    acts: {},
    variants: {},
    counts: {},
    flips: [],
    forbidden: [],
    violations: [],
    notes: [],
  };
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

// --- the ledger as the actor reads it ---------------------------------------------------------

interface Led {
  latest: LedgerRecord;
  maxAttempt: number;
  maxSeq: number;
  /** Where its lines are: shard name and line index. */
  lines: { shard: string; index: number }[];
}

function linesOfText(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Per canonical key: the latest record, the highest attempt and seq, where its lines are. */
export function ledgerView(world: World, shards: Map<string, string>): Map<string, Led> {
  const out = new Map<string, Led>();
  for (const [shard, text] of shards) {
    linesOfText(text).forEach((line, index) => {
      let r: LedgerRecord;
      try {
        r = JSON.parse(line) as LedgerRecord;
      } catch {
        return;
      }
      const key = world.canon(r.account_id, r.id);
      const led = out.get(key);
      if (!led) {
        out.set(key, {
          latest: r,
          maxAttempt: r.attempt,
          maxSeq: r.seq,
          lines: [{ shard, index }],
        });
        return;
      }
      if (compareRecords(r, led.latest) > 0) led.latest = r;
      led.maxAttempt = Math.max(led.maxAttempt, r.attempt);
      led.maxSeq = Math.max(led.maxSeq, r.seq);
      led.lines.push({ shard, index });
    });
  }
  return out;
}

// --- releases.yaml, as world.ts writes it -------------------------------------------------------

interface Block {
  account: string;
  id: string;
  lines: string[];
}

function parseYaml(yaml: string): { head: string[]; blocks: Block[] } {
  const head: string[] = [];
  const blocks: Block[] = [];
  let account = '';
  for (const line of yaml.split('\n')) {
    if (line === '') continue;
    const top = /^account_id: (\S+)$/.exec(line);
    if (top) account = top[1] as string;
    const start = /^ {2}- id: (\S+)$/.exec(line);
    if (start) {
      blocks.push({ account, id: start[1] as string, lines: [line] });
      continue;
    }
    const block = blocks.at(-1);
    if (!block) {
      head.push(line);
      continue;
    }
    const own = /^ {4}account_id: (\S+)$/.exec(line);
    if (own) block.account = own[1] as string;
    block.lines.push(line);
  }
  return { head, blocks };
}

function writeYaml(head: string[], blocks: Block[]): string {
  return `${[...head, ...blocks.flatMap((b) => b.lines)].join('\n')}\n`;
}

/** The file with `retry: n` on the entry of (account, id as written). */
export function setRetry(yaml: string, account: string, id: string, n: number): string {
  const { head, blocks } = parseYaml(yaml);
  const block = blocks.find((b) => b.account === account && b.id === id);
  if (!block) throw new Error(`hostile actor: no entry ${account}/${id} in releases.yaml`);
  block.lines = block.lines.filter((l) => !/^ {4}retry: /.test(l));
  const reason = block.lines.findIndex((l) => /^ {4}reason: /.test(l));
  block.lines.splice(reason === -1 ? 1 : reason + 1, 0, `    retry: ${n}`);
  return writeYaml(head, blocks);
}

/** The file with one more entry. */
export function addEntry(
  yaml: string,
  entry: { account: string; id: string; retry?: number; reason: string },
): string {
  const { head, blocks } = parseYaml(yaml);
  const top = head.map((l) => /^account_id: (\S+)$/.exec(l)?.[1]).find(Boolean);
  const lines = [`  - id: ${entry.id}`, `    reason: ${entry.reason}`];
  if (entry.account !== top) lines.push(`    account_id: ${entry.account}`);
  if (entry.retry !== undefined) lines.push(`    retry: ${entry.retry}`);
  blocks.push({ account: entry.account, id: entry.id, lines });
  return writeYaml(head, blocks);
}

/** Quarantined, releasable messages no request, record or earlier pick of this run names. */
export function freshIds(
  emulator: Emulator,
  world: World,
  account: string,
  used: Set<string>,
): string[] {
  const taken = new Set([...world.entries.map((e) => e.key), ...world.history.map((h) => h.key)]);
  return emulator
    .messages(account)
    .filter(
      (m) =>
        m.details.is_quarantined &&
        SAFE_DISPOSITIONS.has(m.details.final_disposition) &&
        m.action_log.length === 0 &&
        !taken.has(`${account}/${m.details.id}`) &&
        !used.has(`${account}/${m.details.id}`),
    )
    .map((m) => m.details.id);
}

// --- retry flips ----------------------------------------------------------------------------

/**
 * A `retry` the ledger cannot justify, put on the file as it is now: on an entry the ledger
 * never sent, one that skips attempts, one already released, or a new id. Undefined when
 * there is nothing to flip.
 */
export function pickRetryFlip(
  rng: Random,
  world: World,
  view: Map<string, Led>,
  yaml: string,
  fresh: () => string | undefined,
): { yaml: string; flip: Omit<RetryFlip, 'afterPost'> } | undefined {
  const blocks = parseYaml(yaml).blocks;
  const inFile = (account: string, id: string) =>
    blocks.some((b) => b.account === account && b.id === id);
  const entries = world.entries.filter((e) => inFile(e.account, e.id));
  const never = entries.filter((e) => !view.has(e.key));
  const led = entries.filter((e) => view.has(e.key));
  const released = led.filter((e) => view.get(e.key)?.latest.state === 'released');
  const table: [RetryFlip['kind'], number][] = [['new-id', 1]];
  if (never.length > 0) table.push(['never-sent', 3]);
  if (led.length > 0) table.push(['skips-attempts', 2]);
  if (released.length > 0) table.push(['already-released', 2]);
  const kind = weighted(rng, table);
  if (kind === 'new-id') {
    const id = fresh();
    const account = world.accounts[0] as string;
    if (!id) return undefined;
    const n = 2 + rng.int(2);
    return {
      yaml: addEntry(yaml, { account, id, retry: n, reason: 'hostile, a retry of a new id' }),
      flip: { key: `${account}/${id}`, account, id, kind, n },
    };
  }
  const pool = kind === 'never-sent' ? never : kind === 'skips-attempts' ? led : released;
  const e = rng.pick(pool);
  const max = view.get(e.key)?.maxAttempt ?? 0;
  const latest = view.get(e.key)?.latest;
  const unresolved = latest?.state === 'pending' || latest?.state === 'unknown';
  const n =
    kind === 'never-sent'
      ? 2 + rng.int(2)
      : kind === 'skips-attempts'
        ? max + 2 + rng.int(2)
        : max + 1;
  e.hostileRetry = n;
  return {
    yaml: setRetry(yaml, e.account, e.id, n),
    flip: {
      key: e.key,
      account: e.account,
      id: e.id,
      kind,
      n,
      ...(unresolved && latest ? { resumes: latest.attempt } : {}),
      ...(latest?.state === 'released' ? { released: true } : {}),
    },
  };
}

/** Marks the flips a run's output says it refused. */
export function noteRefusals(log: HostileLog, output: string): void {
  for (const flip of log.flips) {
    if (flip.said) continue;
    if (output.split('\n').some((l) => l.includes(flip.id) && l.includes('retry refused')))
      flip.said = true;
  }
}

/** The flip counters, once the run is over. */
export function countFlips(log: HostileLog): void {
  for (const f of log.flips) {
    bump(log.counts, `retry flips (${f.kind})`);
    if (f.said) bump(log.counts, 'retry flips refused (said so)');
    else if (f.resumes !== undefined)
      bump(log.counts, 'retry flips over an unresolved attempt (that attempt may go on)');
    else if (f.released) bump(log.counts, 'retry flips on a released id (nothing to send)');
    else bump(log.counts, 'retry flips not sent (no run said why)');
  }
}

// --- ledger edits -------------------------------------------------------------------------------

export type LedgerEditKind =
  | 'delete-line'
  | 'change-state'
  | 'forge-append'
  | 'reorder'
  | 'duplicate-line'
  | 'torn-tail'
  | 'delete-shard'
  | 'add-shard'
  | 'delete-release+retry'
  | 'forge-failed+retry'
  | 'replay-sealed';

export interface LedgerEdit {
  kind: LedgerEditKind;
  /** Repository paths: new text, or null to delete. */
  files: Record<string, string | null>;
  /** The flip that goes with it (the yaml is in `files`). */
  flip?: Omit<RetryFlip, 'afterPost'>;
  /** Seal trailer lines copied from an older commit, for the merge commit's message. */
  trailer?: string;
}

/** A ledger the tool sealed in an earlier commit: its shards by name, and its seal trailer. */
export interface SealedState {
  shards: Map<string, string>;
  trailer: string;
}

function forged(r: Partial<LedgerRecord> & Pick<LedgerRecord, 'account_id' | 'id'>): string {
  return serializeRecord({
    v: 1,
    seq: 1,
    attempt: 1,
    state: 'released',
    at: new Date().toISOString(),
    via: 'release',
    run: 'https://github.com/octo-org/mail-releases/actions/runs/666',
    ...r,
  });
}

/** One edit of the ledger at the head (and maybe of the file with it), by a person. */
export function pickLedgerEdit(
  rng: Random,
  world: World,
  shards: Map<string, string>,
  yaml: string,
  fresh: () => string | undefined,
  /** Older sealed ledgers (for a replay), and the kind wanted if it can be played. */
  options: { older?: readonly SealedState[]; want?: HostileKind } = {},
): LedgerEdit {
  const view = ledgerView(world, shards);
  const same = (a: Map<string, string>) =>
    a.size === shards.size && [...a].every(([n, t]) => shards.get(n) === t);
  const older = (options.older ?? []).filter((o) => !same(o.shards));
  const names = [...shards.keys()].filter((n) => linesOfText(shards.get(n) ?? '').length > 0);
  const all = names.flatMap((shard) =>
    linesOfText(shards.get(shard) ?? '').map((line, index) => ({ shard, index, line })),
  );
  const blocks = parseYaml(yaml).blocks;
  const releasedEntries = world.entries.filter(
    (e) =>
      view.get(e.key)?.latest.state === 'released' &&
      blocks.some((b) => b.account === e.account && b.id === e.id),
  );
  const table: [LedgerEditKind, number][] = [
    ['forge-append', 3],
    ['add-shard', 1],
  ];
  if (all.length > 0)
    table.push(
      ['delete-line', 3],
      ['change-state', 3],
      ['duplicate-line', 1],
      ['torn-tail', 1],
      ['delete-shard', 1],
    );
  if (names.some((n) => linesOfText(shards.get(n) ?? '').length > 1)) table.push(['reorder', 1]);
  if (releasedEntries.length > 0)
    table.push(['delete-release+retry', 2], ['forge-failed+retry', 2]);
  if (older.length > 0) table.push(['replay-sealed', 3]);
  const wanted = table.filter(([k]) => EDIT_KIND[k] === options.want);
  const kind = weighted(rng, wanted.length > 0 ? wanted : table);
  const path = (name: string) => `${LEDGER_DIR}/${name}`;
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
  const files: Record<string, string | null> = {};
  const edit = (shard: string, f: (lines: string[]) => string[]) => {
    files[path(shard)] = text(f(linesOfText(shards.get(shard) ?? '')));
  };
  const account = world.accounts[0] as string;
  switch (kind) {
    case 'delete-line':
    case 'change-state':
    case 'duplicate-line': {
      // Mostly a record that says something was sent: the one an attacker wants gone.
      const acted = all.filter((x) => /"state":"(released|partial)"/.test(x.line));
      const target = rng.pick(acted.length > 0 && rng.chance(0.7) ? acted : all);
      edit(target.shard, (lines) => {
        if (kind === 'delete-line') return lines.filter((_, i) => i !== target.index);
        if (kind === 'duplicate-line') return [...lines, target.line];
        const r = JSON.parse(target.line) as LedgerRecord;
        const to: LedgerRecord['state'] = r.state === 'failed' ? 'released' : 'failed';
        return lines.map((l, i) => (i === target.index ? serializeRecord({ ...r, state: to }) : l));
      });
      break;
    }
    case 'reorder': {
      const shard = rng.pick(names.filter((n) => linesOfText(shards.get(n) ?? '').length > 1));
      edit(shard, (lines) => {
        const i = rng.int(lines.length - 1);
        const out = [...lines];
        [out[i], out[i + 1]] = [out[i + 1] as string, out[i] as string];
        return out;
      });
      break;
    }
    case 'torn-tail': {
      const shard = rng.pick(names);
      const t = shards.get(shard) ?? '';
      const last = linesOfText(t).at(-1) ?? '';
      files[path(shard)] = t.slice(0, t.length - 2 - rng.int(Math.min(20, last.length - 1)));
      break;
    }
    case 'delete-shard':
      files[path(rng.pick(names))] = null;
      break;
    case 'replay-sealed': {
      // The ledger put back as the tool sealed it before (a revert of its later commits),
      // half the time with that commit's seal trailer copied into the merge commit.
      const o = rng.pick(older);
      for (const name of shards.keys()) if (!o.shards.has(name)) files[path(name)] = null;
      for (const [name, t] of o.shards) if (shards.get(name) !== t) files[path(name)] = t;
      return { kind, files, ...(rng.chance(0.5) ? { trailer: o.trailer } : {}) };
    }
    case 'add-shard': {
      // A shard of a month long past, "proving" a request was released already.
      const e = world.entries.find((x) => !view.has(x.key));
      const id = e?.id ?? fresh() ?? 'x';
      files[path('2019-03.jsonl')] =
        `${forged({ account_id: e?.account ?? account, id, at: '2019-03-04T05:06:07.000Z' })}\n`;
      break;
    }
    case 'forge-append': {
      // A failed attempt for something released (so a retry would go), or a release that
      // never happened (so a request is never sent).
      const released = [...view].filter(([, l]) => l.latest.state === 'released');
      const now = new Date().toISOString();
      let line: string;
      if (released.length > 0 && rng.chance(0.6)) {
        const [, l] = rng.pick(released);
        line = forged({
          account_id: l.latest.account_id,
          id: l.latest.id,
          seq: l.maxSeq + 1,
          attempt: l.maxAttempt,
          state: 'failed',
          at: now,
          error: { status: 500, message: 'server error' },
        });
      } else {
        const e = world.entries.find((x) => !view.has(x.key));
        line = forged({ account_id: e?.account ?? account, id: e?.id ?? fresh() ?? 'x', at: now });
      }
      const shard = `${now.slice(0, 7)}.jsonl`;
      files[path(shard)] = `${shards.get(shard) ?? ''}${line}\n`;
      break;
    }
    case 'delete-release+retry':
    case 'forge-failed+retry': {
      const e = rng.pick(releasedEntries);
      const l = view.get(e.key) as Led;
      if (kind === 'delete-release+retry') {
        for (const shard of new Set(l.lines.map((x) => x.shard))) {
          const gone = new Set(l.lines.filter((x) => x.shard === shard).map((x) => x.index));
          edit(shard, (lines) => lines.filter((_, i) => !gone.has(i)));
        }
      } else {
        const now = new Date().toISOString();
        const shard = `${now.slice(0, 7)}.jsonl`;
        files[path(shard)] =
          `${shards.get(shard) ?? ''}${forged({ account_id: e.account, id: e.id, seq: l.maxSeq + 1, attempt: l.maxAttempt, state: 'failed', at: now, error: { status: 500, message: 'server error' } })}\n`;
      }
      const n = l.maxAttempt + 1;
      e.hostileRetry = n;
      files['releases.yaml'] = setRetry(yaml, e.account, e.id, n);
      return {
        kind,
        files,
        flip: {
          key: e.key,
          account: e.account,
          id: e.id,
          kind: 'already-released',
          n,
          released: true,
        },
      };
    }
  }
  return { kind, files };
}

/** The ledger shards (repository paths) of the newest commit sealed with the tests' key. */
export function lastSealedLedger(gh: FakeGitHub): Map<string, string> {
  for (const c of gh.commits('main')) {
    const seal = parseSeal(c.message);
    if (seal === undefined || seal === 'malformed') continue;
    if (!sealIsValid(seal, LEDGER_KEY, c.parents[0])) continue;
    const out = new Map<string, string>();
    for (const [p, text] of Object.entries(c.files))
      if (p.startsWith(`${LEDGER_DIR}/`) && p.endsWith('.jsonl')) out.set(p, text);
    return out;
  }
  return new Map();
}

/** Every ledger the tool sealed along main's history, newest first (shard names, not paths). */
export function sealedStates(gh: FakeGitHub): SealedState[] {
  const out: SealedState[] = [];
  for (const c of gh.commits('main')) {
    const seal = parseSeal(c.message);
    if (seal === undefined || seal === 'malformed') continue;
    if (!sealIsValid(seal, LEDGER_KEY, c.parents[0])) continue;
    const shards = new Map<string, string>();
    for (const [p, text] of Object.entries(c.files))
      if (p.startsWith(`${LEDGER_DIR}/`) && p.endsWith('.jsonl'))
        shards.set(p.slice(LEDGER_DIR.length + 1), text);
    const trailer = c.message
      .split('\n')
      .filter((l) => /^Ledger-(Seal|Shard): /.test(l))
      .join('\n');
    out.push({ shards, trailer });
  }
  return out;
}

/** What a maintainer commits to put the ledger back as the tool last sealed it (null: delete). */
export function repairFiles(gh: FakeGitHub): Record<string, string | null> {
  const sealed = lastSealedLedger(gh);
  const files: Record<string, string | null> = {};
  for (const p of gh.listFiles())
    if (p.startsWith(`${LEDGER_DIR}/`) && !sealed.has(p)) files[p] = null;
  for (const [p, text] of sealed) if (gh.readFile(p) !== text) files[p] = text;
  return files;
}

// --- the action's interludes ----------------------------------------------------------------

export interface Interlude {
  rng: Random;
  s: ActionScenario;
  world: World;
  proxy: InterceptProxy;
  /** The inputs of the fault runs (review off). */
  inputs: Record<string, string>;
  log: HostileLog;
  /** A pull request number not used yet. */
  nextPr: () => number;
  /** Ids picked so far (fresh ids are never reused). */
  used: Set<string>;
}

type ReviewVariant =
  | 'marker-removed'
  | 'marker-edited'
  | 'comment-edited'
  | 'push-after-approval'
  | 'self-approval'
  | 'added-after-plan'
  | 'reviewed-retry'
  | 'no-plan'
  | 'direct-push'
  | 'reviewed';
/** The kind each review variant counts as ('reviewed' is the control, not an attack). */
const REVIEW_KIND: Record<ReviewVariant, HostileKind | undefined> = {
  'marker-removed': 'plan comment marker removed or edited',
  'marker-edited': 'plan comment marker removed or edited',
  'comment-edited': 'plan comment marker removed or edited',
  'push-after-approval': 'review bypassed',
  'self-approval': 'review bypassed',
  'added-after-plan': 'review bypassed',
  'reviewed-retry': 'retry number flipped',
  'no-plan': 'review bypassed',
  'direct-push': 'review bypassed',
  reviewed: undefined,
};
const REVIEW_VARIANTS: [ReviewVariant, number][] = [
  ['marker-removed', 2],
  ['marker-edited', 1],
  ['comment-edited', 1],
  ['push-after-approval', 2],
  ['self-approval', 1],
  ['added-after-plan', 1],
  ['reviewed-retry', 1],
  ['no-plan', 1],
  ['direct-push', 1],
  ['reviewed', 1],
];

function headLedger(gh: FakeGitHub): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of gh.listFiles())
    if (p.startsWith(`${LEDGER_DIR}/`) && p.endsWith('.jsonl'))
      out.set(p.slice(LEDGER_DIR.length + 1), gh.readFile(p) ?? '');
  return out;
}

function freshPicker(x: Interlude): () => string | undefined {
  return () => {
    const account = x.world.accounts[0] as string;
    const id = freshIds(x.s.emulator, x.world, account, x.used)[0];
    if (id) x.used.add(`${account}/${id}`);
    return id;
  };
}

/**
 * One act of the hostile actor between two runs of the action, of the kind given (when it
 * can be played; else another) or picked at random; returns a one-line note.
 */
export async function actionInterlude(x: Interlude, want?: HostileKind): Promise<string> {
  const what =
    want === undefined
      ? weighted(x.rng, [
          ['ledger', 5],
          ['retry', 2],
          ['review', 3],
        ] as const)
      : want === 'retry number flipped'
        ? 'retry'
        : want === 'review bypassed' || want === 'plan comment marker removed or edited'
          ? 'review'
          : 'ledger';
  if (what === 'ledger') return ledgerInterlude(x, want);
  if (what === 'review') {
    const variants =
      want === undefined
        ? REVIEW_VARIANTS
        : REVIEW_VARIANTS.filter(([v]) => REVIEW_KIND[v] === want);
    const note = await reviewInterlude(x, weighted(x.rng, variants));
    if (note) return note;
  }
  const yaml = x.s.gh.readFile('releases.yaml') ?? '';
  const picked = pickRetryFlip(
    x.rng,
    x.world,
    ledgerView(x.world, headLedger(x.s.gh)),
    yaml,
    freshPicker(x),
  );
  if (!picked) return 'hostile: nothing to flip';
  x.s.gh.commitFiles(
    'main',
    { 'releases.yaml': picked.yaml },
    `Merge pull request #${x.nextPr()} from mallory/retry`,
    MALLORY,
  );
  x.log.flips.push({ ...picked.flip, afterPost: x.proxy.counts.release });
  countAct(x.log, 'retry number flipped', picked.flip.kind);
  return `hostile retry flip (${picked.flip.kind})`;
}

async function ledgerInterlude(x: Interlude, want?: HostileKind): Promise<string> {
  const { s, log } = x;
  const yaml = s.gh.readFile('releases.yaml') ?? '';
  const edit = pickLedgerEdit(x.rng, x.world, headLedger(s.gh), yaml, freshPicker(x), {
    older: sealedStates(s.gh),
    ...(want ? { want } : {}),
  });
  countAct(log, EDIT_KIND[edit.kind], edit.kind);
  if (edit.flip) countAct(log, 'retry number flipped', `${edit.flip.kind}, with ${edit.kind}`);
  const n = x.nextPr();
  const viaPr = x.rng.chance(0.35);
  if (viaPr) {
    // The edit as a pull request: its plan must fail, naming the ledger.
    const branch = `mallory-${n}`;
    const head = s.gh.commitFiles(branch, edit.files, 'Fix the ledger', MALLORY);
    s.gh.addPullRequest({ number: n, head: branch, base: 'main', user: MALLORY_LOGIN });
    const plan = await s.run({
      event: 'pull_request',
      pr: n,
      sha: head,
      inputs: { ...x.inputs, comment: 'true' },
    });
    if (plan.code === 0)
      log.violations.push({
        invariant: 6,
        kind: 'hostile-plan-passed',
        detail: `pull request #${n} (${edit.kind}) changes the ledger, yet its plan passed: ${plan.stdout.slice(-300)}`,
      });
    else if (/by this pull request/.test(plan.stdout))
      bump(log.counts, 'ledger edits refused at plan (pull request)');
    else bump(log.counts, 'ledger edits via a pull request: plan stopped on something else first');
  }
  // Merged anyway (no branch protection), or pushed straight to main.
  const merged = s.gh.commitFiles(
    'main',
    edit.files,
    `Merge pull request #${n} from mallory/ledger${edit.trailer ? `\n\n${edit.trailer}\n` : ''}`,
    MALLORY,
  );
  if (edit.flip) log.flips.push({ ...edit.flip, afterPost: x.proxy.counts.release });
  const calls = () => Object.values(x.proxy.counts).reduce((a, b) => a + b, 0);
  const callsBefore = calls();
  const r = await s.run({ event: 'push', sha: merged, inputs: x.inputs });
  noteRefusals(log, r.stdout);
  const refused =
    r.code !== 0 && /problem\(s\) in the ledger/.test(r.stdout) && s.gh.headSha('main') === merged;
  if (refused && calls() === callsBefore) {
    bump(log.counts, 'ledger edits refused');
    bump(log.counts, `ledger edits refused (${edit.kind})`);
  } else
    log.violations.push({
      invariant: 6,
      kind: refused ? 'hostile-edit-called-cloudflare' : 'hostile-edit-accepted',
      detail: `after a ledger edit (${edit.kind}) the run ${refused ? `refused but made ${calls() - callsBefore} Cloudflare call(s)` : `did not refuse (exit ${r.code}, head ${s.gh.headSha('main') === merged ? 'unchanged' : 'moved'})`}: ${r.stdout.slice(-300)}`,
    });
  // The maintainer puts the ledger back as the tool last sealed it (the file's flip stays).
  const files = repairFiles(s.gh);
  if (Object.keys(files).length > 0) {
    s.gh.commitFiles(
      'main',
      files,
      `Restore the ledger as quarantine-release sealed it`,
      MAINTAINER,
    );
    bump(log.counts, 'repairs');
  }
  return `hostile ledger edit (${edit.kind}${edit.trailer ? ', seal copied' : ''}${viaPr ? ', via a pull request' : ''}${edit.flip ? `, retry: ${edit.flip.n}` : ''})`;
}

/** A merge around the review, with review switched on for it. Undefined: no fresh id left. */
async function reviewInterlude(x: Interlude, variant: ReviewVariant): Promise<string | undefined> {
  const { s, log, world } = x;
  const fresh = freshPicker(x);
  const account = world.accounts[0] as string;
  const f = fresh();
  const g = variant === 'push-after-approval' || variant === 'added-after-plan' ? fresh() : f;
  if (!f || !g) return undefined;
  const on = {
    ...x.inputs,
    comment: 'true',
    'require-reviewed-plan': 'true',
    'required-approvals': '1',
  };
  const before = s.gh.readFile('releases.yaml') ?? '';
  const add = (yaml: string, id: string, retry?: number) =>
    addEntry(yaml, {
      account,
      id,
      reason: `hostile, ${variant}`,
      ...(retry === undefined ? {} : { retry }),
    });
  const n = x.nextPr();
  const mallory = { author: MALLORY, user: MALLORY_LOGIN };
  const plan = (sha: string) => s.run({ event: 'pull_request', pr: n, sha, inputs: on });
  let sha: string;
  let event: 'push' | 'workflow_dispatch' = 'push';
  /** Entries that must never go, and the file the maintainer leaves. */
  let forbidden = [f];
  let after = before;
  switch (variant) {
    case 'marker-removed':
    case 'marker-edited':
    case 'comment-edited': {
      const yaml = add(before, f);
      await plan(openPr(s, n, yaml, mallory));
      // The comment of the new entry's account: another account's comment stands for another
      // review (editing it would leave this entry reviewed, and rightly released).
      const c = s.gh
        .comments(n)
        .find(
          (c) =>
            c.user.login === BOT_LOGIN &&
            c.body.startsWith(`<!-- quarantine-release account=${account} `),
        );
      const marker = /<!-- quarantine-release account=[^>]*-->\n?/;
      if (c) {
        const body =
          variant === 'marker-removed'
            ? c.body.replace(marker, '')
            : variant === 'marker-edited'
              ? // The plan digest replaced by another (as if the plan had listed other entries).
                c.body.replace(
                  / plan=([0-9a-f]{32})/,
                  (_, d: string) => ` plan=${[...d].reverse().join('')}`,
                )
              : `${c.body}\n\nLooks good to me.`;
        s.gh.editComment(c.id, body, MALLORY_LOGIN);
      } else variant = 'no-plan'; // nothing to edit: the plan left no comment
      sha = mergePr(s, n, yaml, mallory);
      break;
    }
    case 'push-after-approval': {
      // Approved as planned; then one more entry pushed and planned, but not approved again.
      const first = add(before, g);
      const head = openPr(s, n, first, mallory);
      await plan(head);
      s.gh.addReview(n, { user: REVIEWER, commit: head });
      const yaml = add(first, f);
      await plan(s.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, 'One more', MALLORY));
      sha = mergePr(s, n, yaml, mallory, { approvedBy: [] });
      forbidden = [g, f];
      break;
    }
    case 'self-approval': {
      const yaml = add(before, f);
      await plan(openPr(s, n, yaml, mallory));
      sha = mergePr(s, n, yaml, mallory, { approvedBy: [MALLORY_LOGIN] });
      break;
    }
    case 'added-after-plan': {
      // Planned with one entry; another pushed after the plan ran, then approved and merged.
      const first = add(before, g);
      await plan(openPr(s, n, first, mallory));
      const yaml = add(first, f);
      s.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, 'One more', MALLORY);
      sha = mergePr(s, n, yaml, mallory);
      after = add(before, g);
      break;
    }
    case 'reviewed-retry': {
      // Planned, approved, merged: the ledger never sent it, so the retry is refused anyway,
      // and stays refused in every later run (it stays in the file).
      const yaml = add(before, f, 2 + x.rng.int(2));
      await plan(openPr(s, n, yaml, mallory));
      sha = mergePr(s, n, yaml, mallory);
      after = yaml;
      break;
    }
    case 'no-plan': {
      const yaml = add(before, f);
      openPr(s, n, yaml, mallory);
      sha = mergePr(s, n, yaml, mallory);
      break;
    }
    case 'direct-push': {
      sha = s.gh.commitFiles('main', { 'releases.yaml': add(before, f) }, 'Add a release', MALLORY);
      if (x.rng.chance(0.5)) event = 'workflow_dispatch';
      break;
    }
    case 'reviewed': {
      // The control: a request planned, approved by someone else and merged goes.
      const yaml = add(before, g);
      const by = { author: 'Alice <alice@example.com>', user: 'alice' };
      await plan(openPr(s, n, yaml, by));
      sha = mergePr(s, n, yaml, by);
      forbidden = [];
      after = yaml;
      break;
    }
  }
  for (const id of forbidden)
    log.forbidden.push({ key: world.canon(account, id), id, why: variant });
  const kind = REVIEW_KIND[variant];
  if (kind) countAct(log, kind, variant);
  const posts = x.proxy.counts.release;
  const r = await s.run({ event, sha, inputs: on });
  noteRefusals(log, r.stdout);
  const sent = new Set(
    x.proxy.releases
      .filter((p) => p.nth > posts)
      .flatMap((p) => p.ids.map((i) => world.canon(p.account, i))),
  );
  // Requests reviewed properly join the world's requests (the invariants expect them done).
  const legit = parseYaml(after).blocks.filter(
    (b) => !parseYaml(before).blocks.some((o) => o.account === b.account && o.id === b.id),
  );
  for (const b of legit)
    if (!forbidden.includes(b.id))
      world.entries.push({
        account: b.account,
        id: b.id,
        key: world.canon(b.account, b.id),
        exists: true,
        quarantined0: true,
      });
  if (variant === 'reviewed')
    bump(
      log.counts,
      sent.has(world.canon(account, g))
        ? 'reviewed requests sent (control)'
        : 'reviewed requests not sent at once (control; a Cloudflare fault got in the way)',
    );
  else if (forbidden.some((id) => sent.has(world.canon(account, id)))) {
    // Reported by checkHostile at the end, with the request.
  } else {
    const said = forbidden.every((id) =>
      r.stdout.split('\n').some((l) => l.includes(id) && /refused/.test(l)),
    );
    bump(log.counts, 'review bypasses refused');
    bump(log.counts, `review bypasses refused (${variant}${said ? '' : ', not said per entry'})`);
  }
  // The maintainer reverts what was not reviewed.
  const now = s.gh.readFile('releases.yaml') ?? '';
  if (now !== after)
    s.gh.commitFiles('main', { 'releases.yaml': after }, `Revert pull request #${n}`, MAINTAINER);
  return `hostile review bypass (${variant})`;
}
