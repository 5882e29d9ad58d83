import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ACCOUNT,
  demoFixtures,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import {
  ACCOUNT,
  call,
  getActionLog,
  getMessage,
  investigate,
  release,
  releasesPerId,
} from './helpers.js';

const OTHER = 'aaaabbbbccccddddeeeeffff00001111';
let em: Emulator;
const fx = demoFixtures(3, ACCOUNT);

beforeAll(async () => {
  em = await startEmulator({ seed: 3, accounts: [DEFAULT_ACCOUNT, OTHER] });
});
afterAll(() => em.close());
afterEach(() => em.reset());

const stateOf = (id: string, account = ACCOUNT) =>
  em.messages(account).find((m) => m.details.id === id);

describe('release', () => {
  it('delivers to every recipient and records it: state, action log, truth', async () => {
    const before = stateOf(fx.spam);
    expect(before?.details.is_quarantined).toBe(true);
    const recipients = before?.details.to ?? [];
    expect(recipients).toHaveLength(3);

    const answer = await release(em, [fx.spam]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: [
        {
          id: fx.spam,
          postfix_id: fx.spam.split('-')[0],
          delivered: recipients,
          failed: [],
          undelivered: [],
        },
      ],
    });

    const details = (await getMessage(em, fx.spam)).json.result;
    expect(details.is_quarantined).toBe(false);
    expect(details.post_delivery_operations).toContain('QUARANTINE_RELEASE');
    const log = (await getActionLog(em, fx.spam)).json.result;
    expect(log).toEqual([
      {
        operation: 'QUARANTINE_RELEASE',
        started_at: expect.any(String),
        completed_at: expect.any(String),
        status: 'completed',
        success: true,
        properties: expect.objectContaining({ delivered: recipients }),
      },
    ]);

    const truth = em.truth();
    expect(truth.releases).toEqual([
      {
        account_id: ACCOUNT,
        id: fx.spam,
        at: expect.any(String),
        delivered: recipients,
        failed: [],
        undelivered: [],
        request: 1,
      },
    ]);
    expect(truth.requests[0]).toMatchObject({ seq: 1, method: 'POST', status: 200 });
  });

  it('delivers again when a released message is released again: the harm truth() shows', async () => {
    await release(em, [fx.malicious]);
    const second = await release(em, [fx.malicious]);
    expect(second.json.result[0].delivered).toHaveLength(2);
    // The message released before the emulator started is delivered again too.
    const already = await release(em, [fx.released]);
    expect(already.json.result[0].delivered).toEqual(stateOf(fx.released)?.details.to);
    const counts = releasesPerId(em);
    expect(counts.get(fx.malicious)).toBe(2);
    expect(counts.get(fx.released)).toBe(1);
    const log = (await getActionLog(em, fx.released)).json.result;
    expect(
      log.filter((e: { operation: string }) => e.operation === 'QUARANTINE_RELEASE'),
    ).toHaveLength(2);
  });

  it('leaves unknown ids out of the result; GET answers 404 for them', async () => {
    const [missing] = fx.missing as [string];
    const answer = await release(em, [missing, fx.bulk, 'ZZZZZ']);
    expect(answer.json.result.map((r: { id: string }) => r.id)).toEqual([fx.bulk]);
    expect((await getMessage(em, missing)).status).toBe(404);
    expect([...releasesPerId(em).keys()]).toEqual([fx.bulk]);
  });

  it('takes full investigate ids only: a bare postfix id is unknown, left out and never released', async () => {
    const bare = fx.spoof.split('-')[0] as string;
    const answer = await release(em, [bare]);
    expect(answer.status).toBe(200);
    expect(answer.json.result).toEqual([]);
    expect(em.truth().releases).toEqual([]);
    expect((await getMessage(em, bare)).status).toBe(404);
    const full = await release(em, [fx.spoof]);
    expect(full.json.result[0]).toMatchObject({ id: fx.spoof, postfix_id: bare });
  });

  it('delivers twice when one request names a message twice', async () => {
    await release(em, [fx.bulk, fx.bulk]);
    expect(releasesPerId(em).get(fx.bulk)).toBe(2);
  });

  it('keeps accounts apart', async () => {
    const answer = await release(em, [fx.bulk], undefined, OTHER);
    expect(answer.json.result).toEqual([]);
    const other = demoFixtures(3, OTHER);
    expect(other.bulk).not.toBe(fx.bulk);
    const own = await release(em, [other.bulk], undefined, OTHER);
    expect(own.json.result[0].id).toBe(other.bulk);
    expect(em.truth().releases[0]?.account_id).toBe(OTHER);
    expect(stateOf(fx.bulk)?.details.is_quarantined).toBe(true);
  });

  it('refuses bodies that are not {"ids": [...]} of id strings, delivering nothing', async () => {
    const path = `${investigate()}/release`;
    const cases: [string, number, number][] = [
      ['not json', 400, 6007],
      [JSON.stringify([fx.bulk]), 400, 1001],
      [JSON.stringify({ ids: [fx.bulk, 7] }), 400, 1001],
      [JSON.stringify({ ids: [] }), 400, 1001],
      [JSON.stringify({ id: [fx.bulk] }), 400, 1001],
      [JSON.stringify(fx.bulk), 400, 1001],
    ];
    for (const [raw, status, code] of cases) {
      const answer = await call(em, path, { method: 'POST', raw });
      expect(answer.status, raw).toBe(status);
      expect(answer.json.errors[0].code, raw).toBe(code);
      expect(answer.json.result).toBeNull();
    }
    expect(em.truth().releases).toEqual([]);
  });

  it('refuses a body over the size cap with 413', async () => {
    const huge = `[${'"x",'.repeat(2_200_000)}"x"]`;
    const answer = await call(em, `${investigate()}/release`, { method: 'POST', raw: huge });
    expect(answer.status).toBe(413);
  });

  it('answers unknown routes 404 (7000) and wrong methods 405, in the envelope', async () => {
    const nowhere = await call(em, `/accounts/${ACCOUNT}/email-security/elsewhere`);
    expect(nowhere.status).toBe(404);
    expect(nowhere.json.errors[0].code).toBe(7000);
    const wrong = await call(em, `${investigate()}/release`);
    expect(wrong.status).toBe(405);
    const post = await call(em, `${investigate()}/${fx.bulk}`, { method: 'POST', body: [] });
    expect(post.status).toBe(405);
    expect(post.json.success).toBe(false);
  });

  it('counts every request in truth(), in order, with its status', async () => {
    await getMessage(em, fx.bulk);
    await release(em, [fx.bulk]);
    await getMessage(em, fx.missing[0] as string);
    const requests = em.truth().requests;
    expect(requests.map((r) => [r.seq, r.method, r.status])).toEqual([
      [1, 'GET', 200],
      [2, 'POST', 200],
      [3, 'GET', 404],
    ]);
    expect(em.truth().releases[0]?.request).toBe(2);
  });

  it('reset() restores the mailbox and clears truth', async () => {
    await release(em, [fx.spam]);
    em.reset();
    expect(stateOf(fx.spam)?.details.is_quarantined).toBe(true);
    expect(em.truth()).toEqual({ releases: [], requests: [] });
  });

  it('records the body form in truth() and takes only the forms it is set to take', async () => {
    await release(em, [fx.bulk]);
    expect(em.truth().requests[0]).toMatchObject({ ids: [fx.bulk], form: 'ids' });
    const path = `${investigate()}/release`;
    const old = await startEmulator({ seed: 3, releaseBody: 'array' });
    const either = await startEmulator({ seed: 3, releaseBody: 'either' });
    try {
      const refused = await call(old, path, { method: 'POST', body: { ids: [fx.bulk] } });
      expect(refused.status).toBe(400);
      expect(refused.json.errors[0].message).toMatch(/JSON array/);
      expect(old.truth().releases).toEqual([]);
      expect((await call(old, path, { method: 'POST', body: [fx.bulk] })).status).toBe(200);
      expect(old.truth().requests.map((r) => r.form)).toEqual(['ids', 'array']);
      expect((await call(either, path, { method: 'POST', body: [fx.bulk] })).status).toBe(200);
      expect((await call(either, path, { method: 'POST', body: { ids: [fx.spam] } })).status).toBe(
        200,
      );
      expect(either.truth().releases.map((r) => r.id)).toEqual([fx.bulk, fx.spam]);
    } finally {
      await old.close();
      await either.close();
    }
    await expect(() => startEmulator({ releaseBody: 'both' as never })).rejects.toThrow(
      /releaseBody/,
    );
  });
});
