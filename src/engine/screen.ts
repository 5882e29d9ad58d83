// Screening at plan time, so the plan is what a reviewer should see: each message to release
// looked up once (when Cloudflare credentials are available), refused ones set apart and
// explained. Apply screens again right before sending (screen-before-send.ts).
import type { Plan } from '../core/plan/plan.js';
import type { MessageView } from '../core/release/readback.js';
import { retriesOf, screenPlan } from '../core/safety/screen.js';
import { inspect } from './inspect.js';
import type { CloudflareApi, Logger } from './ports.js';

export interface ScreenSettings {
  lookupBudget: number;
  guarded: readonly string[];
  now: number;
  log?: Logger;
  halt?: AbortSignal;
  /** Details already read (by the searches), by messageKey: not looked up again. */
  known?: ReadonlyMap<string, MessageView>;
}

/** Without an API the plan is returned unscreened: apply screens every message on merge. */
export async function screenWithCloudflare(
  plan: Plan,
  api: CloudflareApi | undefined,
  settings: ScreenSettings,
): Promise<Plan> {
  if (!api) return plan;
  settings.log?.phase?.('Screen with Cloudflare');
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
      halt: settings.halt,
      log: settings.log,
    },
    settings.known,
  );
  settings.log?.info(
    `Looked up ${wanted.length} message(s) with ${stats.searches} search page(s) and ${stats.gets} lookup(s)`,
  );
  return screenPlan(plan, inspections, { guarded: settings.guarded });
}
