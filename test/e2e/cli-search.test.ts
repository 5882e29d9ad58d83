// Release by search (issue 14), the bundled CLI against the emulator: plan resolves a
// `search:` entry to the messages it finds and pins them in its fingerprint; apply searches
// again and releases only the reviewed plan. A message that starts to match in between
// (here: reclassified to the disposition the search asks for) is never released.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SeedMessage } from '../../src/emulator/index.js';
import { type Scenario, scenario } from '../support/scenario.js';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const DAY = 86_400_000;
const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** A long id scanned `daysAgo` days ago. */
const idAt = (queue: string, daysAgo: number) =>
  `${queue}-${second(Date.now() - daysAgo * DAY).slice(0, 19)}-1234`;

const SENDER = 'payroll@vendor.example';
const START = second(Date.now() - 10 * DAY);
const END = second(Date.now() - DAY);

let box: SeedMessage[] = [];
function mailbox(): SeedMessage[] {
  if (box.length > 0) return box;
  const to = ['someone@corp.example'];
  box = [
    {
      id: idAt('SrchA0001', 5),
      to,
      from: SENDER,
      subject: 'Payslip October',
      final_disposition: 'SPAM',
    },
    {
      id: idAt('SrchA0002', 4),
      to,
      from: SENDER,
      subject: 'Payslip November',
      final_disposition: 'SPAM',
    },
    {
      id: idAt('SrchA0003', 3),
      to,
      from: SENDER,
      subject: 'Payslip extra',
      final_disposition: 'SPAM',
    },
    // Matches the search (disposition SPAM) once reclassified, between plan and apply.
    {
      id: idAt('SrchLate01', 2),
      to,
      from: SENDER,
      subject: 'Payslip late',
      final_disposition: 'BULK',
    },
    // Outside the window, another sender: never found.
    {
      id: idAt('SrchOld001', 20),
      to,
      from: SENDER,
      subject: 'Payslip old',
      final_disposition: 'SPAM',
    },
    {
      id: idAt('SrchOther1', 5),
      to,
      from: 'other@else.example',
      subject: 'Payslip',
      final_disposition: 'SPAM',
    },
  ];
  return box;
}

async function writeSearch(x: Scenario, limit = 10, extra = ''): Promise<void> {
  const yaml = [
    'version: 1',
    `account_id: ${x.account}`,
    'releases:',
    '  - search:',
    `      sender: ${SENDER}`,
    `      start: "${START}"`,
    `      end: "${END}"`,
    `      disposition: SPAM`,
    `      limit: ${limit}`,
    '    reason: payroll mail held by a new rule, checked with the vendor',
    extra,
    '',
  ].join('\n');
  await writeFile(join(x.dir, 'releases.yaml'), yaml);
}

const fingerprintOf = (stdout: string) =>
  /Fingerprint of [0-9a-f]{32}: ([0-9a-f]{32})/.exec(stdout)?.[1] as string;

describe('release by search (CLI, emulator)', () => {
  it('plan lists what the search finds; apply releases exactly that, and a message matching later is not released', async () => {
    s = await scenario({ messages: mailbox() });
    await writeSearch(s);
    const planned = await s.cli(['plan']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(`sender=${SENDER}`);
    expect(planned.stdout).toContain('3 message(s) in quarantine');
    for (const q of ['SrchA0001', 'SrchA0002', 'SrchA0003']) expect(planned.stdout).toContain(q);
    for (const q of ['SrchLate01', 'SrchOld001', 'SrchOther1'])
      expect(planned.stdout).not.toContain(q);
    const fingerprint = fingerprintOf(planned.stdout);
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);

    // A message starts to match after the review.
    const late = mailbox()[3]?.id as string;
    expect(s.emulator.reclassify(s.account, late, 'SPAM')).toBe(true);

    const applied = await s.cli(['apply', '--fingerprint', fingerprint]);
    expect(applied.code).toBe(1);
    expect(applied.stderr + applied.stdout).toMatch(/differs from the plan whose fingerprint/);
    expect(s.releasePostsCount()).toBe(0);

    // The plan as it is now lists four: only its own review could release the fourth.
    const now = JSON.parse((await s.cli(['plan', '--format', 'json'])).stdout);
    expect(now.accounts[0].to_release).toHaveLength(4);
    expect(now.accounts[0].to_release[0].selector).toContain(`sender=${SENDER}`);
    expect(now.accounts[0].searches[0].status).toEqual({
      kind: 'resolved',
      found: 4,
      planned: 4,
      duplicates: 0,
    });
    expect(s.posts().get(late)).toBeUndefined();
  });

  it('with the reviewed fingerprint, releases the messages found and records the selector', async () => {
    s = await scenario({ messages: mailbox() });
    await writeSearch(s);
    const fingerprint = fingerprintOf((await s.cli(['plan'])).stdout);
    const applied = await s.cli(['apply', '--fingerprint', fingerprint, '--format', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    const released = JSON.parse(applied.stdout).results.map((r: { id: string }) => r.id);
    expect(released.sort()).toEqual(
      mailbox()
        .slice(0, 3)
        .map((m) => m.id)
        .sort(),
    );
    const pending = (await s.ledger()).filter((r) => r.state === 'pending');
    expect(pending).toHaveLength(3);
    for (const r of pending)
      expect(r.selector).toBe(
        `sender=${SENDER} disposition=SPAM start=${START} end=${END} limit=10`,
      );
    // Released mail left quarantine: the next plan finds nothing new, and no entry is orphaned.
    const again = await s.cli(['plan']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 message(s) in quarantine');
    expect(again.stdout).toMatch(/0 to release, .* 0 no longer in the file/);
  });

  it('a search matching more than its limit is refused whole: nothing of it goes', async () => {
    s = await scenario({ messages: mailbox() });
    await writeSearch(s, 2);
    const planned = await s.cli(['plan']);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toMatch(/SEARCH REFUSED .*matches more than its limit/);
    const applied = await s.cli(['apply', '--unreviewed']);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toMatch(/search refused/);
    expect(s.releasePostsCount()).toBe(0);
  });

  it('without credentials a search is validated and shown as resolved at plan time', async () => {
    s = await scenario({ messages: mailbox() });
    await writeSearch(s);
    const valid = await s.cli(['validate']);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toContain('1 of them by search, resolved at plan time with credentials');
    const offline = await s.cli(['plan'], {
      CLOUDFLARE_API_TOKEN: '',
      CLOUDFLARE_API_BASE_URL: '',
    });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('resolved at plan time with credentials');
  });

  it('an open window and a window over 30 days are refused with their line', async () => {
    s = await scenario({ messages: mailbox() });
    const yaml = (start: string, end: string) =>
      [
        'version: 1',
        `account_id: ${s?.account}`,
        'releases:',
        '  - search:',
        `      domain: vendor.example`,
        `      start: "${start}"`,
        `      end: "${end}"`,
        '      limit: 5',
        '    reason: payroll mail held by a new rule',
        '',
      ].join('\n');
    await writeFile(join(s.dir, 'releases.yaml'), yaml(START, second(Date.now() + DAY)));
    const future = await s.cli(['plan']);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/releases\.yaml:7:12: .*search\.end.* is in the future/);
    await writeFile(
      join(s.dir, 'releases.yaml'),
      yaml(second(Date.now() - 40 * DAY), second(Date.now() - 2 * DAY)),
    );
    const long = await s.cli(['validate']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/releases\.yaml:7:12: .*38 days after `start`.*at most 30 days/);
    expect(s.emulator.truth().requests).toHaveLength(0);
  });
});
