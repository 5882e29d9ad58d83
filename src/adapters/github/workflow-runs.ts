// Whether another workflow run of this repository is still going: the ledger's pending
// records name the run that wrote them by its URL. Only runs of the same repository are
// asked about; anything else, or any error, is "cannot tell". A completed run's `updated_at`
// says when it ended, which bounds how long its requests may still be at Cloudflare.
import type { WriterState } from '../../core/release/in-flight.js';
import type { OtherRuns } from '../../engine/ports.js';
import type { Repo } from './comments.js';
import type { GitHubClient } from './octokit.js';

export class GitHubWorkflowRuns implements OtherRuns {
  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: Repo,
    private readonly serverUrl: string,
  ) {}

  async state(run: string): Promise<WriterState> {
    const id = runIdOf(run, this.serverUrl, this.repo);
    if (id === undefined) return undefined;
    try {
      const { data } = await this.gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
        ...this.repo,
        run_id: id,
      });
      const { status, updated_at } = data as { status?: unknown; updated_at?: unknown };
      if (typeof status !== 'string') return undefined;
      if (status !== 'completed') return { running: true };
      // A completed run's last update is when it ended; GitHub gives whole seconds, cut
      // down, so the end may be up to a second later than it says.
      const endedAt = typeof updated_at === 'string' ? Date.parse(updated_at) + 1000 : Number.NaN;
      return Number.isFinite(endedAt) ? { running: false, endedAt } : { running: false };
    } catch {
      return undefined;
    }
  }
}

/** The numeric run id of `<server>/<owner>/<repo>/actions/runs/<id>`, for this repository only. */
export function runIdOf(run: string, serverUrl: string, repo: Repo): number | undefined {
  const prefix = `${serverUrl.replace(/\/+$/, '')}/${repo.owner}/${repo.repo}/actions/runs/`;
  if (run.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
  const rest = run.slice(prefix.length);
  // A re-run attempt URL ends in /attempts/<n>; the run's status covers all its attempts.
  const m = /^([1-9][0-9]{0,15})(?:\/attempts\/[0-9]+)?\/?$/.exec(rest);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}
