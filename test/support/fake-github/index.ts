// A fake GitHub REST API on 127.0.0.1 for end-to-end tests: one repository whose git data
// are real git objects, pull requests, issue comments, and the faults the action must
// survive (rate limits, a branch moving under a commit, lagging reads, read-only tokens).
import { GitHubApi, type LoggedRequest } from './api.js';
import { type FaultKind, type FaultMatch, Faults } from './faults.js';
import { GitStore } from './git-store.js';
import { githubTime } from './http.js';
import { IssueStore } from './issues.js';
import { identity, OTHER_PUSHER, type Repo } from './repo.js';
import { listenOnLoopback } from './server.js';

export type { FaultKind, FaultMatch, LoggedRequest };

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Required as `Authorization: token …` or `Bearer …`; default 'ghs_fake_token'. */
  token?: string;
  /** The token's user; default 'github-actions[bot]'. */
  botLogin?: string;
  /** Content of the initial commit on the default branch. */
  files?: Record<string, string>;
}

export interface CommitSummary {
  sha: string;
  message: string;
  parents: string[];
  author?: { name: string; email: string };
  files: Record<string, string>;
}

export interface CommentSummary {
  id: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
}

export interface PullRequestSpec {
  number: number;
  head: string;
  base?: string;
  /** Default: true when mergeCommitSha is given. */
  merged?: boolean;
  /** Default for a merged PR: the base branch's head. */
  mergeCommitSha?: string;
  title?: string;
  user?: string;
}

export interface FakeGitHub {
  /** e.g. http://127.0.0.1:PORT, to pass as GITHUB_API_URL or Octokit's baseUrl. */
  url: string;
  close(): Promise<void>;
  headSha(branch?: string): string;
  /** File text at a branch head or commit; undefined when the file does not exist there. */
  readFile(path: string, ref?: string): string | undefined;
  listFiles(ref?: string): string[];
  /** First-parent history of a branch or commit, newest first, each with its files. */
  commits(branch?: string): CommitSummary[];
  /**
   * Someone else's push (null deletes a file); returns the new head sha. `author` is
   * "Name <email>"; a missing branch starts from the default branch's head. `date` (ISO)
   * dates the commit, now by default.
   */
  commitFiles(
    branch: string,
    files: Record<string, string | null>,
    message: string,
    author?: string,
    date?: string,
  ): string;
  /** A merged PR is also associated with its merge commit, any PR with its head commit. */
  addPullRequest(pr: PullRequestSpec): void;
  associateCommit(sha: string, prNumber: number): void;
  comments(issueNumber: number): CommentSummary[];
  addComment(
    issueNumber: number,
    body: string,
    user: { login: string; type: 'User' | 'Bot' },
  ): number;
  /** Someone (a login) edits a comment, as anyone with write access can. */
  editComment(id: number, body: string, by: string): void;
  /** A review of a pull request, on a commit (default: its head now). */
  addReview(
    prNumber: number,
    review: {
      user: string;
      state?: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
      commit?: string;
    },
  ): void;
  requests(): LoggedRequest[];
  resetRequests(): void;
  /**
   * A workflow run's status as GET /actions/runs/{id} reports it, `updated_at` now (default:
   * completed when the fake started).
   */
  setRunStatus(runId: number, status: 'queued' | 'in_progress' | 'completed'): void;
  /** Called for each request once handled, before its reply is sent. */
  onHandled(listener: (request: LoggedRequest) => void): void;
  /** The next `count` (default 1) matching authenticated requests answer `fault` instead. */
  failNext(match: FaultMatch, fault: FaultKind, count?: number): void;
  /** The next ref update first sees a concurrent push of these files, so a CAS update 422s. */
  moveBranchBeforeNextRefUpdate(files: Record<string, string | null>, message?: string): void;
  /** The next ref update first sees whatever `push` commits (e.g. another run's sealed commit). */
  beforeNextRefUpdate(push: () => void): void;
  /** The next `count` ref reads (git/ref(s), branches) answer the sha before the last move. */
  staleReads(count: number): void;
  /** A fork PR's token: every write answers 403 "Resource not accessible by integration". */
  setReadOnlyToken(readOnly: boolean): void;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const defaultBranch = options.defaultBranch ?? 'main';
  const git = new GitStore();
  const issues = new IssueStore();
  const faults = new Faults();
  const repo: Repo = {
    owner: options.owner ?? 'octo-org',
    name: options.repo ?? 'mail-releases',
    defaultBranch,
    bot: issues.user(options.botLogin ?? 'github-actions[bot]', 'Bot'),
    git,
    issues,
    faults,
    runs: new Map(),
  };
  git.commitFiles(defaultBranch, options.files ?? {}, 'Initial commit', identity(OTHER_PUSHER));
  const api = new GitHubApi(repo, options.token ?? 'ghs_fake_token');
  const server = await listenOnLoopback((request) => api.handle(request));

