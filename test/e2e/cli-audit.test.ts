// The audit report through the bundled CLI (dist/cli.js), on a generated ledger.
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchText } from '../../src/core/requests/search.js';
import { AUDIT_ACCOUNTS, type ExpectedAudit, writeAuditLedger } from '../support/audit-ledger.js';
import { runDistCli } from '../support/cli.js';
import { messageId, record, shardText } from '../support/factories.js';

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
    for (const row of rows) expect(row.split('|')).toHaveLength(23);
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

describe('quarantine-release audit of releases by search', () => {
  // What apply writes for a search entry (two messages found) and an id entry: the search's
  // pending records carry its selector.
  const selector = searchText({
    sender: 'billing@vendor.example',
    subject: 'Invoice, "Q4" @everyone <img src=x> | =1+1',
    start: '2026-11-01T00:00:00Z',
    end: '2026-11-08T00:00:00Z',
    limit: 50,
  });
  const sent = (n: number, at: string, extra: object) => [
    record({
      id: messageId(n),
      seq: 1,
      state: 'pending',
      at,
      reason: 'vendor invoices',
      requested_by: 'alice@example.com',
      ...extra,
    }),
    record({ id: messageId(n), seq: 2, state: 'released', at, via: 'release' }),
  ];
  const ledger = () => join(dir, 'search.ledger');
  beforeAll(async () => {
    await mkdir(ledger(), { recursive: true });
    await writeFile(
      join(ledger(), '2026-11.jsonl'),
      shardText([
        ...sent(1, '2026-11-20T10:00:00.000Z', { selector }),
        ...sent(2, '2026-11-20T10:00:00.000Z', { selector }),
        ...sent(3, '2026-11-21T10:00:00.000Z', {}),
      ]),
    );
  });

  it('the selector of each attempt in JSON, CSV and markdown; the summary counts search and id attempts', async () => {
    const json = await audit(['--ledger', ledger(), '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const value = JSON.parse(json.stdout) as {
      summary: { by_entry: { id: number; search: number } };
      rows: { id: string; selector: string | null }[];
    };
    expect(value.summary.by_entry).toEqual({ id: 1, search: 2 });
    expect(value.rows.map((r) => [r.id, r.selector])).toEqual([
      [messageId(1), selector],
      [messageId(2), selector],
      [messageId(3), null],
    ]);

    const csv = await audit(['--ledger', ledger(), '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]?.endsWith(',actor,selector')).toBe(true);
    // Quoted (a comma and quotes), quotes doubled; an id entry's cell is empty.
    expect(lines[1]?.endsWith(`,"${selector.replaceAll('"', '""')}"`)).toBe(true);
    expect(lines[3]?.endsWith(',')).toBe(true);

    const md = await audit(['--ledger', ledger(), '--format', 'markdown']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(
      '| entry | attempts |\n| --- | ---: |\n| `id` | 1 |\n| `search` | 2 |',
    );
    const rows = md.stdout.split('\n').filter((l) => l.startsWith('| `2026-11-'));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split('|')).toHaveLength(23);
    expect(rows[0]).toContain('billing&#64;&#8203;vendor');
    expect(md.stdout).not.toMatch(/<img|@everyone|=1\+1/);

    const text = await audit(['--ledger', ledger()]);
    expect(text.stdout).toContain('  entry:        id 1, search 2\n');
    expect(text.stdout).toContain(`; search: sender=billing@vendor.example subject=`);
  });
});
