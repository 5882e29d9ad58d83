// Release safety through the bundled CLI against the emulator's seeded mailbox: reviewers see
// the messages, malicious mail needs an acknowledgement, the plan reviewed is the plan
// released, and a run that is too big is refused as a whole.
import { afterEach, describe, expect, it } from 'vitest';
import { demoFixtures } from '../../src/emulator/index.js';
import { type Scenario, scenario } from '../support/scenario.js';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('plan: reviewers see the messages', () => {
  it('with credentials: details of each message, refusals first, a fingerprint, exit 1', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([
      f.spam,
      f.malicious,
      f.released,
      f.missing[0] as string,
      f.hostileSubject,
    ]);
    const r = await s.cli(['plan']);
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out.indexOf('REFUSED')).toBeLessThan(out.indexOf('+ release'));
    expect(out).toMatch(
      new RegExp(
        `x REFUSED  ${f.malicious}  final disposition MALICIOUS: add \`acknowledge: MALICIOUS\``,
      ),
    );
    expect(out).toContain(`x REFUSED  ${f.released}  already released outside this repository`);
    expect(out).toContain(`x REFUSED  ${f.missing[0]}  no such message in this account`);
    expect(out).toMatch(new RegExp(`\\+ release  ${f.spam}[^\\n]*\\n\\s+SPAM · "[^"]+" · from `));
    // The hostile subject is text: one line, no workflow command.
    expect(out).toContain('Invoice @org/team <img src=x> ```js :');
    expect(out).not.toContain('::add-mask::');
    expect(out).toMatch(/Fingerprint of [0-9a-f]{32}: [0-9a-f]{32}\n/);
    expect(s.releasePostsCount()).toBe(0);
    expect(await s.ledger()).toEqual([]);
  });

  it('without credentials: nothing is looked up, and it says so', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([f.spam, f.malicious]);
    const r = await s.cli(['plan'], { CLOUDFLARE_API_TOKEN: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Messages were not looked up');
    expect(r.stdout).toContain('(ids only: nothing was looked up)');
    expect(s.emulator.truth().requests).toEqual([]);
  });

  it('--redact hides subjects and addresses; markdown is escaped', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([f.hostileSubject, f.scriptSender]);
    const redacted = await s.cli(['plan', '--redact']);
    expect(redacted.stdout).not.toContain('Invoice');
    expect(redacted.stdout).toContain('subject and addresses hidden');
    const md = await s.cli(['plan', '--format', 'markdown']);
    expect(md.stdout).not.toMatch(/<(img|script)/);
    expect(md.stdout).not.toContain('@org');
    expect(md.stdout).toContain('Invoice');
  });
});

