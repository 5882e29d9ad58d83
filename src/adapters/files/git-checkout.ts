// Which commit a checkout is at, read from its .git directory without running git: HEAD,
// then the loose ref or packed-refs it names. Anything unusual (a .git file of a worktree or
// submodule, a ref outside refs/, files too large) answers "unknown", and callers ask the API.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REF_NAME = /^refs\/[A-Za-z0-9._/-]{1,200}$/;
const MAX_PACKED_REFS_BYTES = 16 * 1024 * 1024;

/** The commit checked out in `workspace`, or undefined when it cannot be told. */
export async function checkedOutCommit(workspace: string): Promise<string | undefined> {
  const git = join(workspace, '.git');
  try {
    if (!(await lstat(git)).isDirectory()) return undefined;
    const head = (await readFile(join(git, 'HEAD'), 'utf8')).trim();
    if (OBJECT_ID.test(head)) return head;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref || !REF_NAME.test(ref) || ref.split('/').includes('..')) return undefined;
    const loose = await readSmall(join(git, ref), 200);
    if (loose !== undefined) return OBJECT_ID.test(loose.trim()) ? loose.trim() : undefined;
    const packed = await readSmall(join(git, 'packed-refs'), MAX_PACKED_REFS_BYTES);
    return packed === undefined ? undefined : packedRef(packed, ref);
  } catch {
    return undefined;
  }
}

/** The object a ref names in a packed-refs file (lines "<id> <ref>"; "^<id>" peels tags). */
export function packedRef(text: string, ref: string): string | undefined {
  for (const line of text.split('\n')) {
    const [id, name] = line.trim().split(' ');
    if (name === ref && id !== undefined && OBJECT_ID.test(id)) return id;
  }
  return undefined;
}

async function readSmall(path: string, maxBytes: number): Promise<string | undefined> {
  try {
    const info = await lstat(path);
    if (!info.isFile() || info.size > maxBytes) return undefined;
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
