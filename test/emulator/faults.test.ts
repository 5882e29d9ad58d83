import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  demoFixtures,
  type Emulator,
  FaultConfigError,
  type FaultKind,
  startEmulator,
} from '../../src/emulator/index.js';
import {
  ACCOUNT,
  call,
  getActionLog,
  getMessage,
  release,
  releasesPerId,
  search,
  transportFailure,
} from './helpers.js';

let em: Emulator;
const fx = demoFixtures();

beforeAll(async () => {
  em = await startEmulator();
});
afterAll(() => em.close());
afterEach(() => em.reset());

const quarantined = (id: string) =>
  em.messages(ACCOUNT).find((m) => m.details.id === id)?.details.is_quarantined;

describe('faults that do nothing', () => {
  it('5xx: a JSON envelope with the chosen status, or an HTML page', async () => {
    em.setFaults({ script: [{ kind: '5xx' }, { kind: '5xx', status: 502, html: true }] });
    const json = await release(em, [fx.bulk]);
    expect(json.status).toBe(503);
    expect(json.json.success).toBe(false);
    const html = await release(em, [fx.bulk]);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.json).toBeUndefined();
    expect(em.truth().releases).toEqual([]);
    expect(quarantined(fx.bulk)).toBe(true);
  });

  it('429: code 971 with Retry-After', async () => {
    em.setFaults({ script: [{ kind: '429', retryAfterSeconds: 7 }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.json.errors[0]).toEqual({ code: 971, message: expect.any(String) });
    expect(em.truth().releases).toEqual([]);
  });

  it('auth: 401 with 10000 for a valid credential', async () => {
    em.setFaults({ script: [{ kind: 'auth' }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.status).toBe(401);
    expect(answer.json.errors[0].code).toBe(10000);
    expect(em.truth().releases).toEqual([]);
  });

  it('reset_before: the connection drops and nothing is delivered', async () => {
    em.setFaults({ script: [{ kind: 'reset_before' }] });
    expect(await transportFailure(release(em, [fx.bulk]))).not.toBe('timeout');
    expect(em.truth().releases).toEqual([]);
    expect(em.truth().requests[0]).toMatchObject({ status: null, fault: 'reset_before' });
    expect(quarantined(fx.bulk)).toBe(true);
  });

  it('timeout_before: no answer ever, and nothing delivered', async () => {
    em.setFaults({ script: [{ kind: 'timeout_before' }] });
    const hung = call(em, `/accounts/${ACCOUNT}/email-security/investigate/release`, {
      body: { ids: [fx.bulk] },
      timeoutMs: 300,
    });
    expect(await transportFailure(hung)).toBe('timeout');
    expect(em.truth().releases).toEqual([]);
  });

  it('success_false without acting: 200, success false, no errors', async () => {
    em.setFaults({ script: [{ kind: 'success_false' }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ success: false, errors: [], messages: [], result: null });
    expect(em.truth().releases).toEqual([]);
  });
});

describe('faults that act, then spoil the answer', () => {
  it('reset_after: the connection drops but the message was delivered', async () => {
    em.setFaults({ script: [{ kind: 'reset_after' }] });
    expect(await transportFailure(release(em, [fx.bulk]))).not.toBe('timeout');
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
    expect(quarantined(fx.bulk)).toBe(false);
    expect(em.truth().requests[0]).toMatchObject({ status: null, fault: 'reset_after' });
  });

  it('timeout_after: no answer, but the message was delivered', async () => {
    em.setFaults({ script: [{ kind: 'timeout_after' }] });
    const hung = call(em, `/accounts/${ACCOUNT}/email-security/investigate/release`, {
      body: { ids: [fx.bulk] },
      timeoutMs: 300,
    });
    expect(await transportFailure(hung)).toBe('timeout');
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
  });

  it('malformed: 200 with a body that is not JSON', async () => {
    em.setFaults({ script: [{ kind: 'malformed' }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.status).toBe(200);
    expect(answer.json).toBeUndefined();
    expect(answer.text.startsWith('{"success":true')).toBe(true);
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
  });

  it('success_false after acting', async () => {
    em.setFaults({ script: [{ kind: 'success_false', acted: true }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.json).toEqual({ success: false, errors: [], messages: [], result: null });
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
  });

  it('missing_id: every id delivered, one left out of the result', async () => {
    em.setFaults({ script: [{ kind: 'missing_id' }] });
    const answer = await release(em, [fx.bulk, fx.spoof]);
    expect(answer.json.result).toHaveLength(1);
    expect(releasesPerId(em)).toEqual(
      new Map([
        [fx.bulk, 1],
        [fx.spoof, 1],
      ]),
    );
  });

  it('postfix_only: items carry postfix_id and no id', async () => {
    em.setFaults({ script: [{ kind: 'postfix_only' }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.json.result).toEqual([
      {
        postfix_id: fx.bulk.split('-')[0],
        delivered: expect.any(Array),
        failed: [],
        undelivered: [],
      },
    ]);
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
  });

  it('null_recipients: recipient lists are null', async () => {
    em.setFaults({ script: [{ kind: 'null_recipients' }] });
    const answer = await release(em, [fx.bulk]);
    expect(answer.json.result[0]).toEqual({
      id: fx.bulk,
      postfix_id: fx.bulk.split('-')[0],
      delivered: null,
      failed: null,
      undelivered: null,
    });
    expect(releasesPerId(em).get(fx.bulk)).toBe(1);
  });

  it('partial: some recipients missed; a retry delivers to those only', async () => {
    em.setFaults({ script: [{ kind: 'partial' }] });
    const recipients = em.messages(ACCOUNT).find((m) => m.details.id === fx.spam)?.details.to;
    const first = (await release(em, [fx.spam])).json.result[0];
    const missed = [...first.failed, ...first.undelivered];
    expect(first.delivered.length).toBeGreaterThan(0);
    expect(missed.length).toBeGreaterThan(0);
    expect([...first.delivered, ...missed].sort()).toEqual([...(recipients ?? [])].sort());
    // Still quarantined for those it missed; the release is in the log, marked partial.
    expect((await getMessage(em, fx.spam)).json.result.is_quarantined).toBe(true);
    const log = (await getActionLog(em, fx.spam)).json.result;
    expect(log.at(-1)).toMatchObject({ status: 'partial', success: false });

    const retry = (await release(em, [fx.spam])).json.result[0];
    expect(retry.delivered.sort()).toEqual(missed.sort());
    expect((await getMessage(em, fx.spam)).json.result.is_quarantined).toBe(false);
    expect(em.truth().releases.map((r) => r.delivered.length)).toEqual([
      first.delivered.length,
      missed.length,
    ]);
  });
});

describe('fault selection', () => {
  it('a script entry waits for a request of its route and kind; none lets one through', async () => {
    em.setFaults({
      script: [
        { kind: 'none', route: 'release' },
        { kind: '5xx', route: 'release' },
        { kind: 'partial' },
      ],
    });
    expect((await getMessage(em, fx.bulk)).status).toBe(200);
    expect((await release(em, [fx.bulk])).status).toBe(200);
    expect((await getMessage(em, fx.bulk)).status).toBe(200);
    expect((await release(em, [fx.bulk])).status).toBe(503);
    const partial = await release(em, [fx.spam]);
    expect(partial.json.result[0].delivered.length).toBeLessThan(3);
    expect((await release(em, [fx.spoof])).json.result[0].failed).toEqual([]);
    expect(em.truth().requests.map((r) => r.fault ?? '-')).toEqual([
      '-',
      '-',
      '-',
      '5xx',
      'partial',
      '-',
    ]);
  });

  it('random faults are the same for the same seed and request sequence', async () => {
    const rates = { '5xx': 0.2, reset_before: 0.1, malformed: 0.1, partial: 0.1 };
    const run = async (seed: number) => {
      const e = await startEmulator({ seed, faults: { rates } });
      try {
        for (let i = 0; i < 40; i++) {
          await release(e, [fx.spam]).catch(() => undefined);
          await getMessage(e, fx.bulk).catch(() => undefined);
        }
        return {
          faults: e.truth().requests.map((r) => r.fault ?? '-'),
          deliveries: e.truth().releases.map((r) => r.delivered.join(',')),
        };
      } finally {
        await e.close();
      }
    };
    const a = await run(11);
    const b = await run(11);
    expect(b).toEqual(a);
    const kinds = new Set(a.faults);
    expect(kinds.has('5xx') && kinds.has('-')).toBe(true);
    // `partial` applies to releases only.
    const getFaults = a.faults.filter((_, i) => i % 2 === 1);
    expect(getFaults).not.toContain('partial');
    expect((await run(12)).faults).not.toEqual(a.faults);
  });

  it('latency delays every request by at least latencyMs', async () => {
    em.setFaults({ latencyMs: 80, jitterMs: 20 });
    const started = performance.now();
    await getMessage(em, fx.bulk);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('accepted: 202 then the page, after the extra polls asked for', async () => {
    em.setFaults({ script: [{ kind: 'accepted', polls: 2 }] });
    const first = await search(em, { per_page: '3' });
    expect(first.status).toBe(202);
    expect(first.json.result).toEqual([]);
    const location = first.headers.get('location') as string;
    expect(location.startsWith('http://127.0.0.1:')).toBe(true);
    expect((await call(em, location)).status).toBe(202);
    expect((await call(em, location)).status).toBe(202);
    const page = await call(em, location);
    expect(page.status).toBe(200);
    expect(page.json.result).toHaveLength(3);
  });

  it('refuses configurations that cannot work', () => {
    const bad: unknown[] = [
      { script: [{ kind: 'partial', route: 'message' }] },
      { script: [{ kind: 'explode' }] },
      { rates: { '5xx': 0.7, reset_after: 0.7 } },
      { rates: { none: 0.1 } },
      { latencyMs: -1 },
      { surprise: true },
    ];
    for (const config of bad) {
      expect(() => em.setFaults(config as never), JSON.stringify(config)).toThrow(FaultConfigError);
    }
  });

  it('close() ends hung requests: nothing leaks and tests can exit', async () => {
    const e = await startEmulator({
      faults: { script: [{ kind: 'timeout_before' }, { kind: 'timeout_after' }], latencyMs: 0 },
    });
    const hung = [fx.bulk, fx.spam].map((id) =>
      transportFailure(release(e, [id]).then(() => undefined)),
    );
    // Let both requests arrive before closing.
    for (let i = 0; i < 50 && e.truth().requests.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await e.close();
    const outcomes = await Promise.all(hung);
    expect(outcomes.every((o) => o !== 'timeout')).toBe(true);
    const kinds: (FaultKind | undefined)[] = e.truth().requests.map((r) => r.fault);
    expect(kinds.sort()).toEqual(['timeout_after', 'timeout_before']);
  });
});
