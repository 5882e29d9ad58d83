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

const BY_REF = `query QuarantineReleaseHistoryByRef($owner: String!, $name: String!, $ref: String!) {
  repository(owner: $owner, name: $name) {
    ref(qualifiedName: $ref) { target { ... on Commit { ${chain(HISTORY_DEPTH)} } } }
  }
}`;

const BY_OID = `query QuarantineReleaseHistory($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) { ... on Commit { ${chain(HISTORY_DEPTH)} } }
  }
}`;

export interface HistoryPage {
  /** The commit the walk started from (the branch head, for a ref). */
  head: string;
  /** Newest first, each with its first parent. */
  commits: HistoryCommit[];
  /** The first parent of the last commit, where the next page starts; undefined at the root. */
  next: string | undefined;
}

/** One page of first parents from a branch (`refs/heads/...` or a branch name) or a commit. */
export async function historyPage(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  from: { ref: string } | { oid: string },
): Promise<HistoryPage> {
  const vars = { owner: repo.owner, name: repo.repo };
  let start: CommitNode | null | undefined;
  if ('ref' in from) {
    const ref = from.ref.startsWith('refs/') ? from.ref : `refs/heads/${from.ref}`;
    const data = await gh.graphql<{
      repository: { ref: { target: CommitNode | null } | null } | null;
    }>(BY_REF, { ...vars, ref });
    start = data.repository?.ref?.target;
    if (!start) throw new Error(`branch ${from.ref} not found`);
  } else {
    const data = await gh.graphql<{ repository: { object: CommitNode | null } | null }>(BY_OID, {
      ...vars,
      oid: from.oid,
    });
    start = data.repository?.object;
    if (!start) throw new Error(`commit ${from.oid.slice(0, 7)} not found`);
  }
  const commits: HistoryCommit[] = [];
  let node: CommitNode | undefined = start;
  let next: string | undefined;
  while (node && typeof node.message === 'string') {
    const parent: CommitNode | undefined = node.parents?.nodes?.[0];
    commits.push({ oid: node.oid, parents: parent ? [parent.oid] : [], message: node.message });
    if (!parent) {
      next = undefined;
      break;
    }
    next = parent.oid;
    node = parent;
  }
  return { head: start.oid, commits, next };
}
