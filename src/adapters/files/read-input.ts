// Reading user files from disk: size checked before a byte is read, UTF-8 checked strictly,
// and symbolic links refused: a pull request can commit `releases.yaml -> .git/config`, and
// error messages quote what they read.
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Diagnostic, lineProblem } from '../../core/diagnostics.js';
import { type LedgerRecord, scanShardLines, tornTail } from '../../core/ledger/record.js';
import { type ShardText, shardNameProblem } from '../../core/ledger/state.js';
import { DEFAULT_YAML_LIMITS } from '../../core/requests/yaml-source.js';

export type ReadResult = { ok: true; text: string } | { ok: false; error: Diagnostic };
type BytesResult = { ok: true; bytes: Buffer } | { ok: false; error: Diagnostic };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file that cannot be used, as a file:1:1 diagnostic. */
export function readFailure(path: string, message: string): { ok: false; error: Diagnostic } {
  return { ok: false, error: lineProblem(path, 1, message) };
}

type Opened = { ok: true; handle: FileHandle; size: number } | { ok: false; error: Diagnostic };

/**
 * Opens a regular file, never following a symbolic link, refused when over `maxBytes`. The
 * open never blocks (O_NONBLOCK): a named pipe committed in place of a file would otherwise
 * wait for a writer forever, in a thread no signal reaches; it is refused as not a regular file.
 */
async function openPlainFile(path: string, maxBytes: number): Promise<Opened> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return readFailure(path, 'file not found');
    if (code === 'EISDIR') return readFailure(path, 'is a directory, not a file');
    if (code === 'ELOOP')
      return readFailure(path, 'is a symbolic link: refused, it must be a plain file');
    return readFailure(path, `cannot open: ${code ?? 'error'}`);
  }
  let refused: { ok: false; error: Diagnostic } | undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) refused = readFailure(path, 'not a regular file');
    else if (info.size > maxBytes) refused = tooLarge(path, maxBytes, info.size);
    else return { ok: true, handle, size: info.size };
  } catch (error) {
    refused = cannotRead(path, error);
  }
  await handle.close();
  return refused;
}

