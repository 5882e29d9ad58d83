// The drift check through the bundled CLI against the emulator.
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareCheckOrder } from '../../src/core/check/cursor.js';
import { idTime } from '../../src/core/windows.js';
import { type Scenario, scenario } from '../support/scenario.js';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('check', () => {
  it('finds released messages back in quarantine (exit 1), with a search per time window', async () => {
    s = await scenario();
    const ids = s.quarantined(6);
    await s.writeReleases(ids);
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    const clean = await s.cli(['check']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('No drift');
    expect(clean.stdout).toContain('Checked 6 of 6 released message(s) this run.');

    s.emulator.requarantine(s.account, ids[2] as string);
    const before = s.emulator.truth().requests.length;
    const r = await s.cli(['check', '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.drift.map((d: { id: string }) => d.id)).toEqual([ids[2]]);
    // Searches, not one lookup per message (a message alone in its window is looked up: the
    // same one request, and a certain answer).
    const requests = s.emulator.truth().requests.slice(before);
    expect(requests.every((q) => q.method === 'GET')).toBe(true);
    expect(requests.some((q) => q.path.includes('delivery_status=quarantined'))).toBe(true);
    expect(requests.length).toBeLessThan(ids.length);
    expect(s.releasePostsCount()).toBe(1);
  });

  it('lists entries merged but never applied, aged from the file’s last change; fails once one has waited --unapplied-after-hours (24)', async () => {
    s = await scenario();
    const ids = s.quarantined(3);
    await s.writeReleases(ids.slice(0, 1));
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    // Two more entries merged; no apply ran for them.
    await s.writeReleases(ids);
    const fresh = await s.cli(['check']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain(
      'NOT APPLIED: 2 entries of releases.yaml are not in the ledger at all (merged, never applied); 0 waiting 24 h or more:\n',
    );
    expect(fresh.stdout).toContain(
      `  releases.yaml:6:9  ${ids[1]}  (account ${s.account}, attempt 1): 0 h, since `,
    );
    expect(fresh.stdout).toContain(
      '  Since when: the last change of releases.yaml (its modification time): each entry has waited at least since then.\n',
    );

    const changed = new Date(Date.now() - 30 * 3_600_000);
    await utimes(join(s.dir, 'releases.yaml'), changed, changed);
    const before = s.emulator.truth().requests.length;
    const late = await s.cli(['check', '--format', 'json']);
    expect(late.code).toBe(1);
    const { unapplied } = JSON.parse(late.stdout);
    expect(unapplied).toMatchObject({ after_hours: 24, basis: 'file', overdue: 2 });
    expect(unapplied.entries.map((e: { id: string; hours: number }) => [e.id, e.hours])).toEqual([
      [ids[1], 30],
      [ids[2], 30],
    ]);
    // Only the released message was looked up; nothing was released.
    expect(s.emulator.truth().requests.length - before).toBe(1);
    expect(s.releasePostsCount()).toBe(1);
    expect((await s.cli(['check', '--unapplied-after-hours', '31'])).code).toBe(0);
  });

  it('lists a search merged but never applied until a record carries its text; one that released nothing stays listed', async () => {
    const DAY = 86_400_000;
    const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const at = (queue: string, daysAgo: number) =>
      `${queue}-${second(Date.now() - daysAgo * DAY).slice(0, 19)}-1234`;
    const to = ['someone@corp.example'];
    s = await scenario({
      messages: [
        { id: at('ChkS00001', 3), to, from: 'payroll@vendor.example', subject: 'Payslip' },
        { id: at('ChkS00002', 2), to, from: 'payroll@vendor.example', subject: 'Payslip' },
      ],
    });
    const start = second(Date.now() - 10 * DAY);
    const end = second(Date.now() - DAY);
    const window = [
      `      start: "${start}"`,
      `      end: "${end}"`,
      '      limit: 10',
      '    reason: payroll mail held by a new rule, checked with the vendor',
    ];
    const yaml = (senders: string[]) =>
      [
        'version: 1',
        `account_id: ${s?.account}`,
        'releases:',
        ...senders.flatMap((sender) => ['  - search:', `      sender: ${sender}`, ...window]),
        '',
      ].join('\n');
    const textOf = (sender: string) => `sender=${sender} start=${start} end=${end} limit=10`;
    await writeFile(join(s.dir, 'releases.yaml'), yaml(['payroll@vendor.example']));

    // Merged, never applied: listed by its text and the line of its search: key.
    const fresh = await s.cli(['check']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain(
      'NOT APPLIED: 1 entry of releases.yaml is not in the ledger at all (merged, never applied); 0 waiting 24 h or more:\n',
    );
    expect(fresh.stdout).toContain(
      `  releases.yaml:4:5  search sender=payroll@vendor.example start=`,
    );
    const old = new Date(Date.now() - 30 * 3_600_000);
    await utimes(join(s.dir, 'releases.yaml'), old, old);
    const late = await s.cli(['check', '--format', 'json']);
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout).unapplied).toMatchObject({
      overdue: 1,
      entries: [
        {
          id: null,
          attempt: null,
          selector: textOf('payroll@vendor.example'),
          line: 4,
          hours: 30,
          overdue: true,
        },
      ],
    });
    // The drift check never searches for a search entry, nor releases anything.
    expect(s.releasePostsCount()).toBe(0);

    // Applied: its records carry its text, so it is no longer listed.
    const applied = await s.cli(['apply', '--unreviewed']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(s.releasePostsCount()).toBe(1);
    const done = await s.cli(['check']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain('Not applied: none');

    // A search that finds nothing records nothing: it stays listed, and fails once overdue.
    await writeFile(
      join(s.dir, 'releases.yaml'),
      yaml(['payroll@vendor.example', 'nobody@nowhere.example']),
    );
    const none = await s.cli(['apply', '--unreviewed']);
    expect(none.code, none.stdout + none.stderr).toBe(0);
    expect(s.releasePostsCount()).toBe(1);
    await utimes(join(s.dir, 'releases.yaml'), old, old);
    const stays = await s.cli(['check', '--format', 'json']);
    expect(stays.code).toBe(1);
    expect(
      JSON.parse(stays.stdout).unapplied.entries.map((e: { selector: string; line: number }) => [
        e.selector,
        e.line,
      ]),
    ).toEqual([[textOf('nobody@nowhere.example'), 10]]);
  });

  it('resolves sends with no known outcome and releases nothing', async () => {
    s = await scenario();
    const ids = s.quarantined(2);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'reset_after', route: 'release' }] });
    expect(
      (await s.cli(['apply', '--unreviewed', '--batch-size', '1', '--concurrency', '1'])).code,
    ).toBe(3);
    const r = await s.cli(['check', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(
      json.resolved.results.map((x: { state: string; via: string }) => [x.state, x.via]),
    ).toEqual([['released', 'readback']]);
    expect(s.releasePostsCount()).toBe(2);
    expect([...s.deliveries().values()]).toEqual([1, 1]);
  });

  it('records a pending send proven never released, so apply then sends it without reading back', async () => {
    s = await scenario();
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'reset_before', route: 'release' }] });
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(3);
    const r = await s.cli(['check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await s.states()).get(ids[0] as string)).toMatchObject({
      state: 'pending',
      sent: false,
    });
    const logsBefore = s.emulator
      .truth()
      .requests.filter((q) => q.path.endsWith('/action_log')).length;
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    expect(s.emulator.truth().requests.filter((q) => q.path.endsWith('/action_log')).length).toBe(
      logsBefore,
    );
    expect(s.deliveries().get(ids[0] as string)).toBe(1);
  });

  it('with a small budget, checks part and says so (exit 3); a refused credential is exit 1', async () => {
    s = await scenario({ messagesPerAccount: 200 });
    // Messages at least three days apart: each needs a search window of its own.
    const ids: string[] = [];
    for (const id of s.quarantined(60).sort((a, b) => (idTime(a) ?? 0) - (idTime(b) ?? 0))) {
      const last = ids.at(-1);
      if (last === undefined || (idTime(id) ?? 0) - (idTime(last) ?? 0) >= 3 * 86_400_000)
        ids.push(id);
    }
    expect(ids.length).toBeGreaterThanOrEqual(3);
    await s.writeReleases(ids);
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    const r = await s.cli(['check', '--lookup-budget', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(
        `Checked \\d+ of ${ids.length} released message\\(s\\) this run; the rest on the next runs\\.`,
      ),
    );
    const none = await s.cli(['check'], { CLOUDFLARE_API_TOKEN: '' });
    expect(none.code).toBe(1);
  });

  it('a small budget is carried over runs by the cursor file: in order, round the end, and a damaged file only restarts it', async () => {
    s = await scenario();
    const ids = s.quarantined(3);
    await s.writeReleases(ids);
    expect((await s.cli(['apply', '--unreviewed'])).code).toBe(0);
    const order = [...ids].sort(compareCheckOrder);
    const file = join(s.dir, 'releases.ledger', 'check-cursor.ndjson');
    // Back in quarantine: found by the run whose part of the ledger holds it.
    s.emulator.requarantine(s.account, order[1] as string);

    const runs = [];
    for (let k = 0; k < 3; k++) {
      const r = await s.cli(['check', '--lookup-budget', '1', '--format', 'json']);
      const json = JSON.parse(r.stdout);
      runs.push({ code: r.code, json, file: await readFile(file, 'utf8') });
    }
    expect(runs.map((r) => r.code)).toEqual([3, 1, 3]);
    expect(runs.map((r) => r.json.drift.map((d: { id: string }) => d.id))).toEqual([
      [],
      [order[1]],
      [],
    ]);
    expect(
      runs.map((r) => {
        const { from, to, next_after, wrapped, checked } = r.json.accounts[0];
        return { from, to, next_after, wrapped, checked };
      }),
    ).toEqual([
      { from: 0, to: 1, next_after: order[0], wrapped: false, checked: 1 },
      { from: 1, to: 2, next_after: order[1], wrapped: false, checked: 1 },
      { from: 2, to: 0, next_after: null, wrapped: true, checked: 1 },
    ]);
    expect(runs.map((r) => r.json.cursor.saved)).toEqual(['saved', 'saved', 'saved']);
    expect(runs[0]?.json.cursor.read).toBe('missing');
    const line = JSON.parse(runs[1]?.file ?? '');
    expect(line).toMatchObject({ v: 1, account_id: s.account, after: order[1] });
    expect(JSON.parse(runs[2]?.file ?? '').after).toBeUndefined();

    // A conflict left in the file: the check still runs, from the beginning, and says so.
    await writeFile(file, '<<<<<<< ours\nnot a cursor\n');
    const damaged = await s.cli(['check', '--lookup-budget', '1']);
    expect(damaged.code).toBe(3);
    expect(damaged.stderr).toContain('check-cursor.ndjson');
    expect(damaged.stdout).toContain('partly unreadable');
    expect(damaged.stdout).toContain(`checked 1 of 3 from message 1;`);
    expect(JSON.parse(await readFile(file, 'utf8')).after).toBe(order[0]);

    // A budget for everything: the whole ledger in one run, the drift with it.
    const all = await s.cli(['check']);
    expect(all.code, all.stdout).toBe(1);
    expect(all.stdout).toContain('Checked 3 of 3 released message(s) this run.');
  });
});
