// Release by search (issue 14): the `search:` entry as loaded and validated, its canonical
// text, how its messages become requests, and how plan, scope, review and the ledger treat them.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/core/diagnostics.js';
import { serializeRecord } from '../../src/core/ledger/record.js';
import { plan } from '../../src/core/plan/plan.js';
import { scopeOf, withinScope } from '../../src/core/plan/scope.js';
import {
  expandSearches,
  type SearchAnswer,
  searchProblems,
  searchStatusText,
  withSearches,
} from '../../src/core/plan/selectors.js';
import type { MessageView } from '../../src/core/release/readback.js';
import { RecordMaker } from '../../src/core/release/records.js';
import { markerLine, parseMarker } from '../../src/core/render/comment.js';
import { loadReleases, type ReleasesFile } from '../../src/core/requests/load.js';
import {
  parseWindowTime,
  searchParams,
  searchText,
  windowProblem,
} from '../../src/core/requests/search.js';
import { holdToReview, planEntryDigests, planSearchCounts } from '../../src/core/safety/review.js';
import { screenPlan } from '../../src/core/safety/screen.js';
import {
  ACCOUNT,
  foldRecords,
  messageId,
  parseShard,
  record,
  stored,
} from '../support/factories.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function yaml(search: string[], extra: string[] = []): string {
  return [
    'version: 1',
    `account_id: ${ACCOUNT}`,
    'releases:',
    `  - id: ${messageId(1)}`,
    '    reason: false positive, checked',
    '  - search:',
    ...search.map((l) => `      ${l}`),
    '    reason: payroll mail held by a new rule',
    ...extra.map((l) => `    ${l}`),
    '',
  ].join('\n');
}

const WINDOW = ['start: "2026-11-01T00:00:00Z"', 'end: "2026-11-02T00:00:00+02:00"'];

function load(text: string): ReleasesFile {
  const r = loadReleases(text, 'releases.yaml', { now: NOW });
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return r.value;
}

function errors(text: string, now = NOW): string[] {
  const r = loadReleases(text, 'releases.yaml', { now });
  return r.ok ? [] : r.errors.map(formatDiagnostic);
}

