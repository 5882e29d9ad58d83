// The sticky pull-request comment: its hidden marker (what apply holds the run to), who may
// set it, and its size, which GitHub caps at 65,536 characters whatever the plan holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountPlan, ToRelease } from '../../src/core/plan/plan.js';
import type { RunResult } from '../../src/core/release/result.js';
import {
  accountComment,
  type CommentStatus,
  findFileComment,
  findStickyComment,
  fixedComment,
  invalidComment,
  isFixedFileComment,
  markerLine,
  parseMarker,
  reviewedPlans,
} from '../../src/core/render/comment.js';
import { COMMENT_MAX_CHARS } from '../../src/core/render/plan-markdown.js';
import type { RunReport } from '../../src/core/render/results.js';
import {
  basisOf,
  MAX_ENTRY_DIGESTS,
  planEntryDigests,
  planFingerprint,
  type RefusalReason,
} from '../../src/core/safety/review.js';
import { ACCOUNT, messageId, request } from '../support/factories.js';

const BOT = 'github-actions[bot]';

function item(n: number, reason = 'false positive', disposition?: string): ToRelease {
  const t: ToRelease = {
    request: request({ id: messageId(n), index: n, line: 4 + 2 * n, reason }),
    attempt: 1,
    resume: false,
    priorActs: 0,
  };
  if (disposition)
    t.message = {
      id: messageId(n),
      quarantined: true,
      releaseRecorded: false,
      disposition,
      subject: reason,
      from: 'a@example.com',
      to: ['b@example.com'],
    };
  return t;
}

function account(items: ToRelease[], reviewed: boolean): AccountPlan {
  return {
    account_id: ACCOUNT,
    to_release: items,
    to_verify: [],
    already_released: [],
    held: [],
    orphaned: [],
    ...(reviewed ? { refused: [], checked: true as const } : {}),
  };
}

const ctx = { file: 'releases.yaml', runUrl: 'https://github.com/o/r/actions/runs/1' };

describe('the comment marker', () => {
  it('carries the fingerprint and each entry’s digest, and reads back', () => {
    const a = account(
      [1, 2, 3].map((n) => item(n, 'x', 'SPAM')),
      true,
    );
    const body = accountComment(a, { kind: 'planned' }, ctx);
    const marker = parseMarker(body);
    expect(marker).toEqual({
      account: ACCOUNT,
      plan: {
        fingerprint: planFingerprint(a, 'dispositions'),
        basis: 'dispositions',
        entries: planEntryDigests(a, 'dispositions'),
      },
    });
    expect(marker?.plan?.entries).toHaveLength(3);
    // Without credentials the plan is on the ids basis, and so are its digests.
    const ids = account(
      [1, 2].map((n) => item(n)),
      false,
    );
    expect(parseMarker(accountComment(ids, { kind: 'planned' }, ctx))?.plan).toMatchObject({
      basis: 'ids',
      entries: planEntryDigests(ids, 'ids'),
    });
  });

  it('an old marker without digests, or a list that is not whole digests, gives the fingerprint only', () => {
    const plan = { fingerprint: 'a'.repeat(32), basis: 'ids' as const };
    expect(parseMarker(markerLine({ account: ACCOUNT, plan }))).toEqual({ account: ACCOUNT, plan });
    const broken = `<!-- quarantine-release account=${ACCOUNT} plan=${'a'.repeat(32)} basis=ids entries=abcdefg -->`;
    expect(parseMarker(broken)).toEqual({ account: ACCOUNT, plan });
    // An empty plan reviewed: no entry may be released under it.
    const empty = markerLine({ account: ACCOUNT, plan: { ...plan, entries: [] } });
    expect(parseMarker(empty)?.plan?.entries).toEqual([]);
  });

  it('only our own comments count: a pasted marker neither is updated nor sets the reviewed plan', () => {
    const ours = accountComment(account([item(1)], false), { kind: 'planned' }, ctx);
    const forged = markerLine({
      account: ACCOUNT,
      plan: { fingerprint: 'f'.repeat(32), basis: 'ids', entries: ['AAAAAAAA'] },
    });
    const comments = [
      { id: 1, body: forged, user: { login: 'mallory' } },
      { id: 2, body: ours, user: { login: BOT } },
      { id: 3, body: `${forged}\nmine`, user: { login: 'github-actions' } },
    ];
    expect(findStickyComment(comments, ACCOUNT, BOT)?.id).toBe(2);
    const reviewed = reviewedPlans(comments, BOT);
    expect([...reviewed.plans.keys()]).toEqual([ACCOUNT]);
    expect(reviewed.plans.get(ACCOUNT)?.fingerprint).toBe(parseMarker(ours)?.plan?.fingerprint);
    expect(reviewed.plans.get(ACCOUNT)?.entries?.has('AAAAAAAA')).toBe(false);
    expect(reviewedPlans([comments[0] as (typeof comments)[number]], BOT).plans.size).toBe(0);
  });

  it('with two of our comments for one account, the reviewed plan is the one being updated', () => {
    const current = accountComment(account([item(1), item(2)], false), { kind: 'planned' }, ctx);
    const stale = accountComment(account([item(3)], false), { kind: 'planned' }, ctx);
    const comments = [
      { id: 7, body: current, user: { login: BOT } },
      { id: 9, body: stale, user: { login: BOT } },
    ];
    expect(findStickyComment(comments, ACCOUNT, BOT)?.id).toBe(7);
    expect(reviewedPlans(comments, BOT).plans.get(ACCOUNT)?.fingerprint).toBe(
      parseMarker(current)?.plan?.fingerprint,
    );
    expect(parseMarker(stale)?.plan?.fingerprint).not.toBe(parseMarker(current)?.plan?.fingerprint);
    // When the first one shows no plan, nothing counts as reviewed, whatever a later copy says.
    const planless = markerLine({ account: ACCOUNT });
    const later = comments[1] as (typeof comments)[number];
    expect(
      reviewedPlans([{ id: 7, body: planless, user: { login: BOT } }, later], BOT).plans.size,
    ).toBe(0);
  });
});

