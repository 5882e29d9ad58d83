// Reading user files from disk: size checked before a byte is read, UTF-8 checked strictly.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { ShardText } from '../../core/ledger/state.js';
import { DEFAULT_YAML_LIMITS } from '../../core/releases/yaml-source.js';

export type ReadResult = { ok: true; text: string } | { ok: false; error: Diagnostic };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a text file whole, refusing it (as a file:1:1 diagnostic) when too big or not UTF-8. */
export async function readTextFile(
  path: string,
  maxBytes = DEFAULT_YAML_LIMITS.maxChars,
): Promise<ReadResult> {
  const fail = (message: string): ReadResult => ({
    ok: false,
    error: { file: path, line: 1, column: 1, pointer: '', message },
  });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('file not found');
    if (code === 'EISDIR') return fail('is a directory, not a file');
    return fail(`cannot open: ${code ?? 'error'}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return fail('not a regular file');
    if (info.size > maxBytes) {
      return fail(
        `file is too large (${info.size} bytes, limit ${maxBytes}); split the requests over several pull requests`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.length > maxBytes) return fail(`file is too large (limit ${maxBytes} bytes)`);
    try {
      return { ok: true, text: utf8.decode(bytes) };
    } catch {
      return fail('not valid UTF-8 text');
    }
  } catch (error) {
    return fail(`cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await handle.close();
  }
}

/** Largest shard accepted: a month of heavy use is far below this. */
export const MAX_SHARD_BYTES = 256 * 1024 * 1024;

/**
 * All `*.jsonl` files of a ledger directory, sorted by name. A missing directory is an empty
 * ledger (the first run). Other files (README, .gitattributes) are left alone.
 */
export async function readLedgerDir(
  dir: string,
): Promise<{ shards: ShardText[]; errors: Diagnostic[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { shards: [], errors: [] };
    return {
      shards: [],
      errors: [
        {
          file: dir,
          line: 1,
          column: 1,
          pointer: '',
          message: `cannot read the ledger directory: ${code ?? 'error'}`,
        },
      ],
    };
  }
  const shards: ShardText[] = [];
  const errors: Diagnostic[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const read = await readTextFile(path, MAX_SHARD_BYTES);
    if (read.ok) shards.push({ name, path, text: read.text });
    else errors.push(read.error);
  }
  return { shards, errors };
}
