// The audit report through the bundled CLI (dist/cli.js), on a generated ledger.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACCOUNTS, type ExpectedAudit, writeAuditLedger } from '../support/audit-ledger.js';
import { runDistCli } from '../support/cli.js';

const HOSTILE = [
  '=HYPERLINK("https://evil.example","click") @org/team <img src=x onerror=alert(1)> | x',
  '-cmd|" /C calc"!A0\nsecond line',
  '@everyone ::add-mask::x',
];

let dir: string;
let expected: ExpectedAudit;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qr-audit-'));
  expected = await writeAuditLedger(join(dir, 'releases.ledger'), {
    records: 6_000,
    reasons: HOSTILE,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const audit = (args: string[]) => runDistCli(['audit', ...args], { cwd: dir });

interface AuditJson {
  period: { since: string | null; until: string | null };
  summary: {
    attempts: number;
    by_outcome: Record<string, number>;
    by_month: Record<string, number>;
    by_disposition: Record<string, number>;
  };
  rows: { reason: string; first_at: string; account_id: string; approved_by: string[] | null }[];
}

describe('quarantine-release audit', () => {
  it('reports every attempt of the ledger as one line of JSON, with the summary', async () => {
    const r = await audit(['--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd()).not.toContain('\n');
    const json = JSON.parse(r.stdout) as AuditJson;
    expect(json.period).toEqual({ since: null, until: null });
    expect(json.summary.attempts).toBe(expected.attempts);
    expect(json.summary.by_outcome).toEqual(expected.by_outcome);
    expect(json.summary.by_month).toEqual(expected.by_month);
    expect(json.rows).toHaveLength(expected.attempts);
    // In time order; the hostile reasons kept as recorded.
    const times = json.rows.map((row) => row.first_at);
    expect([...times].sort()).toEqual(times);
    expect(json.rows[0]?.reason).toBe(HOSTILE[0]);
    expect(new Set(json.rows.map((row) => row.reason))).toEqual(new Set(expected.reasons));
    expect(json.rows[0]?.approved_by).toBeNull();
  });

  it('CSV: RFC 4180 lines, formulas neutralised; the same attempts', async () => {
    const r = await audit(['--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('first_at,last_at,account_id,id,attempt,state,')).toBe(true);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    // One reason holds a line break (inside quotes): one more line than records.
    const lines = r.stdout.split('\r\n').slice(0, -1);
    const broken = lines.filter((l) => l.includes('\n')).length;
    expect(lines).toHaveLength(expected.attempts + 1);
    expect(broken).toBeGreaterThanOrEqual(50);
    expect(r.stdout).toContain(`"'=HYPERLINK(""https://evil.example"",""click"") @org/team`);
    expect(r.stdout).toContain(`"'-cmd|"" /C calc""!A0\nsecond line"`);
    expect(r.stdout).toContain(`,'@everyone ::add-mask::x,`);
    expect(r.stdout).not.toMatch(/(^|,)[=+@-]/m);
  });

  it("a period by the time of each attempt's first record, and an account", async () => {
    const r = await audit([
      '--format',
      'json',
      '--summary-only',
      '--since',
      '2026-03-01',
      '--until',
      '2026-04-01T00:00:00Z',
      '--account',
      AUDIT_ACCOUNTS[0],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as AuditJson & { accounts: string[] };
    expect(json.period).toEqual({
      since: '2026-03-01T00:00:00.000Z',
      until: '2026-04-01T00:00:00.000Z',
    });
    expect(json.accounts).toEqual([AUDIT_ACCOUNTS[0]]);
    expect(json.summary.attempts).toBe(expected.by_month_first_account['2026-03']);
    expect(json.summary.by_month).toEqual({
      '2026-03': expected.by_month_first_account['2026-03'],
    });
    expect(json).not.toHaveProperty('rows');
  });

  it('markdown: the summary and the table, every hostile cell escaped', async () => {
    const r = await audit([
      '--format',
      'markdown',
      '--since',
      '2026-01-01',
      '--until',
      '2026-01-15',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^### quarantine-release audit\n/);
    expect(r.stdout).toContain('| outcome | attempts |');
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| `2026-01-'));
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows) expect(row.split('|')).toHaveLength(22);
    expect(r.stdout).not.toMatch(/<img|@org|@everyone|::add-mask|="|\]\(/);
  });

  it('text by default, and --summary-only', async () => {
    const r = await audit(['--summary-only']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^quarantine-release audit, from the first record to the last record: ${expected.attempts} release attempts\n`,
      ),
    );
    expect(r.stdout).toContain(
      `  outcome:      released ${expected.by_outcome.released}, partial ${expected.by_outcome.partial},`,
    );
  });

  it('a corrupt line is refused with its file and line (exit 1), a torn last line is skipped with a warning', async () => {
    const shard = join(dir, 'releases.ledger', '2026-06.jsonl');
    const original = await readFile(shard, 'utf8');
    try {
      const lines = original.split('\n');
      lines[4] = '{"v":1,"account_id":';
      await writeFile(shard, lines.join('\n'));
      const bad = await audit(['--format', 'csv']);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain(`${shard}:5:1: not a JSON record`);
      expect(bad.stderr).toContain('nothing is reported until it is repaired');

      await writeFile(shard, original);
      await appendFile(shard, '{"v":1,"account_id":"023e');
      const torn = await audit(['--format', 'json', '--summary-only']);
      expect(torn.code, torn.stderr).toBe(0);
      expect(torn.stderr).toMatch(/warning: .*2026-06\.jsonl: ignoring an incomplete last line/);
      expect(JSON.parse(torn.stdout).summary.attempts).toBe(expected.attempts);
    } finally {
      await writeFile(shard, original);
    }
  });

  it('a missing ledger directory is an error (exit 1); usage errors exit 2', async () => {
    const missing = await audit(['--ledger', 'nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `${join(dir, 'nowhere')}:1:1: the ledger directory does not exist`,
    );
    for (const args of [
      ['--since', '2026-02-30'],
      ['--until', 'last week'],
      ['--since', '2026-02-01', '--until', '2026-02-01'],
      ['--format', 'csv', '--summary-only'],
      ['--format', 'xml'],
      ['--account', 'ACME'],
    ]) {
      const r = await audit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const help = await audit(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('(inclusive)');
    expect(help.stdout).toContain('(exclusive)');
  });
});
