import { describe, expect, it } from 'vitest';
import { generateMailbox } from '../../src/emulator/generate.js';
import {
  DEFAULT_ACCOUNT,
  type DISPOSITIONS,
  demoFixtures,
  FIXTURE_ROLES,
  HOSTILE_SUBJECT,
  parseSeedMessages,
  SCRIPT_SENDER_NAME,
  type SeedMessage,
  startEmulator,
} from '../../src/emulator/index.js';
import { getMessage, release } from './helpers.js';

const LONG_ID =
  /^[0-9A-Za-z]{5,32}-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}-[0-9]{1,20}$/;
const OTHER = 'aaaabbbbccccddddeeeeffff00001111';

describe('generated mailbox', () => {
  it('is the same for the same seed, and differs for another seed or account', async () => {
    const a = await startEmulator({ seed: 42 });
    const b = await startEmulator({ seed: 42 });
    try {
      expect(b.messages(DEFAULT_ACCOUNT)).toEqual(a.messages(DEFAULT_ACCOUNT));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(demoFixtures(42)).toEqual(demoFixtures(42));
    expect(demoFixtures(43).spam).not.toBe(demoFixtures(42).spam);
    expect(demoFixtures(42, OTHER).spam).not.toBe(demoFixtures(42).spam);
  });

  it('holds every fixture role, as documented, whatever its size', async () => {
    const fx = demoFixtures(9);
    for (const size of [0, 9, 200]) {
      const em = await startEmulator({ seed: 9, messagesPerAccount: size });
      try {
        const byId = new Map(em.messages(DEFAULT_ACCOUNT).map((m) => [m.details.id, m.details]));
        expect(byId.size).toBe(Math.max(size, FIXTURE_ROLES.length));
        const quarantinedAs = (id: string) => {
          const d = byId.get(id);
          return d?.is_quarantined ? d.final_disposition : 'not quarantined';
        };
        expect(quarantinedAs(fx.spam)).toBe('SPAM');
        expect(quarantinedAs(fx.bulk)).toBe('BULK');
        expect(quarantinedAs(fx.malicious)).toBe('MALICIOUS');
        expect(quarantinedAs(fx.maliciousBec)).toBe('MALICIOUS-BEC');
        expect(quarantinedAs(fx.spoof)).toBe('SPOOF');
        expect(quarantinedAs(fx.suspicious)).toBe('SUSPICIOUS');
        expect(byId.get(fx.spam)?.to).toHaveLength(3);
        const released = byId.get(fx.released);
        expect(released?.is_quarantined).toBe(false);
        expect(released?.post_delivery_operations).toContain('QUARANTINE_RELEASE');
        expect(released?.action_log.map((e) => e.operation)).toContain('QUARANTINE_RELEASE');
        expect(byId.get(fx.hostileSubject)?.subject).toBe(HOSTILE_SUBJECT);
        expect(byId.get(fx.scriptSender)?.from_name).toBe(SCRIPT_SENDER_NAME);
        expect(SCRIPT_SENDER_NAME).toContain('<script>');
        expect(fx.missing.length).toBeGreaterThan(0);
        for (const id of [...FIXTURE_ROLES.map((r) => fx[r]), ...fx.missing]) {
          expect(id).toMatch(LONG_ID);
        }
        for (const id of fx.missing) {
          expect(byId.has(id)).toBe(false);
          expect((await getMessage(em, id)).status).toBe(404);
          expect((await getMessage(em, id.split('-')[0] as string)).status).toBe(404);
        }
      } finally {
        await em.close();
      }
    }
  });

  it('mixes dispositions and recipient counts, with a few messages already released', () => {
    const specs = generateMailbox(1, DEFAULT_ACCOUNT, 3000);
    const dispositions = new Set(specs.map((s) => s.final_disposition));
    for (const d of ['MALICIOUS', 'MALICIOUS-BEC', 'SUSPICIOUS', 'SPOOF', 'SPAM', 'BULK', 'NONE']) {
      expect(dispositions.has(d as (typeof DISPOSITIONS)[number]), d).toBe(true);
    }
    const counts = new Set(specs.map((s) => s.to.length));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5]);
    const released = specs.filter((s) => s.released).length;
    expect(released).toBeGreaterThan(30);
    expect(released).toBeLessThan(300);
  });

  it('generates 60,000 distinct, well-formed messages, and serves them', async () => {
    const specs = generateMailbox(123, DEFAULT_ACCOUNT, 60_000);
    expect(specs).toHaveLength(60_000);
    const queues = new Set(specs.map((s) => s.id.split('-')[0]));
    expect(queues.size).toBe(60_000);
    expect(specs.every((s) => LONG_ID.test(s.id))).toBe(true);

    const em = await startEmulator({ seed: 123, messagesPerAccount: 60_000, rateLimit: false });
    try {
      const last = specs.at(-1)?.id as string;
      expect((await getMessage(em, last)).json.result.id).toBe(last);
      const answer = await release(em, [specs[30_000]?.id as string, last]);
      expect(answer.json.result).toHaveLength(2);
    } finally {
      await em.close();
    }
  });
});

