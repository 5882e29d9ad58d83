// Reading user files from disk: size checked before a byte is read, UTF-8 checked strictly,
// and symbolic links refused: a pull request can commit `releases.yaml -> .git/config`, and
// error messages quote what they read.
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { ShardText } from '../../core/ledger/state.js';
import { DEFAULT_YAML_LIMITS } from '../../core/releases/yaml-source.js';

export type ReadResult = { ok: true; text: string } | { ok: false; error: Diagnostic };
type BytesResult = { ok: true; bytes: Buffer } | { ok: false; error: Diagnostic };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file that cannot be used, as a file:1:1 diagnostic. */
export function readFailure(path: string, message: string): { ok: false; error: Diagnostic } {
  return { ok: false, error: { file: path, line: 1, column: 1, pointer: '', message } };
}

/** A regular file's bytes, never following a symbolic link, refused when over `maxBytes`. */
async function readBytes(path: string, maxBytes: number): Promise<BytesResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return readFailure(path, 'file not found');
    if (code === 'EISDIR') return readFailure(path, 'is a directory, not a file');
    if (code === 'ELOOP')
      return readFailure(path, 'is a symbolic link: refused, it must be a plain file');
    return readFailure(path, `cannot open: ${code ?? 'error'}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return readFailure(path, 'not a regular file');
    if (info.size > maxBytes) {
      return readFailure(
        path,
        `file is too large (${info.size} bytes, limit ${maxBytes}); split the requests over several pull requests`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.length > maxBytes)
      return readFailure(path, `file is too large (limit ${maxBytes} bytes)`);
    return { ok: true, bytes };
  } catch (error) {
    return readFailure(path, `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
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
  try {
    return { ok: true, text: utf8.decode(read.bytes) };
  } catch {
    return readFailure(path, 'not valid UTF-8 text');
  }
}

/** Largest shard accepted: a month of heavy use is far below this. */
export const MAX_SHARD_BYTES = 256 * 1024 * 1024;

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
  let names: string[];
  try {
    if ((await lstat(dir)).isSymbolicLink()) {
      return [readFailure(dir, 'the ledger directory is a symbolic link: refused').error];
    }
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    return [readFailure(dir, `cannot read the ledger directory: ${code ?? 'error'}`).error];
  }
  const errors: Diagnostic[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const read = await readBytes(path, MAX_SHARD_BYTES);
    if (!read.ok) {
      errors.push(read.error);
      continue;
    }
    const text = decodeShard(read.bytes);
    if (text === undefined) errors.push(readFailure(path, 'not valid UTF-8 text').error);
    else onShard({ name, path, text });
  }
  return errors;
}

/**
 * A shard's text. Strict UTF-8, except in an unterminated last line: a write cut short can
 * stop inside a multi-byte character, and that fragment is dropped as a torn write anyway.
 */
function decodeShard(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end === bytes.length) return undefined;
    try {
      return utf8.decode(bytes.subarray(0, end)) + bytes.subarray(end).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
