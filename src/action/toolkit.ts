// What the action needs from the runner and GitHub, behind small interfaces (implemented
// with @actions/core and Octokit). Every message passed in must already be escaped by the
// caller.
import type { GitHubClient } from '../adapters/github/octokit.js';
export interface Annotation {
  file: string;
  line: number;
  column: number;
  title?: string;
}

export interface Toolkit {
  info(message: string): void;
  warning(message: string, at?: Annotation): void;
  error(message: string, at?: Annotation): void;
  setOutput(name: string, value: string | number): void;
  setFailed(message: string): void;
  setSecret(secret: string): void;
  /** Appends markdown to the job summary. */
  summary(markdown: string): Promise<void>;
}

/** What every mode of the action is given: the runner's toolkit and a GitHub client. */
export interface ActionDeps {
  toolkit: Toolkit;
  github: () => GitHubClient;
}
