// Screening with Cloudflare right before sending: every message looked up (a few search
// pages, then one by one within the budget), and kept only when it may go (found, still
// quarantined, an acknowledged disposition, a retry Cloudflare agrees with), then held to
// what people reviewed. Every refusal is said.
import type { Plan } from '../core/plan/plan.js';
import { refusalText } from '../core/plan/refusals.js';
import { escapeLogText } from '../core/render/escape.js';
import { holdToReview } from '../core/safety/review.js';
import { type Inspection, retriesOf, screenPlan } from '../core/safety/screen.js';
import { inspect } from './inspect.js';
import type { RunState } from './run.js';

export async function screenBeforeSend(run: RunState, candidate: Plan): Promise<Plan> {
  const { safety } = run.settings;
  const wanted = candidate.accounts.flatMap((a) =>
    a.to_release.map((i) => ({ account_id: a.account_id, id: i.request.id })),
  );
  let inspections: Map<string, Inspection> = new Map();
  if (wanted.length > 0) {
    run.log.info(`Checking ${wanted.length} message(s) with Cloudflare before releasing them`);
    const looked = await inspect(
      run.deps.api,
      wanted,
      {
        budget: safety.lookupBudget,
        now: run.deps.clock.now().getTime(),
        concurrency: run.settings.concurrency,
        halt: run.halt.signal,
        log: run.log,
        actionLogs: retriesOf(candidate),
      },
      run.views,
    );
    inspections = looked.inspections;
    if (looked.stopped !== undefined) run.stop(looked.stopped);
    const { searches, gets, logs } = looked.stats;
    run.log.info(
      `Checked with ${searches} search page(s), ${gets} lookup(s) and ${logs} action log(s)`,
    );
  }
  const checked = screenPlan(candidate, inspections, { guarded: safety.guarded });
  // Entry by entry: what was not reviewed (added by another pull request, its disposition or
  // attempt changed since, or no plan was reviewed at all) is refused, the rest goes on.
  const held: Plan = {
    accounts: checked.accounts.map((account) => holdToReview(account, safety.gate)),
  };
  // Every refusal is said, the planner's (a retry the ledger does not allow) included.
  const refused = held.accounts.flatMap((a) =>
    (a.refused ?? []).map((r) => ({ account: a.account_id, r })),
  );
  if (refused.length > 0) run.log.info(`${refused.length} message(s) refused`);
  for (const { r } of refused)
    run.log.warn(`${r.item.request.id}: refused: ${escapeLogText(refusalText(r.reason), 300)}`);
  // A message read back as never released but refused now: record that it was not sent,
  // so later runs do not read it back again.
  if (!run.settings.dryRun) {
    for (const { account, r } of refused) {
      const prior = r.item.previous;
      if (r.item.resume && prior && prior.sent !== false) {
        await run.appendOrStop(
          [
            run.records.make(account, r.item.request.id, r.item.attempt, 'pending', {
              sent: false,
              error: { message: `refused: ${refusalText(r.reason)}` },
            }),
          ],
          `that ${r.item.request.id} was refused`,
        );
      }
    }
  }
  return held;
}