// Text that grows the most when escaped: every character becomes an entity.
const PUNCTUATION = '<>&|`*_[]()#@:.!"\'\\/';
const HOSTILE = [
  '@org/team <img src=x onerror=alert(1)> ```js',
  '::add-mask::secret ##[set-output name=x]y',
  '<!-- quarantine-release --> </details> -->',
  'line one\nline two\r\n\u202Egnp.exe\u001b[31m',
];
const hostileText = (max: number) =>
  fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.string({ maxLength: max }),
    fc
      .integer({ min: 1, max })
      .map((n) => PUNCTUATION.repeat(Math.ceil(n / PUNCTUATION.length)).slice(0, n)),
  );

function unknownResult(n: number, message: string): RunResult {
  return {
    account_id: ACCOUNT,
    id: messageId(n),
    state: 'unknown',
    attempt: 1,
    via: 'release',
    error: { status: 502, message },
  };
}

function report(over: Partial<RunReport>): RunReport {
  return { results: [], notStarted: [], wouldRelease: [], dryRun: false, ...over };
}

describe('the comment stays under GitHub’s limit', () => {
  it('400 unknown results with long errors (70,835 characters before) fit, with a pointer', () => {
    const message =
      'upstream connect error or disconnect/reset before headers. reset reason: connection timeout (x)';
    const a = account(
      Array.from({ length: 400 }, (_, i) => item(i, 'false positive', 'SPAM')),
      true,
    );
    const results = Array.from({ length: 400 }, (_, i) => unknownResult(i, message));
    const body = accountComment(
      a,
      { kind: 'applied', report: report({ results, plan: { accounts: [a] } }) },
      ctx,
    );
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body).toContain('more rows; see the job summary');
    // The marker is whole, first, and still names every entry.
    expect(parseMarker(body)?.plan?.entries).toHaveLength(400);
    expect(body.match(/<details/g)).toHaveLength(body.match(/<\/details>/g)?.length ?? -1);
  });

  it('any plan, results, reasons and link: at most 60,000 characters, marker intact', () => {
    const arbitraryItem = fc
      .record({
        n: fc.integer({ min: 0, max: 100_000 }),
        reason: hostileText(400),
        disposition: fc.option(fc.constantFrom('SPAM', 'BULK', 'MALICIOUS', 'NONE'), {
          nil: undefined,
        }),
      })
      .map(({ n, reason, disposition }) => item(n, reason, disposition));
    const refusal: fc.Arbitrary<RefusalReason> = fc.oneof(
      hostileText(600).map((reason) => ({ kind: 'unchecked' as const, reason })),
      fc.constant({ kind: 'not-reviewed' as const, where: 'on PR #2' }),
    );
    const status: fc.Arbitrary<CommentStatus> = fc.oneof(
      fc.constant({ kind: 'planned' as const }),
      hostileText(5000).map((reason) => ({ kind: 'refused' as const, reason })),
      fc
        .record({
          results: fc.array(
            fc
              .tuple(fc.integer({ min: 0, max: 100_000 }), hostileText(400))
              .map(([n, m]) => unknownResult(n, m)),
            { maxLength: 700, size: 'max' },
          ),
          blocked: fc.option(hostileText(3000), { nil: undefined }),
          stopped: fc.option(hostileText(3000), { nil: undefined }),
          later: fc.nat({ max: 50 }),
        })
        .map(({ results, blocked, stopped, later }) => ({
          kind: 'applied' as const,
          report: report({
            results,
            ...(blocked ? { blocked } : {}),
            ...(stopped ? { stopped } : {}),
            later: Array.from({ length: later }, (_, i) => ({
              account_id: ACCOUNT,
              id: messageId(i),
            })),
          }),
        })),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(arbitraryItem, { maxLength: 60, size: 'max' }),
          // Beyond the digest cap, and a lot of text to cut.
          fc
            .tuple(fc.integer({ min: 300, max: MAX_ENTRY_DIGESTS + 300 }), hostileText(300))
            .map(([n, reason]) => Array.from({ length: n }, (_, i) => item(i, reason, 'SPAM'))),
        ),
        fc.array(fc.tuple(arbitraryItem, refusal), { maxLength: 200, size: 'max' }),
        fc.boolean(),
        status,
        fc.oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 3000 }),
          fc.nat({ max: 5000 }).map((n) => `https://github.com/${'o'.repeat(n)}/actions/runs/1`),
        ),
        fc.boolean(),
        (items, refused, reviewed, st, runUrl, redact) => {
          const a = account(items, reviewed);
          if (reviewed) a.refused = refused.map(([i, reason]) => ({ item: i, reason }));
          const body = accountComment(a, st, {
            file: 'releases.yaml',
            redact,
            ...(runUrl === undefined ? {} : { runUrl }),
          });
          expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
          const basis = basisOf(a);
          const entries = planEntryDigests(a, basis);
          expect(parseMarker(body)).toEqual({
            account: ACCOUNT,
            plan: {
              fingerprint: planFingerprint(a, basis),
              basis,
              ...(entries ? { entries } : {}),
            },
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('the comment about an unreadable file', () => {
  const CTX = { file: 'releases.yaml' };
  const diag = (message: string) => ({
    file: 'releases.yaml',
    line: 1,
    column: 1,
    pointer: '',
    message,
  });
  const invalid = invalidComment([diag('bad')], CTX);
  const fixed = fixedComment(CTX);

  it('is found again whether it says invalid or fixed, and only when it is ours', () => {
    const ours = [{ id: 1, body: invalid, user: { login: BOT } }];
    expect(findFileComment(ours, BOT)?.id).toBe(1);
    expect(findFileComment([{ id: 2, body: fixed, user: { login: BOT } }], BOT)?.id).toBe(2);
    // A requester pasting either marker into their own comment is not us.
    expect(findFileComment([{ id: 3, body: fixed, user: { login: 'mallory' } }], BOT)).toBe(
      undefined,
    );
  });

  it('says fixed by its marker, not by its wording', () => {
    expect(isFixedFileComment({ id: 1, body: fixed })).toBe(true);
    expect(isFixedFileComment({ id: 1, body: invalid })).toBe(false);
    // Wording alone (a diagnostic quoting "It reads again") does not count as fixed.
    const quoting = invalidComment([diag('It reads again')], CTX);
    expect(isFixedFileComment({ id: 1, body: quoting })).toBe(false);
  });
});