describe('search entries: loading', () => {
  it('maps a search entry apart from the id entries, times in UTC, with its canonical text', () => {
    const file = load(
      yaml(
        ['sender: payroll@vendor.example', ...WINDOW, 'subject: "Pay \\"slip\\""', 'limit: 50'],
        ['acknowledge: SPOOF', 'ticket: SEC-1'],
      ),
    );
    expect(file.releases.map((r) => r.id)).toEqual([messageId(1)]);
    expect(file.searches).toEqual([
      {
        account_id: ACCOUNT,
        search: {
          sender: 'payroll@vendor.example',
          subject: 'Pay "slip"',
          start: '2026-11-01T00:00:00Z',
          end: '2026-11-01T22:00:00Z',
          limit: 50,
        },
        text: 'sender=payroll@vendor.example subject="Pay \\"slip\\"" start=2026-11-01T00:00:00Z end=2026-11-01T22:00:00Z limit=50',
        reason: 'payroll mail held by a new rule',
        acknowledge: 'SPOOF',
        ticket: 'SEC-1',
        index: 1,
        line: 6,
        column: 5,
        // Its five criteria, on lines 7 to 11: the last line that dates it.
        lastLine: 11,
      },
    ]);
  });

  it('asks the search API for quarantined messages, detections or not, with the filters given', () => {
    const [s] =
      load(yaml(['domain: vendor.example', ...WINDOW, 'disposition: SPAM', 'limit: 5'])).searches ??
      [];
    expect(searchParams(s?.search as never)).toEqual({
      start: '2026-11-01T00:00:00Z',
      end: '2026-11-01T22:00:00Z',
      delivery_status: 'quarantined',
      detections_only: 'false',
      domain: 'vendor.example',
      final_disposition: 'SPAM',
    });
  });

  it('refuses each mistake with file:line:col and why', () => {
    const cases: [string[], string[], RegExp][] = [
      [
        ['sender: a@b.example', 'start: "2026-11-01T00:00:00Z"', 'limit: 5'],
        [],
        /^releases\.yaml:7:7: .*missing required key `end`: a search covers a closed time window/,
      ],
      [
        [
          'sender: a@b.example',
          'start: "2026-10-01T00:00:00Z"',
          'end: "2026-11-01T00:00:01Z"',
          'limit: 5',
        ],
        [],
        /^releases\.yaml:9:12: .*search\.end` is 32 days after `start`: a search window spans at most 30 days/,
      ],
      [
        [
          'sender: a@b.example',
          'start: "2026-11-02T00:00:00Z"',
          'end: "2026-11-01T00:00:00Z"',
          'limit: 5',
        ],
        [],
        /^releases\.yaml:9:12: .*must be after `start`/,
      ],
      [
        [
          'sender: a@b.example',
          'start: "2026-11-30T00:00:00Z"',
          'end: "2026-12-02T00:00:00Z"',
          'limit: 5',
        ],
        [],
        /^releases\.yaml:9:12: .*2026-12-02T00:00:00Z is in the future \(now 2026-12-01T12:00:00Z\)/,
      ],
      [
        [
          'sender: a@b.example',
          'start: "2026-02-30T00:00:00Z"',
          'end: "2026-03-02T00:00:00Z"',
          'limit: 5',
        ],
        [],
        /^releases\.yaml:8:14: .*search\.start` "2026-02-30T00:00:00Z" is not a real date/,
      ],
      [
        ['sender: a@b.example', 'domain: b.example', ...WINDOW, 'limit: 5'],
        [],
        /^releases\.yaml:8:7: .*has both `sender` and `domain`/,
      ],
      [
        [...WINDOW, 'limit: 5'],
        [],
        /^releases\.yaml:7:7: .*needs a `sender`, a `domain` or a `subject`/,
      ],
      [
        ['sender: a@b.example', ...WINDOW, 'limit: 5'],
        ['retry: 2'],
        /^releases\.yaml:12:5: .*`releases\[1\]\.retry` cannot be used with `search`: retry the messages one by one/,
      ],
      [
        ['sender: a@b.example', ...WINDOW, 'limit: 5'],
        [`id: ${messageId(2)}`],
        /^releases\.yaml:12:5: .*has both `id` and `search`/,
      ],
      [
        ['sender: a@b.example', ...WINDOW, 'limit: 10001'],
        [],
        /^releases\.yaml:10:14: .*must be between 1 and 10,000/,
      ],
      [['sender: a@b.example', ...WINDOW], [], /missing required key `limit`/],
      [['sender: "Payroll <a@b.example>"', ...WINDOW, 'limit: 5'], [], /is not an email address/],
      [
        ['sender: a@b.example', 'start: 2026-11-01', 'end: "2026-11-02T00:00:00Z"', 'limit: 5'],
        [],
        /is not a date and time: expected RFC 3339 with a zone/,
      ],
    ];
    for (const [search, extra, expected] of cases) {
      const found = errors(yaml(search, extra));
      expect(found.length, `${search.join(', ')}: ${found.join('\n')}`).toBeGreaterThan(0);
      expect(found.join('\n'), search.join(', ')).toMatch(expected);
    }
  });

  it('refuses the same search twice for an account', () => {
    const text = `${yaml(['sender: a@b.example', ...WINDOW, 'limit: 5'])}${[
      '  - search:',
      '      limit: 5',
      '      end: "2026-11-01T22:00:00Z"',
      '      start: "2026-11-01T00:00:00Z"',
      '      sender: a@b.example',
      '    reason: the same, written again',
      '',
    ].join('\n')}`;
    expect(errors(text).join('\n')).toMatch(
      /releases\.yaml:12:5: .*releases\[2\] is the same search as releases\[1\] at line 6:5/,
    );
  });

  it('without `now`, only the window itself is checked (validate and plan pass one)', () => {
    const text = yaml([
      'sender: a@b.example',
      'start: "2099-01-01T00:00:00Z"',
      'end: "2099-01-02T00:00:00Z"',
      'limit: 5',
    ]);
    expect(loadReleases(text, 'releases.yaml').ok).toBe(true);
    expect(errors(text).join('\n')).toMatch(/is in the future/);
  });

  it('times: real dates only, offsets applied; windows forward and at most 30 days', () => {
    expect(parseWindowTime('2026-02-29T00:00:00Z')).toBeUndefined();
    expect(parseWindowTime('2028-02-29T00:00:00Z')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    expect(parseWindowTime('2026-11-01T02:00:00+02:00')).toBe(Date.parse('2026-11-01T00:00:00Z'));
    const day = 86_400_000;
    expect(windowProblem(0, 30 * day)).toBeUndefined();
    expect(windowProblem(0, 30 * day + 1000)).toMatch(/31 days/);
    expect(windowProblem(5, 5)).toMatch(/after `start`/);
    expect(
      searchText({ domain: 'x.example', start: 'S', end: 'E', limit: 3, disposition: 'BULK' }),
    ).toBe('domain=x.example disposition=BULK start=S end=E limit=3');
  });
});

const view = (id: string, disposition = 'SPAM'): MessageView => ({
  id,
  quarantined: true,
  releaseRecorded: false,
  disposition,
});

describe('search entries: resolved to requests', () => {
  const file = () =>
    load(yaml(['sender: a@b.example', ...WINDOW, 'limit: 3'], ['acknowledge: MALICIOUS']));

  it('each message found becomes a request carrying the search; one already asked for is not asked twice', () => {
    const bare = messageId(1).split('-')[0] as string;
    const answers = new Map<number, SearchAnswer>([
      [1, { kind: 'found', messages: [view(messageId(3)), view(`${bare}`), view(messageId(2))] }],
    ]);
    const { file: expanded, outcomes } = expandSearches(file(), answers);
    expect(expanded.releases.map((r) => [r.id, r.selector ?? null, r.acknowledge ?? null])).toEqual(
      [
        [messageId(1), null, null],
        [messageId(2), expect.stringContaining('sender=a@b.example'), 'MALICIOUS'],
        [messageId(3), expect.stringContaining('sender=a@b.example'), 'MALICIOUS'],
      ],
    );
    expect(expanded.releases[1]).toMatchObject({ index: 1, line: 6, column: 5 });
    expect(outcomes[0]?.status).toEqual({ kind: 'resolved', found: 3, planned: 2, duplicates: 1 });
  });

  it('over its limit, failed or unresolved: no request, and the plan says so', () => {
    for (const answer of [
      { kind: 'over-limit', found: 4 },
      { kind: 'failed', why: 'the search failed: HTTP 500' },
      undefined,
    ] as (SearchAnswer | undefined)[]) {
      const answers = answer ? new Map([[1, answer]]) : undefined;
      const { file: expanded, outcomes } = expandSearches(file(), answers);
      expect(expanded.releases).toHaveLength(1);
      const planned = withSearches(plan(expanded, foldRecords([])), outcomes);
      expect(planned.accounts[0]?.searches?.[0]?.status.kind).toBe(answer?.kind ?? 'unresolved');
      expect(searchProblems(planned).map((p) => p.kind)).toEqual(
        answer === undefined ? [] : [answer.kind === 'over-limit' ? 'search-refused' : 'unchecked'],
      );
    }
  });

  it('a guarded disposition found by a search goes only on the entry acknowledgement; every id counts', () => {
    const noAck = load(yaml(['sender: a@b.example', ...WINDOW, 'limit: 3']));
    const answers = new Map<number, SearchAnswer>([
      [1, { kind: 'found', messages: [view(messageId(2), 'MALICIOUS'), view(messageId(3))] }],
    ]);
    const reviewed = (f: ReleasesFile) => {
      const { file: expanded } = expandSearches(f, answers);
      const p = plan(expanded, foldRecords([]));
      const inspections = new Map(
        [messageId(1), messageId(2), messageId(3)].map((id) => [
          `${ACCOUNT}/${id}`,
          { kind: 'found' as const, message: view(id, id === messageId(2) ? 'MALICIOUS' : 'SPAM') },
        ]),
      );
      return screenPlan(p, inspections, { guarded: ['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF'] });
    };
    const without = reviewed(noAck).accounts[0];
    expect(without?.refused?.map((r) => [r.item.request.id, r.reason.kind])).toEqual([
      [messageId(2), 'needs-acknowledgement'],
    ]);
    expect(without?.to_release).toHaveLength(2);
    const withAck = reviewed(file()).accounts[0];
    expect(withAck?.refused).toEqual([]);
    expect(withAck?.to_release).toHaveLength(3);
  });
});

describe('search entries: ledger, plan, scope and review', () => {
  const text = yaml(['sender: a@b.example', ...WINDOW, 'limit: 3']);
  const selector = 'sender=a@b.example start=2026-11-01T00:00:00Z end=2026-11-01T22:00:00Z limit=3';

  it('a pending record names its selector; the ledger reads it back', () => {
    const { file: expanded } = expandSearches(
      load(text),
      new Map([[1, { kind: 'found', messages: [view(messageId(2))] }]]),
    );
    const item = {
      request: expanded.releases[1] as never,
      attempt: 1,
      resume: false,
      priorActs: 0,
    };
    const maker = new RecordMaker(foldRecords([]), {}, () => new Date(NOW));
    const line = serializeRecord(maker.pending(ACCOUNT, item, '2026-12-01T12:05:00Z'));
    expect(JSON.parse(line).selector).toBe(selector);
    const parsed = parseShard(`${line}\n`, '2026-12.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records[0]?.record.selector).toBe(selector);
  });

  it('a message the search released is neither planned again nor orphaned when the search no longer finds it', () => {
    const ledger = foldRecords(
      [
        record({ id: messageId(2), seq: 1, state: 'pending', selector }),
        record({ id: messageId(2), seq: 2, state: 'released' }),
        record({ id: messageId(9), seq: 1, state: 'released' }),
      ].map((r, i) => stored(r, '2026-11.jsonl', i + 1)),
    );
    // Unresolved (no credentials), and resolved to nothing: the same either way.
    for (const answers of [undefined, new Map([[1, { kind: 'found', messages: [] } as const]])]) {
      const { file: expanded, outcomes } = expandSearches(load(text), answers);
      const p = withSearches(plan(expanded, ledger), outcomes).accounts[0];
      expect(p?.orphaned.map((o) => o.id)).toEqual([messageId(9)]);
      expect(p?.to_release.map((i) => i.request.id)).toEqual([messageId(1)]);
    }
    // Found again (still shown as quarantined): already released, not sent twice.
    const { file: expanded } = expandSearches(
      load(text),
      new Map([[1, { kind: 'found', messages: [view(messageId(2))] }]]),
    );
    const p = plan(expanded, ledger).accounts[0];
    expect(p?.already_released.map((i) => i.request.id)).toEqual([messageId(2)]);
  });

  it('a search changed after the pushed commit is a later entry: its messages wait', () => {
    const pushed = load(text);
    const widened = load(text.replace('limit: 3', 'limit: 30'));
    const answers = new Map([[1, { kind: 'found', messages: [view(messageId(2))] } as const]]);
    const inScope = withinScope(
      plan(expandSearches(pushed, answers).file, foldRecords([])),
      scopeOf(pushed),
    );
    expect(inScope.later).toEqual([]);
    const later = withinScope(
      plan(expandSearches(widened, answers).file, foldRecords([])),
      scopeOf(pushed),
    );
    expect(later.later).toEqual([{ account_id: ACCOUNT, id: messageId(2) }]);
    expect(later.plan.accounts[0]?.to_release.map((i) => i.request.id)).toEqual([messageId(1)]);
  });

  it('entry digests pin the resolved ids: a message found after the review is refused as not reviewed', () => {
    const f = load(text);
    const at = (ids: number[]) => {
      const answers = new Map([
        [1, { kind: 'found', messages: ids.map((n) => view(messageId(n))) } as const],
      ]);
      const p = plan(expandSearches(f, answers).file, foldRecords([]));
      const inspections = new Map(
        [1, ...ids].map((n) => [
          `${ACCOUNT}/${messageId(n)}`,
          { kind: 'found' as const, message: view(messageId(n)) },
        ]),
      );
      return screenPlan(p, inspections, { guarded: ['MALICIOUS', 'MALICIOUS-BEC'] })
        .accounts[0] as never;
    };
    const reviewedAccount = at([2, 3]);
    const entries = new Set(planEntryDigests(reviewedAccount, 'dispositions'));
    const later = holdToReview(at([2, 3, 4]), {
      requirePlan: true,
      expected: new Map([[ACCOUNT, { fingerprint: 'x', basis: 'dispositions', entries }]]),
      reviewedOn: 'on PR #7',
    });
    expect(later.to_release.map((i) => i.request.id)).toEqual([1, 2, 3].map(messageId));
    expect(later.refused?.map((r) => [r.item.request.id, r.reason.kind])).toEqual([
      [messageId(4), 'not-reviewed'],
    ]);
  });
});

describe('search entries: the comment marker', () => {
  it('carries how many messages each search would release; counts that do not read whole are ignored', () => {
    const searches = new Map([
      ['AbCd_-12', 3],
      ['zzzzzzzz', 0],
    ]);
    const line = markerLine({
      account: ACCOUNT,
      plan: { fingerprint: 'a'.repeat(32), basis: 'dispositions', entries: ['12345678'], searches },
    });
    expect(line).toBe(
      `<!-- quarantine-release account=${ACCOUNT} plan=${'a'.repeat(32)} basis=dispositions entries=12345678 searches=AbCd_-12.3,zzzzzzzz.0 -->`,
    );
    expect(parseMarker(line)?.plan?.searches).toEqual(searches);
    const broken = line.replace('.3,', '.x,');
    expect(parseMarker(broken)?.plan?.searches).toBeUndefined();
    expect(parseMarker(broken)?.plan?.entries).toEqual(['12345678']);
  });

  it('apply says how many reviewed messages of a search it did not find again', () => {
    const f = load(yaml(['sender: a@b.example', ...WINDOW, 'limit: 3']));
    const checked = (ids: number[]) => {
      const answers = new Map([
        [1, { kind: 'found', messages: ids.map((n) => view(messageId(n))) } as const],
      ]);
      const { file: expanded, outcomes } = expandSearches(f, answers);
      const p = withSearches(plan(expanded, foldRecords([])), outcomes);
      const inspections = new Map(
        [1, ...ids].map((n) => [
          `${ACCOUNT}/${messageId(n)}`,
          { kind: 'found' as const, message: view(messageId(n)) },
        ]),
      );
      return screenPlan(p, inspections, { guarded: ['MALICIOUS', 'MALICIOUS-BEC'] })
        .accounts[0] as never;
    };
    const reviewed = checked([2, 3]);
    const counts = planSearchCounts(reviewed);
    expect([...(counts?.values() ?? [])]).toEqual([2]);
    const held = holdToReview(checked([3]), {
      requirePlan: true,
      expected: new Map([
        [
          ACCOUNT,
          {
            fingerprint: 'x',
            basis: 'dispositions',
            entries: new Set(planEntryDigests(reviewed, 'dispositions')),
            searches: counts,
          },
        ],
      ]),
    });
    expect(held.searches?.[0]?.status).toMatchObject({
      kind: 'resolved',
      found: 1,
      reviewed: 2,
      missing: 1,
    });
    expect(searchStatusText(held.searches?.[0]?.status as never)).toBe(
      '1 message(s) in quarantine; 1 of the 2 the reviewed plan listed were not found again (they left quarantine, or were moved or deleted, since): nothing is sent for them',
    );
  });
});
