// Release safety in the bundled action: the plan comment shows each message (redacted on public
// repositories), malicious mail is refused without an acknowledgement, the merge releases only
// the plan that was reviewed, the scheduled check finds drift, and one job per account runs in
// parallel without losing each other's ledger records.
import { describe, expect, it } from 'vitest';
import { compareCheckOrder } from '../../src/core/check/cursor.js';
import { DEFAULT_TOKEN, demoFixtures, HOSTILE_SUBJECT } from '../../src/emulator/index.js';
import { plainOctokit, repo } from '../fake-github/helpers.js';
import { expectOnlyOwnCommands } from '../hostile/fixtures/harness.js';
import { GH_TOKEN, mergePr, openPr, planAndMerge, scenarioForThisTest } from '../support/action.js';
import { LEDGER_KEY } from '../support/sealed.js';

describe.concurrent('plan comment with message details', () => {
  it('shows subjects and senders (private repository), refused malicious mail first, escaped', async (t) => {
    const s = await scenarioForThisTest(t);
    const f = demoFixtures(1, s.account);
    const sha = openPr(s, 1, s.releasesYaml([f.hostileSubject, f.scriptSender, f.malicious]));
    const r = await s.run({ event: 'pull_request', pr: 1, sha, private: true });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ 'to-release': '2', refused: '1' });
    const body = s.gh.comments(1)[0]?.body ?? '';
    expect(body.indexOf('Refused')).toBeLessThan(body.indexOf('To release'));
    expect(body).toContain('⚠️ MALICIOUS');
    expect(body).toContain(
      `add \`acknowledge: MALICIOUS\``.replace(/`/g, '&#96;').replace(':', '&#58;&#8203;'),
    );
    expect(body).toContain('Invoice');
    // The hostile subject and sender name are inert in the comment, summary and log.
    for (const text of [body, r.summary]) {
      expect(text).not.toMatch(/<(img|script)/);
      expect(text).not.toMatch(/@org\/team/);
      expect(text).not.toContain('```js');
    }
    // The log shows the subject with its `::` broken by a zero-width space, so it cannot end
    // or start a workflow command anywhere on its line; the only commands are the action's
    // own (its two masks, the annotation).
    expect(HOSTILE_SUBJECT).toContain('::add-mask::secret');
    expect(r.stdout).toContain(
      'Invoice @org/team <img src=x> ```js :\u200b:add-mask:\u200b:secret',
    );
    expect(r.stdout).not.toContain('::add-mask::secret');
    expectOnlyOwnCommands(r.stdout, [DEFAULT_TOKEN, GH_TOKEN, LEDGER_KEY]);
  });

  it('a public repository hides subjects and addresses, in the comment and the summary', async (t) => {
    const s = await scenarioForThisTest(t);
    const f = demoFixtures(1, s.account);
    const sha = openPr(s, 2, s.releasesYaml([f.hostileSubject, f.spam]));
    const r = await s.run({ event: 'pull_request', pr: 2, sha, private: false });
    expect(r.code).toBe(0);
    const body = s.gh.comments(2)[0]?.body ?? '';
    for (const text of [body, r.summary]) {
      expect(text).not.toContain('Invoice');
      expect(text).toContain('subject and addresses hidden');
      expect(text).toContain('SPAM');
    }
  });
});

