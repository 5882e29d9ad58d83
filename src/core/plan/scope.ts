// Which entries one run may release. A run reads releases.yaml at the branch head (so a later
// revert of an entry is honoured), but a person reviewed the pull request of the pushed
// commit: entries that reached the branch after that commit belong to the run of their own
// push. Pure.
import type { ReleaseRequest, ReleasesFile } from '../requests/load.js';
import type { AccountPlan, Plan, ToRelease } from './plan.js';

/**
 * An entry as far as releasing it goes: changing its retry or acknowledgement after the
 * pushed commit makes it a later entry too.
 */
export function scopeKey(r: ReleaseRequest): string {
  // A message a search found is in scope when the same search (and acknowledgement) was in
  // the pushed commit: widening or re-aiming it afterwards makes it a later entry.
  if (r.selector !== undefined) return searchScopeKey(r.account_id, r.selector, r.acknowledge);
  return [r.account_id, r.id, r.retry ?? '', r.acknowledge ?? ''].join('\t');
}

function searchScopeKey(account: string, text: string, acknowledge: string | undefined): string {
  return [account, 'search', text, acknowledge ?? ''].join('\t');
}

/** The entries of the file at the pushed commit; undefined file: none (unreadable there). */
export function scopeOf(file: ReleasesFile | undefined): Set<string> {
  const keys = new Set((file?.releases ?? []).map(scopeKey));
  for (const s of file?.searches ?? [])
    keys.add(searchScopeKey(s.account_id, s.text, s.acknowledge));
  return keys;
}

export interface LaterEntry {
  account_id: string;
  id: string;
}

/** Splits what the plan would release into what is in scope and what is left for a later run. */
export function withinScope(
  thePlan: Plan,
  scope: ReadonlySet<string>,
): { plan: Plan; later: LaterEntry[] } {
  const later: LaterEntry[] = [];
  const accounts = thePlan.accounts.map((a): AccountPlan => {
    const kept: ToRelease[] = [];
    for (const item of a.to_release) {
      if (scope.has(scopeKey(item.request))) kept.push(item);
      else later.push({ account_id: a.account_id, id: item.request.id });
    }
    return { ...a, to_release: kept };
  });
  return { plan: { accounts }, later };
}
