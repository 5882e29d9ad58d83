// Resolving `search:` entries (engine/searches): page by page through the real client against
// the emulator; a search over its limit stops as soon as it is over (never pages through the
// rest) and is refused whole; a failed search plans nothing; without an API nothing is asked.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudflareClient } from '../../src/adapters/cloudflare/client.js';
import { openCloudflareClient } from '../../src/adapters/cloudflare/open.js';
import { messageKey, queueIdOf } from '../../src/core/ids.js';
import { expandSearches, type SearchAnswer } from '../../src/core/plan/selectors.js';
import type { MessageView } from '../../src/core/release/readback.js';
import { loadReleases, type ReleasesFile } from '../../src/core/requests/load.js';
import {
  DEFAULT_TOKEN,
  type Emulator,
  type SeedMessage,
  startEmulator,
} from '../../src/emulator/index.js';
import { resolveSearches } from '../../src/engine/searches.js';
import { ACCOUNT } from '../support/factories.js';

let emulator: Emulator | undefined;
let client: CloudflareClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  emulator = undefined;
  client = undefined;
});

const DAY = 86_400_000;
const second = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const T0 = Date.now();

async function setup(n: number, faults = false) {
  const messages: SeedMessage[] = Array.from({ length: n }, (_, i) => ({
    id: `EngSrch${String(i).padStart(5, '0')}-${second(T0 - 2 * DAY - i * 60_000).slice(0, 19)}-1`,
    to: ['a@corp.example'],
    from: 'hr@vendor.example',
    subject: `Payslip ${i}`,
  }));
  emulator = await startEmulator({
    messages,
    ...(faults
      ? { faults: { script: [{ kind: 'malformed' as const, route: 'search' as const }] } }
      : {}),
  });
  client = await openCloudflareClient({
    baseUrl: emulator.url,
    credentials: { kind: 'token', token: DEFAULT_TOKEN },
    searchPageSize: 20,
  });
  return messages;
}

function file(limit: number): ReleasesFile {
  const text = [
    'version: 1',
    `account_id: ${ACCOUNT}`,
    'releases:',
    '  - search:',
    '      domain: vendor.example',
    `      start: "${second(T0 - 10 * DAY)}"`,
    `      end: "${second(T0 - DAY)}"`,
    `      limit: ${limit}`,
    '    reason: payroll mail held by a new rule',
    '',
  ].join('\n');
  const r = loadReleases(text, 'releases.yaml', { now: T0 });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const searchPages = (e: Emulator) =>
  e.truth().requests.filter((r) => r.method === 'GET' && r.path.includes('/investigate?')).length;

describe('resolveSearches', () => {
  it('pages through every match within the limit; the answers are the details the check needs', async () => {
    const messages = await setup(45);
    const r = await resolveSearches(file(45), client);
    expect(r.outcomes[0]?.status).toEqual({
      kind: 'resolved',
      found: 45,
      planned: 45,
      duplicates: 0,
    });
    expect(r.file.releases.map((x) => x.id).sort()).toEqual(messages.map((m) => m.id).sort());
    expect(r.views.get(messageKey(ACCOUNT, messages[0]?.id as string))?.quarantined).toBe(true);
    expect(r.pages).toBe(3);
    expect(searchPages(emulator as Emulator)).toBe(3);
  });

  it('stops at the first page over the limit and plans nothing of the search', async () => {
    await setup(100);
    const r = await resolveSearches(file(30), client);
    expect(r.outcomes[0]?.status).toEqual({ kind: 'over-limit', found: 40 });
    expect(r.file.releases).toEqual([]);
    expect(searchPages(emulator as Emulator)).toBe(2);
  });

  it('a failed search plans nothing and says why; no API: unresolved, nothing asked', async () => {
    await setup(5, true);
    const r = await resolveSearches(file(10), client);
    expect(r.outcomes[0]?.status.kind).toBe('failed');
    expect(r.file.releases).toEqual([]);
    const offline = await resolveSearches(file(10), undefined);
    expect(offline.outcomes[0]?.status).toEqual({ kind: 'unresolved' });
    expect(offline.pages).toBe(0);
  });
});

describe('expandSearches (property)', () => {
  it('asks for each message at most once, and for every message found by some entry', () => {
    const base = file(50);
    const queue = fc.integer({ min: 0, max: 30 }).map((n) => `PropQ${String(n).padStart(4, '0')}`);
    const id = fc
      .tuple(queue, fc.boolean())
      .map(([q, long]) => (long ? `${q}-2026-11-02T10:00:00-${q.length}` : q));
    fc.assert(
      fc.property(fc.uniqueArray(id), fc.array(id, { maxLength: 40 }), (ids, found) => {
        const f: ReleasesFile = {
          ...base,
          releases: ids.map((x, index) => ({
            account_id: ACCOUNT,
            id: x,
            reason: 'r',
            index,
            line: index + 1,
            column: 1,
          })),
        };
        // Unique queue ids among the id entries, as the loader guarantees.
        const queues = new Set(ids.map(queueIdOf));
        if (queues.size !== ids.length) return;
        const views: MessageView[] = found.map((x) => ({
          id: x,
          quarantined: true,
          releaseRecorded: false,
        }));
        const answers = new Map<number, SearchAnswer>([[0, { kind: 'found', messages: views }]]);
        const out = expandSearches(f, answers).file.releases;
        const keys = out.map((r) => queueIdOf(r.id));
        expect(new Set(keys).size).toBe(keys.length);
        for (const x of found) expect(keys).toContain(queueIdOf(x));
      }),
    );
  });
});