describe('explicit mailbox', () => {
  const messages: SeedMessage[] = [
    { id: 'AAAAAAAAAAAA1-2026-10-01T10:00:00-11111111', to: ['a@example.com', 'b@example.com'] },
    {
      id: 'BBBBBBBBBBBB2-2026-10-02T10:00:00-22222222',
      to: ['c@example.com'],
      subject: 'Quarterly report',
      from: 'cfo@partner.example.net',
      from_name: 'CFO',
      final_disposition: 'MALICIOUS-BEC',
      scanned_at: '2026-10-02T10:00:05Z',
      released: true,
    },
    { account_id: OTHER, id: 'CCCCCCCCCCCC3-2026-10-03T10:00:00-33333333', to: ['d@example.com'] },
  ];

  it('serves the messages given, in the accounts they name', async () => {
    const em = await startEmulator({ messages });
    try {
      expect(em.accounts).toEqual([DEFAULT_ACCOUNT, OTHER]);
      const [first, second] = em.messages(DEFAULT_ACCOUNT);
      expect(first?.details).toMatchObject({
        is_quarantined: true,
        final_disposition: 'SPAM',
        scanned_at: '2026-10-01T10:00:00Z',
      });
      expect(second?.details).toMatchObject({
        is_quarantined: false,
        subject: 'Quarterly report',
        from_name: 'CFO',
        scanned_at: '2026-10-02T10:00:05Z',
        post_delivery_operations: ['QUARANTINE_RELEASE'],
      });
      expect(em.messages(OTHER)).toHaveLength(1);
    } finally {
      await em.close();
    }
  });

  it('reports every problem with its place', () => {
    const result = parseSeedMessages([
      { id: 'nope', to: [] },
      { id: 'AAAAAAAAAAAA1-2026-10-01T10:00:00-1', to: ['x'], final_disposition: 'RED', extra: 1 },
      { id: 'AAAAAAAAAAAA1-2026-10-01T10:00:00-2', to: ['a@example.com'], released: 'yes' },
      { id: 'DDDDDDDDDDDD4-2026-99-01T10:00:00-1', to: ['a@example.com'] },
      'text',
    ]);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual([
      expect.stringMatching(/^\[0\]\.id: must be a long message id/),
      '[0].to: must be a list of 1 to 100 e-mail addresses',
      '[1]: unknown field "extra"',
      '[1].to[0]: must be an e-mail address',
      expect.stringMatching(/^\[1\]\.final_disposition: must be one of MALICIOUS/),
      '[2].id: same queue id as message [1]',
      '[2].released: must be true or false',
      '[3].id: holds no valid date; fix it or give scanned_at',
      '[4]: must be an object',
    ]);
    expect(parseSeedMessages({})).toEqual({
      ok: false,
      errors: ['must be a JSON array of messages'],
    });
  });

  it('startEmulator refuses an invalid mailbox or options with a RangeError', async () => {
    await expect(startEmulator({ messages: [{ id: 'x', to: [] }] })).rejects.toThrow(RangeError);
    await expect(startEmulator({ accounts: ['ABC'] })).rejects.toThrow(RangeError);
    await expect(startEmulator({ seed: -1 })).rejects.toThrow(RangeError);
    await expect(startEmulator({ messages, accounts: [DEFAULT_ACCOUNT] })).rejects.toThrow(
      /not served/,
    );
  });
});
