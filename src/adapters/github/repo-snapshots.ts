// Files of a repository at a commit, read through the Git Data API: the blob id of each file
// we care about (one recursive tree request), and its text, taken from the runner's checkout
// when the bytes there are the same blob, else downloaded once. Symbolic links are listed
// apart and never read: a pull request can commit `releases.yaml -> .git/config`.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitHubClient } from './octokit.js';

/** Largest file read through the API (the releases file limit is 8 MiB; shards are far smaller). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface Snapshot {
  /** The commit's root tree. */
  tree: string;
  /** Blob id of every wanted file, by repository path. */
  files: Map<string, string>;
  /** Wanted paths committed as symbolic links: refused, never read. */
  links: Set<string>;
}

export interface SnapshotOptions {
  owner: string;
  repo: string;
  /** The runner's checkout, if any. */
  workspace?: string;
  /** Which repository paths to keep. */
  wanted: (path: string) => boolean;
  /** Directories holding them, walked one by one when a repository's tree is too big to list. */
  dirs: readonly string[];
}

type TreeEntry = { path?: string; sha?: string; mode?: string; type?: string };

export class RepoSnapshots {
  private readonly trees = new Map<string, Snapshot>();
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly options: SnapshotOptions,
  ) {}

  /** The wanted files of a commit (a commit's files never change: read once). */
  async at(commit: string): Promise<Snapshot> {
    const known = this.trees.get(commit);
    if (known) return known;
    const { owner, repo } = this.options;
    const tree = await this.gh.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      owner,
      repo,
      tree_sha: commit,
      recursive: 'true',
    });
    let entries: TreeEntry[] = tree.data.tree;
    if (tree.data.truncated) {
      // A very large repository: walk down to the few directories we need instead.
      entries = [];
      for (const dir of new Set(this.options.dirs))
        entries.push(...(await this.listDir(tree.data.sha, dir)));
    }
    const snapshot: Snapshot = { tree: tree.data.sha, files: new Map(), links: new Set() };
    for (const entry of entries) {
      if (entry.type !== 'blob' || !entry.path || !entry.sha || !this.options.wanted(entry.path))
        continue;
      if (entry.mode === '120000') snapshot.links.add(entry.path);
      else snapshot.files.set(entry.path, entry.sha);
    }
    this.trees.set(commit, snapshot);
    return snapshot;
  }

  /** The files of a commit already read (or written by us), without a request. */
  cached(commit: string): Snapshot | undefined {
    return this.trees.get(commit);
  }

  /** Records a commit made by us, whose files we know without reading them back. */
  remember(commit: string, snapshot: Snapshot, texts: readonly { sha: string; text: string }[]) {
    this.trees.set(commit, snapshot);
    for (const t of texts) this.texts.set(t.sha, t.text);
  }

  /** A file's text: from memory, from the checkout when identical, else downloaded. */
  async text(path: string, sha: string): Promise<string> {
    const known = this.texts.get(sha);
    if (known !== undefined) return known;
    if (this.options.workspace) {
      try {
        const local = await readFile(join(this.options.workspace, path));
        if (gitBlobSha(local) === sha) return this.keep(sha, local.toString('utf8'));
      } catch {
        // Not checked out: download it.
      }
    }
    const blob = await this.gh.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      owner: this.options.owner,
      repo: this.options.repo,
      file_sha: sha,
    });
    if ((blob.data.size ?? 0) > MAX_FILE_BYTES)
      throw new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    const bytes = Buffer.from(
      blob.data.content,
      blob.data.encoding === 'base64' ? 'base64' : 'utf8',
    );
    return this.keep(sha, bytes.toString('utf8'));
  }

  private keep(sha: string, text: string): string {
    this.texts.set(sha, text);
    return text;
  }

  /** The entries of directory `dir` (a repository path) of a tree, with repository paths. */
  private async listDir(rootTree: string, dir: string): Promise<TreeEntry[]> {
    let sha = rootTree;
    for (const part of dir === '' ? [] : dir.split('/')) {
      const next = (await this.entries(sha)).find((e) => e.path === part && e.type === 'tree');
      if (!next?.sha) return [];
      sha = next.sha;
    }
    const prefix = dir === '' ? '' : `${dir}/`;
    return (await this.entries(sha)).map((e) => ({ ...e, path: e.path && `${prefix}${e.path}` }));
  }

  private async entries(treeSha: string): Promise<TreeEntry[]> {
    const { owner, repo } = this.options;
    const t = await this.gh.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      owner,
      repo,
      tree_sha: treeSha,
    });
    return t.data.tree;
  }
}

/** Git's object id of a blob: sha1 of "blob <size>\0<content>". */
export function gitBlobSha(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}
