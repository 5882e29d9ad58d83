import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/ids.js';
import { plan } from '../../src/core/plan/plan.js';
import { refusalText } from '../../src/core/plan/refusals.js';
import type { MessageView } from '../../src/core/release/readback.js';
import { renderAccountMarkdown } from '../../src/core/render/plan-markdown.js';
import { renderPlanText } from '../../src/core/render/plan-text.js';
import { loadReleases } from '../../src/core/requests/load.js';
import {
  entryDigest,
  holdToReview,
  MAX_ENTRY_DIGESTS,
  matchesFingerprint,
  planEntryDigests,
  planFingerprint,
} from '../../src/core/safety/review.js';
import {
  ACKNOWLEDGEABLE_DISPOSITIONS,
  DEFAULT_GUARDED_DISPOSITIONS,
  guardedListProblem,
  type Inspection,
  screenPlan,
} from '../../src/core/safety/screen.js';
import { REPO } from '../support/cli.js';
import {
  ACCOUNT,
  foldRecords,
  messageId,
  record,
  releasesFile,
  request,
  stored,
} from '../support/factories.js';

const guarded = { guarded: DEFAULT_GUARDED_DISPOSITIONS };
const view = (id: string, over: Partial<MessageView> = {}): MessageView => ({
  id,
  quarantined: true,
  releaseRecorded: false,
  disposition: 'SPAM',
  subject: 'Quarterly report',
  from: 'auditor@example.com',
  fromName: 'The Auditors',
  to: ['a@example.com', 'b@example.com'],
  scannedAt: '2026-10-27T10:00:00Z',
  detectionReasons: ['bulk sender'],
  ...over,
});
const found = (id: string, over: Partial<MessageView> = {}): Inspection => ({
  kind: 'found',
  message: view(id, over),
});
/** Found, with its action log read: `releases` releases in it. */
const logged = (id: string, releases: number, over: Partial<MessageView> = {}): Inspection => ({
  kind: 'found',
  message: view(id, over),
  releases,
});

function reviewed(
  entries: Parameters<typeof request>[0][],
  inspections: [string, Inspection][],
  ledger = foldRecords([]),
) {
  const file = releasesFile(entries.map((e) => request(e)));
  const map = new Map(inspections.map(([id, i]) => [messageKey(ACCOUNT, id), i]));
  return screenPlan(plan(file, ledger), map, guarded).accounts[0];
}

