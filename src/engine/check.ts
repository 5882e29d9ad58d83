// The drift check (scheduled): messages the ledger says were released must not be back in
// quarantine, and sends with no known outcome are resolved. It never releases anything.
//
// Released messages are checked by searching, per time window, for what is quarantined now
// (a few pages instead of one lookup per message); bare ids, which carry no time, are looked
// up one by one. When the budget does not cover every window, each run starts at a different
// window, so a big ledger is covered over successive runs.
import { messageKey } from '../core/ids.js';
import type { LedgerRecord } from '../core/ledger/record.js';
import { readLedger } from '../core/ledger/state.js';
import { type ApplyDeps, type ApplyResult, type ApplySettings, apply } from './apply.js';
import { timeWindows } from './inspect.js';

export interface Drift {
  account_id: string;
  id: string;
  /** When the ledger recorded it released. */
  released_at: string;
}

export type CheckResult =
  | Extract<ApplyResult, { kind: 'invalid' }>
  | {
      kind: 'done';
      /** What resolving the unresolved sends did. */
      resolved: Extract<ApplyResult, { kind: 'done' }>;
      drift: Drift[];
      /** Released messages checked this run, out of `released`. */
      checked: number;
      released: number;
    };

export interface CheckSettings
  extends Omit<ApplySettings, 'verifyOnly' | 'dryRun' | 'review' | 'batchSize'> {
  lookupBudget: number;
}

const HOUR = 3_600_000;

export async function check(deps: ApplyDeps, settings: CheckSettings): Promise<CheckResult> {
  const resolved = await apply(deps, {
    ...settings,
    batchSize: 1,
    dryRun: false,
    verifyOnly: true,
    review: {
      lookupBudget: 0,
      guarded: ['MALICIOUS', 'MALICIOUS-BEC'],
      maxReleases: 0,
      force: false,
    },
  });
  if (resolved.kind === 'invalid') return resolved;

  // The ledger as it is now, with the resolutions: every message whose state is released.
  const { shards, errors } = await deps.store.read();
  if (errors.length > 0) return { kind: 'invalid', stage: 'ledger', errors };
  const ledger = readLedger(shards);
  const only = settings.accounts.length > 0 ? new Set(settings.accounts) : undefined;
  const released: LedgerRecord[] = [];
  for (const { latest } of ledger.index.values()) {
    if (latest.state === 'released' && (!only || only.has(latest.account_id)))
      released.push(latest);
  }

  let budget = settings.lookupBudget;
  const drift: Drift[] = [];
  let checked = 0;
  const byAccount = new Map<string, LedgerRecord[]>();
  for (const r of released)
    byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r]);
  const now = deps.clock.now().getTime();

  for (const [account, records] of byAccount) {
    const byId = new Map(records.map((r) => [r.id, r]));
    const windows = timeWindows([...byId.keys()], now);
    // Each run starts at another window: over runs, every window is checked.
    const start = windows.length > 0 ? Math.floor(now / HOUR) % windows.length : 0;
    for (let k = 0; k < windows.length; k++) {
      const window = windows[(start + k) % windows.length];
      if (!window) continue;
      let cursor: string | undefined;
      let complete = false;
      const held = new Set<string>();
      while (budget > 0) {
        budget--;
        const page = await deps.api.search(
          account,
          {
            start: window.start,
            end: window.end,
            delivery_status: 'quarantined',
            // Quarantined again is drift whatever the disposition (the API defaults to detections).
            detections_only: 'false',
            per_page: '1000',
            ...(cursor ? { cursor } : {}),
          },
          settings.signal,
        );
        if (page.kind === 'error') {
          deps.log.warn(`drift search for ${account} failed: ${page.message}`);
          break;
        }
        for (const m of page.messages) held.add(m.id);
        cursor = page.next;
        if (cursor === undefined) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      for (const id of window.ids) {
        checked++;
        if (held.has(id)) drift.push(driftOf(byId.get(id) as LedgerRecord));
      }
    }
    // Bare ids carry no time: one lookup each.
    for (const r of records) {
      if (windows.some((w) => w.ids.includes(r.id))) continue;
      if (budget <= 0) break;
      budget--;
      const lookup = await deps.api.getMessage(account, r.id, settings.signal);
      if (lookup.kind !== 'found') continue;
      checked++;
      if (lookup.message.quarantined) drift.push(driftOf(r));
    }
  }
  drift.sort((a, b) => (messageKey(a.account_id, a.id) < messageKey(b.account_id, b.id) ? -1 : 1));
  return { kind: 'done', resolved, drift, checked, released: released.length };
}

function driftOf(r: LedgerRecord): Drift {
  return { account_id: r.account_id, id: r.id, released_at: r.at };
}
