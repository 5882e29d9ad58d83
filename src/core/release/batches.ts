// What to send, cut into release requests. Pure.
import type { Plan, ToRelease } from '../plan/plan.js';

export interface Batch {
  account_id: string;
  items: ToRelease[];
  /** 1-based, over the whole run, for messages. */
  number: number;
}

/** Each account's messages to release, `size` per request, accounts in the plan's order. */
export function batchesOf(plan: Plan, size: number): Batch[] {
  const batches: Batch[] = [];
  for (const account of plan.accounts) {
    const items = account.to_release;
    for (let i = 0; i < items.length; i += size) {
      batches.push({
        account_id: account.account_id,
        items: items.slice(i, i + size),
        number: batches.length + 1,
      });
    }
  }
  return batches;
}