  function headSha(branch = defaultBranch): string {
    const sha = git.ref(branch);
    if (!sha) throw new Error(`fake GitHub: no branch ${branch}`);
    return sha;
  }

  function treeAt(ref = defaultBranch): string {
    const tree = git.commit(git.resolve(ref) ?? '')?.tree;
    if (!tree) throw new Error(`fake GitHub: no branch or commit ${ref}`);
    return tree;
  }

  return {
    url: server.url,
    close: () => server.close(),
    headSha,
    readFile(path, ref) {
      const entry = git.lookup(treeAt(ref), path);
      return entry ? git.blob(entry.sha)?.toString('utf8') : undefined;
    },
    listFiles: (ref) => Object.keys(git.files(treeAt(ref))).sort(),
    commits(branch) {
      const history: CommitSummary[] = [];
      const start = branch === undefined ? headSha() : (git.resolve(branch) ?? headSha(branch));
      for (let sha: string | undefined = start; sha !== undefined; ) {
        const commit = git.commit(sha);
        if (!commit) break;
        const { name, email } = commit.author;
        const { message, parents, tree } = commit;
        history.push({
          sha,
          message,
          parents: [...parents],
          author: { name, email },
          files: git.files(tree),
        });
        sha = parents[0];
      }
      return history;
    },
    commitFiles(branch, files, message, author = OTHER_PUSHER, date) {
      if (!git.ref(branch)) git.setRef(branch, headSha());
      const person = identity(author);
      return git.commitFiles(branch, files, message, date ? { ...person, date } : person);
    },
    addPullRequest(pr) {
      const base = pr.base ?? defaultBranch;
      const merged = pr.merged ?? pr.mergeCommitSha !== undefined;
      const mergeSha = pr.mergeCommitSha ?? headSha(base);
      if (merged && !git.commit(mergeSha)) throw new Error(`fake GitHub: no commit ${mergeSha}`);
      issues.addPull({
        number: pr.number,
        head: { ref: pr.head, sha: git.ref(pr.head) ?? headSha(base) },
        base,
        title: pr.title ?? `Pull request #${pr.number}`,
        user: issues.user(pr.user ?? 'octocat'),
        createdAt: githubTime(),
        merge: merged ? { sha: mergeSha, at: githubTime() } : undefined,
      });
    },
    associateCommit(sha, prNumber) {
      if (!issues.pull(prNumber)) throw new Error(`fake GitHub: no pull request #${prNumber}`);
      issues.associate(sha, prNumber);
    },
    comments: (issueNumber) =>
      issues.comments(issueNumber).map((c) => ({
        id: c.id,
        body: c.body,
        user: { login: c.user.login, type: c.user.type },
        created_at: c.createdAt,
        updated_at: c.updatedAt,
      })),
    addComment: (issueNumber, body, user) =>
      issues.addComment(issueNumber, body, issues.user(user.login, user.type)).id,
    editComment(id, body, by) {
      const comment = issues.comment(id);
      if (!comment) throw new Error(`fake GitHub: no comment ${id}`);
      issues.editComment(comment, body, issues.user(by));
    },
    addReview(prNumber, review) {
      const pull = issues.pull(prNumber);
      if (!pull) throw new Error(`fake GitHub: no pull request #${prNumber}`);
      issues.addReview(prNumber, {
        user: issues.user(review.user),
        state: review.state ?? 'APPROVED',
        commit: review.commit ?? git.ref(pull.head.ref) ?? pull.head.sha,
        submittedAt: new Date().toISOString(),
      });
    },
    requests: () => api.requests(),
    resetRequests: () => api.resetRequests(),
    setRunStatus: (runId, status) => repo.runs.set(runId, { status, updatedAt: githubTime() }),
    onHandled: (listener) => api.onHandled(listener),
    failNext: (match, fault, count) => faults.failNext(match, fault, count),
    moveBranchBeforeNextRefUpdate: (files, message = 'Concurrent push') =>
      faults.moveBranchBeforeNextRefUpdate(files, message),
    beforeNextRefUpdate: (push) => faults.beforeNextRefUpdate(push),
    staleReads: (count) => faults.staleReads(count),
    setReadOnlyToken(readOnly) {
      faults.readOnly = readOnly;
    },
  };
}
