// Reads and checks the two inputs every command needs: the requests and the ledger.
import { type Diagnostic, sortDiagnostics } from '../core/diagnostics.js';
import { queueIdOf } from '../core/ids.js';
import type { LedgerRecord } from '../core/ledger/record.js';
import { emptyLedger, foldShard, type KeepRecord, type Ledger } from '../core/ledger/state.js';
import { loadReleases, type ReleasesFile } from '../core/requests/load.js';
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
  /** Now, epoch ms: search windows must have ended (see LoadOptions). */
  now?: number,
): Promise<{ ok: true; file: ReleasesFile } | { ok: false; errors: Diagnostic[] }> {
  const read = await source();
  // Errors name the file as the user wrote it, not as it was resolved.
  if (!read.ok) return { ok: false, errors: [{ ...read.error, file: path }] };
  const loaded = loadReleases(read.text, path, now === undefined ? {} : { now });
  return loaded.ok ? { ok: true, file: loaded.value } : { ok: false, errors: loaded.errors };
}

/** The ledger, folded shard by shard as the store reads them; `keep` as in foldShard(). */
export async function loadLedgerFrom(
  store: LedgerStore,
  keep?: KeepRecord,
): Promise<{ ok: true; ledger: Ledger } | { ok: false; errors: Diagnostic[] }> {
  const ledger = emptyLedger();
  const { shards, errors } = await store.read((shard) => foldShard(ledger, shard, keep));
  for (const shard of shards) foldShard(ledger, shard, keep);
  // What the store found (a line nobody but the tool may write, a link) and what is wrong
  // with the lines themselves, together: both name the line a person must look at.
  const all = [...errors, ...ledger.errors];
  if (all.length > 0) return { ok: false, errors: sortDiagnostics(all) };
  return { ok: true, ledger };
}

/**
 * The ledger records a plan of `file` reads whole (plan() in core/plan): those of the file's
 * messages, by id or by queue id (the same message written the other way), and those of
 * unresolved sends (pending, unknown), which are read back wherever they are. Every other
 * message is kept as its state, attempt and time only.
 */
export function recordsToKeep(file: ReleasesFile): KeepRecord {
  // A search's messages are known only once it is resolved: its accounts are kept whole.
  const searched = new Set((file.searches ?? []).map((s) => s.account_id));
  const asked = new Map<string, Set<string>>();
  for (const { account_id, id } of file.releases) {
    const queues = asked.get(account_id) ?? new Set<string>();
    asked.set(account_id, queues.add(queueIdOf(id)));
  }
  return (record: LedgerRecord) =>
    searched.has(record.account_id) ||
    record.state === 'pending' ||
    record.state === 'unknown' ||
    asked.get(record.account_id)?.has(queueIdOf(record.id)) === true;
}

/**
 * Both inputs, or why they cannot be used. A corrupt ledger, or one changed by anyone but the
 * tool, stops planning and applying.
 */
export async function loadInputs(
  source: ReleasesSource,
  path: string,
  store: LedgerStore,
  now?: number,
): Promise<Inputs> {
  const releases = await loadReleasesFrom(source, path, now);
  if (!releases.ok) return { ok: false, stage: 'releases', errors: releases.errors };
  const ledger = await loadLedgerFrom(store, recordsToKeep(releases.file));
  if (!ledger.ok) return { ok: false, stage: 'ledger', errors: ledger.errors };
  return { ok: true, file: releases.file, ledger: ledger.ledger };
}
