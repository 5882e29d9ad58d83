// Pull requests, their association with commits, and issue comments. Pull requests and
// issues share one number space on GitHub, so a comment thread exists for every PR number
// and for any number a test comments on.
import { githubTime } from './http.js';

export interface User {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface PullRequest {
  number: number;
  head: { ref: string; sha: string };
  base: string;
  title: string;
  user: User;
  createdAt: string;
  /** Set when merged. */
  merge: { sha: string; at: string } | undefined;
}

export interface IssueComment {
  id: number;
  issue: number;
  body: string;
  user: User;
  createdAt: string;
  updatedAt: string;
  /** Who last edited it (GraphQL `editor`); undefined while never edited. */
  editor?: User;
}

export interface Review {
  user: User;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED. */
  state: string;
  /** The commit the review was given on. */
  commit: string;
  submittedAt: string;
}

export class IssueStore {
  private readonly pulls = new Map<number, PullRequest>();
  private readonly threads = new Map<number, IssueComment[]>();
  private readonly byId = new Map<number, IssueComment>();
  private readonly associations = new Map<string, Set<number>>();
  private readonly users = new Map<string, User>();
  private readonly reviewLists = new Map<number, Review[]>();
  // Realistic magnitudes: comment ids are in the billions, user ids in the millions.
  private nextCommentId = 2_000_000_001;
  private nextUserId = 10_000_001;

  user(login: string, type: User['type'] = login.endsWith('[bot]') ? 'Bot' : 'User'): User {
    const known = this.users.get(login);
    if (known) return known;
    const user = { login, id: this.nextUserId++, type };
    this.users.set(login, user);
    return user;
  }

  addPull(pull: PullRequest): void {
    this.pulls.set(pull.number, pull);
    this.threads.set(pull.number, this.threads.get(pull.number) ?? []);
    this.associate(pull.head.sha, pull.number);
    if (pull.merge) this.associate(pull.merge.sha, pull.number);
  }

  pull(number: number): PullRequest | undefined {
    return this.pulls.get(number);
  }

  associate(sha: string, number: number): void {
    this.associations.set(sha, (this.associations.get(sha) ?? new Set()).add(number));
  }

  pullsForCommit(sha: string): PullRequest[] {
    return [...(this.associations.get(sha) ?? [])]
      .sort((a, b) => a - b)
      .flatMap((n) => this.pulls.get(n) ?? []);
  }

  hasIssue(number: number): boolean {
    return this.threads.has(number);
  }

  /** The thread of an issue, oldest first. */
  comments(issue: number): readonly IssueComment[] {
    return this.threads.get(issue) ?? [];
  }

  comment(id: number): IssueComment | undefined {
    return this.byId.get(id);
  }

  addComment(issue: number, body: string, user: User): IssueComment {
    const now = githubTime();
    const comment = {
      id: this.nextCommentId++,
      issue,
      body,
      user,
      createdAt: now,
      updatedAt: now,
    };
    this.threads.set(issue, [...this.comments(issue), comment]);
    this.byId.set(comment.id, comment);
    return comment;
  }

  editComment(comment: IssueComment, body: string, editor: User): void {
    comment.body = body;
    comment.updatedAt = githubTime();
    comment.editor = editor;
  }

  /** A pull request's reviews, oldest first. */
  reviews(number: number): readonly Review[] {
    return this.reviewLists.get(number) ?? [];
  }

  addReview(number: number, review: Review): void {
    this.reviewLists.set(number, [...this.reviews(number), review]);
  }
}
