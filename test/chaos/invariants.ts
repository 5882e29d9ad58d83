// The invariants, checked against the emulator's own record of what it did (truth), never
// against what the tool says about itself:
//   1. no message released twice (deliveries <= attempts asked), and no id POSTed again unless
//      a clean read-back of its action log came between (or the first POST was refused 429);
//   2. every id ends in the state the emulator's truth shows (after convergence: no unknown,
//      no pending for a requested id, and the ledger knows of exactly the deliveries made);
//   3. the ledger always parses, only grows, and any earlier copy merged with the final one
//      folds to the final states (and the fold does not depend on line order);
//   4. nothing was sent or delivered that the file did not ask for;
//   6. against the hostile actor (hostile.ts): no retry it flipped is sent, nothing it got
//      merged without a review that counts is sent, and the tool's own commits (those with a
//      Ledger-Seal trailer) never seal a ledger someone else changed, and none of their lines
//      is missing at the end (checkHostile, checkSealedHistory).

import { type LedgerRecord, SHARD_NAME, tornTail } from '../../src/core/ledger/record.js';
import { manifestOf, parseSeal, sealIsValid } from '../../src/core/ledger/seal.js';
import { compareRecords } from '../../src/core/ledger/state.js';
import type { Truth } from '../../src/emulator/index.js';
import { createRandom } from '../../src/emulator/random.js';
import { foldRecords, parseShard, type StoredRecord } from '../support/factories.js';
import type { CommitSummary } from '../support/fake-github/index.js';
import type { World } from './world.js';

export interface Snapshot {
  label: string;
  shards: Map<string, string>;
  /** Taken right after a process was killed (a torn last line is allowed then, and only then). */
  afterKill: boolean;
}

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6;
  kind: string;
  key?: string;
  detail: string;
}

export interface FinalMessage {
  awaiting: string[];
  quarantined: boolean;
}

export interface CheckInput {
  world: World;
  truth: Truth;
  /** Emulator state at the end, by canonical key. */
  final: Map<string, FinalMessage>;
  snapshots: Snapshot[];
  converged: boolean;
  /**
   * Release requests the harness made itself, standing in for another run, that delivered
   * nothing and left no record. A real run writes its pending record first; the stand-in
   * records only real deliveries, so a later send of the same message is no resend.
   */
  standInPosts?: readonly number[];
}

/** Complete, valid records of a snapshot, and what is wrong with it. */
export function parseSnapshot(s: Snapshot): {
  records: StoredRecord[];
  lines: string[];
  problems: string[];
  torn: number;
} {
  const records: StoredRecord[] = [];
  const problems: string[] = [];
  let torn = 0;
  for (const [name, raw] of s.shards) {
    if (!SHARD_NAME.test(name)) problems.push(`${name}: not a shard name`);
    let text = raw;
    const fragment = tornTail(text);
    if (fragment !== undefined) {
      torn++;
      if (!s.afterKill) problems.push(`${name}: torn last line without a crash`);
      text = text.slice(0, text.length - fragment.length);
    }
    const parsed = parseShard(text, name);
    for (const e of parsed.errors) problems.push(`${name}:${e.line}: ${e.message}`);
    records.push(...parsed.records);
  }
  return { records, lines: records.map((r) => r.line), problems, torn };
}

function foldLines(lines: Iterable<string>): Map<string, string> {
  const stored: StoredRecord[] = [];
  for (const line of lines) {
    stored.push({ record: JSON.parse(line) as LedgerRecord, line, file: 'x', lineNumber: 0 });
  }
  const out = new Map<string, string>();
  for (const [key, h] of foldRecords(stored)) out.set(key, JSON.stringify(h.latest));
  return out;
}

function sameFold(a: Map<string, string>, b: Map<string, string>): string | undefined {
  if (a.size !== b.size) return `${a.size} vs ${b.size} messages`;
  for (const [k, v] of a) if (b.get(k) !== v) return `${k} differs`;
  return undefined;
}

