// When a read-back of an unresolved send proves something. Pure.
//
// A request keeps going at Cloudflare after its sender stopped waiting for it (a timeout, a
// reset, the process killed): reading the message back while that request is still being
// processed finds it quarantined and no release recorded, which proves nothing. So a
// "still quarantined, never released" finding only counts once every request sent in the
// record's name has surely ended: after the record's `in_flight_until` (or, sooner, after
// the run that wrote it ended), plus `settleMs` for the server to finish what it received.
import type { LedgerRecord } from '../ledger/record.js';

/**
 * For pending records written before `in_flight_until` existed (or by hand): as long as the
 * longest run the action allows (5 h deadline) plus its request timeout. Safe, if slow.
 */
export const LEGACY_IN_FLIGHT_MS = 6 * 60 * 60_000;

/** How long Cloudflare may still act on a request whose sender stopped waiting (default). */
export const DEFAULT_SETTLE_MS = 120_000;

/** What is known of the run that wrote the record. */
export type WriterState =
  | { running: true }
  /** Ended; `endedAt` (epoch ms) when known. */
  | { running: false; endedAt?: number }
  | undefined;

/**
 * Epoch ms from which a read-back finding the message still quarantined with no release
 * proves the record's send did nothing; `Infinity` while its writer is known to be running.
 */
export function conclusiveFrom(
  record: LedgerRecord,
  writer: WriterState,
  settleMs: number,
): number {
  if (writer?.running) return Number.POSITIVE_INFINITY;
  const at = Date.parse(record.at);
  let last: number;
  if (record.state === 'pending') {
    const until = record.in_flight_until ? Date.parse(record.in_flight_until) : Number.NaN;
    last = Number.isFinite(until) ? Math.max(at, until) : at + LEGACY_IN_FLIGHT_MS;
  } else {
    // An unknown outcome is recorded once the sender stopped waiting for the answer.
    last = at;
  }
  if (writer?.endedAt !== undefined && Number.isFinite(writer.endedAt))
    last = Math.min(last, Math.max(at, writer.endedAt));
  return last + settleMs;
}

/** Whether a record stands for a send that may have reached Cloudflare. */
export function mayBeInFlight(record: LedgerRecord): boolean {
  return (record.state === 'pending' && record.sent !== false) || record.state === 'unknown';
}
