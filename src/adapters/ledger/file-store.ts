// The ledger as files on disk (used by the CLI): one JSON Lines file per UTC month.
//
// Durability: every write is one append of whole lines followed by fdatasync (and an fsync of
// the directory when a shard is created), and the promise resolves only after that. A crash
// or kill -9 can still cut a multi-page write short; the cut is always at the end of the last
// shard written, as an unterminated line. That write never resolved, so nothing was sent in
// its name: the next run drops the fragment (and keeps every complete line before it).
import { type FileHandle, lstat, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LedgerRecord } from '../../core/ledger/record.js';
import { linesByShard, tornTail } from '../../core/ledger/record.js';
import type { ShardText } from '../../core/ledger/state.js';
import type { LedgerScan, LedgerStore, Logger } from '../../engine/ports.js';
import { readLedgerDir, scanLedgerDir } from '../files/read-input.js';
import type { LocalLedgerHistory } from './local-history.js';

export class FileLedgerStore implements LedgerStore {
  private repaired = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly log?: Logger,
    /** With a ledger key in a git clone: the ledger is held to its seals (local-history.ts). */
    private readonly history?: LocalLedgerHistory,
  ) {}

  /**
   * Reads without writing: a torn last line is skipped here and removed by the next write.
   * With `onShard`, each shard is handed over as it is read, never all at once (unless the
   * history is checked, which compares the whole ledger).
   */
  async read(onShard?: (shard: ShardText) => void) {
    const shards: ShardText[] = [];
    const checked: ShardText[] = [];
    const errors = await readLedgerDir(this.dir, (shard) => {
      const fragment = tornTail(shard.text);
      if (fragment !== undefined) {
        shard.text = shard.text.slice(0, shard.text.length - fragment.length);
        this.log?.warn(tornTailWarning(shard.path, fragment.length));
      }
      if (this.history) checked.push(shard);
      if (onShard) onShard(shard);
      else shards.push(shard);
    });
    if (this.history && errors.length === 0) errors.push(...(await this.history.check(checked)));
    return { shards, errors };
  }

  /**
   * Seals what is in the ledger directory now in a commit of its own (with a history only;
   * nothing when the ledger is as HEAD has it). Returns the commit.
   */
  async seal(message: string): Promise<string | undefined> {
    if (!this.history) return undefined;
    await this.flush();
    const shards: ShardText[] = [];
    const errors = await readLedgerDir(this.dir, (shard) => shards.push(shard));
    if (errors.length > 0)
      throw new Error(`cannot read the ledger to seal it: ${errors[0]?.message}`);
    return this.history.seal(shards, message);
  }

  writeAhead(records: readonly LedgerRecord[]): Promise<void> {
    return this.serialized(() => this.write(records));
  }

  append(records: readonly LedgerRecord[]): Promise<void> {
    return this.serialized(() => this.write(records));
  }

  async flush(): Promise<void> {
    await this.queue;
  }

  /** Appends run one at a time, in call order, even when batches finish concurrently. */
  private serialized(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(records: readonly LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await this.repairAll();
    for (const [name, lines] of linesByShard(records)) {
      const path = join(this.dir, name);
      const created = !(await exists(path));
      await writeAndClose(await open(path, 'a', 0o644), `${lines.join('\n')}\n`);
      if (created) await fsyncDir(this.dir);
    }
  }

  /** Once per process, before the first write: every shard's torn tail, not only this month's. */
  private async repairAll(): Promise<void> {
    if (this.repaired) return;
    this.repaired = true;
    const names = await readdir(this.dir).catch(() => []);
    for (const name of names.filter((n) => n.endsWith('.jsonl')))
      await this.repairTail(join(this.dir, name));
  }

  /** Drops an unterminated, unparseable last line: the trace of a write a crash cut short. */
  private async repairTail(path: string): Promise<void> {
    let bytes: Buffer;
    try {
      if ((await lstat(path)).isSymbolicLink()) return;
      bytes = await readFile(path);
    } catch {
      return;
    }
    if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
    // Bytes, not characters: the cut may fall inside a multi-byte character.
    const cut = bytes.lastIndexOf(0x0a) + 1;
    const torn = tornTail(bytes.subarray(cut).toString('utf8')) !== undefined;
    const handle = await open(path, 'r+');
    try {
      if (!torn) {
        // A whole record without its newline (an edit by hand): keep it, end the line.
        await handle.write('\n', bytes.length);
      } else {
        await handle.truncate(cut);
        this.log?.warn(
          `${path}: dropped an incomplete last line (${bytes.length - cut} bytes) left by an interrupted write; nothing was sent in its name`,
        );
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * The ledger directory read line by line (scanLedgerDir), for reports. A missing directory is
 * a problem: there is nothing to report on. A torn last line is skipped with a warning (once)
 * in the CLI's own ledger, as FileLedgerStore.read() does: a crash can leave one there. In a
 * checkout of the repository (`refuse`) it is a problem like any corrupt line: commits are
 * whole, so a cut line there is damage, as the GitHub ledger store says too.
 */
export function ledgerDirScan(
  dir: string,
  tornTails: { skip: true; log: Logger } | { skip: false },
): LedgerScan {
  const warned = new Set<string>();
  const onTornTail = (path: string, chars: number) => {
    if (!tornTails.skip || warned.has(path)) return;
    warned.add(path);
    tornTails.log.warn(tornTailWarning(path, chars));
  };
  return {
    scan: (onRecord, onProblem) =>
      scanLedgerDir(dir, onRecord, onProblem, {
        missing: 'problem',
        ...(tornTails.skip ? { onTornTail } : {}),
      }),
  };
}

function tornTailWarning(path: string, chars: number): string {
  return `${path}: ignoring an incomplete last line (${chars} characters) left by an interrupted write; nothing was sent in its name`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `text` through `handle` and syncs it to disk before closing it. */
export async function writeAndClose(handle: FileHandle, text: string): Promise<void> {
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Makes a file created or renamed in `dir` durable (its directory entry synced). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is already synced.
  } finally {
    await handle.close();
  }
}

/**
 * One run at a time per ledger directory. The lock file beside the directory names its
 * owner; a lock whose process is gone (killed, crashed) on this host is taken over.
 *
 * Taking over is the racy part: two runs that both find the same dead lock must not both
 * remove it, or the slower one removes the lock the faster one has just made, and both run
 * (and may send the same messages). So a dead lock is removed only by the run holding the
 * takeover file (`<lock>.takeover`, made exclusively), and only if it is still the very lock
 * judged dead. A run that finds the takeover file taken is refused, as by the lock itself.
 */
export class LedgerLock {
  private constructor(private readonly path: string) {}

  static pathFor(dir: string): string {
    return `${dir.replace(/[\\/]+$/, '')}.lock`;
  }

  static async acquire(dir: string): Promise<LedgerLock> {
    const path = LedgerLock.pathFor(dir);
    const me = JSON.stringify({
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createExclusive(path, me)) return new LedgerLock(path);
      const seen = await readFile(path, 'utf8').catch(() => undefined);
      if (seen === undefined) continue; // released meanwhile: try again
      const owner = ownerOf(seen);
      const dead =
        owner === undefined
          ? // Unreadable or half-written lock: its writer died between create and write.
            (await ageMs(path)) > 5_000
          : owner.host === hostname() && !alive(owner.pid);
      if (dead && (await removeIfStill(path, seen, me))) continue;
      throw new LedgerLockedError(path, owner);
    }
    throw new LedgerLockedError(path, ownerOf(await readFile(path, 'utf8').catch(() => '')));
  }

  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** Creates `path` with `text` unless it exists: false when it does. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await writeAndClose(handle, text);
  return true;
}

/**
 * Removes the lock at `path` if its text is still `seen`, holding the takeover file while it
 * reads and removes: false when another run holds the takeover file. A takeover file left by
 * a run killed in those few milliseconds is itself taken over after a minute.
 */
async function removeIfStill(path: string, seen: string, me: string): Promise<boolean> {
  const takeover = `${path}.takeover`;
  if (!(await createExclusive(takeover, me))) {
    if ((await ageMs(takeover)) <= 60_000) return false;
    await rm(takeover, { force: true });
    if (!(await createExclusive(takeover, me))) return false;
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === seen)
      await rm(path, { force: true });
  } finally {
    await rm(takeover, { force: true });
  }
  return true;
}

async function ageMs(path: string): Promise<number> {
  const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
  return Date.now() - mtimeMs;
}

export class LedgerLockedError extends Error {
  constructor(
    readonly path: string,
    readonly owner: { pid: number; host: string; since?: string } | undefined,
  ) {
    super(
      `the ledger is in use by another run (${owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since ?? '?'}` : 'unknown owner'}); wait for it, or delete ${path} if no run is going`,
    );
  }
}

function ownerOf(text: string): { pid: number; host: string; since?: string } | undefined {
  try {
    const value = JSON.parse(text) as { pid?: unknown; host?: unknown; since?: unknown };
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      return {
        pid: value.pid,
        host: value.host,
        since: typeof value.since === 'string' ? value.since : undefined,
      };
    }
  } catch {
    // fall through
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
