// The ledger on a branch, read and written through the Git Data API: no checkout
// credentials, no `git push`, and commits made with the Actions token are signed.
//
// Every write is a compare-and-swap: a commit whose parent is the head we read, then a
// non-forced ref update. If the branch moved (422, not a fast forward), the store re-reads
// the new head; a write-ahead then fails with LedgerConflictError so the engine re-plans
// (another run may have released the same messages), while buffered outcomes are simply
// re-applied on top of the new head (they are facts; lines only ever add up).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../../core/diagnostics.js';
import {
  type LedgerRecord,
  SHARD_NAME,
  serializeRecord,
  shardNameFor,
} from '../../core/ledger/record.js';
import type { ShardText } from '../../core/ledger/state.js';
import { LedgerConflictError, type LedgerStore, type Logger } from '../../engine/ports.js';
import { checkedOutCommit } from '../files/git-checkout.js';
import { type ReadResult, readFailure, readTextFile } from '../files/read-input.js';
import type { GitHubClient } from './octokit.js';

export interface GitHubStoreOptions {
  owner: string;
  repo: string;
  branch: string;
  /** Repository-relative paths. */
  ledgerDir: string;
  releasesPath: string;
  /** The runner's checkout, if any: files whose content matches the branch are not downloaded. */
  workspace?: string;
  commitMessage: (kind: 'pending' | 'outcomes', records: readonly LedgerRecord[]) => string;
  /** Attempts for an outcome commit when the branch keeps moving. */
  maxCommitAttempts?: number;
  /** Other repository files read and written through this store (the drift check's cursor). */
  extraFiles?: readonly string[];
  log: Logger;
}

interface Head {
  commit: string;
  tree: string;
  /** Blob sha of every file we care about, by repository path. */
  files: Map<string, string>;
  /** Those of them committed as symbolic links: refused, never read. */
  links: Set<string>;
}

