// The default branch as the action sees it: one snapshot of its head holding releases.yaml,
// the ledger and the drift check's cursor, read and written through the Git Data API (no
// checkout credentials, no `git push`; commits made with the Actions token are signed).
//
// Every commit it makes carries the ledger's seal (core/ledger/seal.ts), and every read holds
// the ledger at the head to the newest valid seal on the branch's first-parent history: a
// line removed, changed or added by anyone but this tool is an error, and nothing is planned,
// sent or written on such a ledger.
//
// Every write is a compare-and-swap: a commit whose parent is the head we read, then a
// non-forced ref update. If the branch moved (422, not a fast forward), the store re-reads
// the new head; a write-ahead then fails with LedgerConflictError so the engine re-plans
// (another run may have released the same messages), while buffered outcomes are simply
// re-applied on top of the new head (they are facts; lines only ever add up).
import { join } from 'node:path';
import { type Diagnostic, lineProblem } from '../../core/diagnostics.js';
import { type LedgerRecord, linesByShard, SHARD_NAME } from '../../core/ledger/record.js';
import {
  type Anchor,
  checkSealed,
  findAnchor,
  makeSeal,
  sealTrailer,
} from '../../core/ledger/seal.js';
import type { ShardText } from '../../core/ledger/state.js';
import { LedgerConflictError, type LedgerStore, type Logger } from '../../engine/ports.js';
import { checkedOutCommit } from '../files/git-checkout.js';
import { type ReadResult, readFailure, readTextFile } from '../files/read-input.js';
import { historyPage } from './history.js';
import type { GitHubClient } from './octokit.js';
import {
  gitBlobSha,
  MAX_FILE_BYTES,
  parentOf,
  RepoSnapshots,
  type Snapshot,
} from './repo-snapshots.js';

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
  /** Other repository files read and written through this store (the drift check's cursor). */
  extraFiles?: readonly string[];
  /** The ledger key: seals this store's commits and authenticates the seals it reads. */
  key: string;
  log: Logger;
}

/** Attempts for a commit (outcomes, a file update) when the branch keeps moving. */
const MAX_COMMIT_ATTEMPTS = 5;
/** History pages (of HISTORY_DEPTH first parents each) searched for the newest seal. */
const MAX_HISTORY_PAGES = 10;

/** The newest valid seal below a head, or why there is none. */
type AnchorState = { anchor: Anchor } | { anchor: undefined; reason: string };

interface Head extends Snapshot {
  commit: string;
  /** What the tool last wrote below this head (found on the first read). */
  anchor?: AnchorState;
}

export class GitHubBranchStore implements LedgerStore {
  private head: Head | undefined;
  private buffer: LedgerRecord[] = [];
  private readonly snapshots: RepoSnapshots;
  readonly stats = { commits: 0, conflicts: 0 };

