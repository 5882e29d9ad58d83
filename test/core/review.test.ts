import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/ids.js';
import { foldRecords } from '../../src/core/ledger/state.js';
import { plan } from '../../src/core/plan/plan.js';
import type { MessageView } from '../../src/core/release/readback.js';
import { loadReleases } from '../../src/core/releases/load.js';
import { renderAccountMarkdown } from '../../src/core/render/plan-markdown.js';
import { renderPlanText } from '../../src/core/render/plan-text.js';
import {
  DEFAULT_GUARDED_DISPOSITIONS,
  type Inspection,
  planFingerprint,
  reviewPlan,
} from '../../src/core/safety/review.js';
import { ACCOUNT, messageId, record, releasesFile, request, stored } from '../support/factories.js';

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

function reviewed(
  entries: Parameters<typeof request>[0][],
  inspections: [string, Inspection][],
  ledger = foldRecords([]),
) {
  const file = releasesFile(entries.map((e) => request(e)));
  const map = new Map(inspections.map(([id, i]) => [messageKey(ACCOUNT, id), i]));
  return reviewPlan(plan(file, ledger), map, guarded).accounts[0];
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
    const a = reviewed([{ id, retry: 2 }], [[id, found(id, { releaseRecorded: true })]], ledger);
    expect(a?.to_release.map((i) => i.attempt)).toEqual([2]);
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
