// Reporting shared by the plan and apply modes: annotations, comments, the results file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Toolkit } from '../adapters/actions/core-toolkit.js';
import { type Repo, upsertComment } from '../adapters/github/comments.js';
import type { GitHubClient } from '../adapters/github/octokit.js';
import { type Diagnostic, formatDiagnostic } from '../core/diagnostics.js';
import type { Plan } from '../core/plan/plan.js';
import {
  accountComment,
  type CommentContext,
  type CommentStatus,
  findStickyComment,
  type IssueComment,
} from '../core/render/comment.js';
import { escapeLogText } from '../core/render/escape.js';
import type { Logger } from '../engine/ports.js';
import type { ActionSettings } from './settings.js';

export function repoOf(settings: ActionSettings): Repo {
  return { owner: settings.runner.owner, repo: settings.runner.repo };
}

/** The run's log, one group per phase of the pipeline; endPhase() closes the last one. */
export function toolkitLogger(toolkit: Toolkit): Logger & { endPhase(): void } {
  let open = false;
  const endPhase = () => {
    if (open) toolkit.endGroup();
    open = false;
  };
  return {
    info: (m) => toolkit.info(m),
    warn: (m) => toolkit.warning(m),
    error: (m) => toolkit.error(m),
    phase: (name) => {
      endPhase();
      toolkit.startGroup(name);
      open = true;
    },
    endPhase,
  };
}

/** One annotation per problem, on its line; the runner shows a limited number, the rest go to the log. */
export function annotate(toolkit: Toolkit, errors: readonly Diagnostic[]): void {
  errors.forEach((d, i) => {
    if (i < 50) errorAt(toolkit, d.message, d.file, d);
    else toolkit.info(escapeLogText(formatDiagnostic(d), 600));
  });
}

/** An error annotation on `file`, at the line and column of `at`. */
export function errorAt(
  toolkit: Toolkit,
  message: string,
  file: string,
  at: { line: number; column: number },
): void {
  toolkit.error(escapeLogText(message, 500), {
    file,
    line: at.line,
    column: at.column,
    title: 'quarantine-release',
  });
}

export async function writeResultsFile(
  settings: ActionSettings,
  toolkit: Toolkit,
  value: unknown,
): Promise<void> {
  const dir = settings.runner.runnerTemp ?? settings.runner.workspace;
  const path = join(dir, 'quarantine-release-results.json');
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  toolkit.setOutput('results-file', path);
}

/** Writes one comment of the pull request; a token that may not is a warning, not a failure. */
export async function writeComment(
  toolkit: Toolkit,
  gh: GitHubClient,
  settings: ActionSettings,
  pr: number,
  existing: IssueComment | undefined,
  body: string,
): Promise<void> {
  const outcome = await upsertComment(gh, repoOf(settings), pr, existing, body);
  if (outcome === 'forbidden') {
    toolkit.warning(
      'The token may not write comments (read-only token?): the plan is in the job summary.',
    );
  }
}

/** Upserts one comment per account of the plan (only `only` accounts, when given). */
export async function updateComments(
  toolkit: Toolkit,
  gh: GitHubClient,
  settings: ActionSettings,
  pr: number,
  comments: IssueComment[],
  thePlan: Plan,
  status: CommentStatus,
  ctx: CommentContext,
  only?: Set<string>,
): Promise<void> {
  for (const account of thePlan.accounts) {
    if (only && !only.has(account.account_id)) continue;
    const existing = findStickyComment(comments, account.account_id, settings.commentAuthor);
    // A plan with nothing for an account that never had a comment: stay quiet. Refused
    // entries are not nothing: a plan that refuses every entry is shown like any other; nor
    // is a search, whatever it found (a reviewer must see that it found nothing, or too much).
    const empty =
      account.to_release.length +
        account.to_verify.length +
        account.held.length +
        (account.refused?.length ?? 0) +
        (account.searches?.length ?? 0) ===
      0;
    if (!existing && empty && status.kind === 'planned') continue;
    await writeComment(toolkit, gh, settings, pr, existing, accountComment(account, status, ctx));
  }
}