const accountOfPath = (path: string) => /\/accounts\/([0-9a-f]{32})\//.exec(path)?.[1] ?? '';

/** Invariant 3 over successive copies of the ledger: each parses, keeps every line of the one before, and merges into the last. */
export function checkLedgerCopies(snapshots: Snapshot[]): {
  violations: Violation[];
  finalLines: string[];
} {
  const v: Violation[] = [];
  let previous: Set<string> | undefined;
  const parsedSnaps = snapshots.map((s) => ({ s, p: parseSnapshot(s) }));
  for (const { s, p } of parsedSnaps) {
    for (const problem of p.problems)
      v.push({ invariant: 3, kind: 'ledger-unreadable', detail: `${s.label}: ${problem}` });
    const lines = new Set(p.lines);
    if (previous) {
      const lost = [...previous].filter((l) => !lines.has(l));
      if (lost.length > 0)
        v.push({
          invariant: 3,
          kind: 'ledger-line-lost',
          detail: `${s.label}: ${lost.length} line(s) of the previous copy are gone, e.g. ${lost[0]}`,
        });
    }
    previous = lines;
  }
  const finalSnap = parsedSnaps[parsedSnaps.length - 1];
  const finalLines = finalSnap?.p.lines ?? [];
  const finalFold = foldLines(finalLines);
  for (const { s, p } of parsedSnaps) {
    const diff = sameFold(foldLines(new Set([...p.lines, ...finalLines])), finalFold);
    if (diff)
      v.push({
        invariant: 3,
        kind: 'merge-differs',
        detail: `${s.label} merged with the final ledger: ${diff}`,
      });
  }
  const shuffled = [...finalLines];
  const rng = createRandom(finalLines.length);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
  }
  const diff = sameFold(foldLines(shuffled), finalFold);
  if (diff) v.push({ invariant: 3, kind: 'fold-order-dependent', detail: diff });
  return { violations: v, finalLines };
}

