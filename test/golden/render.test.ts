// Golden files for what people read: the pull-request comments, the job summaries and the
// terminal output, rendered from one plan built by the real pure core (load, fold, plan,
// check against Cloudflare). A wording change shows up as a diff in test/golden/*.md|txt;
// review it, then accept it with `npx vitest run test/golden -u`.

import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/ids.js';
import { plan } from '../../src/core/plan/plan.js';
import { expandSearches, withSearches } from '../../src/core/plan/selectors.js';
import type { RunResult } from '../../src/core/release/result.js';
import { accountComment, fixedComment, invalidComment } from '../../src/core/render/comment.js';
import { renderPlanText } from '../../src/core/render/plan-text.js';
import { type RunReport, renderRunText } from '../../src/core/render/results.js';
import { applySummaryMarkdown, planSummaryMarkdown } from '../../src/core/render/summary.js';
import { loadReleases } from '../../src/core/requests/load.js';
import {
  DEFAULT_GUARDED_DISPOSITIONS,
  type Inspection,
  screenPlan,
} from '../../src/core/safety/screen.js';
import { ACCOUNT, foldRecords, record, stored } from '../support/factories.js';

const FILE = 'releases.yaml';
const RUN = 'https://github.com/acme/mail-releases/actions/runs/42';
const ID = {
  invoice: 'Q000000000A1-2026-11-02T10:00:00-10000001',
  payroll: 'Q000000000A2-2026-11-02T10:05:00-10000002',
  phish: 'Q000000000A3-2026-11-02T10:10:00-10000003',
  ceo: 'Q000000000A4-2026-11-02T10:15:00-10000004',
  gone: 'Q000000000A5-2026-11-02T10:20:00-10000005',
  done: 'Q000000000A6-2026-11-01T09:00:00-10000006',
  retry: 'Q000000000A7-2026-11-01T09:30:00-10000007',
};

// Hostile text is part of the fixture: it must come out inert in every golden file.
const RELEASES = `version: 1
account_id: ${ACCOUNT}
releases:
  - id: ${ID.invoice}
    reason: Vendor invoice from a known supplier, false positive
    ticket: SEC-1234
    requested_by: alice@example.com
  - id: ${ID.payroll}
    reason: "Payroll notice | @security-team please look <img src=x>"
  - id: ${ID.phish}
    reason: The sender says it is fine
  - id: ${ID.ceo}
    reason: CEO confirmed by phone
    acknowledge: MALICIOUS-BEC
    ticket: SEC-1240
  - id: ${ID.gone}
    reason: Already deleted by the user?
  - id: ${ID.done}
    reason: Released last week
  - id: ${ID.retry}
    reason: Mailbox was full for one recipient
    retry: 2
`;

function message(id: string, disposition: string, subject: string) {
  return {
    id,
    quarantined: true,
    releaseRecorded: false,
    disposition,
    subject,
    from: 'billing@supplier.example',
    to: ['ap@acme.example'],
  };
}