describe.concurrent('merge: the plan reviewed is the plan released', () => {
  it('releases the reviewed plan; malicious mail with its acknowledgement goes too', async (t) => {
    const s = await scenarioForThisTest(t);
    const f = demoFixtures(1, s.account);
    const yaml = s.releasesYaml([f.spam, f.malicious], { [f.malicious]: 'acknowledge: MALICIOUS' });
    await s.run({ event: 'pull_request', pr: 3, sha: openPr(s, 3, yaml) });
    const r = await s.run({ event: 'push', sha: mergePr(s, 3, yaml) });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ released: '2', refused: '0' });
    expect(
      s.ledgerLines().find((l) => l.id === f.malicious && l.state === 'pending'),
    ).toMatchObject({
      disposition: 'MALICIOUS',
      acknowledge: 'MALICIOUS',
    });
  });

  it('a message reclassified after the review is refused alone; the rest of the reviewed plan is released', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const yaml = s.releasesYaml(ids);
    await s.run({ event: 'pull_request', pr: 4, sha: openPr(s, 4, yaml) });
    const merge = mergePr(s, 4, yaml);
    // Not a guarded disposition: only the review of the plan can catch the change.
    const was = s.emulator.messages(s.account).find((m) => m.details.id === ids[1]);
    const now = was?.details.final_disposition === 'BULK' ? 'SPAM' : 'BULK';
    s.emulator.reclassify(s.account, ids[1] as string, now);
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ released: '1', refused: '1' });
    expect(r.stdout).toContain(
      `refused  ${ids[1]}  not in the plan reviewed on PR #4 (its disposition or attempt differs, or it was added later)`,
    );
    expect([...s.deliveries().keys()]).toEqual([ids[0]]);
    const comment = s.gh.comments(4)[0]?.body ?? '';
    expect(comment).toContain('✅ Applied on merge');
    expect(comment).toContain('not in the plan reviewed on PR');
    // The comment now carries the plan as applied: a re-run of the merge still refuses it.
    const again = await s.run({ event: 'push', sha: merge });
    expect(again.code).toBe(1);
    expect(again.outputs).toMatchObject({ released: '0', refused: '1' });
    expect(s.releasePosts()).toBe(1);
  });

  it('a comment without entry digests (an older version) still holds the merge to the whole plan', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(2);
    const yaml = s.releasesYaml(ids);
    await s.run({ event: 'pull_request', pr: 8, sha: openPr(s, 8, yaml) });
    const comment = s.gh.comments(8)[0];
    const old = comment?.body.replace(/ entries=[A-Za-z0-9_-]*/, '') ?? '';
    expect(old).not.toBe(comment?.body);
    // The bot's comment as an earlier version wrote it: edited with the bot's own token.
    await plainOctokit(s.gh).rest.issues.updateComment({
      ...repo,
      comment_id: comment?.id ?? 0,
      body: old,
    });
    const merge = mergePr(s, 8, s.releasesYaml([...ids, ...s.quarantined(3).slice(2)]));
    const r = await s.run({ event: 'push', sha: merge });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('differs from the one reviewed on PR #8');
    expect(s.releasePosts()).toBe(0);
  });

  it('a dry run fails the step when a message would be refused or the run is blocked, and passes when all would go', async (t) => {
    const s = await scenarioForThisTest(t);
    const f = demoFixtures(1, s.account);
    const { sha: merge } = await planAndMerge(s, 9, s.releasesYaml([f.spam, f.malicious]));
    const dry = await s.run({ event: 'push', sha: merge, inputs: { 'dry-run': 'true' } });
    expect(dry.code, dry.stdout).toBe(1);
    expect(dry.stdout).toContain(
      '::error::dry run: 1 message(s) would be refused (see the job summary); nothing was sent',
    );
    expect(dry.outputs.refused).toBe('1');

    const { sha: fine } = await planAndMerge(s, 10, s.releasesYaml([f.spam, f.bulk]));
    const blocked = await s.run({
      event: 'push',
      sha: fine,
      inputs: { 'dry-run': 'true', 'max-releases': '1' },
    });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(
      /::error::dry run: nothing would be released: 2 messages would be released, more than the limit of 1/,
    );
    const ok = await s.run({ event: 'push', sha: fine, inputs: { 'dry-run': 'true' } });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain(`would release ${f.spam}`);
    expect(s.releasePosts()).toBe(0);
    expect(s.ledgerLines()).toEqual([]);
  });

  it('refuses a merge over max-releases unless forced', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(3);
    const { sha: merge } = await planAndMerge(s, 5, s.releasesYaml(ids));
    const r = await s.run({ event: 'push', sha: merge, inputs: { 'max-releases': '2' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('more than the limit of 2 per run');
    expect(s.releasePosts()).toBe(0);
    const forced = await s.run({
      event: 'push',
      sha: merge,
      inputs: { 'max-releases': '2', force: 'true' },
    });
    expect(forced.code, forced.stdout).toBe(0);
    expect(forced.outputs.released).toBe('3');
  });
});