export function checkInvariants(input: CheckInput): Violation[] {
  const { world, truth } = input;
  const copies = checkLedgerCopies(input.snapshots);
  const v: Violation[] = [...copies.violations];
  const finalLines = copies.finalLines;

  // --- truth, per canonical key -----------------------------------------------------------
  const fileKeys = new Map(world.entries.map((e) => [e.key, e]));
  const historyByKey = new Map(world.history.map((h) => [h.key, h]));
  interface Post {
    seq: number;
    status: number | null;
    fault?: string;
  }
  const posts = new Map<string, Post[]>();
  const readbacks = new Map<string, number[]>();
  for (const r of truth.requests) {
    const account = accountOfPath(r.path);
    if (r.method === 'POST' && r.path.split('?')[0]?.endsWith('/release')) {
      if (input.standInPosts?.includes(r.seq)) continue;
      for (const id of new Set(r.ids ?? [])) {
        const key = world.canon(account, id);
        const list = posts.get(key) ?? [];
        list.push({ seq: r.seq, status: r.status, ...(r.fault ? { fault: r.fault } : {}) });
        posts.set(key, list);
        if (r.seq > world.baselineRequests && !fileKeys.has(key))
          v.push({
            invariant: 4,
            kind: 'posted-not-asked',
            key,
            detail: `request ${r.seq} named ${id}, which the file does not ask for`,
          });
      }
    } else if (r.method === 'GET' && r.path.split('?')[0]?.endsWith('/action_log')) {
      if (r.status !== 200 || (r.fault !== undefined && r.fault !== 'none')) continue;
      const m = /\/investigate\/([^/?]+)\/action_log/.exec(r.path);
      if (!m?.[1]) continue;
      const key = world.canon(account, decodeURIComponent(m[1]));
      const list = readbacks.get(key) ?? [];
      list.push(r.seq);
      readbacks.set(key, list);
    }
  }
  const deliveries = new Map<string, { request: number; complete: boolean }[]>();
  for (const [i, d] of truth.releases.entries()) {
    const key = `${d.account_id}/${d.id}`;
    const list = deliveries.get(key) ?? [];
    list.push({ request: d.request, complete: d.failed.length + d.undelivered.length === 0 });
    deliveries.set(key, list);
    if (i >= world.baselineReleases && !fileKeys.has(key))
      v.push({
        invariant: 4,
        kind: 'delivered-not-asked',
        key,
        detail: `delivery by request ${d.request} of a message the file does not ask for`,
      });
  }

  // --- 1: at most once --------------------------------------------------------------------
  const keys = new Set([...fileKeys.keys(), ...historyByKey.keys(), ...posts.keys()]);
  for (const key of keys) {
    const retry = fileKeys.get(key)?.retry;
    const allowed = retry === undefined ? 1 : 2;
    const dels = deliveries.get(key) ?? [];
    if (dels.length > allowed)
      v.push({
        invariant: 1,
        kind: 'released-twice',
        key,
        detail: `${dels.length} deliveries (requests ${dels.map((d) => d.request).join(', ')}); ${allowed} attempt(s) asked`,
      });
    let budget = retry === undefined ? 0 : 1;
    const list = posts.get(key) ?? [];
    for (let i = 1; i < list.length; i++) {
      const p1 = list[i - 1] as Post;
      const p2 = list[i] as Post;
      const acted = dels.find((d) => d.request === p1.seq);
      if (acted?.complete) {
        v.push({
          invariant: 1,
          kind: 'post-after-release',
          key,
          detail: `request ${p2.seq} sent it again after request ${p1.seq} released it to every recipient`,
        });
        continue;
      }
      if (!acted) {
        if (p1.status === 429) continue;
        const rb = readbacks.get(key)?.some((s) => s > p1.seq && s < p2.seq);
        if (rb) continue;
      }
      if (--budget < 0)
        v.push({
          invariant: 1,
          kind: acted ? 'post-after-partial-without-retry' : 'post-without-readback',
          key,
          detail: `request ${p2.seq} sent it again after request ${p1.seq} (${p1.status ?? 'no answer'}${p1.fault ? `, fault ${p1.fault}` : ''}) with no read-back proving it still quarantined`,
        });
    }
  }

  // --- 2: final states match the truth ------------------------------------------------------
  const groups = new Map<string, LedgerRecord[]>();
  for (const line of finalLines) {
    const r = JSON.parse(line) as LedgerRecord;
    const key = world.canon(r.account_id, r.id);
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const latestOf = (records: LedgerRecord[]): LedgerRecord | undefined => {
    let best: LedgerRecord | undefined;
    for (const r of records) {
      if (!best || compareRecords(r, best) > 0) best = r;
    }
    return best;
  };
  for (const key of new Set([...fileKeys.keys(), ...historyByKey.keys()])) {
    const entry = fileKeys.get(key);
    const records = groups.get(key) ?? [];
    const latest = latestOf(records);
    const dels = deliveries.get(key) ?? [];
    const D = dels.length;
    const acting = new Set(
      records.filter((r) => r.state === 'released' || r.state === 'partial').map((r) => r.attempt),
    );
    const fin = input.final.get(key);
    const q0 = entry ? entry.quarantined0 : true;
    const say = (kind: string, detail: string) =>
      v.push({
        invariant: 2,
        kind,
        key,
        detail: `${detail} (ledger ${latest ? `${latest.state} attempt ${latest.attempt} seq ${latest.seq}` : 'nothing'}; ${D} deliveries; awaiting ${fin?.awaiting.length ?? '?'})`,
      });

    // What the safety review refuses before anything is written (an id that exists nowhere,
    // a message no longer in quarantine) may end with no record, or closed as never sent.
    const refusable =
      entry !== undefined &&
      (!entry.exists ||
        !entry.quarantined0 ||
        entry.retryRefused === true ||
        entry.hostileRetry !== undefined);
    if (!latest) {
      if (entry && input.converged && !refusable)
        say('never-attempted', 'requested, releasable, but never recorded');
      if (D > 0) say('delivered-unrecorded', 'delivered but the ledger knows nothing of it');
      continue;
    }
    if (input.converged) {
      if (latest.state === 'unknown') say('unresolved', 'still unknown after convergence');
      if (latest.state === 'pending' && !(latest.sent === false && (!entry || refusable)))
        say('unresolved', 'still pending after convergence');
    }
    if (entry && !entry.exists) {
      if (latest.state === 'released' || latest.state === 'partial')
        say('phantom-release', 'an id that exists nowhere is recorded as released');
      continue;
    }
    if (q0) {
      if (acting.size !== D)
        say(
          'ledger-truth-mismatch',
          `the ledger records ${acting.size} acting attempt(s) but the emulator delivered ${D} time(s)`,
        );
      if (latest.state === 'released' && (fin?.awaiting.length ?? 0) > 0)
        say('released-but-waiting', 'recorded released while recipients still wait');
      if (latest.state === 'partial' && (fin?.awaiting.length ?? 0) === 0)
        say('partial-but-complete', 'recorded partial but every recipient got it');
      if (D > 0 && (fin?.awaiting.length ?? 1) === 0 && latest.state !== 'released')
        say('complete-not-released', 'delivered to every recipient but not recorded released');
    } else {
      if (acting.size < D || acting.size > D + 1)
        say(
          'ledger-truth-mismatch',
          `the ledger records ${acting.size} acting attempt(s) but the emulator delivered ${D} time(s)`,
        );
      if (latest.state === 'partial' && D === 0)
        say('phantom-release', 'recorded partial but never delivered');
    }
  }
  if (!input.converged)
    v.push({ invariant: 5, kind: 'no-convergence', detail: 'still changing after 5 clean runs' });
  return v;
}

/**
 * Whether a clean run got to do its work, from its log: one that stopped early, left a send
 * alone as possibly in flight, or could not reach Cloudflare in time (a read-back or a check
 * timed out, as on a loaded machine) changed nothing because it could not, which is not a
 * fixed point; the next clean run tries again.
 */
export function didItsWork(log: string): boolean {
  return ![
    'stopping:',
    'left alone;',
    ': still unresolved (',
    'refused until it can be checked',
  ].some((said) => log.includes(said));
}

// --- 6: the hostile actor ---------------------------------------------------------------------

export interface HostileCheckInput {
  world: World;
  /** Every release POST the tool made (through the harness's proxy), in arrival order. */
  releases: readonly { nth: number; account: string; ids: readonly string[] }[];
  /**
   * Retries flipped by the hostile actor: no POST after `afterPost` may name the message, or,
   * when the ledger then held an unresolved attempt (`resumes`), no later attempt may be recorded.
   */
  flips: readonly { key: string; kind: string; n: number; afterPost: number; resumes?: number }[];
  /** Messages merged without a review that counts: never to be sent or delivered. */
  forbidden: readonly { key: string; why: string }[];
  truth: Truth;
  /** The final ledger's lines. */
  ledger: readonly string[];
}

export function checkHostile(input: HostileCheckInput): Violation[] {
  const { world } = input;
  const v: Violation[] = [];
  const named = (p: HostileCheckInput['releases'][number], key: string) =>
    p.ids.some((id) => world.canon(p.account, id) === key);
  const records = input.ledger.flatMap((l) => {
    try {
      return [JSON.parse(l) as LedgerRecord];
    } catch {
      return [];
    }
  });
  for (const f of input.flips) {
    if (f.resumes !== undefined) {
      const later = records.filter(
        (r) => world.canon(r.account_id, r.id) === f.key && r.attempt > (f.resumes as number),
      );
      if (later.length > 0)
        v.push({
          invariant: 1,
          kind: 'hostile-retry-sent',
          key: f.key,
          detail: `attempt ${later[0]?.attempt} recorded (${later[0]?.state}) after a hostile \`retry: ${f.n}\` (${f.kind}) the ledger cannot justify; only attempt ${f.resumes}, unresolved then, may go on`,
        });
      continue;
    }
    const sent = input.releases.filter((p) => p.nth > f.afterPost && named(p, f.key));
    if (sent.length > 0)
      v.push({
        invariant: 1,
        kind: 'hostile-retry-sent',
        key: f.key,
        detail: `release POST #${sent.map((p) => p.nth).join(', #')} named it after a hostile \`retry: ${f.n}\` (${f.kind}) the ledger cannot justify`,
      });
  }
  for (const f of input.forbidden) {
    const sent = input.releases.filter((p) => named(p, f.key));
    const delivered = input.truth.releases.filter((d) => `${d.account_id}/${d.id}` === f.key);
    if (sent.length > 0 || delivered.length > 0)
      v.push({
        invariant: 4,
        kind: 'unreviewed-sent',
        key: f.key,
        detail: `merged without a review that counts (${f.why}), yet ${sent.length} release POST(s) named it and it was delivered ${delivered.length} time(s)`,
      });
  }
  return v;
}

function ledgerShards(c: CommitSummary, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, text] of Object.entries(c.files))
    if (p.startsWith(`${dir}/`) && p.endsWith('.jsonl')) out.set(p.slice(dir.length + 1), text);
  return out;
}

