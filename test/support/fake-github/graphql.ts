// The GraphQL endpoint (POST /graphql): the subset of GitHub's schema the action queries
// (first-parent history, merged pull requests with reviews and comments), executed by
// graphql-js against the fake's stores, so a query the real schema would reject (a field
// that does not exist, a wrong argument) fails here too.
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
  parents(first: Int): CommitConnection!
  associatedPullRequests(first: Int): PullRequestConnection!
}
type CommitConnection { totalCount: Int! nodes: [Commit!]! }
type PullRequestConnection { totalCount: Int! nodes: [PullRequest!]! }
type Actor { login: String! }
type PullRequest {
  number: Int!
  merged: Boolean!
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
