// The ledger of a pull request's checkout, held to its base branch's: a pull request may not
// add, change or remove a single ledger line (only the tool writes the ledger, on the default
// branch). Read-only: a plan never writes.
import type { Diagnostic } from '../../core/diagnostics.js';
import { checkUnchanged } from '../../core/ledger/seal.js';
import type { ShardText } from '../../core/ledger/state.js';
import type { LedgerStore } from '../../engine/ports.js';
import { readLedgerDir } from '../files/read-input.js';

export class PullRequestLedger implements LedgerStore {
  constructor(
    /** The ledger directory in the checkout. */
    private readonly dir: string,
    /** The ledger directory as shown in messages (repository-relative). */
    private readonly shown: string,
    /** The base branch's ledger, or undefined when there is no base to hold it to. */
    private readonly base: { name: string; shards: () => Promise<ShardText[]> } | undefined,
  ) {}

  async read(): Promise<{ shards: ShardText[]; errors: Diagnostic[] }> {
    // The whole ledger is held: it is compared with the base's, shard by shard.
    const shards: ShardText[] = [];
    const read = await readLedgerDir(this.dir, (s) =>
      shards.push({ ...s, path: `${this.shown}/${s.name}` }),
    );
    const errors = read.map((e) => ({ ...e, file: this.relative(e.file) }));
    if (this.base && errors.length === 0) {
      errors.push(
        ...checkUnchanged(shards, await this.base.shards(), {
          dir: this.shown,
          base: this.base.name,
        }),
      );
    }
    return { shards, errors };
  }

  async writeAhead(): Promise<void> {
    throw new Error('a pull request plan never writes the ledger');
  }

  async append(): Promise<void> {
    throw new Error('a pull request plan never writes the ledger');
  }

  async flush(): Promise<void> {}

  private relative(file: string): string {
    return file.startsWith(this.dir) ? `${this.shown}${file.slice(this.dir.length)}` : file;
  }
}
