// Release by search (issue 14) in the bundled action with the fake GitHub: the plan comment on
// the pull request lists the messages a `search:` entry finds and pins them in its marker; the
// merge searches again and releases only those. A message that matches only after the review
// is refused as not reviewed, and every release records the search that caused it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type SeedMessage } from '../../src/emulator/index.js';
import { mergePr, openPr, REVIEWER, scenarioForThisTest } from '../support/action.js';

const DAY = 86_400_000;
const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const T0 = Date.now();
const idAt = (queue: string, daysAgo: number) =>
  `${queue}-${second(T0 - daysAgo * DAY).slice(0, 19)}-4321`;
const SENDER = 'payroll@vendor.example';
const to = ['someone@corp.example'];
const REVIEWED = [idAt('ActSrch01', 5), idAt('ActSrch02', 4)];
const LATE = idAt('ActLate01', 3);
const MAILBOX: SeedMessage[] = [
  {
    id: REVIEWED[0] as string,
    to,
    from: SENDER,
    subject: 'Payslip October',
    final_disposition: 'SPAM',
  },
  {
    id: REVIEWED[1] as string,
    to,
    from: SENDER,
    subject: 'Payslip November',
    final_disposition: 'SPAM',
  },
  // BULK at review time, SPAM (what the search asks for) by the merge.
  { id: LATE, to, from: SENDER, subject: 'Payslip late', final_disposition: 'BULK' },
  {
    id: idAt('ActOther1', 5),
    to,
    from: 'x@elsewhere.example',
    subject: 'Payslip',
    final_disposition: 'SPAM',
  },
];

function yaml(account: string, limit = 10): string {
  return [
    'version: 1',
    `account_id: ${account}`,
    'releases:',
    '  - search:',
    `      sender: ${SENDER}`,
    `      start: "${second(T0 - 10 * DAY)}"`,
    `      end: "${second(T0 - DAY)}"`,
    '      disposition: SPAM',
    `      limit: ${limit}`,
    '    reason: payroll mail held by a new rule, checked with the vendor',
    '    ticket: SEC-77',
    '',
  ].join('\n');
}

describe.concurrent('release by search (action, fake GitHub, emulator)', () => {
  it('the plan comment lists what the search finds; the merge releases exactly that', async (t) => {
    const s = await scenarioForThisTest(t, { emulator: { messages: MAILBOX } });
    const text = yaml(s.account);
    const head = openPr(s, 1, text);
    const plan = await s.run({ event: 'pull_request', pr: 1, sha: head, private: true });
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.outputs).toMatchObject({ 'to-release': '2', refused: '0' });
    const body = s.gh.comments(1)[0]?.body ?? '';
    expect(body).toContain('Searches');
    expect(body).toContain('| 2 message&#40;s&#41; in quarantine |');
    for (const id of REVIEWED) expect(body).toContain(id.split('-')[0]);
    expect(body).not.toContain('ActLate01');
    expect(body).toMatch(
      /<!-- quarantine-release account=[0-9a-f]{32} plan=[0-9a-f]{32} basis=dispositions entries=\S{16} searches=[A-Za-z0-9_-]{8}\.2 -->/,
    );

    // After the review, a third message starts to match.
    expect(s.emulator.reclassify(s.account, LATE, 'SPAM')).toBe(true);
    const merged = await s.run({ event: 'push', sha: mergePr(s, 1, text) });
    expect(merged.code).toBe(1);
    expect(merged.stdout).toMatch(/ActLate01\S*: refused: not in the plan reviewed on PR #1/);
    expect([...s.deliveries().keys()].sort()).toEqual([...REVIEWED].sort());
    expect(s.deliveries().get(LATE)).toBeUndefined();

    const pending = s.ledgerLines().filter((r) => r.state === 'pending');
    expect(pending.map((r) => r.id).sort()).toEqual([...REVIEWED].sort());
    for (const r of pending) {
      expect(r.selector).toMatch(
        new RegExp(`^sender=${SENDER} disposition=SPAM start=\\S+ end=\\S+ limit=10$`),
      );
      expect(r).toMatchObject({ ticket: 'SEC-77', approved_by: [REVIEWER] });
    }
  });

  it('a reviewed message that left quarantine before the merge is reported, not sent', async (t) => {
    const s = await scenarioForThisTest(t, { emulator: { messages: MAILBOX } });
    const text = yaml(s.account);
    await s.run({ event: 'pull_request', pr: 3, sha: openPr(s, 3, text) });
    expect(s.gh.comments(3)[0]?.body ?? '').toMatch(/ searches=[A-Za-z0-9_-]{8}\.2 -->/);
    // Released from the dashboard between the review and the merge.
    const gone = REVIEWED[0] as string;
    const answer = await fetch(
      `${s.emulator.url}/accounts/${s.account}/email-security/investigate/release`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [gone] }),
      },
    );
    expect(answer.status).toBe(200);
    const posts = s.releasePosts();
    const merged = await s.run({ event: 'push', sha: mergePr(s, 3, text) });
    expect(merged.code, merged.stdout).toBe(0);
    expect(merged.stdout).toContain(
      '1 message(s) in quarantine; 1 of the 2 the reviewed plan listed were not found again',
    );
    expect(s.releasePosts() - posts).toBe(1);
    expect(s.deliveries().get(gone)).toBe(1);
    expect(s.deliveries().get(REVIEWED[1] as string)).toBe(1);
    expect(s.gh.comments(3)[0]?.body ?? '').toContain('were not found again');
  });

  it('a search over its limit fails the plan and releases nothing on merge', async (t) => {
    const s = await scenarioForThisTest(t, { emulator: { messages: MAILBOX } });
    const text = yaml(s.account, 1);
    const plan = await s.run({ event: 'pull_request', pr: 2, sha: openPr(s, 2, text) });
    expect(plan.code).toBe(1);
    expect(
      plan.annotations.some(
        (a) => a.level === 'error' && /matches more than its limit/.test(a.message),
      ),
    ).toBe(true);
    expect(s.gh.comments(2)[0]?.body ?? '').toMatch(/⛔ 1 search\(es\) refused/);
    const merged = await s.run({ event: 'push', sha: mergePr(s, 2, text) });
    expect(merged.code).toBe(1);
    expect(s.releasePosts()).toBe(0);
  });
});
