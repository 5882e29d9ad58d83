// The period of an audit report: from `since` (inclusive) to `until` (exclusive), UTC. Pure.

export interface AuditPeriod {
  /** Milliseconds since the epoch; undefined: from the first record. */
  since?: number;
  /** Milliseconds since the epoch, exclusive; undefined: to the last record. */
  until?: number;
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
