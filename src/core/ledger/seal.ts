// The ledger's seal: what quarantine-release itself last wrote, so that anything else that
// changed the ledger is found. Pure.
//
// Every commit the tool makes carries, in its message, the size and SHA-256 of each shard as
// it leaves them, authenticated by an HMAC with a key only the tool's own jobs hold (an
// environment secret) and bound to the commit's parent, so a seal cannot be forged, edited or
// replayed in another commit. Before it reads a ledger, a run finds the newest valid seal on
// the branch's first-parent history (which a pull request cannot rewrite) and requires the
// ledger to be exactly what that seal describes, plus nothing but the run's own appends.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type Diagnostic, lineProblem } from '../diagnostics.js';
import { compareText } from '../values.js';
import { SHARD_NAME } from './record.js';

export interface SealedShard {
  /** File name inside the ledger directory, e.g. `2026-11.jsonl`. */
  name: string;
  /** Its length in bytes (UTF-8). */
  bytes: number;
  /** SHA-256 of those bytes, hex. */
  sha256: string;
}

export interface Seal {
  /** The commit the sealing commit was made on top of: a seal is valid in that commit only. */
  parent: string;
  shards: SealedShard[];
  /** HMAC-SHA256 of the canonical text (see sealText), hex. */
  mac: string;
}

/** A commit of the branch's first-parent history, newest first. */
export interface HistoryCommit {
  oid: string;
  /** First parent first; empty for a root commit. */
  parents: readonly string[];
  message: string;
}

export interface Anchor {
  commit: string;
  seal: Seal;
}

/** The smallest key accepted: 32 bytes of randomness, written as 64 hex characters or more. */
export const MIN_KEY_LENGTH = 32;

const SEAL_PREFIX = 'Ledger-Seal:';
const SHARD_PREFIX = 'Ledger-Shard:';
const SEAL_LINE = /^Ledger-Seal: v1 parent=([0-9a-f]{40}) mac=([0-9a-f]{64})$/;
const SHARD_LINE = /^Ledger-Shard: ([^\s]{1,64}) ([0-9]{1,12}) ([0-9a-f]{64})$/;
/** A shard list longer than this (over 80 years of months) is not a seal of ours. */
const MAX_SEALED_SHARDS = 1000;

/** The name, size and hash of each shard, by name. */
export function manifestOf(shards: readonly { name: string; text: string }[]): SealedShard[] {
  return shards
    .map((s) => {
      const bytes = Buffer.from(s.text, 'utf8');
      return { name: s.name, bytes: bytes.length, sha256: sha256(bytes) };
    })
    .sort((a, b) => compareText(a.name, b.name));
}

/** The seal of these shards, for a commit made on top of `parent`. */
export function makeSeal(
  key: string,
  parent: string,
  shards: readonly { name: string; text: string }[],
): Seal {
  const manifest = manifestOf(shards);
  return { parent, shards: manifest, mac: macOf(key, parent, manifest) };
}

/** The lines a sealing commit's message ends with (after a blank line). */
export function sealTrailer(seal: Seal): string {
  return [
    `${SEAL_PREFIX} v1 parent=${seal.parent} mac=${seal.mac}`,
    ...seal.shards.map((s) => `${SHARD_PREFIX} ${s.name} ${s.bytes} ${s.sha256}`),
  ].join('\n');
}

/**
 * The seal a commit message carries: undefined when it has none, 'malformed' when it has
 * seal lines that do not read (never trusted).
 */
export function parseSeal(message: string): Seal | 'malformed' | undefined {
  const lines = message.split('\n').map((l) => l.replace(/\r$/, ''));
  const start = lines.findIndex((l) => l.startsWith(SEAL_PREFIX));
  if (start === -1) return undefined;
  const head = SEAL_LINE.exec(lines[start] as string);
  if (!head) return 'malformed';
  const shards: SealedShard[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(SHARD_PREFIX)) break;
    const m = SHARD_LINE.exec(line);
    if (!m || !SHARD_NAME.test(m[1] as string) || shards.length >= MAX_SEALED_SHARDS)
      return 'malformed';
    shards.push({ name: m[1] as string, bytes: Number(m[2]), sha256: m[3] as string });
  }
  const names = shards.map((s) => s.name);
  if (new Set(names).size !== names.length) return 'malformed';
  return { parent: head[1] as string, shards, mac: head[2] as string };
}

