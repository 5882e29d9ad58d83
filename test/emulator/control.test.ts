import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFixtures, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { ACCOUNT, call, release } from './helpers.js';

let em: Emulator;
let origin: string;
const fx = demoFixtures();

beforeAll(async () => {
  em = await startEmulator();
  origin = new URL(em.url).origin;
});
afterAll(() => em.close());

const control = (path: string, body?: unknown, raw?: string) =>
  call(em, `${origin}/__emulator/${path}`, {
    headers: {},
    ...(raw !== undefined ? { raw, method: 'POST' } : body !== undefined ? { body } : {}),
  });

describe('control endpoints', () => {
  it('GET truth answers what truth() says, without counting itself', async () => {
    await release(em, [fx.bulk]);
    const answer = await control('truth');
    expect(answer.status).toBe(200);
    expect(answer.json.result).toEqual(em.truth());
    expect(answer.json.result.requests).toHaveLength(1);
  });

  it('POST faults sets the fault configuration, and refuses an invalid one', async () => {
    expect((await control('faults', { script: [{ kind: '5xx', route: 'release' }] })).status).toBe(
      200,
    );
    expect((await release(em, [fx.spam])).status).toBe(503);
    const invalid = await control('faults', { script: [{ kind: 'boom' }] });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors[0].message).toMatch(/kind must be one of/);
    expect((await control('faults', undefined, '{oops')).status).toBe(400);
  });

  it('POST reset restores the mailbox and clears truth and faults', async () => {
    await control('reset', {});
    expect((await release(em, [fx.spam])).status).toBe(200);
    await control('faults', { script: [{ kind: '5xx' }] });
    expect((await control('reset', {})).status).toBe(200);
    expect(em.truth()).toEqual({ releases: [], requests: [] });
    const spam = em.messages(ACCOUNT).find((m) => m.details.id === fx.spam);
    expect(spam?.details.is_quarantined).toBe(true);
    expect((await release(em, [fx.bulk])).status).toBe(200);
  });

  it('unknown control paths answer 404', async () => {
    expect((await control('nothing')).status).toBe(404);
  });

  it('are not served when control is false', async () => {
    const quiet = await startEmulator({ control: false });
    try {
      const answer = await call(quiet, `${new URL(quiet.url).origin}/__emulator/truth`);
      expect(answer.status).toBe(404);
      expect(answer.json.errors[0].code).toBe(7000);
      expect(quiet.truth().requests).toHaveLength(1);
    } finally {
      await quiet.close();
    }
  });
});
