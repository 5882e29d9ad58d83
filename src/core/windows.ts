// Times as people write them, time in message ids, and the search windows built from it. Pure.

// A date, or a date and time to the minute, second or millisecond; with Z, an offset, or
// nothing (UTC). More than three decimals would be cut to milliseconds, and so are refused.
const TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,3}))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/;

/** A date (midnight UTC) or an ISO 8601 time, as milliseconds; undefined when it is neither. */
export function parseTime(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const ms = Date.UTC(
    year,
    month - 1,
    day,
    hour,
    minute,
    second,
    Number((m[7] ?? '').padEnd(3, '0')),
  );
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March (and years below 100 to the 1900s): refuse what
  // does not come back unchanged.
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() + 1 !== month ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  )
    return undefined;
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return ms;
  const [zh, zm] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  if (zh > 23 || zm > 59) return undefined;
  return ms - (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm) * 60_000;
}

/** A message id's embedded time (`...-2024-01-05T10:00:00-123`), as UTC; undefined for bare ids. */
export function idTime(id: string): number | undefined {
  const m = /-([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})-[0-9]+$/.exec(id);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

export const DAY = 86_400_000;

/**
 * Groups ids into time windows to search: each id's time padded by a day either side (the
 * time in an id need not be the scan time), windows that overlap or touch merged (searched
 * apart, the messages they share would be paged through twice). A window never reaches into
 * the future; one wholly after `now` is left out (no message can have been scanned there), so
 * its ids are looked up one by one.
 */
export function timeWindows(
  ids: readonly string[],
  now: number,
): { start: string; end: string; ids: string[] }[] {
  const timed = ids
    .map((id) => ({ id, t: idTime(id) }))
    .filter((x): x is { id: string; t: number } => x.t !== undefined && x.t - DAY <= now)
    .sort((a, b) => a.t - b.t);
  const windows: { from: number; to: number; ids: string[] }[] = [];
  for (const x of timed) {
    const last = windows[windows.length - 1];
    if (last && x.t - last.to <= 2 * DAY) {
      last.to = x.t;
      last.ids.push(x.id);
    } else windows.push({ from: x.t, to: x.t, ids: [x.id] });
  }
  return windows.map((w) => ({
    start: utcSecond(Math.min(w.from - DAY, now)),
    end: utcSecond(Math.min(w.to + DAY, now)),
    ids: w.ids,
  }));
}

/** An instant to the second, UTC, as the search API takes it: `YYYY-MM-DDTHH:MM:SSZ`. */
export function utcSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
