// The bundled action in `mode: audit`, as a scheduled job runs it: the ledger of the checkout,
// the summary in the job summary, every attempt in the results file; no Cloudflare or GitHub
// call. Against the fake GitHub API (which holds the repository the checkout is made from).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { previousMonth } from '../../src/core/audit/period.js';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import { NODE24, scenarioForThisTest } from '../support/action.js';
import { messageId, OTHER_ACCOUNT, record } from '../support/factories.js';

const HOSTILE_REQUESTER = '@org/team <img src=x onerror=alert(1)> | =cmd';

/** Ledger files (by UTC month) for these records, as apply would have committed them. */
function ledgerFiles(records: LedgerRecord[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const r of records) {
    const path = `releases.ledger/${r.at.slice(0, 7)}.jsonl`;
    files[path] = `${files[path] ?? ''}${serializeRecord(r)}\n`;
  }
  return files;
}

/** Attempts around the month before now: A, B, C and F in it, D before, E after. */
function records(account: string): LedgerRecord[] {
  const { since, until } = previousMonth(new Date());
  const at = (ms: number) => new Date(ms).toISOString();
  const day = 86_400_000;
  const send = (n: number, ms: number, outcome: Partial<LedgerRecord>, who = account) => [
    record({
      account_id: who,
      id: messageId(n),
      seq: 1,
      state: 'pending',
      at: at(ms),
      disposition: 'SPAM',
      reason: '=HYPERLINK("https://evil.example") false positive',
      requested_by: HOSTILE_REQUESTER,
      pull_request: 40 + n,
      approved_by: ['security-lead'],
    }),
    record({ account_id: who, id: messageId(n), seq: 2, at: at(ms + 1_000), ...outcome }),
  ];
  const released = { state: 'released' as const, delivered: ['a@example.com'] };
  return [
    ...send(1, since + day, released),
    ...send(2, since + 2 * day, { state: 'failed', error: { status: 400, message: 'no' } }),
    // Sent just before the month ended, answered in the next one.
    ...send(3, until - 500, released),
    // Sent before the month: not in it, though answered in it.
    ...send(4, since - 500, released),
    // In the future: in no period before today.
    ...send(5, Date.now() + 2 * day, released),
    ...send(6, since + 3 * day, released, OTHER_ACCOUNT),
  ];
}

interface Results {
  period: { since: string; until: string };
  summary: { attempts: number; by_outcome: Record<string, number> };
  rows: { id: string; account_id: string; state: string; requested_by: string }[];
}

describe.concurrent('the action in mode audit', () => {
  it('reports the previous month from the checkout: job summary, results file, no API call', async (t) => {
    const x = await scenarioForThisTest(t);
    x.gh.commitFiles('main', ledgerFiles(records(x.account)), 'ledger');
    const r = await x.run({ event: 'schedule', inputs: { mode: 'audit', 'api-token': '' } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ mode: 'audit', attempts: '4' });
    const results = JSON.parse(
      await readFile(r.outputs['results-file'] as string, 'utf8'),
    ) as Results;
    const { since, until } = previousMonth(new Date());
    expect(results.period).toEqual({
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
    });
    expect(results.rows.map((row) => [row.id, row.state])).toEqual([
      [messageId(1), 'released'],
      [messageId(2), 'failed'],
      [messageId(6), 'released'],
      [messageId(3), 'released'],
    ]);
    expect(results.rows[0]?.requested_by).toBe(HOSTILE_REQUESTER);
    // The summary: counts, the requester escaped.
    expect(r.summary).toContain('### quarantine-release audit');
    expect(r.summary).toContain(': **4**.');
    expect(r.summary).toContain('| released | 3 |');
    expect(r.summary).toContain('| `SPAM` | 4 |');
    expect(r.summary).toContain('&#64;&#8203;org&#47;team &#60;img');
    expect(r.summary).not.toMatch(/<img|@org|\| =cmd/);
    expect(r.stdout).toContain('quarantine-release audit, from ');
    expect(r.github).toEqual([]);
    expect(x.emulator.truth().requests).toEqual([]);
  });

  it('audit-period in days and account-id, on Node 24 as action.yml runs it', async (t) => {
    const x = await scenarioForThisTest(t);
    x.gh.commitFiles('main', ledgerFiles(records(x.account)), 'ledger');
    const r = await x.run({
      event: 'workflow_dispatch',
      node: NODE24,
      inputs: { mode: 'audit', 'audit-period': '3660d', 'account-id': x.account, 'api-token': '' },
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const results = JSON.parse(
      await readFile(r.outputs['results-file'] as string, 'utf8'),
    ) as Results;
    // By the time of their first record: D (before the month) first.
    expect(results.rows.map((row) => row.id)).toEqual([4, 1, 2, 3].map(messageId));
    expect(results.rows.every((row) => row.account_id === x.account)).toBe(true);
  });

  it('a corrupt or torn ledger fails the job with an annotation on the line; a missing one too', async (t) => {
    const x = await scenarioForThisTest(t);
    const files = ledgerFiles(records(x.account));
    const [path, text] = Object.entries(files)[0] as [string, string];
    x.gh.commitFiles('main', { [path]: text.replace(/\n.*\n$/, '\n{"v":1,"id":\n') }, 'broken');
    const r = await x.run({ event: 'schedule', inputs: { mode: 'audit', 'api-token': '' } });
    expect(r.code).toBe(1);
    const lines = text.split('\n').length - 1;
    expect(r.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        file: path,
        line: lines,
        message: 'not a JSON record',
      }),
    );
    expect(r.summary).toContain('quarantine-release audit: cannot read the ledger');
    expect(r.outputs.attempts).toBeUndefined();

    // A cut last line in the repository is damage, not a crash of ours to skip.
    x.gh.commitFiles('main', { [path]: `${text}{"v":1,"acc` }, 'torn');
    const torn = await x.run({ event: 'schedule', inputs: { mode: 'audit', 'api-token': '' } });
    expect(torn.code).toBe(1);
    expect(torn.annotations).toContainEqual(
      expect.objectContaining({
        file: path,
        line: lines + 1,
        message: expect.stringMatching(/^incomplete last line/),
      }),
    );

    const missing = await x.run({
      event: 'schedule',
      inputs: { mode: 'audit', 'api-token': '', 'ledger-path': 'elsewhere' },
    });
    expect(missing.code).toBe(1);
    expect(missing.annotations).toContainEqual(
      expect.objectContaining({
        file: 'elsewhere',
        message: 'the ledger directory does not exist',
      }),
    );
  });

  it('does nothing on a pull request', async (t) => {
    const s = await scenarioForThisTest(t);
    const r = await s.run({
      event: 'pull_request',
      pr: 3,
      inputs: { mode: 'audit', 'api-token': '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs.mode).toBe('none');
    expect(r.stdout).toContain('the audit report does not run on pull requests');
  });
});
