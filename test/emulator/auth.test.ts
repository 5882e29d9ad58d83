import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFixtures, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { ACCOUNT, call, getMessage, investigate, LEGACY, READ_ONLY, release } from './helpers.js';

let em: Emulator;
const fx = demoFixtures();

beforeAll(async () => {
  em = await startEmulator();
});
afterAll(() => em.close());

const get = (headers: Record<string, string>) =>
  call(em, `${investigate()}/${fx.spam}`, { headers });

describe('authentication', () => {
  it('accepts an API token and the legacy e-mail + global key pair', async () => {
    expect((await get({ Authorization: 'Bearer emulator-token' })).status).toBe(200);
    expect((await get(LEGACY)).status).toBe(200);
    // The e-mail is matched case-insensitively, as Cloudflare user e-mails are.
    expect((await get({ ...LEGACY, 'X-Auth-Email': 'Demo@Example.com' })).status).toBe(200);
  });

  it('missing credentials: 400 with code 9106, also when only half the legacy pair is sent', async () => {
    const halves: Record<string, string>[] = [
      {},
      { 'X-Auth-Email': 'demo@example.com' },
      { 'X-Auth-Key': 'k' },
    ];
    for (const headers of halves) {
      const answer = await get(headers);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        success: false,
        errors: [{ code: 9106, message: expect.any(String) }],
        messages: [],
        result: null,
      });
    }
  });

  it('a malformed Authorization header: 400 with 6003 and the 6111 cause', async () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', 'emulator-token']) {
      const answer = await get({ Authorization: value });
      expect(answer.status).toBe(400);
      expect(answer.json.errors[0].code).toBe(6003);
      expect(answer.json.errors[0].error_chain[0].code).toBe(6111);
    }
  });

  it('unknown token: 401 with 10000; unknown e-mail or key: 403 with 9103', async () => {
    const token = await get({ Authorization: 'Bearer not-a-token' });
    expect(token.status).toBe(401);
    expect(token.json.errors[0].code).toBe(10000);
    for (const headers of [
      { ...LEGACY, 'X-Auth-Key': 'wrong' },
      { ...LEGACY, 'X-Auth-Email': 'someone@example.com' },
    ]) {
      const answer = await get(headers);
      expect(answer.status).toBe(403);
      expect(answer.json.errors[0].code).toBe(9103);
    }
  });

  it('a read-only token reads but cannot release (403, 9109), and nothing is delivered', async () => {
    expect((await get(READ_ONLY)).status).toBe(200);
    const answer = await release(em, [fx.bulk], READ_ONLY);
    expect(answer.status).toBe(403);
    expect(answer.json.errors[0].code).toBe(9109);
    expect(em.truth().releases).toEqual([]);
    expect((await getMessage(em, fx.bulk)).json.result.is_quarantined).toBe(true);
  });

  it('an account not served: 403; an account id that is not one: 400 (7003)', async () => {
    const other = await call(em, investigate('ffffffffffffffffffffffffffffffff'));
    expect(other.status).toBe(403);
    expect(other.json.success).toBe(false);
    const malformed = await call(em, '/accounts/not-an-account/email-security/investigate');
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors[0].code).toBe(7003);
  });

  it('answers rate-limit headers only to identified credentials', async () => {
    expect((await get({})).headers.get('ratelimit')).toBeNull();
    expect((await get(LEGACY)).headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
  });

  it('serves the credentials it is given instead of the defaults', async () => {
    const custom = await startEmulator({
      credentials: {
        tokens: [{ token: 'ci-token', write: false }],
        keys: [{ email: 'ops@example.org', key: 'k1', write: true }],
      },
    });
    try {
      const path = `${investigate()}/release`;
      const byToken = await call(custom, path, {
        body: { ids: [fx.bulk] },
        headers: { Authorization: 'Bearer ci-token' },
      });
      expect(byToken.status).toBe(403);
      const byKey = await call(custom, path, {
        body: { ids: [fx.bulk] },
        headers: { 'X-Auth-Email': 'ops@example.org', 'X-Auth-Key': 'k1' },
      });
      expect(byKey.status).toBe(200);
      const defaults = await call(custom, `${investigate()}/${fx.bulk}`);
      expect(defaults.status).toBe(401);
      // The action log names the user of a legacy key, never a secret.
      const log = custom.messages(ACCOUNT).find((m) => m.details.id === fx.bulk)?.action_log;
      expect(log?.at(-1)?.properties).toMatchObject({ requested_by: 'ops@example.org' });
    } finally {
      await custom.close();
    }
  });
});
