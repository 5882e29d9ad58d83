// The CLI's ledger history check: on when QUARANTINE_RELEASE_LEDGER_KEY is set and the ledger
// directory is in a git clone (adapters/ledger/local-history.ts).
import { repoOf } from '../adapters/files/git-history.js';
import { LocalLedgerHistory } from '../adapters/ledger/local-history.js';
import { keyProblem } from '../core/ledger/seal.js';
import type { Logger } from '../engine/ports.js';
import { type CliIO, UsageError } from './command.js';

export const LEDGER_KEY_VARIABLE = 'QUARANTINE_RELEASE_LEDGER_KEY';

/** The history of this ledger directory, or undefined (no key, or not in a git clone). */
export async function ledgerHistory(
  io: CliIO,
  dir: string,
  shown: string,
  log: Logger,
): Promise<LocalLedgerHistory | undefined> {
  const key = (io.env[LEDGER_KEY_VARIABLE] ?? '').trim();
  if (key === '') return undefined;
  const problem = keyProblem(key);
  if (problem) throw new UsageError(`${LEDGER_KEY_VARIABLE} ${problem}`);
  const repo = await repoOf(dir);
  if (!repo) {
    log.warn(
      `${LEDGER_KEY_VARIABLE} is set, but ${shown} is not in a git clone: the ledger's history is not checked`,
    );
    return undefined;
  }
  return new LocalLedgerHistory(repo, key, shown);
}
