// The runner's toolkit is defined beside its @actions/core implementation, so that no adapter
// imports from the action.
import type { Toolkit } from '../adapters/actions/core-toolkit.js';
import type { GitHubClient } from '../adapters/github/octokit.js';

/** What every mode of the action is given: the runner's toolkit and a GitHub client. */
export interface ActionDeps {
  toolkit: Toolkit;
  github: () => GitHubClient;
}