/** Largest file read through the API (the releases file limit is 8 MiB; shards are far smaller). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export class GitHubLedgerStore implements LedgerStore {
  private head: Head | undefined;
  private readonly texts = new Map<string, string>();
  private buffer: LedgerRecord[] = [];
  /** Heads read from GitHub: the releases file's blob at each (a commit's files never change). */
  private readonly seen = new Map<string, Pick<Head, 'files' | 'links'>>();
  readonly stats = { commits: 0, conflicts: 0 };

  constructor(
    private readonly gh: GitHubClient,
    private readonly options: GitHubStoreOptions,
  ) {}

  /** The commit the store's view is based on (after our own commits, the last of them). */
  get headSha(): string | undefined {
    return this.head?.commit;
  }

  async readReleases(): Promise<ReadResult> {
    return this.releasesOf(await this.ensureHead(), `on branch ${this.options.branch}`);
  }

  /**
   * The releases file at a given commit (the pushed one). Free when it is a head this store
   * read, or the commit checked out in the workspace; otherwise one contents request (two
   * above 1 MB, unless the checkout has the file).
   */
  async readReleasesAt(commit: string): Promise<ReadResult> {
    await this.ensureHead();
    const known = this.seen.get(commit);
    if (known) return this.releasesOf(known, `at commit ${commit.slice(0, 7)}`);
    const path = this.options.releasesPath;
    const { workspace } = this.options;
    // Trusted without a blob check: this file only narrows what the head's file (read from
    // GitHub) may release; a checkout changed by an earlier step can at most let through
    // entries the head has, which are still held to the reviewed plan.
    if (workspace && (await checkedOutCommit(workspace)) === commit) {
      const local = await readTextFile(join(workspace, path));
      if (local.ok) return local;
    }
    let res: Awaited<ReturnType<typeof this.contents>>;
    try {
      res = await this.contents(commit);
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      return readFailure(path, `file not found at commit ${commit.slice(0, 7)}`);
    }
    // A symbolic link to a file is followed by this endpoint: harmless here, as this file only
    // narrows what the branch head's file (where links are refused) may release.
    const data = res.data;
    if (Array.isArray(data) || data.type !== 'file')
      return readFailure(path, `is not a plain file at commit ${commit.slice(0, 7)}`);
    if (data.size > MAX_FILE_BYTES)
      throw new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    // Above 1 MB the endpoint leaves the content out: read the blob (or the checkout).
    if (data.encoding !== 'base64' || !data.content)
      return { ok: true, text: await this.text(path, data.sha) };
    return { ok: true, text: Buffer.from(data.content, 'base64').toString('utf8') };
  }

  private contents(commit: string) {
    return this.gh.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: this.options.owner,
      repo: this.options.repo,
      path: this.options.releasesPath,
      ref: commit,
    });
  }

  private async releasesOf(
    head: Pick<Head, 'files' | 'links'>,
    where: string,
  ): Promise<ReadResult> {
    const path = this.options.releasesPath;
    if (head.links.has(path))
      return readFailure(path, 'is a symbolic link: refused, it must be a plain file');
    const sha = head.files.get(path);
    if (sha === undefined) return readFailure(path, `file not found ${where}`);
    return { ok: true, text: await this.text(path, sha) };
  }

  async read(): Promise<{ shards: ShardText[]; errors: Diagnostic[] }> {
    const head = await this.ensureHead();
    const shards: ShardText[] = [];
    const prefix = `${this.options.ledgerDir}/`;
    const errors: Diagnostic[] = [...head.links]
      .filter((path) => path.startsWith(prefix))
      .map((path) => ({
        file: path,
        line: 1,
        column: 1,
        pointer: '',
        message: 'is a symbolic link: refused, ledger shards must be plain files',
      }));
    for (const [path, sha] of [...head.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!path.startsWith(prefix) || !path.endsWith('.jsonl')) continue;
      const name = path.slice(prefix.length);
      if (name.includes('/')) continue;
      shards.push({ name, path, text: await this.text(path, sha) });
    }
    // Outcomes not committed yet are part of what this run knows.
    for (const [name, lines] of groupByShard(this.buffer)) {
      const shard = shards.find((s) => s.name === name);
      const added = lines.map((l) => `${l}\n`).join('');
      if (shard) shard.text = withNewline(shard.text) + added;
      else shards.push({ name, path: `${prefix}${name}`, text: added });
    }
    return { shards, errors };
  }

  async writeAhead(records: readonly LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (!(await this.commit(records, 'pending'))) {
      throw new LedgerConflictError(
        `${this.options.branch} moved to ${this.head?.commit.slice(0, 7) ?? '?'}`,
      );
    }
  }

  async append(records: readonly LedgerRecord[]): Promise<void> {
    this.buffer.push(...records);
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const attempts = this.options.maxCommitAttempts ?? 5;
    for (let i = 1; i <= attempts; i++) {
      if (await this.commit(this.buffer, 'outcomes')) {
        this.buffer = [];
        return;
      }
      this.options.log.warn(
        `${this.options.branch} moved while committing the outcomes; retrying on the new head (${i}/${attempts})`,
      );
    }
    throw new Error(
      `could not commit the outcomes: ${this.options.branch} kept moving (${attempts} attempts)`,
    );
  }

  /**
   * One of `extraFiles` at the head: its text, missing, or why it cannot be used (a symbolic
   * link is never read).
   */
  async readFile(
    path: string,
  ): Promise<{ kind: 'missing' } | { kind: 'text'; text: string } | { kind: 'link' }> {
    const head = await this.ensureHead();
    if (head.links.has(path)) return { kind: 'link' };
    const sha = head.files.get(path);
    return sha === undefined
      ? { kind: 'missing' }
      : { kind: 'text', text: await this.text(path, sha) };
  }

  /**
   * Rewrites one of `extraFiles` as `update` says, from its text at the head (undefined when
   * missing or a link). When the branch moves under the commit, `update` runs again on the
   * new head, so whatever another run wrote there is seen. False when nothing changed.
   */
  async updateFile(
    path: string,
    update: (current: string | undefined) => string,
    message: string,
  ): Promise<boolean> {
    const attempts = this.options.maxCommitAttempts ?? 5;
    for (let i = 1; i <= attempts; i++) {
      const current = await this.readFile(path);
      const text = current.kind === 'text' ? current.text : undefined;
      const next = update(text);
      if (next === text) return false;
      if (await this.commitChanges([{ path, content: next }], message)) return true;
      this.options.log.warn(
        `${this.options.branch} moved while committing ${path}; retrying on the new head (${i}/${attempts})`,
      );
    }
    throw new Error(
      `could not commit ${path}: ${this.options.branch} kept moving (${attempts} attempts)`,
    );
  }

  /** Commits records on top of the head; false (after re-reading the head) if the branch moved. */
  private async commit(
    records: readonly LedgerRecord[],
    kind: 'pending' | 'outcomes',
  ): Promise<boolean> {
    const head = await this.ensureHead();
    const { ledgerDir } = this.options;
    const changes: { path: string; content: string }[] = [];
    for (const [name, lines] of groupByShard(records)) {
      const path = `${ledgerDir}/${name}`;
      const sha = head.files.get(path);
      const current = sha === undefined ? '' : await this.text(path, sha);
      changes.push({ path, content: withNewline(current) + lines.map((l) => `${l}\n`).join('') });
    }
    return this.commitChanges(changes, this.options.commitMessage(kind, records));
  }

  /** Commits files on top of the head; false (after re-reading the head) if the branch moved. */
  private async commitChanges(
    changes: readonly { path: string; content: string }[],
    message: string,
  ): Promise<boolean> {
    const head = await this.ensureHead();
    const { owner, repo, branch } = this.options;
    const tree = await this.gh.request('POST /repos/{owner}/{repo}/git/trees', {
      owner,
      repo,
      base_tree: head.tree,
      tree: changes.map((c) => ({
        path: c.path,
        mode: '100644' as const,
        type: 'blob' as const,
        content: c.content,
      })),
    });
    const commit = await this.gh.request('POST /repos/{owner}/{repo}/git/commits', {
      owner,
      repo,
      message,
      tree: tree.data.sha,
      parents: [head.commit],
    });
    try {
      await this.gh.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        owner,
        repo,
        ref: `heads/${branch}`,
        sha: commit.data.sha,
        force: false,
      });
    } catch (error) {
      if ((error as { status?: number }).status !== 422) throw error;
      this.stats.conflicts++;
      await this.sync();
      return false;
    }
    this.stats.commits++;
    // The new head is ours: no need to read it back (reads may lag behind writes).
    const files = new Map(head.files);
    const links = new Set(head.links);
    for (const c of changes) {
      const sha = gitBlobSha(c.content);
      files.set(c.path, sha);
      this.texts.set(sha, c.content);
    }
    for (const c of changes) links.delete(c.path);
    this.head = { commit: commit.data.sha, tree: tree.data.sha, files, links };
    return true;
  }

  private async ensureHead(): Promise<Head> {
    if (!this.head) await this.sync();
    return this.head as Head;
  }

  /** Reads the branch head and the blob shas of the releases file and the ledger shards. */
  async sync(): Promise<void> {
    const { owner, repo, branch, ledgerDir, releasesPath } = this.options;
    const extra = new Set(this.options.extraFiles ?? []);
    const ref = await this.gh.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      owner,
      repo,
      ref: `heads/${branch}`,
    });
    const commit = ref.data.object.sha;
    const tree = await this.gh.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      owner,
      repo,
      tree_sha: commit,
      recursive: 'true',
    });
    const files = new Map<string, string>();
    const links = new Set<string>();
    const keep = (entry: { path: string; sha: string; mode?: string }) => {
      if (!wanted(entry.path)) return;
      if (entry.mode === '120000') links.add(entry.path);
      else files.set(entry.path, entry.sha);
    };
    const wanted = (path: string) =>
      path === releasesPath ||
      extra.has(path) ||
      (path.startsWith(`${ledgerDir}/`) && SHARD_NAME.test(path.slice(ledgerDir.length + 1)));
    if (tree.data.truncated) {
      // A very large repository: walk down to the few directories we need instead.
      for (const entry of await this.listDir(tree.data.sha, parentOf(releasesPath))) keep(entry);
      for (const dir of new Set([ledgerDir, ...[...extra].map(parentOf)]))
        for (const entry of await this.listDir(tree.data.sha, dir)) keep(entry);
    } else {
      for (const entry of tree.data.tree) {
        if (entry.type === 'blob' && entry.path && entry.sha)
          keep({ path: entry.path, sha: entry.sha, ...(entry.mode ? { mode: entry.mode } : {}) });
      }
    }
    this.head = { commit, tree: tree.data.sha, files, links };
    this.seen.set(commit, { files, links });
  }

  private async listDir(
    rootTree: string,
    dir: string,
  ): Promise<{ path: string; sha: string; mode?: string }[]> {
    let sha = rootTree;
    const parts = dir === '' ? [] : dir.split('/');
    for (const part of parts) {
      const t = await this.gh.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        owner: this.options.owner,
        repo: this.options.repo,
        tree_sha: sha,
      });
      const next = t.data.tree.find((e) => e.path === part && e.type === 'tree');
      if (!next?.sha) return [];
      sha = next.sha;
    }
    const t = await this.gh.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      owner: this.options.owner,
      repo: this.options.repo,
      tree_sha: sha,
    });
    return t.data.tree
      .filter((e) => e.type === 'blob' && e.path && e.sha)
      .map((e) => ({
        path: dir === '' ? (e.path as string) : `${dir}/${e.path}`,
        sha: e.sha as string,
        ...(e.mode ? { mode: e.mode } : {}),
      }));
  }

  /** A file's text: from memory, from the checkout when identical, else downloaded. */
  private async text(path: string, sha: string): Promise<string> {
    const known = this.texts.get(sha);
    if (known !== undefined) return known;
    if (this.options.workspace) {
      try {
        const local = await readFile(join(this.options.workspace, path));
        if (gitBlobSha(local) === sha) return this.remember(sha, local.toString('utf8'));
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
    return this.remember(sha, bytes.toString('utf8'));
  }

  private remember(sha: string, text: string): string {
    this.texts.set(sha, text);
    return text;
  }
}

/** Git's object id of a blob: sha1 of "blob <size>\0<content>". */
export function gitBlobSha(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function groupByShard(records: readonly LedgerRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const name = shardNameFor(r.at);
    const list = out.get(name) ?? [];
    list.push(serializeRecord(r));
    out.set(name, list);
  }
  return out;
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}
