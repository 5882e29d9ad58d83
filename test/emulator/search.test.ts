import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoFixtures,
  type EmulatedMessage,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { ACCOUNT, call, release, search } from './helpers.js';

let em: Emulator;
let all: EmulatedMessage[];
const fx = demoFixtures(5, ACCOUNT);

beforeAll(async () => {
  em = await startEmulator({ seed: 5, messagesPerAccount: 1500, rateLimit: false });
  all = em.messages(ACCOUNT);
});
afterAll(() => em.close());

/** Every id matching `params`, page after page; also checks the pages are consistent. */
async function everyPage(params: Record<string, string>, maxPages = 400): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const answer = await search(em, { ...params, ...(cursor ? { cursor } : {}) });
    expect(answer.status).toBe(200);
    const info = answer.json.result_info;
    expect(info.count).toBe(answer.json.result.length);
    expect(info).toMatchObject({ total_count: 0, page: 0 });
    ids.push(...answer.json.result.map((m: { id: string }) => m.id));
    cursor = info.next;
    if (cursor === null) return ids;
  }
  throw new Error('too many pages');
}

/** Newest scan first, then by id: the order the emulator promises. */
function expected(filter: (m: EmulatedMessage) => boolean): string[] {
  return all
    .filter(filter)
    .sort(
      (a, b) =>
        Date.parse(b.details.scanned_at) - Date.parse(a.details.scanned_at) ||
        (a.details.id < b.details.id ? -1 : 1),
    )
    .map((m) => m.details.id);
}

