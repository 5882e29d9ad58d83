// The plan as a reviewer should see it: each message to release looked up once (when
// Cloudflare credentials are available), refused ones set apart and explained.
import type { Plan } from '../core/plan/plan.js';
import type { MessageView } from '../core/release/readback.js';
import { retriesOf, reviewPlan } from '../core/safety/review.js';
import { inspect } from './inspect.js';
import type { CloudflareApi, Logger } from './ports.js';

export interface PlanReviewSettings {
  lookupBudget: number;
  guarded: readonly string[];
  now: number;
  log?: Logger;
  halt?: AbortSignal;
  /** Details already read (by the searches), by messageKey: not looked up again. */
  known?: ReadonlyMap<string, MessageView>;
}

/** Without an API the plan is returned unreviewed: dispositions are then checked by apply. */
export async function reviewedPlan(
  plan: Plan,
  api: CloudflareApi | undefined,
  settings: PlanReviewSettings,
): Promise<Plan> {
  if (!api) return plan;
  const wanted = plan.accounts.flatMap((a) =>
    a.to_release.map((i) => ({ account_id: a.account_id, id: i.request.id })),
  );
  const { inspections, stats } = await inspect(
    api,
    wanted,
    {
      budget: settings.lookupBudget,
      now: settings.now,
      actionLogs: retriesOf(plan),
      ...(settings.halt ? { halt: settings.halt } : {}),
      ...(settings.log ? { log: settings.log } : {}),
    },
    settings.known,
  );
  settings.log?.info(
    `Looked up ${wanted.length} message(s) with ${stats.searches} search page(s) and ${stats.gets} lookup(s)`,
  );
  return reviewPlan(plan, inspections, { guarded: settings.guarded });
}
