// The drift check's cursor file on disk: a symbolic link is never read nor written through,
// and a save replaces the file whole.
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCheckState } from '../../src/adapters/ledger/check-state.js';
import type { CheckCursor } from '../../src/core/check/cursor.js';
import { ACCOUNT } from '../support/factories.js';

const cursor: CheckCursor = {
  v: 1,
  account_id: ACCOUNT,
  after: 'Q0000000000A',
  pass_started: '2026-11-01T00:00:00.000Z',
  at: '2026-11-02T00:00:00.000Z',
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('FileCheckState', () => {
  it('missing, then written, then read back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qr-cursor-'));
    const state = new FileCheckState(join(dir, 'releases.ledger'));
    expect(await state.read()).toEqual({ kind: 'missing' });
    await state.write([cursor]);
    const read = await state.read();
    expect(read.kind === 'text' && JSON.parse(read.text)).toMatchObject({ after: 'Q0000000000A' });
  });

  it('refuses to read through a symbolic link, and a save replaces the link, not its target', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qr-cursor-'));
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'do not read me\n');
    const ledger = join(dir, 'releases.ledger');
    const state = new FileCheckState(ledger);
    await mkdir(ledger);
    await symlink(secret, state.path);
    const read = await state.read();
    expect(read.kind).toBe('unreadable');
    await state.write([cursor]);
    expect(await readFile(secret, 'utf8')).toBe('do not read me\n');
    expect((await lstat(state.path)).isSymbolicLink()).toBe(false);
    expect(await readFile(state.path, 'utf8')).toContain('Q0000000000A');
  });
});
