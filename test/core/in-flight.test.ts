// When a read-back proves that an earlier send did nothing (core/release/in-flight).
import { describe, expect, it } from 'vitest';
import {
  conclusiveFrom,
  LEGACY_IN_FLIGHT_MS,
  mayBeInFlight,
} from '../../src/core/release/in-flight.js';
import { record } from '../support/factories.js';

const at = '2026-11-20T10:00:00.000Z';
const T = Date.parse(at);
const until = '2026-11-20T10:03:00.000Z';

describe('conclusiveFrom', () => {
  it('a pending record: its in_flight_until plus the settling time', () => {
    const r = record({ state: 'pending', at, in_flight_until: until });
    expect(conclusiveFrom(r, undefined, 120_000)).toBe(Date.parse(until) + 120_000);
  });

  it('a pending record without in_flight_until is given the longest run the action allows', () => {
    const r = record({ state: 'pending', at });
    expect(conclusiveFrom(r, undefined, 0)).toBe(T + LEGACY_IN_FLIGHT_MS);
  });

  it('an unknown outcome: from when the sender stopped waiting, plus the settling time', () => {
    expect(conclusiveFrom(record({ state: 'unknown', at }), undefined, 5_000)).toBe(T + 5_000);
  });

  it('a writer still running: never; a writer that ended: from its end, if sooner', () => {
    const r = record({ state: 'pending', at, in_flight_until: until });
    expect(conclusiveFrom(r, { running: true }, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(conclusiveFrom(r, { running: false, endedAt: T + 10_000 }, 1_000)).toBe(T + 11_000);
    // An end later than in_flight_until changes nothing; an end "before" the record is clamped.
    expect(conclusiveFrom(r, { running: false, endedAt: T + 3_600_000 }, 0)).toBe(
      Date.parse(until),
    );
    expect(conclusiveFrom(r, { running: false, endedAt: T - 60_000 }, 0)).toBe(T);
    expect(conclusiveFrom(r, { running: false }, 0)).toBe(Date.parse(until));
  });
});

describe('mayBeInFlight', () => {
  it('pending (unless provably never sent) and unknown records', () => {
    expect(mayBeInFlight(record({ state: 'pending' }))).toBe(true);
    expect(mayBeInFlight(record({ state: 'pending', sent: false }))).toBe(false);
    expect(mayBeInFlight(record({ state: 'unknown' }))).toBe(true);
    for (const state of ['released', 'partial', 'failed'] as const)
      expect(mayBeInFlight(record({ state }))).toBe(false);
  });
});
