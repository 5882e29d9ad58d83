// Nothing merged goes unnoticed, through the bundled action: the scheduled drift check lists
// the entries of releases.yaml the ledger does not hold at all (their apply run was cancelled
// or never ran), each with how long it has waited since its pull request was merged (GitHub's
// blame of its line; a direct push by its commit's date), and fails once one has waited
// `unapplied-after-hours`. Re-running the apply run of the merge releases it.
import { describe, expect, it } from 'vitest';
import { planAndMerge, scenarioForThisTest } from '../support/action.js';

const HOUR = 3_600_000;
const isBlame = (body: unknown) => JSON.stringify(body ?? '').includes('QuarantineReleaseBlame');

describe.concurrent('the drift check and entries merged but never applied', () => {
  it('lists them with their age from the merge; fails for the one that waited 24 h; a re-run of the cancelled apply clears it', async (t) => {
    const x = await scenarioForThisTest(t);
    const [applied, cancelled, pushed, merged] = x.quarantined(4) as [
      string,
      string,
      string,
      string,
    ];
    const first = await planAndMerge(x, 1, x.releasesYaml([applied]));
    expect((await x.run({ event: 'push', sha: first.sha })).code).toBe(0);
    // PR #2 is merged, and its apply run is cancelled: it never runs.
    const second = await planAndMerge(x, 2, x.releasesYaml([applied, cancelled]));
    // A direct push 30 hours ago (no pull request: apply would release nothing from it).
    const old = new Date(Date.now() - 30 * HOUR).toISOString();
    x.gh.commitFiles(
      'main',
      { 'releases.yaml': x.releasesYaml([applied, cancelled, pushed]) },
      'Add an entry',
      undefined,
      old,
    );
    // A commit written 30 hours ago, merged just now as PR #4: it waited since the merge.
    const late = x.gh.commitFiles(
      'main',
      { 'releases.yaml': x.releasesYaml([applied, cancelled, pushed, merged]) },
      'Merge pull request #4',
      undefined,
      old,
    );
    x.gh.addPullRequest({ number: 4, head: 'feature-4', base: 'main', mergeCommitSha: late });

    const check = await x.run({ event: 'schedule' });
    expect(check.code, check.stdout).toBe(1);
    expect(check.outputs).toMatchObject({ mode: 'check', drift: '0', unapplied: '3' });
    expect(check.stdout).toContain(
      '::error::1 entry of releases.yaml merged but never applied (not in the ledger at all) has waited 24 h or more: re-run the apply run of their merge; see the job summary',
    );
    // Each at its id's line: releasesYaml writes three lines an entry, from line 4.
    const line = (n: number) => `releases.yaml:${4 + 3 * n}:9`;
    expect(check.stdout).toMatch(
      new RegExp(`  ${line(1)}  ${cancelled}  \\(account ${x.account}, attempt 1\\): 0 h, since `),
    );
    expect(check.stdout).toMatch(
      new RegExp(
        `  ${line(2)}  ${pushed}  \\(account ${x.account}, attempt 1\\): 30 h, since .*  OVERDUE`,
      ),
    );
    expect(check.stdout).toMatch(new RegExp(`  ${line(3)}  ${merged}  .*: 0 h, since `));
    expect(check.stdout).not.toMatch(new RegExp(`${line(3)}.*OVERDUE`));
    expect(check.stdout).toContain("Since when: the commit that last changed each entry's line");
    expect(check.summary).toContain('> [!CAUTION]\n> 3 entries of `releases.yaml` are not');
    expect(check.summary).toContain(`| \`${line(2)}\` | \`${pushed}\``);
    // One GraphQL query for the blame; nothing released.
    const blames = check.github.filter((q) => isBlame(q.body));
    expect(blames).toHaveLength(1);
    expect(x.releasePosts()).toBe(1);

    // A higher threshold: listed, not failed. Re-running PR #2's apply releases its entry.
    const patient = await x.run({ event: 'schedule', inputs: { 'unapplied-after-hours': '31' } });
    expect(patient.code, patient.stdout).toBe(0);
    expect(patient.outputs.unapplied).toBe('3');
    const rerun = await x.run({ event: 'push', sha: second.sha });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.outputs).toMatchObject({ released: '1', later: '2' });
    const after = await x.run({ event: 'schedule', inputs: { 'unapplied-after-hours': '31' } });
    expect(after.outputs.unapplied).toBe('2');
    expect(after.stdout).not.toContain(`${cancelled}  (account`);
  });

  it('a search pushed 30 h ago and never applied: listed by its text at its search: line, overdue', async (t) => {
    const x = await scenarioForThisTest(t);
    const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const start = second(Date.now() - 10 * 24 * HOUR);
    const end = second(Date.now() - 24 * HOUR);
    const yaml = [
      'version: 1',
      `account_id: ${x.account}`,
      'releases:',
      '  - search:',
      '      sender: payroll@vendor.example',
      '      subject: "Payslip <img src=x> @org/team"',
      `      start: "${start}"`,
      `      end: "${end}"`,
      '      limit: 10',
      '    reason: payroll mail held by a new rule, checked with the vendor',
      '',
    ].join('\n');
    const old = new Date(Date.now() - 30 * HOUR).toISOString();
    x.gh.commitFiles('main', { 'releases.yaml': yaml }, 'Add a search', undefined, old);

    const check = await x.run({ event: 'schedule' });
    expect(check.code, check.stdout).toBe(1);
    expect(check.outputs).toMatchObject({ mode: 'check', unapplied: '1' });
    expect(check.stdout).toContain(
      `  releases.yaml:4:5  search sender=payroll@vendor.example subject="Payslip <img src=x> @org/team" start=${start} end=${end} limit=10  (account ${x.account}, no record of it): 30 h, since `,
    );
    expect(check.stdout).toMatch(/no record of it\): 30 h, since .* {2}OVERDUE/);
    expect(check.summary).toContain('| `releases.yaml:4:5` | search sender&#61;payroll');
    expect(check.summary).not.toMatch(/<img|@org\/team/);
    expect(check.github.filter((q) => isBlame(q.body))).toHaveLength(1);
    expect(x.releasePosts()).toBe(0);
  });

  it('nothing unapplied: no blame query, and the report says so', async (t) => {
    const s = await scenarioForThisTest(t);
    const ids = s.quarantined(1);
    const { sha } = await planAndMerge(s, 1, s.releasesYaml(ids));
    expect((await s.run({ event: 'push', sha })).code).toBe(0);
    const check = await s.run({ event: 'schedule' });
    expect(check.code, check.stdout).toBe(0);
    expect(check.outputs.unapplied).toBe('0');
    expect(check.stdout).toContain(
      'Not applied: none (every entry of the requests file is in the ledger).',
    );
    expect(check.github.filter((q) => isBlame(q.body))).toEqual([]);
  });
});
