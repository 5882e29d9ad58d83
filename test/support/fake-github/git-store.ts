// The repository behind the fake: a content-addressed object database and branch refs.
// Branch refs remember the sha they held before their last move, which is what a lagging
// replica would still answer (see Faults.staleReads).
import {
  type Commit,
  type EntryMode,
  encodeObject,
  type GitObject,
  hashObject,
  isTreeMode,
  type Person,
  sortEntries,
  type TreeEntry,
} from './git-objects.js';

/** A git-level refusal; the API answers it with 422 and this message. */
export class GitError extends Error {}

/** One change to a tree: the path gets this entry, or disappears when `entry` is null. */
export interface TreeEdit {
  path: string;
  entry: { mode: EntryMode; sha: string } | null;
}

interface SplitEdit {
  segments: string[];
  entry: TreeEdit['entry'];
}

export class GitStore {
  private readonly objects = new Map<string, GitObject>();
  private readonly refs = new Map<string, { sha: string; previous: string | undefined }>();

  put(object: GitObject): string {
    const stored: GitObject =
      object.type === 'tree' ? { type: 'tree', entries: sortEntries(object.entries) } : object;
    const sha = hashObject(stored.type, encodeObject(stored));
    this.objects.set(sha, stored);
    return sha;
  }

  putBlob(data: Buffer): string {
    return this.put({ type: 'blob', data });
  }

  type(sha: string): GitObject['type'] | undefined {
    return this.objects.get(sha)?.type;
  }

  blob(sha: string): Buffer | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'blob' ? object.data : undefined;
  }

  tree(sha: string): TreeEntry[] | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'tree' ? object.entries : undefined;
  }

  commit(sha: string): Commit | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'commit' ? object.commit : undefined;
  }

  ref(branch: string): string | undefined {
    return this.refs.get(branch)?.sha;
  }

  /** The sha the branch held before its last move (or its current sha if it never moved). */
  previousRef(branch: string): string | undefined {
    const ref = this.refs.get(branch);
    return ref?.previous ?? ref?.sha;
  }

  setRef(branch: string, sha: string): void {
    this.refs.set(branch, { sha, previous: this.refs.get(branch)?.sha });
  }

  /** A branch name (optionally `heads/…` or `refs/heads/…`) or a commit sha, as a commit sha. */
  resolve(ref: string): string | undefined {
    const branch = this.ref(ref.replace(/^(refs\/)?heads\//, ''));
    if (branch) return branch;
    return this.commit(ref) ? ref : undefined;
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    const seen = new Set<string>();
    const queue = [descendant];
    for (let sha = queue.pop(); sha !== undefined; sha = queue.pop()) {
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(this.commit(sha)?.parents ?? []));
    }
    return false;
  }

  /**
   * Applies edits to a tree (or to the empty tree) and stores every tree that changed.
   * Directories left empty disappear, as in git; deleting a missing path is refused, as
   * GitHub does.
   */
  editTree(base: string | undefined, edits: readonly TreeEdit[]): string {
    const split = edits.map((e) => ({ segments: splitPath(e.path), entry: e.entry }));
    return this.editSubtree(base, split) ?? this.put({ type: 'tree', entries: [] });
  }

  /** The entry at a slash-separated path; the empty path is the tree itself. */
  lookup(treeSha: string, path: string): TreeEntry | undefined {
    let entry: TreeEntry | undefined = { name: '', mode: '040000', sha: treeSha };
    for (const name of path.split('/').filter(Boolean)) {
      if (!entry || !isTreeMode(entry.mode)) return undefined;
      entry = this.tree(entry.sha)?.find((e) => e.name === name);
    }
    return entry;
  }

  /** Every entry below a tree, depth first, subtrees before their contents (like GitHub). */
  *walk(treeSha: string, prefix = ''): Generator<{ path: string; entry: TreeEntry }> {
    for (const entry of this.tree(treeSha) ?? []) {
      const path = prefix + entry.name;
      yield { path, entry };
      if (isTreeMode(entry.mode)) yield* this.walk(entry.sha, `${path}/`);
    }
  }

  /** The text of every file below a tree, by path. */
  files(treeSha: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const { path, entry } of this.walk(treeSha)) {
      const data = this.blob(entry.sha);
      if (data) files[path] = data.toString('utf8');
    }
    return files;
  }

  /** Commits file changes (null deletes) on top of a branch; a missing branch starts a root commit. */
  commitFiles(
    branch: string,
    files: Record<string, string | null>,
    message: string,
    author: Person,
  ): string {
    const parent = this.ref(branch);
    const edits = Object.entries(files).map(([path, text]) => ({
      path,
      entry:
        text === null ? null : { mode: '100644' as const, sha: this.putBlob(Buffer.from(text)) },
    }));
    const tree = this.editTree(parent ? this.commit(parent)?.tree : undefined, edits);
    const sha = this.put({
      type: 'commit',
      commit: { tree, parents: parent ? [parent] : [], author, committer: author, message },
    });
    this.setRef(branch, sha);
    return sha;
  }

  private editSubtree(base: string | undefined, edits: readonly SplitEdit[]): string | undefined {
    const entries = new Map((base ? (this.tree(base) ?? []) : []).map((e) => [e.name, e]));
    const nested = new Map<string, SplitEdit[]>();
    for (const { segments, entry } of edits) {
      const [name, ...rest] = segments;
      if (name === undefined) continue;
      if (rest.length > 0) {
        nested.set(name, [...(nested.get(name) ?? []), { segments: rest, entry }]);
      } else if (entry) {
        entries.set(name, { name, ...entry });
      } else if (!entries.delete(name)) {
        throw new GitError('GitRPC::BadObjectState');
      }
    }
    for (const [name, subEdits] of nested) {
      const existing = entries.get(name);
      const sha = this.editSubtree(
        existing && isTreeMode(existing.mode) ? existing.sha : undefined,
        subEdits,
      );
      if (sha) entries.set(name, { name, mode: '040000', sha });
      else entries.delete(name);
    }
    if (entries.size === 0) return undefined;
    return this.put({ type: 'tree', entries: [...entries.values()] });
  }
}

function splitPath(path: string): string[] {
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s === '.git')) {
    throw new GitError(`tree.path contains a malformed path component: ${JSON.stringify(path)}`);
  }
  return segments;
}
