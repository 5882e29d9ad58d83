// When each line of the requests file got onto the branch, for the drift check's report of
// entries merged but never applied (core/check/unapplied): GitHub's blame of the file at the
// commit the check read (GraphQL, one query) gives the commit that last changed each line,
// and that commit reached the branch when its pull request was merged, or, for a commit
// pushed directly, at its own date. A commit of a pull request merged with a merge commit is
// dated when it was written, which can be long before the merge: hence the merge time.
import type { EntrySince } from '../../core/check/unapplied.js';
import type { EntryTimes } from '../../engine/ports.js';
import type { GitHubClient } from './octokit.js';

const BLAME = `query QuarantineReleaseBlame($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        blame(path: $path) {
          ranges {
            startingLine
            endingLine
            commit {
              oid
              committedDate
              associatedPullRequests(first: 5) { nodes { merged mergedAt baseRefName } }
            }
          }
        }
      }
    }
  }
}`;

interface BlameRange {
  startingLine: number;
  endingLine: number;
  commit: {
    oid: string;
    committedDate: string;
    associatedPullRequests?: {
      nodes: { merged: boolean; mergedAt: string | null; baseRefName: string }[];
    };
  };
}

export class GitHubEntryTimes implements EntryTimes {
  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly options: {
      /** The requests file, repository-relative. */
      path: string;
      branch: string;
      /** The commit whose file the run read (known once it has read it). */
      commit: () => string | undefined;
    },
  ) {}

  async since(lines: readonly number[]): Promise<EntrySince> {
    const { path, branch } = this.options;
    const oid = this.options.commit();
    if (oid === undefined) throw new Error(`the commit ${path} was read at is not known`);
    const data = await this.gh.graphql<{
      repository: { object: { blame?: { ranges: BlameRange[] } } | null } | null;
    }>(BLAME, { owner: this.repo.owner, name: this.repo.repo, oid, path });
    const ranges = data.repository?.object?.blame?.ranges;
    if (!ranges) throw new Error(`GitHub gave no blame of ${path} at ${oid.slice(0, 7)}`);
    const wanted = new Set(lines);
    const at = new Map<number, { at: string; commit: string }>();
    for (const range of ranges) {
      const { commit } = range;
      const pull = commit.associatedPullRequests?.nodes.find(
        (p) => p.merged && p.mergedAt && p.baseRefName === branch,
      );
      const when = { at: pull?.mergedAt ?? commit.committedDate, commit: commit.oid };
      for (let line = range.startingLine; line <= range.endingLine; line++)
        if (wanted.has(line)) at.set(line, when);
    }
    return {
      basis: 'line',
      source: `the commit that last changed each entry's line (GitHub's blame of ${path} at ${oid.slice(0, 7)}): when its pull request was merged into ${branch}, or its date when it was pushed directly`,
      at,
    };
  }
}
