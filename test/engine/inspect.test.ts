// Looking messages up before release, through the real client against the emulator: the
// cost stays a few search pages when hundreds of messages are released, the budget holds,
// and what cannot be checked stays unchecked (never released).
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareClient } from '../../src/adapters/cloudflare/client.js';
import { Pacer } from '../../src/adapters/cloudflare/rate-limit.js';
import { messageKey } from '../../src/core/ids.js';
import { idTime, timeWindows } from '../../src/core/windows.js';
import {
  DEFAULT_TOKEN,
  demoFixtures,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { inspect } from '../../src/engine/inspect.js';
import { systemClock } from '../../src/engine/ports.js';

let emulator: Emulator | undefined;
let client: CloudflareClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  emulator = undefined;
  client = undefined;
});

async function setup(messages: number) {
  emulator = await startEmulator({ messagesPerAccount: messages });
  client = new CloudflareClient({
    settings: { baseUrl: emulator.url, credentials: { kind: 'token', token: DEFAULT_TOKEN } },
    pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }),
  });
  const account = emulator.accounts[0] as string;
  const quarantined = emulator
    .messages(account)
    .filter((m) => m.details.is_quarantined)
    .map((m) => m.details.id);
  return { e: emulator, c: client, account, quarantined };
}

describe('inspect', () => {
  it('answers for hundreds of messages with a few search pages, not one request each', async () => {
    const { e, c, account, quarantined } = await setup(1500);
    const wanted = quarantined.slice(0, 500).map((id) => ({ account_id: account, id }));
    const { inspections, stats } = await inspect(c, wanted, { budget: 300, now: Date.now() });
    expect([...inspections.values()].every((i) => i.kind === 'found')).toBe(true);
    expect(stats.gets).toBe(0);
    const requests = e.truth().requests.length;
    expect(requests).toBe(stats.searches);
    expect(requests / wanted.length).toBeLessThan(0.02);
  });

  it('looks the rest up one by one, tells missing ids apart, and stops at the budget', async () => {
    const { c, account, quarantined } = await setup(100);
    const missing = demoFixtures(1, account).missing;
    // Bare queue ids carry no time: they cannot be searched by window.
    const bare = quarantined.slice(0, 5).map((id) => id.split('-')[0] as string);
    const wanted = [...bare, ...missing].map((id) => ({ account_id: account, id }));
    const { inspections, stats } = await inspect(c, wanted, {
      budget: 6,
      now: Date.now(),
      searchFrom: 1000,
    });
    const kinds = wanted.map((w) => inspections.get(messageKey(account, w.id))?.kind);
    expect(kinds).toEqual([
      'found',
      'found',
      'found',
      'found',
      'found',
      'not-found',
      'unchecked',
      'unchecked',
    ]);
    expect(stats).toEqual({ searches: 0, gets: 6, unchecked: 2 });
    const last = inspections.get(messageKey(account, missing[2] as string));
    expect(last).toEqual({ kind: 'unchecked', reason: 'lookup budget used up for this run' });
  });

  it('a failed lookup is unchecked, never guessed', async () => {
    const { e, c, account, quarantined } = await setup(60);
    e.setFaults({
      script: [
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
        { kind: '5xx', route: 'message', status: 503 },
      ],
    });
    const id = quarantined[0] as string;
    const { inspections } = await inspect(c, [{ account_id: account, id }], {
      budget: 10,
      now: Date.now(),
    });
    expect(inspections.get(messageKey(account, id))?.kind).toBe('unchecked');
  });

  it('groups ids into padded time windows that never reach the future', () => {
    expect(idTime('4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678')).toBe(
      Date.parse('2024-01-05T10:00:00Z'),
    );
    expect(idTime('4Njp3P0STMz2c02Q')).toBeUndefined();
    const ids = [
      'A0000001-2026-10-01T10:00:00-1',
      'A0000002-2026-10-01T23:00:00-2',
      'A0000003-2026-10-20T08:00:00-3',
    ];
    const now = Date.parse('2026-10-20T12:00:00Z');
    expect(timeWindows(ids, now)).toEqual([
      { start: '2026-09-30T10:00:00Z', end: '2026-10-02T23:00:00Z', ids: ids.slice(0, 2) },
      { start: '2026-10-19T08:00:00Z', end: '2026-10-20T12:00:00Z', ids: [ids[2]] },
    ]);
  });
});
