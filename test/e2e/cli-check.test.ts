// The drift check through the bundled CLI against the emulator.
import { afterEach, describe, expect, it } from 'vitest';
import { idTime } from '../../src/engine/inspect.js';
import { type Scenario, scenario } from '../support/scenario.js';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('check', () => {
  it('finds released messages back in quarantine (exit 1), with a search per time window', async () => {
    s = await scenario();
    const ids = s.quarantined(6);
    await s.writeReleases(ids);
    expect((await s.cli(['apply'])).code).toBe(0);
    const clean = await s.cli(['check']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('No drift');
    expect(clean.stdout).toContain('Checked 6 of 6 released message(s) this run.');

    s.emulator.requarantine(s.account, ids[2] as string);
    const before = s.emulator.truth().requests.length;
    const r = await s.cli(['check', '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.drift.map((d: { id: string }) => d.id)).toEqual([ids[2]]);
    // Searches, not one lookup per message.
    const requests = s.emulator.truth().requests.slice(before);
    expect(
      requests.every((q) => q.method === 'GET' && q.path.includes('delivery_status=quarantined')),
    ).toBe(true);
    expect(requests.length).toBeLessThan(ids.length);
    expect(s.releasePostsCount()).toBe(1);
  });

  it('resolves sends with no known outcome and releases nothing', async () => {
    s = await scenario();
    const ids = s.quarantined(2);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'reset_after', route: 'release' }] });
    expect((await s.cli(['apply', '--batch-size', '1', '--concurrency', '1'])).code).toBe(3);
    const r = await s.cli(['check', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(
      json.resolved.results.map((x: { state: string; via: string }) => [x.state, x.via]),
    ).toEqual([['released', 'readback']]);
    expect(s.releasePostsCount()).toBe(2);
    expect([...s.deliveries().values()]).toEqual([1, 1]);
  });

  it('records a pending send proven never released, so apply then sends it without reading back', async () => {
    s = await scenario();
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    s.emulator.setFaults({ script: [{ kind: 'reset_before', route: 'release' }] });
    expect((await s.cli(['apply'])).code).toBe(3);
    const r = await s.cli(['check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await s.states()).get(ids[0] as string)).toMatchObject({
      state: 'pending',
      sent: false,
    });
    const logsBefore = s.emulator
      .truth()
      .requests.filter((q) => q.path.endsWith('/action_log')).length;
    expect((await s.cli(['apply'])).code).toBe(0);
    expect(s.emulator.truth().requests.filter((q) => q.path.endsWith('/action_log')).length).toBe(
      logsBefore,
    );
    expect(s.deliveries().get(ids[0] as string)).toBe(1);
  });

  it('with a small budget, checks part and says so (exit 3); a refused credential is exit 1', async () => {
    s = await scenario({ messagesPerAccount: 200 });
    // Messages at least three days apart: each needs a search window of its own.
    const ids: string[] = [];
    for (const id of s.quarantined(60).sort((a, b) => (idTime(a) ?? 0) - (idTime(b) ?? 0))) {
      const last = ids.at(-1);
      if (last === undefined || (idTime(id) ?? 0) - (idTime(last) ?? 0) >= 3 * 86_400_000)
        ids.push(id);
    }
    expect(ids.length).toBeGreaterThanOrEqual(3);
    await s.writeReleases(ids);
    expect((await s.cli(['apply'])).code).toBe(0);
    const r = await s.cli(['check', '--lookup-budget', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      new RegExp(
        `Checked \\d+ of ${ids.length} released message\\(s\\) this run \\(the rest on later runs\\)`,
      ),
    );
    const none = await s.cli(['check'], { CLOUDFLARE_API_TOKEN: '' });
    expect(none.code).toBe(1);
  });
});
