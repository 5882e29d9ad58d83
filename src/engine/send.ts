// Sending: each batch written `pending` first (durable before the request leaves; if that
// write fails, nothing is sent), then POSTed once, never retried, and each id's outcome
// recorded. A 429 or an unreachable API proves nothing was done: those ids are closed as
// never sent (`sent: false`) and the run stops, as it does on SIGINT/SIGTERM and the deadline
// (no new batch starts; the one in flight is answered and recorded).

import type { LedgerRecord } from '../core/ledger/record.js';
import type { Batch } from '../core/release/batches.js';
import { classifyRelease, type IdOutcome } from '../core/release/classify.js';
import { LEGACY_IN_FLIGHT_MS } from '../core/release/in-flight.js';
import { resultOf } from '../core/release/records.js';
import { pool } from './pool.js';
import { formatDuration, type RunState } from './run.js';

export async function send(run: RunState, batches: Batch[]): Promise<void> {
  if (batches.length === 0) return;
  const { settings, deps } = run;
  const total = batches.reduce((n, b) => n + b.items.length, 0);
  run.log.info(
    `Releasing ${total} message(s) in ${batches.length} batch(es) of up to ${settings.batchSize}`,
  );
  const sent = new Set<Batch>();

  // 'run' scope: one durable write for the whole run before the first POST.
  const pendingWritten =
    settings.pendingScope === 'batch' ||
    (await run.writeAhead(batches.flatMap((b) => pendingRecords(run, b))));

  let done = 0;
  await pool(batches, settings.concurrency, async (batch) => {
    if (!pendingWritten || run.shouldStop()) return;
    if (settings.pendingScope === 'batch' && !(await run.writeAhead(pendingRecords(run, batch))))
      return;
    sent.add(batch);
    const ids = batch.items.map((i) => i.request.id);
    const outcome = classifyRelease(
      ids,
      await deps.api.release(batch.account_id, ids, run.halt.signal),
    );
    const attempts = new Map(batch.items.map((i) => [i.request.id, i.attempt]));

    if (outcome.kind === 'not-sent') {
      run.stop(outcome.reason);
      await closeUnsent(run, batch, outcome.reason);
    } else {
      if (outcome.stop) run.stop(outcome.stop);
      for (const o of outcome.outcomes)
        run.results.push(resultOf(batch.account_id, o, attempts.get(o.id) ?? 1));
      await run.appendOrStop(
        outcome.outcomes.map((o) =>
          run.records.outcome(batch.account_id, o, attempts.get(o.id) ?? 1),
        ),
        `the outcomes of batch ${batch.number}`,
      );
    }
    done += batch.items.length;
    progress(
      run,
      batch,
      batches.length,
      done,
      total,
      outcome.kind === 'outcomes' ? outcome.outcomes : [],
    );
  });

  for (const batch of batches) {
    if (sent.has(batch)) continue;
    // Recorded pending by the run-wide write: close them as provably never sent.
    if (settings.pendingScope === 'run' && pendingWritten)
      await closeUnsent(run, batch, run.stopped ?? 'stopped');
    else
      for (const item of batch.items)
        run.notStarted.push({ account_id: batch.account_id, id: item.request.id });
  }
}

function pendingRecords(run: RunState, batch: Batch): LedgerRecord[] {
  const { settings, deps } = run;
  // Batch scope: sent right after this write. Run scope: any time until the deadline.
  const lastStart =
    settings.pendingScope === 'run'
      ? (settings.deadline ?? deps.clock.now().getTime() + LEGACY_IN_FLIGHT_MS)
      : deps.clock.now().getTime();
  const until = new Date(lastStart + settings.inFlightMs).toISOString();
  return batch.items.map((item) => run.records.pending(batch.account_id, item, until));
}

async function closeUnsent(run: RunState, batch: Batch, reason: string): Promise<void> {
  await run.appendOrStop(
    batch.items.map((item) =>
      run.records.make(batch.account_id, item.request.id, item.attempt, 'pending', {
        sent: false,
        error: { message: reason },
      }),
    ),
    `that batch ${batch.number} was not sent`,
  );
  for (const item of batch.items) {
    run.results.push({
      account_id: batch.account_id,
      id: item.request.id,
      state: 'pending',
      attempt: item.attempt,
      via: 'not-sent',
      error: { message: reason },
    });
  }
}

function progress(
  run: RunState,
  batch: Batch,
  batches: number,
  done: number,
  total: number,
  outcomes: IdOutcome[],
): void {
  const count = (s: string) => outcomes.filter((o) => o.state === s).length;
  // Time spent waiting for the rate limit is not sending time: the rest is estimated from
  // the time spent sending, plus the waits the pacer already knows the remaining requests need.
  const pacing = run.deps.api.pacing;
  const elapsed = run.deps.clock.now().getTime() - run.started - (pacing?.waitedMs ?? 0);
  const waits = pacing?.expectedWaitMs(Math.ceil((total - done) / run.settings.batchSize)) ?? 0;
  const eta =
    done > 0 && done < total
      ? ` ETA ${formatDuration((Math.max(0, elapsed) / done) * (total - done) + waits)}${waits >= 1000 ? ` (${formatDuration(waits)} of it waiting for the API rate limit)` : ''}`
      : '';
  const summary =
    outcomes.length > 0
      ? `${count('released')} released, ${count('partial')} partial, ${count('failed')} failed, ${count('unknown')} unknown`
      : 'not sent';
  run.log.info(
    `batch ${batch.number}/${batches} (${batch.account_id}): ${summary}; ${done}/${total} ids done${eta}`,
  );
}
