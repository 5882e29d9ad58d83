// The drift check's report: says how far the cursor got, in text, markdown and JSON, and
// keeps API and file-system text inert.
import { describe, expect, it } from 'vitest';
import {
  type CheckReport,
  checkJsonValue,
  renderCheckMarkdown,
  renderCheckText,
} from '../../src/core/render/check.js';
import { ACCOUNT, messageId } from '../support/factories.js';

const HOSTILE = 'x\n::error::boom\n@org/team <img src=x>';

function report(over: Partial<CheckReport> = {}): CheckReport {
  return {
    resolved: { results: [], notStarted: [], wouldRelease: [], dryRun: false, unverified: [] },
    drift: [],
    checked: 40,
    released: 120,
    accounts: [
      {
        account_id: ACCOUNT,
        released: 120,
        checked: 40,
        from: 40,
        to: 80,
        after: messageId(80),
        wrapped: false,
        passStarted: '2026-11-20T06:17:00.000Z',
        errors: [{ id: messageId(7), message: HOSTILE }],
      },
    ],
    cursor: { path: 'releases.ledger/check-cursor.ndjson', read: 'found', saved: 'saved' },
    requests: { readBack: 4, drift: 296, budget: 300 },
    ...over,
  };
}

describe('check report', () => {
  it('says what was checked, what is left, and where the next run starts', () => {
    const text = renderCheckText(report());
    expect(text).toContain(
      'Checked 40 of 120 released message(s) this run; the rest on the next runs.',
    );
    expect(text).toContain(
      `checked 40 of 120 from message 41; the next run starts at message 81 of 120, after ${messageId(80)} (this pass started 2026-11-20T06:17:00.000Z)`,
    );
    expect(text).toContain('Cursor releases.ledger/check-cursor.ndjson: saved.');
    expect(text).toContain('Requests: 4 read-back, 296 drift, of a budget of 300.');
    const md = renderCheckMarkdown(report());
    expect(md).toContain('the rest on the next runs');
    expect(md).toContain('message 81 of 120');
    expect(checkJsonValue(report()).accounts[0]).toMatchObject({
      from: 40,
      to: 80,
      next_after: messageId(80),
      pass_started: '2026-11-20T06:17:00.000Z',
    });
  });

  it('a pass that ended, and a cursor that could not be read or saved', () => {
    const r = report({
      checked: 120,
      accounts: [
        {
          ...(report().accounts[0] as CheckReport['accounts'][0]),
          to: 0,
          wrapped: true,
          errors: [],
        },
      ].map(({ after: _after, ...a }) => a),
      cursor: {
        path: 'releases.ledger/check-cursor.ndjson',
        read: 'unreadable',
        saved: 'failed',
        message: 'not valid UTF-8 text',
        saveError: HOSTILE,
      },
    });
    const text = renderCheckText(r);
    expect(text).toContain('Checked 120 of 120 released message(s) this run.');
    expect(text).toContain('a pass ended this run; the next run starts from the beginning');
    expect(text).toContain('so this run started from the beginning');
    expect(text).toContain('NOT saved');
  });

  it('keeps error text from the API and the file system inert', () => {
    const r = report({
      cursor: { path: 'x', read: 'damaged', saved: 'failed', message: HOSTILE, saveError: HOSTILE },
      stopped: HOSTILE,
    });
    // Line breaks would let the text start a workflow command.
    expect(renderCheckText(r)).not.toMatch(/^::error::/m);
    const md = renderCheckMarkdown(r);
    expect(md).not.toMatch(/<img|@org\/team|::error::/);
  });

  describe('entries merged but never applied', () => {
    const unapplied = (file = 'releases.yaml'): CheckReport['unapplied'] => ({
      afterHours: 24,
      basis: 'line',
      source: 'the commit that last changed each entry’s id line',
      overdue: 1,
      entries: [
        {
          account_id: ACCOUNT,
          id: messageId(1),
          attempt: 1,
          file,
          line: 12,
          column: 9,
          since: '2026-11-23T00:17:00.000Z',
          commit: 'a'.repeat(40),
          hours: 30,
          overdue: true,
        },
        {
          account_id: ACCOUNT,
          id: messageId(2),
          attempt: 2,
          file,
          line: 15,
          column: 9,
          since: '2026-11-24T04:17:00.000Z',
          hours: 2,
          overdue: false,
          refused: HOSTILE,
        },
      ],
    });

    it('each with its line, age and since when; which are overdue; what to do', () => {
      const text = renderCheckText(report({ unapplied: unapplied() }));
      expect(text).toContain(
        'NOT APPLIED: 2 entries of releases.yaml are not in the ledger at all (merged, never applied); 1 waiting 24 h or more:\n' +
          `  releases.yaml:12:9  ${messageId(1)}  (account ${ACCOUNT}, attempt 1): 30 h, since 2026-11-23T00:17:00.000Z (commit aaaaaaaaaaaa)  OVERDUE\n` +
          `  releases.yaml:15:9  ${messageId(2)}  (account ${ACCOUNT}, retry 2): 2 h, since 2026-11-24T04:17:00.000Z; apply refuses it: `,
      );
      expect(text).toContain(
        '  Since when: the commit that last changed each entry’s id line.\n  Re-run the apply run of the merge that added them (a workflow_dispatch releases nothing new; with the CLI, run apply), or remove from the file what should not be released.\n',
      );
      const md = renderCheckMarkdown(report({ unapplied: unapplied() }));
      expect(md).toContain(
        '> [!CAUTION]\n> 2 entries of `releases.yaml` are not in the ledger at all (merged, never applied); 1 waiting 24 h or more.',
      );
      expect(md).toContain(
        `| \`releases.yaml:12:9\` | \`${messageId(1)}\` | \`${ACCOUNT}\` | 1 | 30 h, since \`2026-11-23T00:17:00.000Z\` (commit \`aaaaaaaaaaaa\`) ⛔ |`,
      );
      expect(checkJsonValue(report({ unapplied: unapplied() })).unapplied).toMatchObject({
        after_hours: 24,
        basis: 'line',
        overdue: 1,
        entries: [
          { id: messageId(1), line: 12, hours: 30, overdue: true, commit: 'a'.repeat(40) },
          { id: messageId(2), attempt: 2, hours: 2, overdue: false, commit: null },
        ],
      });
    });

    it('none: one line saying so, nothing in the summary', () => {
      const none = { ...unapplied(), entries: [], overdue: 0 } as CheckReport['unapplied'];
      expect(renderCheckText(report({ unapplied: none }))).toContain(
        'Not applied: none (every entry of the requests file is in the ledger).\n',
      );
      expect(renderCheckMarkdown(report({ unapplied: none }))).not.toContain('not in the ledger');
    });

    it('a search never applied: named by its text (escaped), no attempt', () => {
      const selector = `subject=${JSON.stringify(HOSTILE)} start=2026-11-01T00:00:00Z end=2026-11-08T00:00:00Z limit=50`;
      const r = report({
        unapplied: {
          afterHours: 24,
          basis: 'line',
          source: 'the commit that last changed each entry’s id line',
          overdue: 1,
          entries: [
            {
              account_id: ACCOUNT,
              selector,
              file: 'releases.yaml',
              line: 20,
              column: 5,
              since: '2026-11-22T06:17:00.000Z',
              hours: 48,
              overdue: true,
            },
          ],
        },
      });
      const text = renderCheckText(r);
      expect(text).toContain(
        `  releases.yaml:20:5  search subject="x\\n:\u200B:error:\u200B:boom\\n@org/team <img src=x>" start=2026-11-01T00:00:00Z end=2026-11-08T00:00:00Z limit=50  (account ${ACCOUNT}, no record of it): 48 h, since 2026-11-22T06:17:00.000Z  OVERDUE\n`,
      );
      expect(text).not.toMatch(/^::error::/m);
      const md = renderCheckMarkdown(r);
      const row = md.split('\n').find((l) => l.startsWith('| `releases.yaml:20:5` |'));
      expect(row).toMatch(/^\| `releases\.yaml:20:5` \| search subject&#61;/);
      expect(row?.split('|')).toHaveLength(7);
      expect(row).toContain(`| \`${ACCOUNT}\` | – | 48 h,`);
      expect(md).not.toMatch(/<img|@org\/team|::error::/);
      expect(checkJsonValue(r).unapplied?.entries[0]).toMatchObject({
        id: null,
        attempt: null,
        selector,
        line: 20,
        overdue: true,
      });
    });

    it('keeps the file name and the refusal text inert', () => {
      const r = report({ unapplied: unapplied(HOSTILE) });
      expect(renderCheckText(r)).not.toMatch(/^::error::/m);
      expect(renderCheckMarkdown(r)).not.toMatch(/<img|@org\/team|::error::/);
    });
  });
});