  constructor(
    private readonly gh: GitHubClient,
    private readonly options: GitHubStoreOptions,
  ) {
    const { releasesPath } = options;
    const extra = new Set(options.extraFiles ?? []);
    this.snapshots = ledgerSnapshots(gh, {
      ...options,
      wanted: (path) => path === releasesPath || extra.has(path),
      dirs: [parentOf(releasesPath), ...[...extra].map(parentOf)],
    });
  }

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
    const short = commit.slice(0, 7);
    const known = this.snapshots.cached(commit);
    if (known) return this.releasesOf(known, `at commit ${short}`);
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
      return readFailure(path, `file not found at commit ${short}`);
    }
    // A symbolic link to a file is followed by this endpoint: harmless here, as this file only
    // narrows what the branch head's file (where links are refused) may release.
    const data = res.data;
    if (Array.isArray(data) || data.type !== 'file')
      return readFailure(path, `is not a plain file at commit ${short}`);
    if (data.size > MAX_FILE_BYTES)
      throw new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    // Above 1 MB the endpoint leaves the content out: read the blob (or the checkout).
    if (data.encoding !== 'base64' || !data.content)
      return { ok: true, text: await this.snapshots.text(path, data.sha) };
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

  private async releasesOf(head: Snapshot, where: string): Promise<ReadResult> {
    const path = this.options.releasesPath;
    if (head.links.has(path))
      return readFailure(path, 'is a symbolic link: refused, it must be a plain file');
    const sha = head.files.get(path);
    if (sha === undefined) return readFailure(path, `file not found ${where}`);
    return { ok: true, text: await this.snapshots.text(path, sha) };
  }

  async read(): Promise<{ shards: ShardText[]; errors: Diagnostic[] }> {
    const head = await this.ensureHead();
    const prefix = `${this.options.ledgerDir}/`;
    const errors: Diagnostic[] = [...head.links]
      .filter((path) => path.startsWith(prefix))
      .map((path) =>
        lineProblem(path, 1, 'is a symbolic link: refused, ledger shards must be plain files'),
      );
    const shards = await shardsOf(this.snapshots, head, this.options.ledgerDir);
    errors.push(...(await this.sealErrors(head, shards)));
    // Outcomes not committed yet are part of what this run knows.
    for (const [name, lines] of linesByShard(this.buffer)) {
      const shard = shards.find((s) => s.name === name);
      if (shard) shard.text = withLines(shard.text, lines);
      else shards.push({ name, path: `${prefix}${name}`, text: withLines('', lines) });
    }
    return { shards, errors };
  }

  /** The ledger at a head against the newest seal below it (see core/ledger/seal.ts). */
  private async sealErrors(head: Head, shards: readonly ShardText[]): Promise<Diagnostic[]> {
    head.anchor ??= await this.findAnchor(head.commit);
    const state = head.anchor;
    const dir = this.options.ledgerDir;
    const noAnchor = state.anchor === undefined ? state.reason : undefined;
    const first = checkSealed(shards, state.anchor, { dir, ...(noAnchor ? { noAnchor } : {}) });
    if (first.changed.length === 0 || !state.anchor) return first.errors;
    // Something sealed changed: the sealed text names the first line that differs.
    const sealed = await this.snapshots.at(state.anchor.commit);
    const sealedTexts = new Map<string, string>();
    for (const name of first.changed) {
      const sha = sealed.files.get(`${dir}/${name}`);
      if (sha) sealedTexts.set(name, await this.snapshots.text(`${dir}/${name}`, sha));
    }
    return checkSealed(shards, state.anchor, { dir, sealedTexts }).errors;
  }

  /** Walks the first-parent history from `commit` to the newest seal made with our key. */
  private async findAnchor(commit: string): Promise<AnchorState> {
    let walked = 0;
    let from: string | undefined = commit;
    for (let page = 0; page < MAX_HISTORY_PAGES && from !== undefined; page++) {
      const got = await historyPage(this.gh, this.options, from);
      const search = findAnchor(got.commits, this.options.key, got.next === undefined);
      for (const oid of search.invalid)
        this.options.log.warn(
          `commit ${oid.slice(0, 7)} carries a ledger seal that is not valid (forged, copied or made with another key): ignored`,
        );
      if (search.kind === 'found') return { anchor: search.anchor };
      walked += got.commits.length;
      from = got.next;
    }
    const reason =
      from === undefined
        ? `none in the ${walked} commit(s) of ${this.options.branch}'s history`
        : `none in the last ${walked} commits of ${this.options.branch}`;
    return { anchor: undefined, reason };
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
    await this.untilCommitted('the outcomes', () => this.commit(this.buffer, 'outcomes'));
    this.buffer = [];
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
      : { kind: 'text', text: await this.snapshots.text(path, sha) };
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
    let changed = false;
    await this.untilCommitted(path, async () => {
      const current = await this.readFile(path);
      const text = current.kind === 'text' ? current.text : undefined;
      const next = update(text);
      changed = next !== text;
      // Nothing to change is done too, with nothing committed.
      return !changed || this.commitChanges([{ path, content: next }], message);
    });
    return changed;
  }

  /**
   * Calls `attempt` (a commit on the head, false when the branch moved) until it succeeds, a
   * bounded number of times; `what` names the commit in messages.
   */
  private async untilCommitted(what: string, attempt: () => Promise<boolean>): Promise<void> {
    const { branch } = this.options;
    for (let i = 1; i <= MAX_COMMIT_ATTEMPTS; i++) {
      if (await attempt()) return;
      this.options.log.warn(
        `${branch} moved while committing ${what}; retrying on the new head (${i}/${MAX_COMMIT_ATTEMPTS})`,
      );
    }
    throw new Error(
      `could not commit ${what}: ${branch} kept moving (${MAX_COMMIT_ATTEMPTS} attempts)`,
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
    for (const [name, lines] of linesByShard(records)) {
      const path = `${ledgerDir}/${name}`;
      const sha = head.files.get(path);
      const current = sha === undefined ? '' : await this.snapshots.text(path, sha);
      changes.push({ path, content: withLines(current, lines) });
    }
    return this.commitChanges(changes, this.options.commitMessage(kind, records));
  }

  /**
   * Commits files on top of the head, with the seal of the ledger they leave; false (after
   * re-reading the head) if the branch moved. Never seals a ledger it has not verified: on a
   * head whose ledger was changed by someone else, it refuses and writes nothing.
   */
  private async commitChanges(
    changes: readonly { path: string; content: string }[],
    message: string,
  ): Promise<boolean> {
    const head = await this.ensureHead();
    const { owner, repo, branch, ledgerDir } = this.options;
    const before = await shardsOf(this.snapshots, head, ledgerDir);
    const problems = await this.sealErrors(head, before);
    if (problems.length > 0) throw new LedgerTamperedError(problems);
    const after = new Map(before.map((s) => [s.name, s.text]));
    for (const c of changes) {
      const name = c.path.slice(ledgerDir.length + 1);
      if (c.path.startsWith(`${ledgerDir}/`) && SHARD_NAME.test(name)) after.set(name, c.content);
    }
    const seal = makeSeal(
      this.options.key,
      head.commit,
      [...after].map(([name, text]) => ({ name, text })),
    );
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
      message: `${message.replace(/\n*$/, '')}\n\n${sealTrailer(seal)}\n`,
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
      // 422 is also how GitHub refuses a push its branch rules forbid: only a lost race is one.
      const said = errorText(error);
      if (!/fast.?forward/i.test(said))
        throw new Error(
          `GitHub refused the ledger commit on ${branch} (HTTP 422: ${said.slice(0, 300)}): the branch's rules must let this workflow's token push to it (see the README, "What remains the repository's job")`,
        );
      this.stats.conflicts++;
      await this.sync();
      return false;
    }
    this.stats.commits++;
    // The new head is ours: no need to read it back (reads may lag behind writes).
    const files = new Map(head.files);
    const links = new Set(head.links);
    const texts: { sha: string; text: string }[] = [];
    for (const c of changes) {
      const sha = gitBlobSha(c.content);
      files.set(c.path, sha);
      links.delete(c.path);
      texts.push({ sha, text: c.content });
    }
    this.head = {
      commit: commit.data.sha,
      tree: tree.data.sha,
      files,
      links,
      anchor: { anchor: { commit: commit.data.sha, seal } },
    };
    this.snapshots.remember(commit.data.sha, this.head, texts);
    return true;
  }

  private async ensureHead(): Promise<Head> {
    if (!this.head) await this.sync();
    return this.head as Head;
  }

  /** Reads the branch head and the blob shas of the releases file and the ledger shards. */
  async sync(): Promise<void> {
    const { owner, repo, branch } = this.options;
    const ref = await this.gh.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      owner,
      repo,
      ref: `heads/${branch}`,
    });
    const commit = ref.data.object.sha;
    this.head = { commit, ...(await this.snapshots.at(commit)) };
  }
}