const lineSet = (shards: Map<string, string>) =>
  new Set([...shards.values()].flatMap((t) => t.split('\n').filter((l) => l !== '')));

/**
 * The tool's own commits along a branch's first-parent history (oldest first): each seal is
 * valid and describes its commit's ledger; each was written on exactly the ledger the previous
 * seal describes (so a hostile edit never ends up sealed: no line an earlier seal had goes
 * missing, no line no seal had is taken over, nothing is reordered or duplicated) and only
 * appends to it; and every line any seal had is in the final ledger, which holds nothing else.
 */
export function checkSealedHistory(
  commits: readonly CommitSummary[],
  key: string,
  dir = 'releases.ledger',
  /** Commits by someone else: a seal trailer they carry (copied) is theirs, not the tool's. */
  byOthers: (c: CommitSummary) => boolean = () => false,
): Violation[] {
  const v: Violation[] = [];
  const say = (kind: string, c: CommitSummary, detail: string) =>
    v.push({
      invariant: 6,
      kind,
      detail: `commit ${c.sha.slice(0, 7)} (${c.message.split('\n')[0]}): ${detail}`,
    });
  let sealed = new Map<string, string>();
  let sealedAt = 'the start (no ledger)';
  const everSealed = new Set<string>();
  commits.forEach((c, i) => {
    const seal = parseSeal(c.message);
    if (seal === undefined || byOthers(c)) return;
    if (seal === 'malformed' || !sealIsValid(seal, key, c.parents[0])) {
      say('invalid-seal', c, 'carries a seal that is not valid for its parent and key');
      return;
    }
    const shards = ledgerShards(c, dir);
    const manifest = manifestOf([...shards].map(([name, text]) => ({ name, text })));
    if (JSON.stringify(manifest) !== JSON.stringify(seal.shards))
      say('seal-mismatch', c, 'its seal does not describe the ledger it commits');
    const parent = commits[i - 1];
    const base = parent ? ledgerShards(parent, dir) : new Map<string, string>();
    const lines = lineSet(shards);
    const inherited = lineSet(base);
    const lost = [...everSealed].filter((l) => !lines.has(l));
    const foreign = [...inherited].filter((l) => lines.has(l) && !everSealed.has(l));
    if (lost.length > 0)
      say(
        'sealed-without-line',
        c,
        `seals a ledger without ${lost.length} line(s) an earlier seal had, e.g. ${lost[0]}`,
      );
    if (foreign.length > 0)
      say(
        'sealed-foreign-line',
        c,
        `seals ${foreign.length} line(s) no commit of the tool wrote, e.g. ${foreign[0]}`,
      );
    const same =
      base.size === sealed.size && [...sealed].every(([name, text]) => base.get(name) === text);
    if (lost.length === 0 && foreign.length === 0 && !same)
      say(
        'sealed-over-edit',
        c,
        `written on a ledger that differs from the one sealed at ${sealedAt} (lines reordered, repeated or cut)`,
      );
    for (const [name, text] of base)
      if (!(shards.get(name) ?? '').startsWith(text))
        say('tool-rewrote', c, `${dir}/${name} is not its parent's text with lines appended`);
    for (const l of lines) everSealed.add(l);
    sealed = shards;
    sealedAt = `commit ${c.sha.slice(0, 7)}`;
  });
  const last = commits.at(-1);
  if (last) {
    const final = lineSet(ledgerShards(last, dir));
    const lost = [...everSealed].filter((l) => !final.has(l));
    const unsealed = [...final].filter((l) => !everSealed.has(l));
    if (lost.length > 0)
      say(
        'record-lost',
        last,
        `${lost.length} line(s) the tool committed are missing at the end, e.g. ${lost[0]}`,
      );
    if (unsealed.length > 0)
      say(
        'unsealed-line',
        last,
        `${unsealed.length} line(s) at the end were never sealed by the tool, e.g. ${unsealed[0]}`,
      );
  }
  return v;
}

