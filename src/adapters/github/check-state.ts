// The drift check's cursor file on a branch, committed through the ledger store: the same
// compare-and-swap commits, and on a race the file is re-read and merged on the new head, so
// a cursor saved meanwhile by another check (another account's job) is kept.
import {
  type CheckCursor,
  MAX_CURSOR_FILE_BYTES,
  mergeCursorFile,
} from '../../core/check/cursor.js';
import type { CheckStateRead, CheckStateStore } from '../../engine/ports.js';
import type { GitHubBranchStore } from './branch-store.js';

export class GitHubCheckState implements CheckStateStore {
  constructor(
    private readonly store: GitHubBranchStore,
    /** Repository path; must be one of the store's `extraFiles`. */
    readonly path: string,
    private readonly commitMessage: string,
  ) {}

  async read(): Promise<CheckStateRead> {
    const file = await this.store.readFile(this.path);
    if (file.kind === 'link')
      return {
        kind: 'unreadable',
        message: 'is a symbolic link: ignored, it must be a plain file',
      };
    if (file.kind === 'text' && file.text.length > MAX_CURSOR_FILE_BYTES)
      return { kind: 'unreadable', message: `larger than ${MAX_CURSOR_FILE_BYTES} bytes` };
    return file;
  }

  async write(cursors: readonly CheckCursor[]): Promise<void> {
    await this.store.updateFile(
      this.path,
      (current) =>
        mergeCursorFile(
          current !== undefined && current.length <= MAX_CURSOR_FILE_BYTES ? current : undefined,
          cursors,
          this.path,
        ),
      this.commitMessage,
    );
  }
}
