// The release body: the current form {"ids": [...]} first; the earlier bare array once more
// only after a 400 that refuses the body (nothing was done), then remembered for the run.
// Any other answer is never followed by a second POST of the same ids.
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareClient } from '../../src/adapters/cloudflare/client.js';
import { Pacer } from '../../src/adapters/cloudflare/rate-limit.js';
import { classifyRelease, rejectsReleaseBody } from '../../src/core/release/classify.js';
import {
  DEFAULT_TOKEN,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { systemClock } from '../../src/engine/ports.js';

let emulator: Emulator | undefined;
let client: CloudflareClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  emulator = undefined;
  client = undefined;
});

async function setup(options: EmulatorOptions = {}) {
  emulator = await startEmulator({ seed: 5, ...options });
  const logged: string[] = [];
  client = new CloudflareClient({
    settings: { baseUrl: emulator.url, credentials: { kind: 'token', token: DEFAULT_TOKEN } },
    pacer: new Pacer({ now: () => Date.now(), sleep: (ms, s) => systemClock.sleep(ms, s) }),
    log: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
  });
  const account = emulator.accounts[0] as string;
  const quarantined = emulator
    .messages(account)
    .filter((m) => m.details.is_quarantined && m.action_log.length === 0)
    .map((m) => m.details.id);
  return { e: emulator, c: client, account, quarantined, logged };
}

const forms = (e: Emulator) =>
  e
    .truth()
    .requests.filter((r) => r.method === 'POST')
    .map((r) => [r.form, r.status]);

describe('release body', () => {
  it('sends {"ids": [...]} to an account on the current description, once', async () => {
    const { e, c, account, quarantined, logged } = await setup();
    const [a, b] = quarantined as [string, string];
    const answer = await c.release(account, [a]);
    expect(classifyRelease([a], answer)).toMatchObject({ outcomes: [{ state: 'released' }] });
    await c.release(account, [b]);
    expect(forms(e)).toEqual([
      ['ids', 200],
      ['ids', 200],
    ]);
    expect(logged).toEqual([]);
  });

  it('falls back to the bare array after a body 400, says so, and keeps that form', async () => {
    const { e, c, account, quarantined, logged } = await setup({ releaseBody: 'array' });
    const [a, b, d] = quarantined as [string, string, string];
    const first = await c.release(account, [a, b]);
    expect(classifyRelease([a, b], first)).toMatchObject({
      outcomes: [{ state: 'released' }, { state: 'released' }],
    });
    await c.release(account, [d]);
    expect(forms(e)).toEqual([
      ['ids', 400],
      ['array', 200],
      ['array', 200],
    ]);
    expect(e.truth().releases.map((r) => r.id)).toEqual([a, b, d]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/bare array/);
  });

  it('never sends the other form after a 5xx, a timeout-like reset or a success: false', async () => {
    for (const kind of ['5xx', 'reset_after', 'success_false'] as const) {
      const { e, c, account, quarantined } = await setup({
        faults: { script: [{ kind, route: 'release', acted: true }] },
      });
      const id = quarantined[0] as string;
      const answer = await c.release(account, [id]);
      expect(classifyRelease([id], answer), kind).toMatchObject({
        outcomes: [{ state: 'unknown' }],
      });
      expect(forms(e).length, kind).toBe(1);
      await c.close();
      await e.close();
    }
    client = undefined;
    emulator = undefined;
  });

  it('does not resend after a 400 about the credentials, and stops the run on it', () => {
    const auth = {
      kind: 'response' as const,
      status: 400,
      body: {
        success: false,
        errors: [
          {
            code: 6003,
            message: 'Invalid request headers',
            error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
          },
        ],
        messages: [],
        result: null,
      },
    };
    expect(rejectsReleaseBody(auth)).toBe(false);
    const outcome = classifyRelease(['x'], auth);
    expect(outcome).toMatchObject({ kind: 'outcomes', outcomes: [{ state: 'failed' }] });
    expect(outcome.kind === 'outcomes' && outcome.stop).toMatch(/credentials/);
  });

  it('recognises a body refusal only on a 400 whose error names the body', () => {
    const answer = (status: number, message: string, code = 1001) => ({
      kind: 'response' as const,
      status,
      body: { success: false, errors: [{ code, message }], messages: [], result: null },
    });
    expect(rejectsReleaseBody(answer(400, 'Invalid request: the body must be a JSON array'))).toBe(
      true,
    );
    expect(rejectsReleaseBody(answer(400, 'Malformed JSON in request body', 6007))).toBe(true);
    expect(rejectsReleaseBody(answer(422, 'the body must be a JSON array'))).toBe(false);
    expect(rejectsReleaseBody(answer(400, 'Invalid account'))).toBe(false);
    expect(rejectsReleaseBody(answer(500, 'body'))).toBe(false);
    expect(rejectsReleaseBody({ kind: 'no-response', maybeSent: true, message: 'reset' })).toBe(
      false,
    );
  });

  it('a 400 not about the body is not resent; one refused in both forms is failed', async () => {
    const current = await setup();
    // An empty id is refused for what it is, not for the body's form: no second request.
    const answer = await current.c.release(current.account, ['']);
    expect(classifyRelease([''], answer)).toMatchObject({ outcomes: [{ state: 'failed' }] });
    expect(forms(current.e)).toEqual([['ids', 400]]);
    await current.c.close();
    await current.e.close();

    const old = await setup({ releaseBody: 'array' });
    const again = await old.c.release(old.account, ['']);
    expect(classifyRelease([''], again)).toMatchObject({ outcomes: [{ state: 'failed' }] });
    expect(old.e.truth().releases).toEqual([]);
    expect(forms(old.e)).toEqual([
      ['ids', 400],
      ['array', 400],
    ]);
  });
});