/**
 * The files a ledger reader keeps at a commit: the ledger's shards, and what `more` adds
 * (the releases file, the drift check's cursor).
 */
export function ledgerSnapshots(
  gh: GitHubClient,
  options: {
    owner: string;
    repo: string;
    ledgerDir: string;
    workspace?: string;
    wanted?: (path: string) => boolean;
    dirs?: readonly string[];
  },
): RepoSnapshots {
  const { ledgerDir } = options;
  return new RepoSnapshots(gh, {
    owner: options.owner,
    repo: options.repo,
    ...(options.workspace ? { workspace: options.workspace } : {}),
    wanted: (path) =>
      (path.startsWith(`${ledgerDir}/`) && SHARD_NAME.test(path.slice(ledgerDir.length + 1))) ||
      (options.wanted?.(path) ?? false),
    dirs: [ledgerDir, ...(options.dirs ?? [])],
  });
}

/** The ledger shards of a snapshot, by name. */
export async function shardsOf(
  snapshots: RepoSnapshots,
  at: Pick<Snapshot, 'files'>,
  ledgerDir: string,
): Promise<ShardText[]> {
  const prefix = `${ledgerDir}/`;
  const shards: ShardText[] = [];
  for (const [path, sha] of [...at.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!path.startsWith(prefix) || !path.endsWith('.jsonl')) continue;
    const name = path.slice(prefix.length);
    if (name.includes('/')) continue;
    shards.push({ name, path, text: await snapshots.text(path, sha) });
  }
  return shards;
}

/** The ledger was changed by someone other than this tool: nothing is written on it. */
export class LedgerTamperedError extends Error {
  constructor(readonly problems: readonly Diagnostic[]) {
    const first = problems[0];
    super(
      `the ledger was changed outside quarantine-release${first ? ` (${first.file}:${first.line}: ${first.message})` : ''}: nothing is written on it`,
    );
  }
}

/** GitHub's message in an Octokit error. */
function errorText(error: unknown): string {
  const e = error as { message?: unknown; response?: { data?: { message?: unknown } } };
  const text = e.response?.data?.message ?? e.message;
  return typeof text === 'string' ? text : 'no message';
}

/** `text` with `lines` added at its end, each ending with a newline. */
function withLines(text: string, lines: readonly string[]): string {
  const added = lines.map((l) => `${l}\n`).join('');
  return text === '' || text.endsWith('\n') ? text + added : `${text}\n${added}`;
}
