// Attacks on release by search (issue 14): the pull request's author changes a `search:` entry
// after its plan was reviewed (widens it, raises its limit, acknowledges what it refused) and
// gets it merged without a new plan. The merge searches again; only the messages the reviewed
// plan listed may go, every other one is refused as not reviewed, and nothing else is sent.
import { describe, expect, it } from 'vitest';
import type { SeedMessage } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { MALLORY, mergeAttack, openAttack } from './support.js';

const DAY = 86_400_000;
const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const T0 = Date.now();
const idAt = (queue: string, daysAgo: number) =>
  `${queue}-${second(T0 - daysAgo * DAY).slice(0, 19)}-5555`;
const to = ['victim@corp.example'];
const PAYSLIP = idAt('AdvSrch01', 5);
const INVOICE = idAt('AdvSrch02', 4);
const WIRE = idAt('AdvSrch03', 3);
const MALWARE = idAt('AdvMalw01', 3);
const MAILBOX: SeedMessage[] = [
  { id: PAYSLIP, to, from: 'hr@vendor.example', subject: 'Payslip', final_disposition: 'SPAM' },
  {
    id: INVOICE,
    to,
    from: 'billing@vendor.example',
    subject: 'Invoice',
    final_disposition: 'SPAM',
  },
  { id: WIRE, to, from: 'ceo@vendor.example', subject: 'Urgent wire', final_disposition: 'SPOOF' },
  {
    id: MALWARE,
    to,
    from: 'hr@vendor.example',
    subject: 'Payslip.exe',
    final_disposition: 'MALICIOUS',
  },
];

function yaml(s: ActionScenario, criteria: string[], extra: string[] = []): string {
  return [
    'version: 1',
    `account_id: ${s.account}`,
    'releases:',
    '  - search:',
    ...criteria.map((c) => `      ${c}`),
    `      start: "${second(T0 - 10 * DAY)}"`,
    `      end: "${second(T0 - DAY)}"`,
    '    reason: vendor mail held by a new rule, checked with the vendor',
    ...extra.map((e) => `    ${e}`),
    '',
  ].join('\n');
}

/** Plans PR #n as `reviewed`, merges `merged` instead (no new plan), runs the push. */
async function reviewThenMerge(s: ActionScenario, n: number, reviewed: string, merged: string) {
  const head = openAttack(s, n, { 'releases.yaml': reviewed });
  const plan = await s.run({ event: 'pull_request', pr: n, sha: head });
  const push = await s.run({
    event: 'push',
    sha: mergeAttack(s, n, { 'releases.yaml': merged }, { by: MALLORY }),
  });
  return { plan, push };
}

const refusedLine = (stdout: string, id: string) =>
  stdout.split('\n').find((l) => l.includes(`refused  ${id}  `)) ?? '';

describe.concurrent('search entries changed after their plan was reviewed', () => {
  it('widened from one sender to the whole domain: only the reviewed message goes', async () => {
    const s = await actionScenario({ emulator: { messages: MAILBOX } });
    try {
      const { plan, push } = await reviewThenMerge(
        s,
        61,
        yaml(s, ['sender: hr@vendor.example', 'subject: Payslip', 'disposition: SPAM', 'limit: 5']),
        yaml(s, ['domain: vendor.example', 'limit: 5'], ['acknowledge: SPOOF']),
      );
      expect(plan.outputs['to-release']).toBe('1');
      expect(push.code).toBe(1);
      for (const id of [INVOICE, WIRE])
        expect(refusedLine(push.stdout, id)).toContain('not in the plan reviewed on PR #61');
      expect([...s.deliveries().keys()]).toEqual([PAYSLIP]);
    } finally {
      await s.close();
    }
  });

  it('limit raised after the plan refused the search as too wide: nothing goes', async () => {
    const s = await actionScenario({ emulator: { messages: MAILBOX } });
    try {
      const { plan, push } = await reviewThenMerge(
        s,
        62,
        yaml(s, ['domain: vendor.example', 'disposition: SPAM', 'limit: 1']),
        yaml(s, ['domain: vendor.example', 'disposition: SPAM', 'limit: 10']),
      );
      expect(plan.code).toBe(1);
      expect(plan.outputs['to-release']).toBe('0');
      expect(push.code).toBe(1);
      for (const id of [PAYSLIP, INVOICE])
        expect(refusedLine(push.stdout, id)).toContain('not in the plan reviewed on PR #62');
      expect(s.releasePosts()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('a malicious match acknowledged after the plan refused it: not released', async () => {
    const s = await actionScenario({ emulator: { messages: MAILBOX } });
    try {
      const criteria = ['sender: hr@vendor.example', 'limit: 5'];
      const { plan, push } = await reviewThenMerge(
        s,
        63,
        yaml(s, criteria),
        yaml(s, criteria, ['acknowledge: MALICIOUS']),
      );
      expect(plan.outputs).toMatchObject({ 'to-release': '1', refused: '1' });
      expect(push.code).toBe(1);
      expect(refusedLine(push.stdout, MALWARE)).toContain('not in the plan reviewed on PR #63');
      expect(s.deliveries().get(MALWARE)).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