describe.concurrent('scheduled drift check', () => {
  it('fails with the drifted messages in the summary, and commits resolutions', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(3);
    const { sha: merge } = await planAndMerge(s, 6, s.releasesYaml(ids));
    expect((await s.run({ event: 'push', sha: merge })).code).toBe(0);
    const clean = await s.run({ event: 'schedule' });
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.outputs).toMatchObject({ mode: 'check', drift: '0' });

    s.emulator.requarantine(s.account, ids[1] as string);
    const r = await s.run({ event: 'schedule' });
    expect(r.code).toBe(1);
    expect(r.outputs.drift).toBe('1');
    expect(r.summary).toContain(ids[1]);
    expect(s.releasePosts()).toBe(1);
  });

  it('a small budget: two check runs (schedule, then mode: check) check different parts, the cursor committed between them', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(3);
    const { sha: merge } = await planAndMerge(s, 8, s.releasesYaml(ids));
    expect((await s.run({ event: 'push', sha: merge })).code).toBe(0);
    const cursorFile = 'releases.ledger/check-cursor.ndjson';
    const checked = [...ids].sort(compareCheckOrder);

    const first = await s.run({ event: 'schedule', inputs: { 'lookup-budget': '1' } });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ mode: 'check', drift: '0', checked: '1' });
    expect(first.summary).toContain(
      'Checked 1 of 3 released message(s) this run; the rest on the next runs.',
    );
    expect(JSON.parse(s.gh.readFile(cursorFile) ?? '')).toMatchObject({
      account_id: s.account,
      after: checked[0],
      run: 'https://github.com/octo-org/mail-releases/actions/runs/1003',
    });
    // A commit of the cursor alone: the ledger and the requests are as the apply left them.
    const [cursorCommit, before] = s.gh.commits('main');
    expect(cursorCommit?.message).toContain('drift check cursor');
    expect({ ...cursorCommit?.files, [cursorFile]: undefined }).toEqual({
      ...before?.files,
      [cursorFile]: undefined,
    });

    // The second run starts where the first stopped: it finds the message back in quarantine.
    s.emulator.requarantine(s.account, checked[1] as string);
    const second = await s.run({
      event: 'workflow_dispatch',
      inputs: { mode: 'check', 'lookup-budget': '1' },
    });
    expect(second.code).toBe(1);
    expect(second.outputs).toMatchObject({ mode: 'check', drift: '1', checked: '1' });
    expect(second.summary).toContain(checked[1]);
    expect(second.summary).not.toContain(checked[0]);
    expect(JSON.parse(s.gh.readFile(cursorFile) ?? '').after).toBe(checked[1]);
  });
});

describe.concurrent('several accounts', () => {
  it('one job per account in parallel: plans, comments and outcomes never mix, no record lost', async (t) => {
    const accounts = ['023e105f4ecef8ad9ca31a8372d0c353', '9a7806061c88ada191ed06f989cc3dac'];
    const s = await scenarioForThisTest(t, { emulator: { accounts } });
    const [a, b] = accounts as [string, string];
    const idsA = s.emulator
      .messages(a)
      .filter((m) => m.details.is_quarantined && m.details.final_disposition === 'SPAM')
      .slice(0, 2)
      .map((m) => m.details.id);
    const idsB = s.emulator
      .messages(b)
      .filter((m) => m.details.is_quarantined && m.details.final_disposition === 'BULK')
      .slice(0, 2)
      .map((m) => m.details.id);
    const yaml = [
      'version: 1',
      `account_id: ${a}`,
      'releases:',
      ...idsA.map((id) => `  - id: ${id}\n    reason: false positive for account A`),
      ...idsB.map(
        (id) => `  - id: ${id}\n    reason: false positive for account B\n    account_id: ${b}`,
      ),
      '',
    ].join('\n');
    await s.run({ event: 'pull_request', pr: 7, sha: openPr(s, 7, yaml) });
    expect(s.gh.comments(7).map((c) => c.body.match(/account=([0-9a-f]{32})/)?.[1])).toEqual([
      a,
      b,
    ]);
    const merge = mergePr(s, 7, yaml);
    const [ra, rb] = await Promise.all([
      s.run({ event: 'push', sha: merge, inputs: { 'account-id': a } }),
      s.run({ event: 'push', sha: merge, inputs: { 'account-id': b } }),
    ]);
    expect(ra?.code, ra?.stdout).toBe(0);
    expect(rb?.code, rb?.stdout).toBe(0);
    expect(ra?.outputs.released).toBe('2');
    expect(rb?.outputs.released).toBe('2');
    const lines = s.ledgerLines();
    expect(
      lines
        .filter((l) => l.account_id === a)
        .map((l) => l.state)
        .sort(),
    ).toEqual(['pending', 'pending', 'released', 'released']);
    expect(
      lines
        .filter((l) => l.account_id === b)
        .map((l) => l.state)
        .sort(),
    ).toEqual(['pending', 'pending', 'released', 'released']);
    expect(s.deliveries().size).toBe(4);
    // Each job edited only its own account's comment.
    const bodies = s.gh.comments(7).map((c) => c.body);
    expect(bodies[0]).toContain(idsA[0]);
    expect(bodies[0]).not.toContain(idsB[0]);
    expect(bodies[1]).toContain(idsB[0]);
    expect(bodies.every((body) => body.includes('✅ Applied on merge'))).toBe(true);
  });
});
