// The ledger's history in a local git clone (the CLI), read and written with the `git`
// command: the first-parent history where the tool's sealed commits are looked for, a
// commit's ledger shards, and the commit that seals what the CLI wrote. No shell: arguments
// are passed as a list, and nothing from a file is ever an argument but paths git gave us.
import { execFile } from 'node:child_process';
import { relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { SHARD_NAME } from '../../core/ledger/record.js';
import type { HistoryCommit } from '../../core/ledger/seal.js';

const run = promisify(execFile);
/** Largest output read from one git command (a month's shard is far smaller). */
const MAX_OUTPUT = 256 * 1024 * 1024;

export interface GitRepo {
  /** The work tree's root. */
  root: string;
  /** The ledger directory, relative to the root, with `/` separators. */
  ledger: string;
}

async function git(root: string, args: readonly string[], input?: string): Promise<string> {
  const child = run('git', ['-C', root, ...args], {
    maxBuffer: MAX_OUTPUT,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The git work tree holding `dir`, or undefined (not in one, or no git). */
export async function repoOf(dir: string): Promise<GitRepo | undefined> {
  let root: string;
  try {
    root = (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    // `dir` may not exist yet (the first apply creates it): ask its parent.
    try {
      root = (await git(resolve(dir, '..'), ['rev-parse', '--show-toplevel'])).trim();
    } catch {
      return undefined;
    }
  }
  const rel = relative(root, resolve(dir));
  if (rel.startsWith('..')) return undefined;
  return { root, ledger: rel.split(sep).join('/') };
}

/** The commit HEAD points at, or undefined in a repository without commits. */
export async function headCommit(repo: GitRepo): Promise<string | undefined> {
  try {
    return (await git(repo.root, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'])).trim();
  } catch {
    return undefined;
  }
}

/**
 * Up to `max` commits of HEAD's first-parent history, newest first; `complete` when they run
 * to the first commit.
 */
export async function firstParents(
  repo: GitRepo,
  max: number,
): Promise<{ commits: HistoryCommit[]; complete: boolean }> {
  if ((await headCommit(repo)) === undefined) return { commits: [], complete: true };
  const out = await git(repo.root, [
    'log',
    '--first-parent',
    `--max-count=${max + 1}`,
    '--format=%H%x00%P%x00%B%x00%x1e',
  ]);
  const commits = out
    .split('\x1e')
    .map((chunk) => chunk.replace(/^\n/, ''))
    .filter((chunk) => chunk !== '')
    .map((chunk) => {
      const [oid = '', parents = '', message = ''] = chunk.split('\x00');
      return { oid, parents: parents.split(' ').filter((p) => p !== ''), message };
    });
  return { commits: commits.slice(0, max), complete: commits.length <= max };
}

/** The ledger shards committed at `commit`, by name. */
export async function shardsAt(
  repo: GitRepo,
  commit: string,
): Promise<{ name: string; text: string }[]> {
  const listing = await git(repo.root, ['ls-tree', '-z', commit, '--', `${repo.ledger}/`]);
  const out: { name: string; text: string }[] = [];
  for (const entry of listing.split('\0')) {
    const m = /^[0-7]{6} blob ([0-9a-f]{40,64})\t(.+)$/.exec(entry);
    if (!m) continue;
    const name = (m[2] as string).slice(repo.ledger.length + 1);
    if (!SHARD_NAME.test(name)) continue;
    out.push({ name, text: await git(repo.root, ['cat-file', 'blob', m[1] as string]) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Whether `commit` changed the ledger directory against its first parent. */
export async function changesLedger(
  repo: GitRepo,
  commit: string,
  parent?: string,
): Promise<boolean> {
  const args = parent
    ? ['diff', '--quiet', parent, commit, '--', `${repo.ledger}/`]
    : ['ls-tree', '--name-only', commit, '--', `${repo.ledger}/`];
  try {
    const out = await git(repo.root, args);
    return parent ? false : out.trim() !== '';
  } catch (error) {
    if ((error as { code?: number }).code === 1) return true;
    throw error;
  }
}

/**
 * Commits the ledger directory alone (other changes, staged or not, stay as they are) with
 * `message`, on top of `head`. When the ledger is as HEAD has it, the commit changes nothing
 * (a seal of a ledger committed by hand).
 */
export async function commitLedger(repo: GitRepo, head: string, message: string): Promise<string> {
  const dir = `${repo.ledger}/`;
  await git(repo.root, ['add', '--all', '--', dir]);
  const staged = await git(repo.root, ['diff', '--cached', '--name-only', head, '--', dir]);
  if (staged.trim() !== '') {
    await git(repo.root, ['commit', '--quiet', '--only', '-F', '-', '--', dir], message);
  } else {
    const tree = `${head}^{tree}`;
    const commit = (
      await git(repo.root, ['commit-tree', tree, '-p', head, '-F', '-'], message)
    ).trim();
    await git(repo.root, ['update-ref', '-m', 'quarantine-release: seal', 'HEAD', commit, head]);
  }
  return (await git(repo.root, ['rev-parse', 'HEAD'])).trim();
}