function cannotRead(path: string, error: unknown) {
  return readFailure(path, `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
}

function tooLarge(path: string, maxBytes: number, size?: number) {
  return readFailure(
    path,
    size === undefined
      ? `file is too large (limit ${maxBytes} bytes)`
      : `file is too large (${size} bytes, limit ${maxBytes}); split the requests over several pull requests`,
  );
}

/**
 * A regular file's bytes, never following a symbolic link, refused when over `maxBytes`. With
 * `scratch`, they are read into its buffer (grown as needed) and are valid until the next read
 * into it: a reader of many shards decodes each before reading the next, and holds one buffer
 * rather than leaving one per shard for the collector (at a million records, 100 MB of them).
 */
async function readBytes(
  path: string,
  maxBytes: number,
  scratch: { buffer: Buffer } = { buffer: Buffer.alloc(0) },
): Promise<BytesResult> {
  const opened = await openPlainFile(path, maxBytes);
  if (!opened.ok) return opened;
  const { handle } = opened;
  try {
    // Read to the end, not to the size stat() saw: a file may grow while it is read.
    let length = 0;
    for (;;) {
      if (length > maxBytes) return tooLarge(path, maxBytes);
      if (length === scratch.buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(opened.size + 1, 2 * length, 1 << 16));
        scratch.buffer.copy(grown, 0, 0, length);
        scratch.buffer = grown;
      }
      const { bytesRead } = await handle.read(
        scratch.buffer,
        length,
        scratch.buffer.length - length,
        length,
      );
      if (bytesRead === 0) return { ok: true, bytes: scratch.buffer.subarray(0, length) };
      length += bytesRead;
    }
  } catch (error) {
    return cannotRead(path, error);
  } finally {
    await handle.close();
  }
}

/** Reads a text file whole, refusing it (as a file:1:1 diagnostic) when too big or not UTF-8. */
export async function readTextFile(
  path: string,
  maxBytes = DEFAULT_YAML_LIMITS.maxChars,
): Promise<ReadResult> {
  const read = await readBytes(path, maxBytes);
  if (!read.ok) return read;
  const text = strictUtf8(read.bytes);
  return text === undefined ? readFailure(path, 'not valid UTF-8 text') : { ok: true, text };
}

/** Largest shard accepted: a month of heavy use is far below this. */
export const MAX_SHARD_BYTES = 256 * 1024 * 1024;

type ShardNames =
  | { ok: true; names: string[] }
  | { ok: false; missing: boolean; error: Diagnostic };

/** The `*.jsonl` files of a ledger directory, sorted; other files (README) are left alone. */
async function shardNames(dir: string): Promise<ShardNames> {
  try {
    if ((await lstat(dir)).isSymbolicLink()) {
      const error = lineProblem(dir, 1, 'the ledger directory is a symbolic link: refused');
      return { ok: false, missing: false, error };
    }
    return { ok: true, names: (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      missing: code === 'ENOENT',
      error: lineProblem(
        dir,
        1,
        code === 'ENOENT'
          ? 'the ledger directory does not exist'
          : `cannot read the ledger directory: ${code ?? 'error'}`,
      ),
    };
  }
}

/**
 * Every `*.jsonl` file of a ledger directory, in name order, handed to `onShard` one at a
 * time as it is read (the reader folds it and lets it go). A missing directory is an empty
 * ledger (the first run). Other files (README, .gitattributes) are left alone. Returns the
 * files that could not be read.
 */
export async function readLedgerDir(
  dir: string,
  onShard: (shard: ShardText) => void,
): Promise<Diagnostic[]> {
  const listed = await shardNames(dir);
  if (!listed.ok) return listed.missing ? [] : [listed.error];
  const errors: Diagnostic[] = [];
  const scratch = { buffer: Buffer.alloc(0) };
  for (const name of listed.names) {
    const path = join(dir, name);
    const read = await readBytes(path, MAX_SHARD_BYTES, scratch);
    if (!read.ok) {
      errors.push(read.error);
      continue;
    }
    const text = decodeShard(read.bytes);
    if (text === undefined) errors.push(lineProblem(path, 1, 'not valid UTF-8 text'));
    else onShard({ name, path, text });
  }
  return errors;
}

export interface LedgerScanOptions {
  /** A missing directory: an empty ledger (the first run), or a problem (a report needs one). */
  missing: 'empty' | 'problem';
  /**
   * A shard's incomplete last line (a write cut short) is skipped and reported here, as
   * FileLedgerStore.read() does. Without it, the line is a problem like any corrupt line.
   */
  onTornTail?: (path: string, chars: number) => void;
  /** Bytes read at a time (tests use small ones to cut lines across reads). */
  chunkBytes?: number;
}

/**
 * readLedgerDir() and scanShard() without holding the ledger: every shard is read a block of
 * whole lines at a time, each line validated and handed to `onRecord`, each problem to
 * `onProblem` as file:line. Memory: one block (`chunkBytes`) and the longest line, whatever the
 * size of the ledger. The same files, limits and checks as readLedgerDir() and foldShard(),
 * except that text which is not UTF-8 is reported on its line rather than for the whole file.
 */
export async function scanLedgerDir(
  dir: string,
  onRecord: (record: LedgerRecord) => void,
  onProblem: (problem: Diagnostic) => void,
  options: LedgerScanOptions,
): Promise<void> {
  const listed = await shardNames(dir);
  if (!listed.ok) {
    if (!listed.missing || options.missing === 'problem') onProblem(listed.error);
    return;
  }
  for (const name of listed.names) {
    const path = join(dir, name);
    const badName = shardNameProblem(name, path);
    if (badName) onProblem(badName);
    else await scanShardFile(path, onRecord, onProblem, options);
  }
}

async function scanShardFile(
  path: string,
  onRecord: (record: LedgerRecord) => void,
  onProblem: (problem: Diagnostic) => void,
  options: LedgerScanOptions,
): Promise<void> {
  const opened = await openPlainFile(path, MAX_SHARD_BYTES);
  if (!opened.ok) return onProblem(opened.error);
  const { handle } = opened;
  const chunk = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 20);
  // Whole lines are cut at 0x0A bytes, which is never part of a multi-byte UTF-8 character.
  let carry = Buffer.alloc(0);
  let line = 1;
  let position = 0;
  try {
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunk.length, position));
      } catch (error) {
        return onProblem(cannotRead(path, error).error);
      }
      if (bytesRead === 0) break;
      position += bytesRead;
      if (position > MAX_SHARD_BYTES) return onProblem(tooLarge(path, MAX_SHARD_BYTES).error);
      const bytes =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (end > 0) line += scanBlock(bytes.subarray(0, end), path, line, onRecord, onProblem);
      // A copy: `chunk` is read into again.
      carry = Buffer.from(bytes.subarray(end));
    }
  } finally {
    await handle.close();
  }
  if (carry.length === 0) return;
  // The unterminated last line: as decodeShard() and FileLedgerStore.read() take it.
  const tail = decodeShard(carry) ?? carry.toString('utf8');
  if (options.onTornTail && tornTail(tail) !== undefined)
    return options.onTornTail(path, tail.length);
  scanShardLines(tail, path, line, onRecord, onProblem);
}

/** Whole lines (ending with a line feed): scanned, each line not UTF-8 reported. */
function scanBlock(
  bytes: Buffer,
  path: string,
  firstLine: number,
  onRecord: (record: LedgerRecord) => void,
  onProblem: (problem: Diagnostic) => void,
): number {
  const text = strictUtf8(bytes);
  if (text !== undefined) return scanShardLines(text, path, firstLine, onRecord, onProblem);
  // Rare: find the lines that are not UTF-8, and scan the others.
  let line = firstLine;
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start) + 1;
    const lineText = strictUtf8(bytes.subarray(start, end));
    if (lineText === undefined) onProblem(lineProblem(path, line, 'not valid UTF-8 text'));
    else scanShardLines(lineText, path, line, onRecord, onProblem);
    line++;
    start = end;
  }
  return line - firstLine;
}

function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A shard's text. Strict UTF-8, except in an unterminated last line: a write cut short can
 * stop inside a multi-byte character, and that fragment is dropped as a torn write anyway.
 */
function decodeShard(bytes: Buffer): string | undefined {
  const whole = strictUtf8(bytes);
  if (whole !== undefined) return whole;
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end === bytes.length) return undefined;
  const lines = strictUtf8(bytes.subarray(0, end));
  return lines === undefined ? undefined : lines + bytes.subarray(end).toString('utf8');
}