describe('search', () => {
  it('pages through the whole mailbox in a stable order, each message once', async () => {
    const ids = await everyPage({ per_page: '97', detections_only: 'false' });
    expect(ids).toEqual(expected(() => true));
    expect(await everyPage({ per_page: '97', detections_only: 'false' })).toEqual(ids);
  });

  it('answers only detections unless detections_only=false, as the contract defaults', async () => {
    const detections = expected((m) => m.details.final_disposition !== 'NONE');
    expect(detections.length).toBeLessThan(all.length);
    expect(await everyPage({ per_page: '1000' })).toEqual(detections);
    expect(await everyPage({ per_page: '1000', detections_only: 'true' })).toEqual(detections);
    // Quarantined mail, detections or not: what the release check asks for.
    expect(
      await everyPage({
        per_page: '1000',
        detections_only: 'false',
        delivery_status: 'quarantined',
      }),
    ).toEqual(expected((m) => m.details.is_quarantined));
  });

  it('defaults to 20 per page, serves 1000, and answers 400 above its cap', async () => {
    const first = await search(em);
    expect(first.json.result).toHaveLength(20);
    expect(first.json.result_info).toMatchObject({ per_page: 20, previous: null });
    const most = await search(em, { per_page: '1000' });
    expect(most.json.result).toHaveLength(1000);
    expect(most.json.result_info.per_page).toBe(1000);
    const big = await search(em, { per_page: '1001' });
    expect(big.status).toBe(400);
    expect(big.json.errors[0].message).toMatch(/per_page must be at most 1000/);
  });

  it('takes its per_page cap from maxPerPage', async () => {
    const small = await startEmulator({ seed: 3, maxPerPage: 50 });
    try {
      expect((await search(small, { per_page: '50' })).status).toBe(200);
      expect((await search(small, { per_page: '51' })).status).toBe(400);
    } finally {
      await small.close();
    }
  });

  it('goes back with previous, to the same pages', async () => {
    const p1 = await search(em, { per_page: '10', final_disposition: 'SPAM' });
    const p2 = await search(em, {
      per_page: '10',
      final_disposition: 'SPAM',
      cursor: p1.json.result_info.next,
    });
    const back = await search(em, {
      per_page: '10',
      final_disposition: 'SPAM',
      cursor: p2.json.result_info.previous,
    });
    expect(back.json.result).toEqual(p1.json.result);
    expect(back.json.result_info.previous).toBeNull();
  });

  it('filters by disposition, date range, sender, recipient, query, subject and domain', async () => {
    const sample = all[100] as EmulatedMessage;
    const recipient = sample.details.to[0] as string;
    const cases: [Record<string, string>, (m: EmulatedMessage) => boolean][] = [
      [{ final_disposition: 'MALICIOUS' }, (m) => m.details.final_disposition === 'MALICIOUS'],
      [
        { start: '2026-10-22T00:00:00Z', end: '2026-10-24T12:00:00Z' },
        (m) =>
          m.details.scanned_at >= '2026-10-22T00:00:00Z' &&
          m.details.scanned_at <= '2026-10-24T12:00:00Z',
      ],
      [
        { sender: 'NEWS@newsletter.example.net' },
        (m) => m.details.from === 'news@newsletter.example.net',
      ],
      [{ recipient }, (m) => m.details.to.includes(recipient)],
      [{ query: 'WIRE transfer' }, (m) => /wire transfer/i.test(m.details.subject ?? '')],
      [{ subject: 'digest' }, (m) => /digest/i.test(m.details.subject ?? '')],
      [{ domain: 'example.com' }, (m) => (m.details.from ?? '').endsWith('@example.com')],
    ];
    for (const [params, filter] of cases) {
      const want = expected(filter);
      expect(want.length, JSON.stringify(params)).toBeGreaterThan(0);
      expect(
        await everyPage({ ...params, per_page: '1000', detections_only: 'false' }),
        JSON.stringify(params),
      ).toEqual(want);
    }
  });

  it('finds one message by message_id (long id, bare id); query never searches ids', async () => {
    const lookups: Record<string, string>[] = [
      { message_id: fx.spoof },
      { message_id: fx.spoof.split('-')[0] as string },
    ];
    for (const params of lookups) {
      expect(await everyPage(params)).toEqual([fx.spoof]);
    }
    expect(await everyPage({ message_id: fx.missing[0] as string })).toEqual([]);
    for (const term of [fx.spoof, fx.spoof.split('-')[0] as string])
      expect(await everyPage({ query: term, detections_only: 'false' })).toEqual([]);
  });

  it('query searches sender name, recipients, disposition and detection reasons too', async () => {
    const sample = all.find((m) => m.details.detection_reasons.length > 0) as EmulatedMessage;
    const reason = sample.details.detection_reasons[0] as string;
    const hits = await everyPage({ query: reason, per_page: '1000', detections_only: 'false' });
    expect(hits).toContain(sample.details.id);
    const recipient = sample.details.to[0] as string;
    expect(
      await everyPage({ query: recipient, per_page: '1000', detections_only: 'false' }),
    ).toContain(sample.details.id);
  });

  it('filters by the six filter dispositions only (400 for the others)', async () => {
    for (const d of ['MALICIOUS', 'SUSPICIOUS', 'SPOOF', 'SPAM', 'BULK', 'NONE'])
      expect((await search(em, { final_disposition: d })).status, d).toBe(200);
    for (const d of ['MALICIOUS-BEC', 'ENCRYPTED', 'EXTERNAL', 'UNKNOWN']) {
      const answer = await search(em, { final_disposition: d });
      expect(answer.status, d).toBe(400);
      expect(answer.json.errors[0].message).toMatch(/final_disposition must be one of/);
    }
  });

  it('message_action=QUARANTINE_RELEASED follows releases made now', async () => {
    const before = await everyPage({ message_action: 'QUARANTINE_RELEASED', per_page: '1000' });
    expect(before).toContain(fx.released);
    expect(before).not.toContain(fx.maliciousBec);
    await release(em, [fx.maliciousBec]);
    const after = await everyPage({ message_action: 'QUARANTINE_RELEASED', per_page: '1000' });
    expect(after).toContain(fx.maliciousBec);
    expect(after).toHaveLength(before.length + 1);
  });

  it('refuses bad parameters with 400', async () => {
    const bad: Record<string, string>[] = [
      { per_page: '0' },
      { per_page: 'ten' },
      { detections_only: 'yes' },
      { start: 'yesterday' },
      { final_disposition: 'PURPLE' },
      { message_action: 'DELETED' },
      { cursor: 'bm90LWEtY3Vyc29y' },
    ];
    for (const params of bad) {
      const answer = await search(em, params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.json.errors[0].code).toBe(1001);
    }
  });

  it('answers 404 for a poll token it never gave', async () => {
    em.setFaults({ script: [{ kind: 'accepted' }] });
    const accepted = await search(em);
    const location = new URL(accepted.headers.get('location') as string);
    em.setFaults({});
    location.searchParams.set('poll_id', 'poll-999');
    expect((await call(em, location.href)).status).toBe(404);
  });
});
