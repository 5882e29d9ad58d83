// The CLI's ledger lock when a run died holding it: two runs that find the same dead lock must
// not both take it over (the slower would remove the lock the faster had just made, both would
// run, and both could send the same messages). Found by chaos seed 29 on a loaded machine.
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerLock, LedgerLockedError } from '../../src/adapters/ledger/file-store.js';

/** A pid no process has (above the kernel's pid_max on Linux). */
const DEAD_PID = 2 ** 22 + 12_345;

async function ledgerWithDeadLock(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'qr-lock-')), 'releases.ledger');
  await mkdir(dir);
  await writeFile(
    LedgerLock.pathFor(dir),
    JSON.stringify({ pid: DEAD_PID, host: hostname(), since: '2026-12-03T10:00:00.000Z' }),
  );
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('taking over the lock of a run that died', () => {
  it('two runs at once, a few ms apart: exactly one holds the lock, the other is refused', async () => {
    for (let i = 0; i < 40; i++) {
      const dir = await ledgerWithDeadLock();
      const runs = await Promise.allSettled([
        LedgerLock.acquire(dir),
        sleep(i % 5).then(() => LedgerLock.acquire(dir)),
      ]);
      expect(
        runs.filter((r) => r.status === 'fulfilled'),
        `trial ${i}`,
      ).toHaveLength(1);
      const refused = runs.find((r) => r.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(LedgerLockedError);
    }
  });

  it('one run alone takes it over', async () => {
    const dir = await ledgerWithDeadLock();
    const lock = await LedgerLock.acquire(dir);
    await expect(LedgerLock.acquire(dir)).rejects.toBeInstanceOf(LedgerLockedError);
    await lock.release();
    await (await LedgerLock.acquire(dir)).release();
  });

  it('while another run is taking it over (its takeover file is fresh), a run is refused', async () => {
    const dir = await ledgerWithDeadLock();
    await writeFile(`${LedgerLock.pathFor(dir)}.takeover`, '{}');
    await expect(LedgerLock.acquire(dir)).rejects.toBeInstanceOf(LedgerLockedError);
  });

  it('a takeover file left by a run killed while taking over is itself taken over after a minute', async () => {
    const dir = await ledgerWithDeadLock();
    const takeover = `${LedgerLock.pathFor(dir)}.takeover`;
    await writeFile(takeover, '{}');
    const old = new Date(Date.now() - 120_000);
    await utimes(takeover, old, old);
    await (await LedgerLock.acquire(dir)).release();
  });
});
