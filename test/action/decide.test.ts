// Which use case the action runs: `mode: check` runs the drift check on any event but a pull
// request, not only on the schedule.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/action/main.js';
import { readSettings } from '../../src/action/settings.js';

function settingsFor(event: string, inputs: Record<string, string>, ref = 'refs/heads/main') {
  const env: Record<string, string> = {
    GITHUB_REPOSITORY: 'octo-org/mail-releases',
    GITHUB_EVENT_NAME: event,
    GITHUB_REF: ref,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return readSettings(env);
}

const repository = { default_branch: 'main', private: true };

describe('decide: the drift check', () => {
  it('reads `mode: check` and the lookup budget from the inputs', () => {
    const s = settingsFor('workflow_dispatch', { mode: 'check', 'lookup-budget': '40' });
    expect(s.mode).toBe('check');
    expect(s.safety.lookupBudget).toBe(40);
  });

  it.each(['workflow_dispatch', 'push', 'schedule', 'repository_dispatch'])(
    '`mode: check` on %s runs the check, never an apply',
    (event) => {
      const s = settingsFor(event, { mode: 'check' });
      expect(decide(s, { repository })).toEqual({ kind: 'check', branch: 'main' });
    },
  );

  it('`mode: check` checks the branch it runs on, or the default branch for a tag', () => {
    expect(
      decide(settingsFor('workflow_dispatch', { mode: 'check' }, 'refs/heads/ops'), { repository }),
    ).toEqual({ kind: 'check', branch: 'ops' });
    expect(decide(settingsFor('push', { mode: 'check' }, 'refs/tags/v1'), { repository })).toEqual({
      kind: 'check',
      branch: 'main',
    });
  });

  it('auto runs the check on the schedule only; dispatch and push apply', () => {
    expect(decide(settingsFor('schedule', {}), { repository }).kind).toBe('check');
    expect(decide(settingsFor('workflow_dispatch', {}), { repository }).kind).toBe('apply');
    expect(decide(settingsFor('push', { mode: 'auto' }), { repository }).kind).toBe('apply');
  });

  it('`mode: check` does nothing on a pull request', () => {
    const s = settingsFor('pull_request', { mode: 'check' }, 'refs/pull/3/merge');
    expect(decide(s, { repository, pull_request: { number: 3 } })).toMatchObject({
      kind: 'none',
    });
  });

  it('refuses an unknown mode', () => {
    expect(() => settingsFor('schedule', { mode: 'drift' })).toThrow(/input `mode`/);
  });
});

describe('decide: the audit report', () => {
  it('reads `mode: audit` and `audit-period` (default: the previous month)', () => {
    expect(settingsFor('schedule', { mode: 'audit' }).auditPeriod).toEqual({
      kind: 'previous-month',
    });
    expect(settingsFor('schedule', { mode: 'audit', 'audit-period': '30d' }).auditPeriod).toEqual({
      kind: 'days',
      days: 30,
    });
    for (const bad of ['last-month', '0d', '30', '9999d'])
      expect(() => settingsFor('schedule', { mode: 'audit', 'audit-period': bad }), bad).toThrow(
        /input `audit-period`/,
      );
  });

  it.each(['schedule', 'workflow_dispatch', 'push'])(
    '`mode: audit` on %s runs the report',
    (event) => {
      expect(decide(settingsFor(event, { mode: 'audit' }), { repository })).toEqual({
        kind: 'audit',
      });
    },
  );

  it("`mode: audit` does nothing on a pull request (its checkout is the pull request's ledger)", () => {
    const s = settingsFor('pull_request', { mode: 'audit' }, 'refs/pull/3/merge');
    expect(decide(s, { repository, pull_request: { number: 3 } })).toMatchObject({ kind: 'none' });
  });

  it('auto never runs it: the schedule is still the drift check', () => {
    expect(decide(settingsFor('schedule', {}), { repository }).kind).toBe('check');
  });
});
