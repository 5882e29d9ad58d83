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
});