describe('reviewing a plan against Cloudflare', () => {
  it('keeps what may go, with its details, and refuses the rest with a reason', () => {
    const ids = [1, 2, 3, 4, 5, 6].map(messageId);
    const a = reviewed(
      ids.map((id) => ({ id })),
      [
        [ids[0] as string, found(ids[0] as string)],
        [ids[1] as string, { kind: 'not-found' }],
        [ids[2] as string, found(ids[2] as string, { quarantined: false, releaseRecorded: true })],
        [ids[3] as string, found(ids[3] as string, { quarantined: false })],
        [ids[4] as string, found(ids[4] as string, { disposition: 'MALICIOUS' })],
        [ids[5] as string, { kind: 'unchecked', reason: 'HTTP 503' }],
      ],
    );
    expect(a?.to_release.map((i) => [i.request.id, i.message?.subject])).toEqual([
      [ids[0], 'Quarterly report'],
    ]);
    // Malicious mail first, then the rest in file order.
    expect(a?.refused?.map((r) => [r.item.request.id, r.reason.kind])).toEqual([
      [ids[4], 'needs-acknowledgement'],
      [ids[1], 'not-found'],
      [ids[2], 'not-quarantined'],
      [ids[3], 'not-quarantined'],
      [ids[5], 'unchecked'],
    ]);
    expect(a?.refused?.[2]?.reason).toEqual({ kind: 'not-quarantined', releasedElsewhere: true });
  });

  it('releases a guarded disposition only with the matching acknowledgement', () => {
    const [m, b, s] = [messageId(1), messageId(2), messageId(3)];
    const a = reviewed(
      [{ id: m, acknowledge: 'MALICIOUS' }, { id: b, acknowledge: 'MALICIOUS' }, { id: s }],
      [
        [m, found(m, { disposition: 'MALICIOUS' })],
        [b, found(b, { disposition: 'MALICIOUS-BEC' })],
        [s, found(s, { disposition: 'SPOOF' })],
      ],
    );
    expect(a?.to_release.map((i) => i.request.id)).toEqual([m]);
    expect(a?.refused?.map((r) => r.reason)).toEqual([
      { kind: 'acknowledgement-mismatch', disposition: 'MALICIOUS-BEC', acknowledged: 'MALICIOUS' },
      { kind: 'needs-acknowledgement', disposition: 'SPOOF' },
    ]);
  });

  it('never releases a message whose disposition is not known', () => {
    const id = messageId(1);
    const a = reviewed([{ id }], [[id, found(id, { disposition: undefined })]]);
    expect(a?.to_release).toEqual([]);
    expect(a?.refused?.[0]?.reason.kind).toBe('unchecked');
    const none = reviewed([{ id }], []);
    expect(none?.refused?.[0]?.reason).toEqual({ kind: 'unchecked', reason: 'not looked up' });
  });

  it('lets an explicit retry through although our own earlier release is recorded', () => {
    const id = messageId(1);
    const ledger = foldRecords([stored(record({ id, state: 'partial', attempt: 1 }))]);
    // The action log shows the one release the ledger knows of: ours.
    const ours: Inspection = logged(id, 1, { releaseRecorded: true });
    const a = reviewed([{ id, retry: 2 }], [[id, ours]], ledger);
    expect(a?.to_release.map((i) => i.attempt)).toEqual([2]);
  });

  it('refuses a retry when Cloudflare shows a release this ledger does not know of, or cannot tell', () => {
    const id = messageId(1);
    const partial = foldRecords([stored(record({ id, state: 'partial', attempt: 1 }))]);
    const since: Inspection = logged(id, 2, { releaseRecorded: true });
    expect(reviewed([{ id, retry: 2 }], [[id, since]], partial)?.refused?.[0]?.reason).toEqual({
      kind: 'released-since',
      logged: 2,
      recorded: 1,
    });
    // Without the action log nothing rules a later release out.
    const unread = found(id, { releaseRecorded: true });
    expect(reviewed([{ id, retry: 2 }], [[id, unread]], partial)?.refused?.[0]?.reason.kind).toBe(
      'unchecked',
    );
    // A failed attempt reached nobody: a release in the log since, or leaving quarantine, refuses it.
    const failed = foldRecords([stored(record({ id, state: 'failed', attempt: 1 }))]);
    const released = logged(id, 1, { releaseRecorded: true, quarantined: false });
    expect(reviewed([{ id, retry: 2 }], [[id, released]], failed)?.refused?.[0]?.reason.kind).toBe(
      'released-since',
    );
    const gone: Inspection = logged(id, 0, { quarantined: false });
    expect(reviewed([{ id, retry: 2 }], [[id, gone]], failed)?.refused?.[0]?.reason.kind).toBe(
      'not-quarantined',
    );
    const held: Inspection = logged(id, 0);
    expect(reviewed([{ id, retry: 2 }], [[id, held]], failed)?.to_release).toHaveLength(1);
  });

  it('fingerprints what would be released: order-free, sensitive to ids, attempts and dispositions', () => {
    const ids = [messageId(1), messageId(2)];
    const make = (order: string[], disposition = 'SPAM') =>
      reviewed(
        order.map((id) => ({ id })),
        order.map((id) => [id, found(id, { disposition })] as [string, Inspection]),
      );
    const one = make(ids);
    const fp = (a: ReturnType<typeof make>) =>
      planFingerprint(a as NonNullable<typeof a>, 'dispositions');
    expect(fp(one)).toMatch(/^[0-9a-f]{32}$/);
    expect(fp(make([...ids].reverse()))).toBe(fp(one));
    expect(fp(make([ids[0] as string]))).not.toBe(fp(one));
    expect(fp(make(ids, 'BULK'))).not.toBe(fp(one));
    // The ids basis ignores dispositions (a plan made without credentials).
    const ids1 = planFingerprint(make(ids) as NonNullable<ReturnType<typeof make>>, 'ids');
    expect(planFingerprint(make(ids, 'BULK') as NonNullable<ReturnType<typeof make>>, 'ids')).toBe(
      ids1,
    );
  });
});

describe('the acknowledge field', () => {
  const head = `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: ${messageId(1)}\n`;
  it('needs a real reason', () => {
    const short = loadReleases(`${head}    reason: ok\n    acknowledge: MALICIOUS\n`, 'r.yaml');
    expect(short.ok ? [] : short.errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [
        5,
        13,
        'releases[0] acknowledges MALICIOUS: its `reason` must say why the message is safe (at least 20 characters)',
      ],
    ]);
    const ok = loadReleases(
      `${head}    reason: Invoice from our supplier, checked by phone\n    acknowledge: MALICIOUS\n`,
      'r.yaml',
    );
    expect(ok.ok && ok.value.releases[0]?.acknowledge).toBe('MALICIOUS');
  });

  it('names a known disposition', () => {
    const bad = loadReleases(
      `${head}    reason: Invoice from our supplier, checked by phone\n    acknowledge: EVIL\n`,
      'r.yaml',
    );
    expect(bad.ok ? '' : bad.errors[0]?.message).toMatch(
      /must be one of: MALICIOUS, MALICIOUS-BEC, SPOOF, SUSPICIOUS/,
    );
  });
});

