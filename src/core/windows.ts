// Time in message ids, and the search windows built from it. Pure.

/** A message id's embedded time (`...-2024-01-05T10:00:00-123`), as UTC; undefined for bare ids. */
export function idTime(id: string): number | undefined {
  const m = /-([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})-[0-9]+$/.exec(id);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

const DAY = 86_400_000;

/**
 * Groups ids into time windows to search: ids seen within a day of each other share one
 * window, padded by a day either side (the time in an id need not be the scan time).
 */
export function timeWindows(
  ids: readonly string[],
  now: number,
): { start: string; end: string; ids: string[] }[] {
  const timed = ids
    .map((id) => ({ id, t: idTime(id) }))
    .filter((x): x is { id: string; t: number } => x.t !== undefined)
    .sort((a, b) => a.t - b.t);
  const windows: { from: number; to: number; ids: string[] }[] = [];
  for (const x of timed) {
    const last = windows[windows.length - 1];
    if (last && x.t - last.to <= DAY) {
      last.to = x.t;
      last.ids.push(x.id);
    } else windows.push({ from: x.t, to: x.t, ids: [x.id] });
  }
  const iso = (ms: number) => new Date(Math.min(ms, now)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return windows.map((w) => ({ start: iso(w.from - DAY), end: iso(w.to + DAY), ids: w.ids }));
}
