// A reader that leaves early (`quarantine-release plan | head -1`): the bundled CLI, with its
// stdout or stderr pipe closed by the parent, exits quietly with the command's own exit code,
// never "Error: write EPIPE" and a stack trace; apply still records what it released.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_CLI } from '../support/cli.js';
import { type Scenario, scenario } from '../support/scenario.js';

interface ClosedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What arrived on the stream left open. */
  other: string;
  /** Bytes read from the closed stream before it was closed. */
  read: number;
}

/**
 * Runs dist/cli.js and closes its `stream` pipe: at once (before the child can have written
 * anything, as `cmd | true` does), or after the first chunk (as `cmd | head -1` does).
 */
function runClosed(
  args: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    stream?: 'stdout' | 'stderr';
    after?: 'start' | 'first-chunk';
  },
): Promise<ClosedRun> {
  const stream = options.stream ?? 'stdout';
  const child = spawn(process.execPath, [DIST_CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = stream === 'stdout' ? child.stdout : child.stderr;
  const open = stream === 'stdout' ? child.stderr : child.stdout;
  let other = '';
  let read = 0;
  open.on('data', (d: Buffer) => {
    other += d.toString();
  });
  if ((options.after ?? 'start') === 'start') closed.destroy();
  else
    closed.once('data', (d: Buffer) => {
      read = d.length;
      closed.destroy();
    });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, other, read });
    });
  });
}

/** Quiet: no crash, no stack trace, no word of the closed pipe. */
function expectQuiet(r: ClosedRun, code: number): void {
  expect(r.signal, r.other).toBeNull();
  expect(r.other).not.toMatch(/EPIPE|Unhandled 'error' event|ERR_STREAM/);
  expect(r.other, 'no stack trace').not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.code, r.other).toBe(code);
}

let s: Scenario;
let ids: string[];
beforeAll(async () => {
  s = await scenario({ messagesPerAccount: 40 });
  ids = s.quarantined(3);
  await s.writeReleases(ids);
  // 3,000 entries: about 300 KB of plan text, far more than a pipe's 64 KiB buffer, so the
  // CLI is still writing when a `head -1` reader leaves.
  const lines = ['version: 1', `account_id: ${s.account}`, 'releases:'];
  for (let i = 0; i < 3000; i++) {
    const queue = `Q${i.toString(36).padStart(15, '0')}`;
    lines.push(`  - id: ${queue}-2024-01-05T10:00:00-${String(i).padStart(8, '0')}`);
    lines.push('    reason: false positive');
  }
  await writeFile(join(s.dir, 'big.yaml'), `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await s.close();
});

describe('stdout closed before the first write', () => {
  // Every command that writes to stdout, in the order a user would run them; each exits with
  // the code it would have with its output read.
  const CASES: [args: string[], code: number][] = [
    [['--help'], 0],
    [['--version'], 0],
    [['validate'], 0],
    [['validate', '--format', 'json'], 0],
    [['validate', '--help'], 0],
    [['plan'], 0],
    [['plan', '--format', 'json'], 0],
    [['plan', '--format', 'markdown'], 0],
    [['emulator', '--help'], 0],
  ];

  it.each(CASES)('%j exits %i, quietly', async (args, code) => {
    expectQuiet(await runClosed(args, { cwd: s.dir, env: s.env }), code);
  });

  it('apply, then check: the release is recorded though its report could not be written', async () => {
    const apply = await runClosed(
      ['apply', '--unreviewed', '--format', 'json', '--settle-seconds', '0'],
      {
        cwd: s.dir,
        env: s.env,
      },
    );
    expectQuiet(apply, 0);
    const states = await s.states();
    expect(ids.map((id) => states.get(id)?.state)).toEqual(['released', 'released', 'released']);
    expect([...s.deliveries().values()]).toEqual([1, 1, 1]);
    const check = await runClosed(['check', '--settle-seconds', '0'], { cwd: s.dir, env: s.env });
    expectQuiet(check, 0);
    // Nothing was sent twice, and the lock of either run is gone: a later run reads its output.
    const plan = await s.cli(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('3 already released');
    expect(s.releasePostsCount()).toBe(1);
  });

  it('the demo stops at its first line, without a trace', async () => {
    // Stopped like a first SIGINT: its tour did not finish, so not 0.
    expectQuiet(await runClosed(['demo'], { cwd: s.dir, env: {} }), 1);
  });
});

describe('stdout closed after the first chunk, as `| head -1` does', () => {
  it.each([
    [['plan', '--releases', 'big.yaml']],
    [['plan', '--releases', 'big.yaml', '--format', 'json']],
  ])('%j exits 0, quietly', async (args) => {
    const full = await s.cli(args, { CLOUDFLARE_API_TOKEN: '' });
    expect(full.code, full.stderr).toBe(0);
    const r = await runClosed(args, {
      cwd: s.dir,
      env: { ...s.env, CLOUDFLARE_API_TOKEN: '' },
      after: 'first-chunk',
    });
    expectQuiet(r, 0);
    expect(r.other).toBe('');
    // The reader left early: the rest of the output met a closed pipe.
    expect(r.read).toBeGreaterThan(0);
    expect(r.read).toBeLessThan(full.stdout.length - 64 * 1024);
  });
});

describe('stderr closed', () => {
  it('a usage error still exits 2, not 1 from a crash', async () => {
    const r = await runClosed(['plan', '--no-such-option'], {
      cwd: s.dir,
      env: s.env,
      stream: 'stderr',
    });
    expectQuiet(r, 2);
    expect(r.other).toBe('');
  });

  it('apply stops as on a first SIGINT: nothing half-recorded, the next run releases each once', async () => {
    const own = await scenario({ messagesPerAccount: 40 });
    try {
      const wanted = own.quarantined(4);
      await own.writeReleases(wanted);
      const r = await runClosed(
        [
          'apply',
          '--unreviewed',
          '--batch-size',
          '1',
          '--concurrency',
          '1',
          '--settle-seconds',
          '0',
        ],
        { cwd: own.dir, env: own.env, stream: 'stderr' },
      );
      expect(r.signal).toBeNull();
      // Its first progress line met the closed pipe: the run stopped and still reported.
      expect(r.other).toContain('Stopped early: interrupted');
      expect([1, 3]).toContain(r.code);
      expect((await own.ledger()).filter((l) => l.state === 'pending')).toEqual([]);
      const again = await own.cli(['apply', '--unreviewed']);
      expect(again.code, again.stderr).toBe(0);
      expect(wanted.map((id) => own.deliveries().get(id))).toEqual([1, 1, 1, 1]);
    } finally {
      await own.close();
    }
  });
});