describe('showing reviewed messages', () => {
  const hostile = 'Invoice @org/team <img src=x> ```js ::add-mask::secret';
  const ids = [messageId(1), messageId(2)];
  const a = reviewed(
    ids.map((id) => ({ id })),
    [
      [
        ids[0] as string,
        found(ids[0] as string, {
          subject: hostile,
          fromName: '<script>alert(1)</script> Payroll',
        }),
      ],
      [ids[1] as string, found(ids[1] as string, { disposition: 'MALICIOUS' })],
    ],
  );
  const account = a as NonNullable<typeof a>;

  it('markdown: refused first, details escaped, redaction hides subjects and addresses', () => {
    const md = renderAccountMarkdown(account, { file: 'releases.yaml' });
    expect(md.indexOf('Refused')).toBeLessThan(md.indexOf('To release'));
    expect(md).toContain('⚠️ MALICIOUS');
    expect(md).not.toContain('<img');
    expect(md).not.toContain('<script');
    expect(md).not.toMatch(/@org/);
    expect(md).not.toContain('```');
    expect(md).toContain('Invoice');
    const redacted = renderAccountMarkdown(account, { file: 'releases.yaml', redact: true });
    expect(redacted).not.toContain('Invoice');
    expect(redacted).not.toContain('auditor');
    expect(redacted).toContain('subject and addresses hidden · 2 recipients');
    expect(redacted).toContain('Subjects and addresses are hidden');
  });

  it('markdown: states the cap when details are shown for only some messages', () => {
    const md = renderAccountMarkdown(account, { file: 'releases.yaml', detailsCap: 1 });
    expect(md).toContain('Details are shown for the first 1 messages');
    expect(md).toContain('details not shown');
  });

  it('text: refused first, one line per value, nothing a CI log would execute', () => {
    const text = renderPlanText({ accounts: [account] }, { file: 'releases.yaml' });
    expect(text.indexOf('REFUSED')).toBeLessThan(text.indexOf('+ release'));
    expect(text).not.toContain('::');
    expect(text).toContain('"Invoice @org/team <img src=x> ```js :');
  });
});

