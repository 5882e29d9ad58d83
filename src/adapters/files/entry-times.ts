// When the requests file last changed on disk, for the CLI's drift check: every entry the
// ledger does not hold has waited at least since then (core/check/unapplied). Nothing in a
// plain folder tells when each entry was added.
import { lstat } from 'node:fs/promises';
import type { EntrySince } from '../../core/check/unapplied.js';
import type { EntryTimes } from '../../engine/ports.js';

export class FileEntryTimes implements EntryTimes {
  constructor(
    private readonly path: string,
    /** The file as the user named it, for the report. */
    private readonly shown: string,
  ) {}

  async since(): Promise<EntrySince> {
    const { mtime } = await lstat(this.path);
    return {
      basis: 'file',
      at: mtime.toISOString(),
      source: `the last change of ${this.shown} (its modification time): each entry has waited at least since then`,
    };
  }
}
