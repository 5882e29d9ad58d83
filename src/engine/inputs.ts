// Reads and checks the two inputs every command needs: the requests and the ledger.
import { type Diagnostic, sortDiagnostics } from '../core/diagnostics.js';
import { type Ledger, readLedger } from '../core/ledger/state.js';
import { loadReleases, type ReleasesFile } from '../core/releases/load.js';
import type { LedgerStore } from './ports.js';

export type ReleasesSource = () => Promise<
  { ok: true; text: string } | { ok: false; error: Diagnostic }
>;

export type Inputs =
  | { ok: true; file: ReleasesFile; ledger: Ledger }
  | { ok: false; stage: 'releases' | 'ledger'; errors: Diagnostic[] };

export async function loadReleasesFrom(
  source: ReleasesSource,
  path: string,
): Promise<{ ok: true; file: ReleasesFile } | { ok: false; errors: Diagnostic[] }> {
  const read = await source();
  // Errors name the file as the user wrote it, not as it was resolved.
  if (!read.ok) return { ok: false, errors: [{ ...read.error, file: path }] };
  const loaded = loadReleases(read.text, path);
  return loaded.ok ? { ok: true, file: loaded.value } : { ok: false, errors: loaded.errors };
}

export async function loadLedgerFrom(
  store: LedgerStore,
): Promise<{ ok: true; ledger: Ledger } | { ok: false; errors: Diagnostic[] }> {
  const { shards, errors } = await store.read();
  // What the store found (a line nobody but the tool may write, a link) and what is wrong
  // with the lines themselves, together: both name the line a person must look at.
  const ledger = readLedger(shards);
  const all = [...errors, ...ledger.errors];
  if (all.length > 0) return { ok: false, errors: sortDiagnostics(all) };
  return { ok: true, ledger };
}

/**
 * Both inputs, or why they cannot be used. A corrupt ledger, or one changed by anyone but the
 * tool, stops planning and applying.
 */
export async function loadInputs(
  source: ReleasesSource,
  path: string,
  store: LedgerStore,
): Promise<Inputs> {
  const releases = await loadReleasesFrom(source, path);
  if (!releases.ok) return { ok: false, stage: 'releases', errors: releases.errors };
  const ledger = await loadLedgerFrom(store);
  if (!ledger.ok) return { ok: false, stage: 'ledger', errors: ledger.errors };
  return { ok: true, file: releases.file, ledger: ledger.ledger };
}