/** True when the seal was made with this key, for a commit whose first parent is `parent`. */
export function sealIsValid(seal: Seal, key: string, parent: string | undefined): boolean {
  if (parent === undefined || seal.parent !== parent) return false;
  const expected = Buffer.from(macOf(key, seal.parent, seal.shards), 'hex');
  const given = Buffer.from(seal.mac, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type AnchorSearch =
  | {
      kind: 'found';
      anchor: Anchor;
      /** Newer commits carrying a seal that is not valid (forged, copied or another key). */
      invalid: string[];
    }
  | {
      kind: 'none';
      /** Commits looked at. */
      walked: number;
      /** True when the walk reached the first commit of the branch. */
      complete: boolean;
      invalid: string[];
    };

/**
 * The newest commit of a first-parent history (newest first) whose seal is valid under the
 * key. `complete` says whether `history` runs to the branch's first commit.
 */
export function findAnchor(
  history: readonly HistoryCommit[],
  key: string,
  complete: boolean,
): AnchorSearch {
  const invalid: string[] = [];
  for (const commit of history) {
    const seal = parseSeal(commit.message);
    if (seal === undefined) continue;
    if (seal !== 'malformed' && sealIsValid(seal, key, commit.parents[0]))
      return { kind: 'found', anchor: { commit: commit.oid, seal }, invalid };
    invalid.push(commit.oid);
  }
  return { kind: 'none', walked: history.length, complete, invalid };
}

export interface SealCheckOptions {
  /** The ledger directory as shown in messages, e.g. `releases.ledger`. */
  dir: string;
  /**
   * The sealed text of shards that differ from their seal, when it could be read (the
   * anchor commit's version): the first changed line is then named exactly.
   */
  sealedTexts?: ReadonlyMap<string, string>;
  /** Why no anchor was found (shown when the ledger is not empty). */
  noAnchor?: string;
}

export interface SealCheck {
  errors: Diagnostic[];
  /** Shards whose sealed part changed: their sealed text names the first changed line. */
  changed: string[];
}

/**
 * Holds the ledger to its newest seal: every sealed shard must still start with exactly its
 * sealed bytes, and nothing may follow them or stand beside them (lines added by anyone but
 * the tool). With no anchor, only an empty ledger passes.
 */
export function checkSealed(
  current: readonly { name: string; text: string }[],
  anchor: Anchor | undefined,
  options: SealCheckOptions,
): SealCheck {
  const errors: Diagnostic[] = [];
  const changed: string[] = [];
  const path = (name: string) => `${options.dir}/${name}`;
  const at = (name: string, line: number, message: string) =>
    errors.push(lineProblem(path(name), line, message));

  if (anchor === undefined) {
    for (const shard of current) {
      if (shard.text === '') continue;
      at(
        shard.name,
        1,
        `the ledger holds records but no commit sealing it was found (${options.noAnchor ?? 'no seal'}): quarantine-release reads only a ledger it wrote itself`,
      );
    }
    return { errors, changed };
  }

  const short = anchor.commit.slice(0, 7);
  const byName = new Map(current.map((s) => [s.name, s]));
  for (const sealed of anchor.seal.shards) {
    const shard = byName.get(sealed.name);
    byName.delete(sealed.name);
    if (!shard) {
      at(
        sealed.name,
        1,
        `removed: quarantine-release sealed this shard (${sealed.bytes} bytes) in commit ${short}; the ledger is append-only, restore it (git show ${short}:${path(sealed.name)})`,
      );
      continue;
    }
    const bytes = Buffer.from(shard.text, 'utf8');
    const prefix = bytes.subarray(0, sealed.bytes);
    if (bytes.length < sealed.bytes || sha256(prefix) !== sealed.sha256) {
      changed.push(sealed.name);
      const before = options.sealedTexts?.get(sealed.name);
      const line = before === undefined ? 1 : firstDifferentLine(before, shard.text);
      at(
        sealed.name,
        line,
        `${before === undefined ? 'changed' : `line ${line} changed or removed`} since quarantine-release sealed the ledger in commit ${short}: ledger lines are never edited or removed; restore them (git show ${short}:${path(sealed.name)})`,
      );
      continue;
    }
    if (bytes.length > sealed.bytes) {
      at(
        sealed.name,
        countLines(prefix) + 1,
        `added outside quarantine-release: its last seal (commit ${short}) ends before this line, and only the tool adds ledger lines; remove the lines from here on`,
      );
    }
  }
  for (const shard of byName.values()) {
    if (shard.text === '') continue;
    at(
      shard.name,
      1,
      `added outside quarantine-release: this shard is not in its last seal (commit ${short}), and only the tool adds ledger lines; remove it`,
    );
  }
  return { errors, changed };
}

/**
 * A pull request's ledger against its base branch's: it must be the same, byte for byte (the
 * ledger is written only by the tool, on the default branch). Each difference is named at the
 * first line where the shard differs.
 */
export function checkUnchanged(
  current: readonly { name: string; text: string }[],
  base: readonly { name: string; text: string }[],
  options: { dir: string; base: string },
): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const at = (name: string, line: number, message: string) =>
    errors.push(lineProblem(`${options.dir}/${name}`, line, message));
  const before = new Map(base.map((s) => [s.name, s.text]));
  const rule =
    'the ledger is written only by quarantine-release on the default branch; revert the change';
  for (const shard of current) {
    const was = before.get(shard.name);
    before.delete(shard.name);
    if (was === shard.text) continue;
    if (was === undefined) {
      if (shard.text !== '') at(shard.name, 1, `added by this pull request: ${rule}`);
      continue;
    }
    const line = firstDifferentLine(was, shard.text);
    const kind = shard.text.startsWith(was)
      ? 'added by this pull request'
      : `changed or removed by this pull request (line ${line} of ${options.base} differs)`;
    at(shard.name, line, `${kind}: ${rule}`);
  }
  for (const [name, text] of before) {
    if (text !== '') at(name, 1, `removed by this pull request: ${rule}`);
  }
  return errors;
}

/** 1-based number of the first line where two texts differ. */
export function firstDifferentLine(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}

/** Whether a key is long enough to seal with. */
export function keyProblem(key: string): string | undefined {
  if (key.length < MIN_KEY_LENGTH)
    return `must be at least ${MIN_KEY_LENGTH} characters of randomness (e.g. \`openssl rand -hex 32\`)`;
  return undefined;
}

function sealText(parent: string, shards: readonly SealedShard[]): string {
  return `quarantine-release ledger seal v1\nparent ${parent}\n${shards
    .map((s) => `${s.name} ${s.bytes} ${s.sha256}\n`)
    .join('')}`;
}

function macOf(key: string, parent: string, shards: readonly SealedShard[]): string {
  return createHmac('sha256', key).update(sealText(parent, shards)).digest('hex');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Gaps in each message's seq numbers: a record removed (or, rarely, one a failing run could
 * not record). Each gap is named at the line of the record after it. Two records with one seq
 * are not counted: two runs racing on the same message write them, and the fold allows it.
 */
export function historyProblems(
  records: Iterable<{ account_id: string; id: string; seq: number; file: string; line: number }>,
): Diagnostic[] {
  const byMessage = new Map<string, { seq: number; file: string; line: number }[]>();
  for (const r of records) {
    const key = `${r.account_id}/${r.id}`;
    const list = byMessage.get(key) ?? [];
    list.push({ seq: r.seq, file: r.file, line: r.line });
    byMessage.set(key, list);
  }
  const errors: Diagnostic[] = [];
  for (const [key, list] of byMessage) {
    list.sort((a, b) => a.seq - b.seq);
    let expected = 1;
    for (const r of list) {
      if (r.seq > expected) {
        const missing = r.seq - 1 > expected ? `${expected}-${r.seq - 1}` : `${expected}`;
        const message = `${key}: seq ${r.seq} follows seq ${expected - 1}: record(s) ${missing} of this message are missing (removed, or never written by a run that could not record them)`;
        errors.push(lineProblem(r.file, r.line, message));
      }
      expected = Math.max(expected, r.seq + 1);
    }
  }
  return errors;
}
