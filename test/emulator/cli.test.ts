import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO, OptionValues } from '../../src/cli/command.js';
import { UsageError } from '../../src/cli/command.js';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { demoFixtures } from '../../src/emulator/index.js';
import { ACCOUNT } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qr-emulator-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Starts the command; resolves once it prints its URL (or ends early). */
async function start(values: OptionValues) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    cwd: dir,
    signal: controller.signal,
  };
  let finished = false;
  const exit = emulatorCommand.run(values, io);
  const done = () => {
    finished = true;
  };
  exit.then(done, done);
  for (let i = 0; i < 500 && !finished && !out.join('').includes('Press Ctrl-C'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const stdout = out.join('');
  const url = /listening on (\S+)/.exec(stdout)?.[1];
  return { stdout, stderr: () => err.join(''), url, exit, stop: () => controller.abort() };
}

describe('quarantine-release emulator', () => {
  it('prints the URL, credentials and demo ids, serves them, and stops on the signal', async () => {
    const run = await start({ seed: '4', 'rate-limit': '50/10', 'latency-ms': '1' });
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(run.stdout).toContain(`CLOUDFLARE_API_BASE_URL=${run.url}\n`);
    expect(run.stdout).toContain('CLOUDFLARE_API_TOKEN=emulator-token\n');
    const fx = demoFixtures(4, ACCOUNT);
    expect(run.stdout).toContain(fx.hostileSubject);
    expect(run.stdout).toContain(fx.missing.join(' '));
    const answer = await fetch(
      `${run.url}/accounts/${ACCOUNT}/email-security/investigate/${fx.spam}`,
      {
        headers: { Authorization: 'Bearer emulator-token' },
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-policy')).toBe('"default";q=50;w=10');
    run.stop();
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain('stopped');
  });

  it('serves a --messages file, and applies --fault-rate', async () => {
    const file = join(dir, 'mailbox.json');
    const id = 'FILEMSG00001-2026-10-01T10:00:00-12345678';
    await writeFile(file, JSON.stringify([{ id, to: ['a@example.com'] }]));
    const run = await start({ messages: 'mailbox.json', 'fault-rate': '5xx=1' });
    try {
      expect(run.stdout).toContain(`Account ${ACCOUNT}: 1 messages.`);
      const answer = await fetch(
        `${run.url}/accounts/${ACCOUNT}/email-security/investigate/${id}`,
        {
          headers: { Authorization: 'Bearer emulator-token' },
        },
      );
      expect(answer.status).toBeGreaterThanOrEqual(500);
    } finally {
      run.stop();
      await run.exit;
    }
  });

  it('exits 1 with every problem of an invalid --messages file', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify([{ id: 'x', to: ['a@example.com'] }, 3]));
    await writeFile(join(dir, 'broken.json'), '[{');
    for (const [file, expected] of [
      ['bad.json', ['bad.json[0].id: must be a long message id', 'bad.json[1]: must be an object']],
      ['broken.json', ['broken.json: not valid JSON']],
      ['absent.json', ['absent.json: file not found']],
    ] as const) {
      const run = await start({ messages: file });
      expect(await run.exit).toBe(1);
      for (const text of expected) expect(run.stderr()).toContain(text);
      expect(run.url).toBeUndefined();
    }
  });

  it('refuses bad options as usage errors', async () => {
    const cases: OptionValues[] = [
      { 'rate-limit': '10 per minute' },
      { 'fault-rate': 'explode=0.5' },
      { 'fault-rate': '5xx=2' },
      { accounts: 'not-an-account' },
      { port: '70000' },
    ];
    for (const values of cases) {
      const run = start(values);
      await expect(
        run.then((r) => r.exit),
        JSON.stringify(values),
      ).rejects.toThrow(UsageError);
    }
  });
});
