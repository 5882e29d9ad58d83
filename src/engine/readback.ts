// Resolving earlier sends whose outcome is not known (pending, unknown) by reading each
// message back, once it has surely settled at Cloudflare: only one provably still quarantined
// with no release recorded may be sent again. Every finding is recorded.
import { messageKey } from '../core/ids.js';
import type { Plan, ToRelease, ToVerify } from '../core/plan/plan.js';
import {
  conclusiveFrom,
  DEFAULT_SETTLE_MS,
  mayBeInFlight,
  type WriterState,
} from '../core/release/in-flight.js';
import { judgeActionLog, judgeMessage, type ReadBackFinding } from '../core/release/readback.js';
import { escapeLogText } from '../core/render/escape.js';
import { pool } from './pool.js';
import { formatDuration, type RunState } from './run.js';

/** Reads back what the plan must verify; returns, per account, what is proven safe to send again. */
export async function resolveEarlierSends(
  run: RunState,
  thePlan: Plan,
): Promise<Map<string, ToRelease[]>> {
  const sendable = new Map<string, ToRelease[]>();
  const work = await whenConclusive(
    run,
    thePlan.accounts.flatMap((a) => a.to_verify.map((item) => ({ account: a.account_id, item }))),
  );
  const running = run.deferred.length;
  if (running > 0) {
    run.log.warn(
      `${running} message(s) are pending in another run that is still going and may still be sending them: left alone; a later run resolves them`,
    );
  }
  // Only the sends the budget can reach are worth waiting for (one request each at best).
  const { limit } = run.meter;
  await settle(
    run,
    limit === undefined ? work : work.slice(0, Math.max(0, limit - run.meter.used)),
  );
  if (work.length > 0)
    run.log.info(`Reading back ${work.length} message(s) whose last send has no known outcome`);

  await pool(work, run.settings.concurrency, async ({ account, item, from }) => {
    if (run.shouldStop()) return;
    if (!reserveReadBack(run)) {
      run.unverified.push({ account_id: account, id: item.id });
      return;
    }
    const finding = await readBack(run, account, item.id, item.priorActs);
    const attempt = item.why === 'alias' ? 1 : item.record.attempt;
    const base = { account_id: account, id: item.id, attempt };
    switch (finding.kind) {
      case 'released':
      case 'partial':
        await run.recordFinding(
          { ...base, state: finding.kind },
          `${item.id}: ${finding.evidence}; recorded as ${finding.kind}`,
        );
        return;
      case 'missing':
        await run.recordFinding(
          { ...base, state: 'failed', error: { status: 404, message: 'message not found' } },
          `${item.id}: not found by the API; recorded as failed`,
        );
        return;
      case 'not-released':
        if (from > run.deps.clock.now().getTime()) {
          // Still quarantined, but the earlier request may be at Cloudflare yet.
          const until = new Date(from).toISOString();
          run.deferred.push({ account_id: account, id: item.id, since: item.record.at, until });
          run.log.warn(
            `${item.id}: still quarantined, but its last send may still be in progress at Cloudflare until ${until}: left alone; a run after that resolves it`,
          );
          return;
        }
        if (item.request) {
          const list = sendable.get(account) ?? [];
          list.push({
            request: item.request,
            attempt,
            resume: true,
            previous: item.record,
            priorActs: item.priorActs,
          });
          sendable.set(account, list);
        } else if (item.record.state === 'pending' || item.record.state === 'unknown') {
          // No longer requested, and provably never acted on: close it as never sent.
          await run.recordFinding(
            { ...base, state: 'pending', sent: false },
            `${item.id}: never released and no longer requested`,
          );
        }
        return;
      case 'unknown':
        if (finding.rateLimited) run.stop('rate limited while reading messages back');
        if (finding.authFailed)
          run.stop(
            `the API refused the credentials while reading messages back (${finding.message})`,
          );
        run.log.warn(`${item.id}: still unresolved (${escapeLogText(finding.message, 200)})`);
        run.results.push({
          ...base,
          state: item.record.state,
          via: 'readback',
          error: { message: finding.message },
        });
        return;
    }
  });
  return sendable;
}

/**
 * Adds to each unresolved send the time from which reading it back proves something (see
 * core/release/in-flight). Those sent by a run that is still going are left alone outright.
 */
async function whenConclusive(
  run: RunState,
  work: { account: string; item: ToVerify }[],
): Promise<{ account: string; item: ToVerify; from: number }[]> {
  const settleMs = run.settings.settleMs ?? DEFAULT_SETTLE_MS;
  const ours = run.settings.provenance.run;
  const writers = new Map<string, WriterState>();
  const out: { account: string; item: ToVerify; from: number }[] = [];
  for (const w of work) {
    const { record } = w.item;
    if (!mayBeInFlight(record)) {
      out.push({ ...w, from: Number.NEGATIVE_INFINITY });
      continue;
    }
    const writer = record.run;
    if (writer !== undefined && !writers.has(writer)) {
      // Our own run id on an earlier record: an earlier attempt (or, for the CLI, an earlier
      // process on this host, gone since: the ledger lock says so). It ended before we began.
      const state: WriterState =
        writer === ours
          ? { running: false, endedAt: run.started }
          : await run.deps.runs?.state(writer);
      writers.set(writer, state);
    }
    const from = conclusiveFrom(
      record,
      writer === undefined ? undefined : writers.get(writer),
      settleMs,
    );
    if (from === Number.POSITIVE_INFINITY) {
      run.deferred.push({ account_id: w.account, id: w.item.id, since: record.at });
      continue;
    }
    out.push({ ...w, from });
  }
  return out;
}

/** Waits (bounded, interruptible) until the sends that settle soon have settled. */
async function settle(run: RunState, work: { from: number }[]): Promise<void> {
  const now = run.deps.clock.now().getTime();
  // By default a little longer than the settling time: clocks and GitHub's whole-second
  // times round up what a run would otherwise wait for.
  const wait = run.settings.settleWaitMs ?? (run.settings.settleMs ?? DEFAULT_SETTLE_MS) + 10_000;
  const limit = now + wait;
  let until = now;
  for (const w of work) if (w.from > until && w.from <= limit) until = w.from;
  if (until <= now || run.shouldStop()) return;
  run.log.info(
    `Waiting ${formatDuration(until - now)} for earlier sends to settle at Cloudflare before reading them back`,
  );
  await run.deps.clock.sleep(until - now + 1, run.halt.signal);
}

/** Holds the two requests a read-back may need; false when the budget cannot cover them. */
function reserveReadBack(run: RunState): boolean {
  const m = run.meter;
  if (m.limit !== undefined && m.limit - m.used - m.reserved < 2) return false;
  m.reserved += 2;
  return true;
}

/** Reads a message back, within the two requests reserved for it. */
async function readBack(
  run: RunState,
  account: string,
  id: string,
  priorActs: number,
): Promise<ReadBackFinding> {
  const { api } = run.deps;
  try {
    run.meter.used++;
    const lookup = await api.getMessage(account, id, run.halt.signal);
    if (lookup.kind === 'found') run.views.set(messageKey(account, id), lookup.message);
    const first = judgeMessage(lookup);
    if (first) return first;
    run.meter.used++;
    return judgeActionLog(await api.getActionLog(account, id, run.halt.signal), priorActs);
  } finally {
    run.meter.reserved -= 2;
  }
}