describe('apply: malicious mail needs an acknowledgement', () => {
  it('refuses malicious, spoofed and missing messages, releases the rest, exits 1', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([
      f.spam,
      f.malicious,
      f.maliciousBec,
      f.spoof,
      f.bulk,
      f.missing[0] as string,
    ]);
    const r = await s.cli(['apply', '--unreviewed', '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.results.map((x: { id: string }) => x.id)).toEqual([f.spam, f.bulk]);
    expect(
      json.refused.map((x: { id: string; reason: { kind: string } }) => [x.id, x.reason.kind]),
    ).toEqual([
      [f.malicious, 'needs-acknowledgement'],
      [f.maliciousBec, 'needs-acknowledgement'],
      [f.spoof, 'needs-acknowledgement'],
      [f.missing[0], 'not-found'],
    ]);
    expect([...s.deliveries().keys()].sort()).toEqual([f.spam, f.bulk].sort());
  });

  it('releases it with `acknowledge` naming its disposition, recorded in the ledger', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([f.malicious, f.spoof], {
      [f.malicious]: 'acknowledge: MALICIOUS',
      [f.spoof]: 'acknowledge: MALICIOUS',
    });
    // The default reason is long enough; the spoof is acknowledged as the wrong disposition.
    const r = await s.cli(['apply', '--unreviewed', '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.results.map((x: { id: string; state: string }) => [x.id, x.state])).toEqual([
      [f.malicious, 'released'],
    ]);
    expect(json.refused[0]).toMatchObject({
      id: f.spoof,
      reason: { kind: 'acknowledgement-mismatch', disposition: 'SPOOF' },
    });
    const pending = (await s.ledger()).find((l) => l.id === f.malicious && l.state === 'pending');
    expect(pending).toMatchObject({ disposition: 'MALICIOUS', acknowledge: 'MALICIOUS' });
  });

  it('re-checks right before releasing: a message reclassified since the plan is refused', async () => {
    s = await scenario();
    const ids = s.quarantined(2);
    await s.writeReleases(ids);
    const planned = await s.cli(['plan']);
    expect(planned.code).toBe(0);
    const fingerprint = /Fingerprint of [0-9a-f]{32}: ([0-9a-f]{32})/.exec(
      planned.stdout,
    )?.[1] as string;
    s.emulator.reclassify(s.account, ids[1] as string, 'MALICIOUS');

    // Held to the reviewed plan: a different plan releases nothing at all.
    const held = await s.cli([
      'apply',
      '--unreviewed',
      '--fingerprint',
      fingerprint,
      '--format',
      'json',
    ]);
    expect(held.code).toBe(1);
    expect(JSON.parse(held.stdout).blocked).toMatch(
      /^the plan for account [0-9a-f]{32} differs from the plan whose fingerprint was given \(fingerprint/,
    );
    expect(s.deliveries().size).toBe(0);

    // Without a fingerprint the changed message is refused, the other released.
    const r = await s.cli(['apply', '--unreviewed', '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.results.map((x: { id: string }) => x.id)).toEqual([ids[0]]);
    expect(json.refused[0]).toMatchObject({ id: ids[1], disposition: 'MALICIOUS' });
  });

  it('the reviewed fingerprint releases exactly that plan', async () => {
    s = await scenario();
    const ids = s.quarantined(3);
    await s.writeReleases(ids);
    const fingerprint = /: ([0-9a-f]{32})\n/.exec((await s.cli(['plan'])).stdout)?.[1] as string;
    const r = await s.cli(['apply', '--unreviewed', '--fingerprint', fingerprint]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(s.deliveries().size).toBe(3);
  });
});

describe('apply: a fingerprint printed without credentials', () => {
  it('is accepted: it covers the ids and attempts, and apply still checks every message', async () => {
    s = await scenario();
    const f = demoFixtures(1, s.account);
    await s.writeReleases([f.spam, f.bulk]);
    const planned = await s.cli(['plan'], { CLOUDFLARE_API_TOKEN: '' });
    const fingerprint = /Fingerprint of [0-9a-f]{32}: ([0-9a-f]{32}) \(ids only/.exec(
      planned.stdout,
    )?.[1] as string;
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    // Another plan (one message more to release) is still refused as a whole.
    const more = s.quarantined(5).find((id) => id !== f.spam && id !== f.bulk) as string;
    await s.writeReleases([f.spam, f.bulk, more]);
    const other = await s.cli([
      'apply',
      '--unreviewed',
      '--fingerprint',
      fingerprint,
      '--format',
      'json',
    ]);
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout).blocked).toMatch(/differs from the plan whose fingerprint/);
    expect(s.deliveries().size).toBe(0);

    await s.writeReleases([f.spam, f.bulk]);
    const r = await s.cli([
      'apply',
      '--unreviewed',
      '--fingerprint',
      `${s.account}:${fingerprint}`,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect([...s.deliveries().keys()].sort()).toEqual([f.spam, f.bulk].sort());
  });
});

describe('apply: guard rails', () => {
  it('refuses a run over --max-releases as a whole, unless --force', async () => {
    s = await scenario();
    const ids = s.quarantined(4);
    await s.writeReleases(ids);
    const r = await s.cli(['apply', '--unreviewed', '--max-releases', '3', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).blocked).toBe(
      '4 messages would be released, more than the limit of 3 per run: nothing was released. Check the plan, then raise the limit or force it',
    );
    expect(s.releasePostsCount()).toBe(0);
    expect(await s.ledger()).toEqual([]);
    const forced = await s.cli(['apply', '--unreviewed', '--max-releases', '3', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(s.deliveries().size).toBe(4);
  });

  it('a message that could not be checked within the lookup budget is refused, not released', async () => {
    s = await scenario();
    // Too few ids for a search to pay: each needs its own lookup.
    const ids = s.quarantined(3);
    await s.writeReleases(ids);
    const r = await s.cli(['apply', '--unreviewed', '--lookup-budget', '2', '--format', 'json']);
    // Exit 3, not 1: the message could not be checked this run (a later run checks it).
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.results).toHaveLength(2);
    expect(json.refused).toMatchObject([
      { id: ids[2], reason: { kind: 'unchecked', reason: 'lookup budget used up for this run' } },
    ]);
    // The next run checks and releases it.
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    expect(s.deliveries().size).toBe(3);
  });

  it('checking 2,000 messages before releasing them costs a few search pages, not 2,000 lookups', async () => {
    s = await scenario({ messagesPerAccount: 4000 });
    const ids = s.quarantined(2000);
    await s.writeReleases(ids);
    const r = await s.cli([
      'apply',
      '--unreviewed',
      '--max-releases',
      '2000',
      '--search-page-size',
      '1000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(s.deliveries().size).toBe(2000);
    const requests = s.emulator.truth().requests;
    const searches = requests.filter((q) => q.method === 'GET' && q.path.includes('?'));
    const lookups = requests.filter((q) => q.method === 'GET' && !q.path.includes('?'));
    // About 3,400 quarantined messages over the mailbox's two weeks: 4 pages of 1,000, and
    // at most one more for the second cursor (concurrency 2).
    expect(searches.length).toBeLessThanOrEqual(5);
    expect(lookups).toHaveLength(0);
    expect(s.releasePostsCount()).toBe(20);
    expect(r.stderr).toContain(
      `Checked with ${searches.length} search page(s), 0 lookup(s) and 0 action log(s)`,
    );
  });

  it('refuses --require-ack without MALICIOUS', async () => {
    s = await scenario();
    await s.writeReleases(s.quarantined(1));
    const r = await s.cli(['apply', '--unreviewed', '--require-ack', 'SPOOF']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must include MALICIOUS and MALICIOUS-BEC');
  });
});