function fixture() {
  const loaded = loadReleases(RELEASES, FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const ledger = foldRecords([
    stored(record({ id: ID.done, seq: 1, state: 'released', delivered: ['ap@acme.example'] })),
    stored(
      record({
        id: ID.retry,
        seq: 1,
        state: 'partial',
        delivered: ['ap@acme.example'],
        undelivered: ['full@acme.example'],
      }),
      '2026-11.jsonl',
      2,
    ),
  ]);
  const planned = plan(loaded.value, ledger);
  const inspections = new Map<string, Inspection>([
    [
      messageKey(ACCOUNT, ID.invoice),
      { kind: 'found', message: message(ID.invoice, 'SPAM', 'Invoice 2026-118') },
    ],
    [
      messageKey(ACCOUNT, ID.payroll),
      { kind: 'found', message: message(ID.payroll, 'BULK', 'Your payslip | **November**') },
    ],
    [
      messageKey(ACCOUNT, ID.phish),
      {
        kind: 'found',
        message: message(ID.phish, 'MALICIOUS', 'Reset your password @ http://evil.example'),
      },
    ],
    [
      messageKey(ACCOUNT, ID.ceo),
      { kind: 'found', message: message(ID.ceo, 'MALICIOUS-BEC', 'Urgent wire transfer') },
    ],
    [messageKey(ACCOUNT, ID.gone), { kind: 'not-found' }],
    [
      messageKey(ACCOUNT, ID.retry),
      {
        kind: 'found',
        message: message(ID.retry, 'SPAM', 'Quarterly report'),
        releases: 1,
      },
    ],
  ]);
  const checked = screenPlan(planned, inspections, { guarded: DEFAULT_GUARDED_DISPOSITIONS });
  return { planned, checked };
}

function runReport(): RunReport & { plan: ReturnType<typeof fixture>['checked'] } {
  const { checked } = fixture();
  const results: RunResult[] = [
    {
      account_id: ACCOUNT,
      id: ID.invoice,
      state: 'released',
      attempt: 1,
      via: 'release',
      delivered: ['ap@acme.example'],
    },
    {
      account_id: ACCOUNT,
      id: ID.payroll,
      state: 'partial',
      attempt: 1,
      via: 'release',
      delivered: ['hr@acme.example'],
      undelivered: ['former@acme.example'],
    },
    {
      account_id: ACCOUNT,
      id: ID.ceo,
      state: 'unknown',
      attempt: 1,
      via: 'not-sent',
      error: { status: 504, message: 'gateway timeout <b>' },
    },
    {
      account_id: ACCOUNT,
      id: ID.retry,
      state: 'failed',
      attempt: 2,
      via: 'release',
      failed: ['full@acme.example'],
    },
  ];
  return {
    results,
    notStarted: [],
    wouldRelease: [],
    dryRun: false,
    plan: checked,
  };
}

// Release by search: two searches, one resolved (a message also asked for by id, one
// acknowledged as SPOOF), one over its limit; its subject is hostile text.
const SEARCHES = `version: 1
account_id: ${ACCOUNT}
releases:
  - id: ${ID.invoice}
    reason: Vendor invoice from a known supplier, false positive
  - search:
      domain: supplier.example
      start: "2026-11-01T00:00:00Z"
      end: "2026-11-03T00:00:00Z"
      limit: 20
    reason: Supplier mail held by the new rule on November 1
    acknowledge: SPOOF
    ticket: SEC-1300
  - search:
      subject: "Payslip | <img src=x> @payroll-team"
      start: "2026-11-01T00:00:00Z"
      end: "2026-11-30T00:00:00Z"
      limit: 5
    reason: Payslips held by mistake
`;

function searchFixture() {
  const loaded = loadReleases(SEARCHES, FILE, { now: Date.parse('2026-12-01T00:00:00Z') });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const found = [
    message(ID.invoice, 'SPAM', 'Invoice 2026-118'),
    message(ID.payroll, 'SPAM', 'Statement for November'),
    message(ID.phish, 'SPOOF', 'Payment details changed'),
  ];
  const offline = expandSearches(loaded.value, undefined);
  const unchecked = withSearches(plan(offline.file, foldRecords([])), offline.outcomes);
  const resolved = expandSearches(
    loaded.value,
    new Map([
      [1, { kind: 'found', messages: found }],
      [2, { kind: 'over-limit', found: 6 }],
    ]),
  );
  const planned = withSearches(plan(resolved.file, foldRecords([])), resolved.outcomes);
  const inspections = new Map<string, Inspection>(
    found.map((m) => [messageKey(ACCOUNT, m.id), { kind: 'found', message: m }]),
  );
  const checked = screenPlan(planned, inspections, { guarded: DEFAULT_GUARDED_DISPOSITIONS });
  return { unchecked, checked };
}

const golden = (name: string) => `./${name}`;

describe('what people read', () => {
  const { planned, checked } = fixture();
  const account = checked.accounts[0];
  if (!account) throw new Error('no account in the fixture');
  const ctx = { file: FILE, runUrl: RUN };

  it('the plan comment on the pull request', async () => {
    await expect(accountComment(account, { kind: 'planned' }, ctx)).toMatchFileSnapshot(
      golden('plan-comment.md'),
    );
  });

  it('the results comment after merge', async () => {
    const report = runReport();
    await expect(accountComment(account, { kind: 'applied', report }, ctx)).toMatchFileSnapshot(
      golden('results-comment.md'),
    );
  });

  it('the comment when apply refused the run', async () => {
    const status = {
      kind: 'refused' as const,
      reason: 'the plan differs from the reviewed one: entry 2 changed after approval',
    };
    await expect(accountComment(account, status, ctx)).toMatchFileSnapshot(
      golden('refused-comment.md'),
    );
  });

  it('the comment when the file does not read, and once it reads again', async () => {
    const bad = loadReleases(`version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: [\n`, FILE);
    if (bad.ok) throw new Error('expected the file to be invalid');
    await expect(invalidComment(bad.errors, ctx)).toMatchFileSnapshot(golden('invalid-comment.md'));
    await expect(fixedComment(ctx)).toMatchFileSnapshot(golden('fixed-comment.md'));
  });

  it('the job summary of the plan run', async () => {
    await expect(planSummaryMarkdown(checked, { file: FILE })).toMatchFileSnapshot(
      golden('plan-summary.md'),
    );
  });

  it('the job summary of the apply run, redacted for a public repository', async () => {
    await expect(
      applySummaryMarkdown(runReport(), { file: FILE, redact: true, unreviewed: true }),
    ).toMatchFileSnapshot(golden('apply-summary-redacted.md'));
  });

  it('the terminal: plan before the Cloudflare check, and after, and the run', async () => {
    await expect(renderPlanText(planned, { file: FILE })).toMatchFileSnapshot(
      golden('plan-unchecked.txt'),
    );
    await expect(renderPlanText(checked, { file: FILE })).toMatchFileSnapshot(
      golden('plan-checked.txt'),
    );
    await expect(renderRunText(runReport())).toMatchFileSnapshot(golden('run.txt'));
  });

  it('release by search: the plan comment, and the terminal without and with credentials', async () => {
    const { unchecked, checked: searched } = searchFixture();
    const one = searched.accounts[0];
    if (!one) throw new Error('no account in the search fixture');
    await expect(accountComment(one, { kind: 'planned' }, ctx)).toMatchFileSnapshot(
      golden('plan-comment-search.md'),
    );
    await expect(renderPlanText(unchecked, { file: FILE })).toMatchFileSnapshot(
      golden('plan-search-unchecked.txt'),
    );
    await expect(renderPlanText(searched, { file: FILE })).toMatchFileSnapshot(
      golden('plan-search-checked.txt'),
    );
  });
});
