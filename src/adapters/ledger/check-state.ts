// The drift check's cursor file on disk (the CLI), beside the ledger shards. Written whole to
// a temporary file, synced, then renamed over the old one: a crash leaves the old cursor or
// the new one, never half of one. The CLI holds the ledger lock meanwhile, so no other run of
// this host writes it at the same time.
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type CheckCursor,
  CURSOR_FILE,
  MAX_CURSOR_FILE_BYTES,
  mergeCursorFile,
} from '../../core/check/cursor.js';
import type { CheckStateRead, CheckStateStore } from '../../engine/ports.js';
import { readTextFile } from '../files/read-input.js';
import { fsyncDir, writeAndClose } from './file-store.js';

export class FileCheckState implements CheckStateStore {
  readonly path: string;

  constructor(ledgerDir: string) {
    this.path = join(ledgerDir, CURSOR_FILE);
  }

  async read(): Promise<CheckStateRead> {
    try {
      await lstat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    }
    // Refuses symbolic links, oversized and non-UTF-8 files.
    const read = await readTextFile(this.path, MAX_CURSOR_FILE_BYTES);
    return read.ok
      ? { kind: 'text', text: read.text }
      : { kind: 'unreadable', message: read.error.message };
  }

  async write(cursors: readonly CheckCursor[]): Promise<void> {
    const current = await this.read();
    const text = mergeCursorFile(
      current.kind === 'text' ? current.text : undefined,
      cursors,
      this.path,
    );
    if (current.kind === 'text' && current.text === text) return;
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      await writeAndClose(handle, text);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    // rename replaces a symbolic link itself, never the file it points to.
    await rename(temp, this.path);
    await fsyncDir(dir);
  }
}
