// `retry: N` goes only on the ledger's evidence of attempt N-1 ending partial or failed (or
// still being resolved), never for a message this ledger never sent: the planner refuses it,
// with the entry's position, before anything looks it up.

import { describe, expect, it } from 'vitest';
import { plan } from '../../src/core/plan/plan.js';
import { renderPlanText } from '../../src/core/render/plan-text.js';
import { loadReleases } from '../../src/core/requests/load.js';
import { basisOf } from '../../src/core/safety/review.js';
import { ACCOUNT, foldRecords, messageId, record, stored } from '../support/factories.js';

const file = (retry: number, id = messageId(1)) => {
  const loaded = loadReleases(
    `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: ${id}\n    reason: retry for the recipients still waiting\n    retry: ${retry}\n`,
    'releases.yaml',
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.value;
};
const ledger = (...records: Parameters<typeof record>[0][]) =>
  foldRecords(records.map((r, i) => stored(record({ id: messageId(1), seq: i + 1, ...r }))));
const planOf = (retry: number, ...records: Parameters<typeof record>[0][]) =>
  plan(file(retry), ledger(...records)).accounts[0];

describe('retry: N', () => {
  it('is refused when the ledger never sent the message: nothing to send, the reason and its line', () => {
    const a = planOf(2);
    expect(a?.to_release).toEqual([]);
    expect(a?.refused?.map((r) => [r.item.request.id, r.item.attempt, r.reason.kind])).toEqual([
      [messageId(1), 2, 'retry-not-allowed'],
    ]);
    expect(JSON.stringify(a?.refused?.[0]?.reason)).toMatch(/no earlier attempt/);
    // Refused by the planner, not looked up: the plan is still one without dispositions.
    expect(basisOf(a as NonNullable<typeof a>)).toBe('ids');
    const text = renderPlanText(plan(file(2), ledger()), { file: 'releases.yaml' });
    expect(text).toMatch(
      /x REFUSED .*retry refused: the ledger has no earlier attempt.*releases\.yaml:4:9/,
    );
  });

  it('is refused when it skips attempts', () => {
    expect(JSON.stringify(planOf(3, { attempt: 1, state: 'failed' })?.refused)).toMatch(
      /the next retry is `retry: 2`/,
    );
  });

  it('goes after attempt N-1 ended partial or failed, with the ledger’s count of acts', () => {
    const partial = planOf(2, { attempt: 1, state: 'partial' });
    expect(partial?.to_release.map((i) => [i.attempt, i.priorActs])).toEqual([[2, 1]]);
    expect(planOf(2, { attempt: 1, state: 'failed' })?.to_release.map((i) => i.priorActs)).toEqual([
      0,
    ]);
  });

  it('waits for a read-back while attempt N-1 is unresolved', () => {
    for (const state of ['unknown', 'pending'] as const) {
      const a = planOf(2, { attempt: 1, state });
      expect(a?.refused, state).toBeUndefined();
      expect(
        a?.to_verify.map((v) => v.why),
        state,
      ).toEqual([state]);
    }
  });

  it('sends nothing when attempt N-1 released it, or attempt N was made', () => {
    expect(planOf(2, { attempt: 1, state: 'released' })?.already_released).toHaveLength(1);
    const done = planOf(2, { attempt: 1, state: 'partial' }, { attempt: 2, state: 'partial' });
    expect(done?.held.map((h) => h.why)).toEqual(['retry-done']);
    expect(done?.refused).toBeUndefined();
  });
});
