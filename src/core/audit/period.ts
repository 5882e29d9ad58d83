// The period of an audit report: from `since` (inclusive) to `until` (exclusive), UTC. Pure.

export interface AuditPeriod {
  /** Milliseconds since the epoch; undefined: from the first record. */
  since?: number;
  /** Milliseconds since the epoch, exclusive; undefined: to the last record. */
  until?: number;
}

// A date, or a date and time to the minute, second or millisecond; with Z, an offset, or
// nothing (UTC). More than three decimals would be cut to milliseconds, and so are refused.
const TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,3}))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/;

/** A date (midnight UTC) or an ISO 8601 time, as milliseconds; undefined when it is neither. */
export function parseAuditTime(text: string): number | undefined {
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

/** Whether a record written at `ms` falls in the period. */
export function inPeriod(period: AuditPeriod, ms: number): boolean {
  return (
    (period.since === undefined || ms >= period.since) &&
    (period.until === undefined || ms < period.until)
  );
}

/** The calendar month (UTC) before the one `now` is in. */
export function previousMonth(now: Date): Required<AuditPeriod> {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return { since: Date.UTC(y, m - 1, 1), until: Date.UTC(y, m, 1) };
}

/** The `days` whole UTC days before the day `now` is in. */
export function previousDays(now: Date, days: number): Required<AuditPeriod> {
  const until = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { since: until - days * 86_400_000, until };
}

/** The action's `audit-period`: `previous-month`, or `<N>d` for the N whole days before today. */
export type RelativePeriod = { kind: 'previous-month' } | { kind: 'days'; days: number };

export const MAX_PERIOD_DAYS = 3660;

export function parseRelativePeriod(text: string): RelativePeriod | undefined {
  if (text === 'previous-month') return { kind: 'previous-month' };
  const m = /^([1-9][0-9]{0,3})d$/.exec(text);
  const days = Number(m?.[1]);
  return m && days <= MAX_PERIOD_DAYS ? { kind: 'days', days } : undefined;
}

export function resolvePeriod(relative: RelativePeriod, now: Date): Required<AuditPeriod> {
  return relative.kind === 'previous-month' ? previousMonth(now) : previousDays(now, relative.days);
}

/** The period as ISO times, null for an open end (JSON output). */
export function periodJson(period: AuditPeriod): { since: string | null; until: string | null } {
  return {
    since: period.since === undefined ? null : new Date(period.since).toISOString(),
    until: period.until === undefined ? null : new Date(period.until).toISOString(),
  };
}

/** "from 2026-11-01T00:00:00.000Z (inclusive) to 2026-12-01T00:00:00.000Z (exclusive)". */
export function periodText(period: AuditPeriod): string {
  const { since, until } = periodJson(period);
  return `from ${since === null ? 'the first record' : `${since} (inclusive)`} to ${until === null ? 'the last record' : `${until} (exclusive)`}`;
}
