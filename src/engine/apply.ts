// apply: release what the plan says, at most once per attempt, and record everything. The
// pipeline, top to bottom (runPlan):
//
//   load       releases.yaml and the ledger (held to its seal), or why they cannot be used
//   search     each `search:` entry resolved to the messages it finds now (searches.ts)
//   plan       what the file asks for, minus what the ledger says already happened
//   resolve    earlier sends with no known outcome, read back (readback.ts)
//   scope      only the entries of the pushed commit; later ones wait for their own run
//   screen     every message with Cloudflare, then held to what people reviewed
//              (screen-before-send.ts)
//   guard      the run as a whole: not too many, the plan reviewed (core/safety/guards)
//   send       pending first, one POST per batch, each outcome recorded (send.ts)
//
// A conflict on the ledger (another run wrote the branch) starts over from `load`.
import { type Plan, plan } from '../core/plan/plan.js';
import { scopeOf, withinScope } from '../core/plan/scope.js';
import { withSearches } from '../core/plan/selectors.js';
import { batchesOf } from '../core/release/batches.js';
import { escapeLogText } from '../core/render/escape.js';
import { runGuard } from '../core/safety/guards.js';
import { loadInputs, loadReleasesFrom, type ReleasesSource } from './inputs.js';
import { LedgerConflictError, type Logger } from './ports.js';
import { resolveEarlierSends } from './readback.js';
import {
  type ApplyDeps,
  type ApplyResult,
  type ApplySettings,
  type ReadBackMeter,
  RunState,
} from './run.js';
import { screenBeforeSend } from './screen-before-send.js';
import { resolveSearches } from './searches.js';
import { send } from './send.js';

export type { ApplyDeps, ApplyResult, ApplySettings } from './run.js';

/** Re-plans allowed when another run moved the ledger under us. */
const MAX_CONFLICT_RETRIES = 3;

export async function apply(deps: ApplyDeps, settings: ApplySettings): Promise<ApplyResult> {
  const maxRounds = 1 + MAX_CONFLICT_RETRIES;
  // Shared by every round: a re-plan does not get a fresh budget.
  const meter: ReadBackMeter = { limit: settings.readBackBudget, used: 0, reserved: 0 };
  let scope: Set<string> | undefined;
  for (let round = 1; ; round++) {
    deps.log.phase?.(round === 1 ? 'Load' : `Load again (round ${round})`);
    const now = deps.clock.now().getTime();
    const inputs = await loadInputs(deps.releases, deps.releasesPath, deps.store, now);
    if (!inputs.ok) return { kind: 'invalid', stage: inputs.stage, errors: inputs.errors };
    // The pushed commit never changes: read once, whatever the re-plans.
    if (deps.pushedReleases && scope === undefined)
      scope = await pushedScope(deps.pushedReleases, deps.releasesPath, deps.log);
    const run = new RunState(deps, settings, inputs.ledger.index, meter);
    try {
      await interruptible(run, async () => {
        // search: what the searches find now; only what the reviewed plan listed may go (the
        // check holds each message to the review). The drift check releases nothing: no search.
        const { accounts } = settings;
        run.searches = (inputs.file.searches ?? []).filter(
          (s) => accounts.length === 0 || accounts.includes(s.account_id),
        );
        if (inputs.file.searches && !settings.verifyOnly) deps.log.phase?.('Search');
        const searched = await resolveSearches(
          inputs.file,
          settings.verifyOnly ? undefined : deps.api,
          { accounts, log: deps.log, halt: run.halt.signal },
        );
        for (const [key, view] of searched.views) run.views.set(key, view);
        const planned = plan(searched.file, inputs.ledger.index, { accounts });
        const shown = settings.verifyOnly
          ? planned
          : withSearches(planned, searched.outcomes, accounts);
        await runPlan(run, shown, scope);
      });
      await deps.store.flush();
      return run.result();
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || round >= maxRounds) throw error;
      deps.log.warn(
        `the ledger moved while this run was writing (${error.message}); planning again (${round}/${maxRounds - 1})`,
      );
    }
  }
}

async function runPlan(
  run: RunState,
  thePlan: Plan,
  scope: ReadonlySet<string> | undefined,
): Promise<void> {
  run.plan = thePlan;
  // resolve: what was sent before with no known outcome is read back first.
  run.log.phase?.('Read back earlier sends');
  const resent = await resolveEarlierSends(run, thePlan);
  // Nothing was written for the rest yet: they are simply planned again next run.
  if (run.shouldStop()) return;
  if (run.settings.verifyOnly) {
    // The drift check: proven never released is recorded, so the next apply sends it
    // without reading back. Nothing is released.
    for (const [account, items] of resent)
      for (const item of items)
        await run.recordFinding(
          {
            account_id: account,
            id: item.request.id,
            attempt: item.attempt,
            state: 'pending',
            sent: false,
          },
          `${item.request.id}: read back as never released; the next apply sends it`,
        );
    return;
  }
  let candidate: Plan = {
    accounts: thePlan.accounts.map((a) => ({
      ...a,
      to_release: [...a.to_release, ...(resent.get(a.account_id) ?? [])],
    })),
  };
  // scope
  if (scope) {
    const split = withinScope(candidate, scope);
    candidate = split.plan;
    run.later.push(...split.later);
    if (split.later.length > 0)
      run.log.info(
        `${split.later.length} message(s) were added to ${run.deps.releasesPath} after the pushed commit: left for the run of their own push`,
      );
  }
  // check
  run.log.phase?.('Screen with Cloudflare');
  const checked = await screenBeforeSend(run, candidate);
  run.plan = checked;
  if (run.shouldStop()) return;
  // guard
  const blocked = runGuard(checked, run.settings.safety);
  if (blocked !== undefined) return run.block(blocked);
  // send
  run.log.phase?.(run.settings.dryRun ? 'Send (dry run: nothing is sent)' : 'Send');
  const batches = batchesOf(checked, run.settings.batchSize);
  if (run.settings.dryRun) {
    for (const b of batches)
      for (const item of b.items)
        run.wouldRelease.push({
          account_id: b.account_id,
          id: item.request.id,
          attempt: item.attempt,
        });
    return;
  }
  await send(run, batches);
}

/** SIGINT/SIGTERM (settings.signal) stop the run like any other stop. */
async function interruptible(run: RunState, work: () => Promise<void>): Promise<void> {
  const { signal } = run.settings;
  const interrupted = () => run.stop('interrupted');
  signal?.addEventListener('abort', interrupted, { once: true });
  try {
    if (signal?.aborted) run.stop('interrupted');
    await work();
  } finally {
    signal?.removeEventListener('abort', interrupted);
  }
}

/** The entries of the pushed commit's file; none when it cannot be read there. */
async function pushedScope(
  source: ReleasesSource,
  path: string,
  log: Logger,
): Promise<Set<string>> {
  const pushed = await loadReleasesFrom(source, path);
  if (pushed.ok) return scopeOf(pushed.file);
  const first = pushed.errors[0];
  log.warn(
    `${path} of the pushed commit cannot be read (${escapeLogText(first?.message ?? 'no detail', 200)}): every entry is left for the run of a later push`,
  );
  return scopeOf(undefined);
}
