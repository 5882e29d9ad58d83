// The ledger folder named by --ledger. plan and check refuse one that does not exist: a
// mistyped path must not read as "nothing was ever released". Only apply creates it.
import { stat } from 'node:fs/promises';
import { LedgerLock, LedgerLockedError } from '../adapters/ledger/file-store.js';
import { escapeLogText } from '../core/render/escape.js';
import { type CliIO, EXIT } from './command.js';

/** True when `dir` exists (as anything: reading it reports what is wrong with it). */
export async function ledgerFolderExists(dir: string): Promise<boolean> {
  try {
    await stat(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}

/**
 * Whether the folder `dir` exists; when not, plan, check and ledger say so on stderr (`given`
 * as the user wrote it) and return EXIT.invalid.
 */
export async function ledgerFolderFound(
  io: CliIO,
  command: string,
  dir: string,
  given: string,
): Promise<boolean> {
  if (await ledgerFolderExists(dir)) return true;
  const shown = escapeLogText(given, 300);
  io.stderr(
    `quarantine-release ${command}: no ledger folder at ${shown} (--ledger). If nothing has been released yet, create it (mkdir ${shown}); apply also creates it with its first record. Otherwise check the path.\n`,
  );
  return false;
}

/**
 * The ledger's lock for a command's run; held by another run, that is said on stderr and
 * comes back as EXIT.invalid, for the command to return.
 */
export async function lockLedger(
  io: CliIO,
  command: string,
  dir: string,
): Promise<LedgerLock | typeof EXIT.invalid> {
  try {
    return await LedgerLock.acquire(dir);
  } catch (error) {
    if (!(error instanceof LedgerLockedError)) throw error;
    io.stderr(`quarantine-release ${command}: ${escapeLogText(error.message, 500)}\n`);
    return EXIT.invalid;
  }
}