describe('holding a plan to the reviewed one, entry by entry', () => {
  const ids = [1, 2, 3].map(messageId);
  const make = (disposition = 'SPAM', retry?: number) =>
    reviewed(
      ids.map((id) => (retry ? { id, retry } : { id })),
      ids.map((id) => [id, found(id, { disposition })] as [string, Inspection]),
    ) as NonNullable<ReturnType<typeof reviewed>>;

  it('entry digests are short, stable, and change with the id, attempt, disposition and basis', () => {
    const a = make();
    const item = a.to_release[0] as (typeof a.to_release)[number];
    const d = entryDigest(ACCOUNT, item, 'dispositions');
    expect(d).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(entryDigest(ACCOUNT, item, 'dispositions')).toBe(d);
    expect(entryDigest(ACCOUNT, item, 'ids')).not.toBe(d);
    expect(entryDigest(ACCOUNT, { ...item, attempt: 2 }, 'dispositions')).not.toBe(d);
    const bulk = make('BULK').to_release[0] as typeof item;
    expect(entryDigest(ACCOUNT, bulk, 'dispositions')).not.toBe(d);
    // The ids basis ignores dispositions, as the ids fingerprint does.
    expect(entryDigest(ACCOUNT, bulk, 'ids')).toBe(entryDigest(ACCOUNT, item, 'ids'));
    expect(entryDigest('aaaabbbbccccddddeeeeffff00001111', item, 'dispositions')).not.toBe(d);
  });

  it('keeps the reviewed entries and refuses the others, saying where the plan was reviewed', () => {
    const reviewedPlan = make();
    const digests = planEntryDigests(reviewedPlan, 'dispositions') ?? [];
    expect(digests).toHaveLength(3);
    // Since the review: the second message was reclassified, the third is new to the plan.
    const now = make();
    const second = now.to_release[1] as (typeof now.to_release)[number];
    now.to_release[1] = { ...second, message: { ...second.message, disposition: 'BULK' } as never };
    // Reviewed: the first two (the third was added after the review).
    const kept = new Set(
      reviewedPlan.to_release.slice(0, 2).map((i) => entryDigest(ACCOUNT, i, 'dispositions')),
    );
    expect(digests).toEqual(expect.arrayContaining([...kept]));
    const held = holdToReview(now, {
      requirePlan: true,
      expected: new Map([
        [ACCOUNT, { fingerprint: '0'.repeat(32), basis: 'dispositions', entries: kept }],
      ]),
      reviewedOn: 'on PR #4',
    });
    expect(held.to_release.map((i) => i.request.id)).toEqual([ids[0]]);
    expect(held.refused?.map((r) => [r.item.request.id, r.reason.kind])).toEqual([
      [ids[1], 'not-reviewed'],
      [ids[2], 'not-reviewed'],
    ]);
    expect(held.refused?.[0]?.message?.disposition).toBe('BULK');
    expect(refusalText({ kind: 'not-reviewed', where: 'on PR #4' })).toBe(
      'not in the plan reviewed on PR #4 (its disposition or attempt differs, or it was added later)',
    );
  });

  it('a retry is another entry than the first attempt', () => {
    const first = make();
    const retry = make('SPAM', 2);
    const entries = new Set(planEntryDigests(first, 'dispositions'));
    const held = holdToReview(retry, {
      requirePlan: true,
      expected: new Map([
        [ACCOUNT, { fingerprint: '0'.repeat(32), basis: 'dispositions', entries }],
      ]),
      reviewedOn: 'on PR #1',
    });
    expect(held.to_release).toEqual([]);
    expect(held.refused).toHaveLength(3);
  });

  it('plans over the cap carry no entry digests (the whole-plan fingerprint holds them)', () => {
    const a = make();
    const many = Array.from({ length: MAX_ENTRY_DIGESTS + 1 }, () => a.to_release[0]);
    expect(planEntryDigests({ ...a, to_release: many as typeof a.to_release }, 'ids')).toBe(
      undefined,
    );
    expect(
      planEntryDigests({ ...a, to_release: many.slice(1) as typeof a.to_release }, 'ids'),
    ).toHaveLength(MAX_ENTRY_DIGESTS);
  });

  it('a fingerprint without a basis matches either; with one, only that basis', () => {
    const a = make();
    const byIds = planFingerprint(a, 'ids');
    const disp = planFingerprint(a, 'dispositions');
    expect(byIds).not.toBe(disp);
    expect(matchesFingerprint(a, { fingerprint: byIds })).toBe(true);
    expect(matchesFingerprint(a, { fingerprint: disp })).toBe(true);
    expect(matchesFingerprint(a, { fingerprint: byIds, basis: 'dispositions' })).toBe(false);
    expect(matchesFingerprint(a, { fingerprint: byIds, basis: 'ids' })).toBe(true);
    expect(matchesFingerprint(make('BULK'), { fingerprint: disp })).toBe(false);
  });
});

describe('which dispositions may be guarded', () => {
  it('exactly those the releases schema lets `acknowledge` name', () => {
    const schema = JSON.parse(readFileSync(join(REPO, 'schema', 'releases.schema.json'), 'utf8'));
    expect([...ACKNOWLEDGEABLE_DISPOSITIONS].sort()).toEqual(
      [...schema.$defs.release.properties.acknowledge.enum].sort(),
    );
    expect(guardedListProblem([...DEFAULT_GUARDED_DISPOSITIONS])).toBeUndefined();
    expect(guardedListProblem([...ACKNOWLEDGEABLE_DISPOSITIONS])).toBeUndefined();
  });

  it('refuses a disposition no entry could acknowledge, naming the allowed ones', () => {
    expect(guardedListProblem(['MALICIOUS', 'MALICIOUS-BEC', 'SPAM'])).toBe(
      'names SPAM, which no entry can acknowledge, so its messages could never be released (allowed: MALICIOUS, MALICIOUS-BEC, SPOOF, SUSPICIOUS)',
    );
    expect(guardedListProblem(['MALICIOUS', 'MALICIOUS-BEC', 'EVIL'])).toBe(
      'names an unknown disposition "EVIL" (allowed: MALICIOUS, MALICIOUS-BEC, SPOOF, SUSPICIOUS)',
    );
    expect(guardedListProblem(['SPOOF'])).toBe('must include MALICIOUS and MALICIOUS-BEC');
  });
});
