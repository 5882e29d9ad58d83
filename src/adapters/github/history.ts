// A branch's first-parent history, read through GitHub's GraphQL API: the line of commits a
// pull request cannot rewrite (a merge adds to it; it never removes from it), where the seal
// of the tool's last ledger write is looked for (core/ledger/seal.ts). Each query walks a
// fixed number of first parents, nested, so a few commits cost one request.
import type { HistoryCommit } from '../../core/ledger/seal.js';
import type { GitHubClient } from './octokit.js';

/** First parents walked per request. */
export const HISTORY_DEPTH = 10;

interface CommitNode {
  oid: string;
  message: string;
  parents: { totalCount: number; nodes: CommitNode[] };
}

/** `oid message parents { ... }`, nested `depth` times: the first-parent chain in one query. */
function chain(depth: number): string {
  let inner = 'oid';
  for (let i = 0; i < depth; i++)
    inner = `oid message parents(first: 1) { totalCount nodes { ${inner} } }`;
  return inner;
}

const HISTORY = `query QuarantineReleaseHistory($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) { ... on Commit { ${chain(HISTORY_DEPTH)} } }
  }
}`;

export interface HistoryPage {
  /** Newest first, each with its first parent. */
  commits: HistoryCommit[];
  /** The first parent of the last commit, where the next page starts; undefined at the root. */
  next: string | undefined;
}

/** One page of first parents from a commit. */
export async function historyPage(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  oid: string,
): Promise<HistoryPage> {
  const data = await gh.graphql<{ repository: { object: CommitNode | null } | null }>(HISTORY, {
    owner: repo.owner,
    name: repo.repo,
    oid,
  });
  const start = data.repository?.object;
  if (!start) throw new Error(`commit ${oid.slice(0, 7)} not found`);
  const commits: HistoryCommit[] = [];
  let node: CommitNode | undefined = start;
  let next: string | undefined;
  while (node && typeof node.message === 'string') {
    const parent: CommitNode | undefined = node.parents?.nodes?.[0];
    commits.push({ oid: node.oid, parents: parent ? [parent.oid] : [], message: node.message });
    next = parent?.oid;
    node = parent;
  }
  return { commits, next };
}
