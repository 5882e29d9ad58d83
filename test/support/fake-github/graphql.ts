// The GraphQL endpoint (POST /graphql): the subset of GitHub's schema the action queries
// (first-parent history, merged pull requests with reviews and comments, the blame of a
// file), executed by graphql-js against the fake's stores, so a query the real schema would
// reject (a field that does not exist, a wrong argument) fails here too.
import { buildSchema, type GraphQLSchema, graphqlSync } from 'graphql';
import { json, type Reply } from './http.js';
import type { IssueComment, PullRequest, User } from './issues.js';
import type { Repo } from './repo.js';

const SDL = `
scalar GitObjectID
type Query { repository(owner: String!, name: String!): Repository }
type Repository {
  ref(qualifiedName: String!): Ref
  object(oid: GitObjectID!): GitObject
  pullRequest(number: Int!): PullRequest
}
type Ref { name: String! target: GitObject }
interface GitObject { oid: GitObjectID! }
type Commit implements GitObject {
  oid: GitObjectID!
  message: String!
  committedDate: String!
  parents(first: Int): CommitConnection!
  associatedPullRequests(first: Int): PullRequestConnection!
  blame(path: String!): Blame!
}
type Blame { ranges: [BlameRange!]! }
type BlameRange { startingLine: Int! endingLine: Int! age: Int! commit: Commit! }
type CommitConnection { totalCount: Int! nodes: [Commit!]! }
type PullRequestConnection { totalCount: Int! nodes: [PullRequest!]! }
type Actor { login: String! }
type PullRequest {
  number: Int!
  merged: Boolean!
  mergedAt: String
  baseRefName: String!
  headRefOid: GitObjectID!
  author: Actor
  reviews(first: Int, last: Int): PullRequestReviewConnection!
  comments(first: Int, after: String): IssueCommentConnection!
}
type PullRequestReview { author: Actor state: String! submittedAt: String commit: Commit }
type PullRequestReviewConnection { totalCount: Int! nodes: [PullRequestReview!]! }
type IssueComment { databaseId: Int! body: String! author: Actor editor: Actor }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type IssueCommentConnection { totalCount: Int! pageInfo: PageInfo! nodes: [IssueComment!]! }
`;

export function graphqlHandler(repo: Repo): (body: unknown) => Reply {
  const schema: GraphQLSchema = buildSchema(SDL);
  const { git, issues } = repo;

  const actor = (user: User | undefined) => (user ? { login: user.login } : null);

  function commitNode(oid: string): Record<string, unknown> | null {
    const commit = git.commit(oid);
    if (!commit) return null;
    return {
      __typename: 'Commit',
      oid,
      message: commit.message,
      committedDate: commit.committer.date,
      blame: ({ path }: { path: string }) => ({ ranges: blame(oid, path) }),
      parents: ({ first }: { first?: number }) => {
        const parents = commit.parents.map((p) => commitNode(p)).filter((p) => p !== null);
        return { totalCount: parents.length, nodes: parents.slice(0, first ?? 100) };
      },
      associatedPullRequests: ({ first }: { first?: number }) => {
        const pulls = issues.pullsForCommit(oid).map(pullNode);
        return { totalCount: pulls.length, nodes: pulls.slice(0, first ?? 100) };
      },
    };
  }

  function textAt(oid: string, path: string): string | undefined {
    const commit = git.commit(oid);
    const entry = commit ? git.lookup(commit.tree, path) : undefined;
    return entry ? git.blob(entry.sha)?.toString('utf8') : undefined;
  }

  /**
   * A simplified blame: each line goes to the oldest commit of an unbroken first-parent run,
   * back from `oid`, whose file has that exact line somewhere. Real blame diffs each commit
   * against its parents; for the files tests write (one entry's id per line) it agrees.
   */
  function blame(oid: string, path: string) {
    const text = textAt(oid, path);
    if (text === undefined) throw new Error(`Could not resolve file for path '${path}'`);
    const chain: { oid: string; lines: Set<string> }[] = [];
    for (let at: string | undefined = oid; at !== undefined; at = git.commit(at)?.parents[0]) {
      const older = textAt(at, path);
      if (older === undefined) break;
      chain.push({ oid: at, lines: new Set(older.split('\n')) });
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const ranges: { startingLine: number; endingLine: number; age: number; commit: unknown }[] = [];
    let last: string | undefined;
    lines.forEach((line, i) => {
      let k = 0;
      while (chain[k + 1]?.lines.has(line)) k++;
      const owner = (chain[k] as { oid: string }).oid;
      const open = ranges.at(-1);
      if (open && last === owner) open.endingLine = i + 1;
      else
        ranges.push({ startingLine: i + 1, endingLine: i + 1, age: 1, commit: commitNode(owner) });
      last = owner;
    });
    return ranges;
  }

  function commentNode(c: IssueComment) {
    return {
      databaseId: c.id,
      body: c.body,
      author: actor(c.user),
      editor: actor(c.editor),
    };
  }

  function pullNode(pull: PullRequest) {
    return {
      number: pull.number,
      merged: pull.merge !== undefined,
      mergedAt: pull.merge?.at ?? null,
      baseRefName: pull.base,
      headRefOid: pull.head.sha,
      author: actor(pull.user),
      reviews: ({ first, last }: { first?: number; last?: number }) => {
        const all = issues.reviews(pull.number).map((r) => ({
          author: actor(r.user),
          state: r.state,
          submittedAt: r.submittedAt,
          commit: commitNode(r.commit),
        }));
        const nodes = last !== undefined ? all.slice(-last) : all.slice(0, first ?? 100);
        return { totalCount: all.length, nodes };
      },
      comments: ({ first, after }: { first?: number; after?: string }) => {
        const all = issues.comments(pull.number);
        const start = after ? Number(after) : 0;
        const size = Math.min(first ?? 100, 100);
        const nodes = all.slice(start, start + size).map(commentNode);
        const end = start + nodes.length;
        return {
          totalCount: all.length,
          pageInfo: {
            hasNextPage: end < all.length,
            endCursor: nodes.length > 0 ? String(end) : null,
          },
          nodes,
        };
      },
    };
  }

  const root = {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      if (
        owner.toLowerCase() !== repo.owner.toLowerCase() ||
        name.toLowerCase() !== repo.name.toLowerCase()
      )
        return null;
      return {
        ref: ({ qualifiedName }: { qualifiedName: string }) => {
          const branch = qualifiedName.replace(/^refs\/heads\//, '');
          const sha = git.ref(branch);
          return sha ? { name: branch, target: commitNode(sha) } : null;
        },
        object: ({ oid }: { oid: string }) => commitNode(oid),
        pullRequest: ({ number }: { number: number }) => {
          const pull = issues.pull(number);
          return pull ? pullNode(pull) : null;
        },
      };
    },
  };

  return (body) => {
    const request = body as { query?: unknown; variables?: unknown } | undefined;
    if (typeof request?.query !== 'string')
      return json({ errors: [{ message: 'A query attribute must be specified' }] });
    const result = graphqlSync({
      schema,
      source: request.query,
      rootValue: root,
      variableValues: (request.variables ?? {}) as Record<string, unknown>,
      typeResolver: (value) => (value as { __typename?: string }).__typename ?? 'Commit',
    });
    return json(JSON.parse(JSON.stringify(result)));
  };
}
