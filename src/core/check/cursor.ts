// The drift check's cursor: where, in each account's released messages, the next check run
// starts. Pure.
//
// It lives in `check-cursor.ndjson` beside the ledger shards, one JSON line per account
// (schema/check-cursor.schema.json). Lines rather than one document so it merges like the
// ledger: with `merge=union`, two branches that both moved an account's cursor keep both
// lines and the later one counts; without it, a conflict spoils only that account's lines. A
// line that cannot be read only sends its account back to the beginning: it costs lookups,
// never correctness, so nothing here ever stops a check.
import { type Diagnostic, lineProblem } from '../diagnostics.js';
import { type Validator, validateCheckCursor } from '../generated/validators.js';
import { compareText } from '../values.js';
import { idTime, timeWindows } from '../windows.js';

export const CURSOR_FILE = 'check-cursor.ndjson';
/** Far more than one line per account ever needs; a bigger file is not ours. */
export const MAX_CURSOR_FILE_BYTES = 1024 * 1024;

export interface CheckCursor {
  v: 1;
  account_id: string;
  /** The last message checked in the pass in progress; absent: start from the beginning. */
  after?: string;
  /** When the pass in progress started. */
  pass_started: string;
  /** When the line was written: of two lines for one account, the later counts. */
  at: string;
  run?: string;
}

// ajv's code for schema/check-cursor.schema.json, generated at build time (scripts/validators.mjs).
const validate = validateCheckCursor as Validator<CheckCursor>;

/** The cursor of every account that has a readable line, and a diagnostic for each other line. */
export function parseCursorFile(
  text: string,
  file: string,
): { cursors: Map<string, CheckCursor>; problems: Diagnostic[] } {
  const cursors = new Map<string, CheckCursor>();
  const problems: Diagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(lineProblem(file, i + 1, 'not a JSON line'));
      continue;
    }
    if (!validate(value)) {
      const first = validate.errors?.[0];
      const where = first?.instancePath ? `field ${first.instancePath.slice(1)}` : 'line';
      problems.push(
        lineProblem(file, i + 1, `invalid ${where}: ${first?.message ?? 'not a cursor'}`),
      );
      continue;
    }
    const current = cursors.get(value.account_id);
    if (!current || later(value, current)) cursors.set(value.account_id, value);
  }
  return { cursors, problems };
}

/**
 * The file after saving `ours`: every readable line of `current` (the file as stored now,
 * written perhaps by another run since we read it) kept, except where ours is later.
 * Unreadable lines are dropped: they meant "from the beginning" already.
 */
export function mergeCursorFile(
  current: string | undefined,
  ours: readonly CheckCursor[],
  file: string,
): string {
  const { cursors } = parseCursorFile(current ?? '', file);
  for (const c of ours) {
    const stored = cursors.get(c.account_id);
    if (!stored || !later(stored, c)) cursors.set(c.account_id, c);
  }
  return [...cursors.values()]
    .sort((a, b) => compareText(a.account_id, b.account_id))
    .map((c) => `${serializeCursor(c)}\n`)
    .join('');
}

export function serializeCursor(c: CheckCursor): string {
  const out: Record<string, unknown> = { v: 1, account_id: c.account_id };
  if (c.after !== undefined) out.after = c.after;
  out.pass_started = c.pass_started;
  out.at = c.at;
  if (c.run !== undefined) out.run = c.run.length <= 300 ? c.run : `${c.run.slice(0, 299)}…`;
  return JSON.stringify(out);
}

function later(a: CheckCursor, b: CheckCursor): boolean {
  if (a.at !== b.at) return a.at > b.at;
  // Same instant: any fixed rule will do, as long as every reader picks the same line.
  return serializeCursor(a) > serializeCursor(b);
}

/**
 * The order the check goes through an account's messages: ids carrying a time by that time
 * (so that consecutive messages share search windows), then bare ids; ties by id. A total
 * order on ids alone, so a cursor (an id) keeps its place however the ledger grows.
 */
export function compareCheckOrder(a: string, b: string): number {
  const ta = idTime(a);
  const tb = idTime(b);
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
  if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? 1 : -1;
  return compareText(a, b);
}

/**
 * Index in `sorted` (check order) of the first message after the cursor. `wrapped` when the
 * cursor is at or past the end: the run starts a new pass from the beginning.
 */
export function startIndex(
  sorted: readonly string[],
  after: string | undefined,
): { index: number; wrapped: boolean } {
  if (after === undefined) return { index: 0, wrapped: false };
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareCheckOrder(sorted[mid] as string, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo >= sorted.length ? { index: 0, wrapped: true } : { index: lo, wrapped: false };
}

/** A piece of work of the check: a time window searched at once, or one id looked up. */
export type CheckUnit =
  | { kind: 'window'; start: string; end: string; ids: string[] }
  | { kind: 'id'; id: string };

/**
 * The run's work, in order: the messages after the cursor, then (wrapping round) those from
 * the beginning up to it. Windows never straddle the wrap, so work done is always a prefix.
 */
export function checkUnits(sorted: readonly string[], start: number, now: number): CheckUnit[] {
  const units: CheckUnit[] = [];
  for (const segment of [sorted.slice(start), sorted.slice(0, start)]) {
    const timed = segment.filter((id) => idTime(id) !== undefined);
    const windowed = new Set<string>();
    for (const w of timeWindows(timed, now)) {
      units.push({ kind: 'window', ...w });
      for (const id of w.ids) windowed.add(id);
    }
    // Ids dated in the future get no window (they sort last among the timed ones, so the
    // order stays a prefix): one lookup each, like bare ids.
    for (const id of timed) if (!windowed.has(id)) units.push({ kind: 'id', id });
    for (const id of segment) if (idTime(id) === undefined) units.push({ kind: 'id', id });
  }
  return units;
}