// --- the headline figures ---------------------------------------------------------------------

/** What users fear, counted per run from the emulator's truth and the ledger at the head. */
export interface Figures {
  /** Messages Cloudflare released more often than the reviewed file allows (1, or 2 with a retry). */
  doubleReleases: number;
  /**
   * Releases Cloudflare performed that the final ledger does not record, plus lines of earlier
   * copies the tool wrote (the branch's history, snapshots) missing from the final ledger.
   */
  lostRecords: number;
  /** Deliveries (after the starting history) of messages no reviewed request asked for. */
  unreviewedReleases: number;
}

export function countFigures(input: {
  world: World;
  truth: Truth;
  /** Earlier copies of the ledger the tool wrote (not the hostile actor's commits). */
  copies: readonly Snapshot[];
  finalLines: readonly string[];
  /** Messages merged without a review that counts (the hostile actor's). */
  forbidden: readonly { key: string }[];
}): Figures {
  const { world } = input;
  const forbidden = new Set(input.forbidden.map((f) => f.key));
  const reviewed = new Map(
    world.entries.filter((e) => !forbidden.has(e.key)).map((e) => [e.key, e]),
  );
  const deliveries = new Map<string, number>();
  let unreviewedReleases = 0;
  for (const [i, d] of input.truth.releases.entries()) {
    const key = `${d.account_id}/${d.id}`;
    deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
    if (i >= world.baselineReleases && !reviewed.has(key)) unreviewedReleases++;
  }
  const acting = new Map<string, Set<number>>();
  for (const line of input.finalLines) {
    const r = JSON.parse(line) as LedgerRecord;
    if (r.state !== 'released' && r.state !== 'partial') continue;
    const key = world.canon(r.account_id, r.id);
    const set = acting.get(key) ?? new Set<number>();
    set.add(r.attempt);
    acting.set(key, set);
  }
  let doubleReleases = 0;
  let lostRecords = 0;
  for (const [key, n] of deliveries) {
    if (n > (reviewed.get(key)?.retry === undefined ? 1 : 2)) doubleReleases++;
    lostRecords += Math.max(0, n - (acting.get(key)?.size ?? 0));
  }
  const final = new Set(input.finalLines);
  const earlier = new Set(input.copies.flatMap((c) => parseSnapshot(c).lines));
  for (const line of earlier) if (!final.has(line)) lostRecords++;
  return { doubleReleases, lostRecords, unreviewedReleases };
}
