// What the action does for an event. Kept light on purpose: only settings, the event and
// the GitHub client are loaded before the first API call; the heavy parts (YAML, schemas,
// the Cloudflare client, the engine) are imported once it has answered.
import { readFile } from 'node:fs/promises';
import type { Toolkit } from '../adapters/actions/core-toolkit.js';
import { listComments, type Repo } from '../adapters/github/comments.js';
import { mergedPullRequest } from '../adapters/github/pull-request.js';
import { escapeLogText } from '../core/render/escape.js';
import { settled } from './early.js';
import type { ActionSettings, KeyedSettings } from './settings.js';
import type { ActionDeps } from './toolkit.js';

export interface EventPayload {
  pull_request?: {
    number?: number;
    head?: { repo?: { full_name?: string } | null };
    base?: { sha?: string; ref?: string; repo?: { full_name?: string } };
  };
  repository?: { default_branch?: string; private?: boolean; visibility?: string };
  ref?: string;
}

/** Public repositories (or unknown visibility) show no subjects or addresses. */
export function shouldRedact(setting: 'auto' | boolean, event: EventPayload): boolean {
  if (setting !== 'auto') return setting;
  const r = event.repository;
  return !(r?.private === true || r?.visibility === 'private' || r?.visibility === 'internal');
}

export type Decision =
  | { kind: 'plan'; pr?: number; fork: boolean; base?: { sha: string; ref: string } }
  | { kind: 'apply'; branch: string }
  | { kind: 'check'; branch: string }
  | { kind: 'audit' }
  | { kind: 'none'; why: string };

export async function runAction(settings: ActionSettings, deps: ActionDeps): Promise<void> {
  const { toolkit } = deps;
  const event = await readEvent(settings.runner.eventPath);
  const decision = decide(settings, event);
  toolkit.setOutput('mode', decision.kind);
  const repo: Repo = { owner: settings.runner.owner, repo: settings.runner.repo };

  if (decision.kind === 'none') {
    toolkit.info(`quarantine-release: ${decision.why}`);
    return;
  }
  if (decision.kind === 'audit') {
    // Reads the checkout's ledger only: no Cloudflare credentials, no GitHub call.
    const { auditCheckout } = await import('./audit-mode.js');
    await auditCheckout(settings, deps);
    return;
  }
  if (decision.kind === 'plan') {
    const pr = settings.comment && !decision.fork ? decision.pr : undefined;
    const comments =
      pr === undefined ? undefined : await settled(listComments(deps.github(), repo, pr));
    const { planOnPullRequest } = await import('./plan-mode.js');
    await planOnPullRequest(
      settings,
      deps,
      decision,
      comments,
      shouldRedact(settings.redact, event),
    );
    return;
  }
  if (decision.kind === 'check') {
    const keyed = withSecrets(
      settings,
      toolkit,
      'no Cloudflare credentials: set the input `api-token` (a read-only token is enough) from a secret',
    );
    if (!keyed) return;
    const { checkBranch } = await import('./check-mode.js');
    await checkBranch(keyed, deps, decision.branch);
    return;
  }
  const keyed = withSecrets(
    settings,
    toolkit,
    'no Cloudflare credentials: set the input `api-token` (or `api-email` and `api-key`) from a secret',
  );
  if (!keyed) return;
  // The merged pull request of a pushed commit, with its reviews and comments: what was
  // reviewed and approved. A run started by hand has none, whatever commit it runs on.
  const sha = /^[0-9a-f]{40}$/.test(settings.runner.sha) ? settings.runner.sha : undefined;
  const pr =
    sha && settings.runner.eventName === 'push'
      ? await settled(mergedPullRequest(deps.github(), repo, sha, decision.branch))
      : undefined;
  const { applyOnBranch } = await import('./apply-mode.js');
  await applyOnBranch(keyed, deps, decision.branch, pr, shouldRedact(settings.redact, event));
}

/** The settings, for apply and check; undefined, with the job failed, when a secret is missing. */
function withSecrets(
  settings: ActionSettings,
  toolkit: Toolkit,
  noCredentials: string,
): KeyedSettings | undefined {
  if (!settings.cloudflare) {
    toolkit.setFailed(noCredentials);
    return undefined;
  }
  if (!settings.ledgerKey) {
    toolkit.setFailed(
      'no ledger key: set the input `ledger-key` from a secret of the protected environment this job runs in (at least 32 random characters, e.g. `openssl rand -hex 32`); it seals the ledger commits so that changes by anyone else are found',
    );
    return undefined;
  }
  return { ...settings, cloudflare: settings.cloudflare, ledgerKey: settings.ledgerKey };
}

/** Which use case an event calls for. Releases happen only on the default branch. */
export function decide(settings: ActionSettings, event: EventPayload): Decision {
  const { eventName, ref } = settings.runner;
  const defaultBranch = event.repository?.default_branch;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const isPr = eventName === 'pull_request' || eventName === 'pull_request_target';
  const pr = event.pull_request?.number;
  const headRepo = event.pull_request?.head?.repo?.full_name;
  const fork =
    isPr && headRepo !== undefined && headRepo !== event.pull_request?.base?.repo?.full_name;
  // The base the pull request's ledger is held to (it may not change the ledger at all).
  const baseSha = event.pull_request?.base?.sha;
  const base =
    isPr && baseSha && /^[0-9a-f]{40}$/.test(baseSha)
      ? { base: { sha: baseSha, ref: event.pull_request?.base?.ref ?? 'the base branch' } }
      : {};
  const planOf = (): Decision => ({
    kind: 'plan',
    ...(pr !== undefined ? { pr } : {}),
    fork,
    ...base,
  });

  if (settings.mode === 'audit') {
    // On a pull request the checkout holds the pull request's own copy of the ledger.
    if (isPr) return { kind: 'none', why: 'the audit report does not run on pull requests' };
    return { kind: 'audit' };
  }
  if (settings.mode === 'plan') return planOf();
  if (settings.mode === 'check' || (settings.mode === 'auto' && eventName === 'schedule')) {
    if (isPr) return { kind: 'none', why: 'the drift check does not run on pull requests' };
    const target = branch ?? defaultBranch;
    if (!target) return { kind: 'none', why: 'the drift check needs a branch' };
    return { kind: 'check', branch: target };
  }
  if (settings.mode === 'apply') {
    if (isPr)
      return {
        kind: 'none',
        why: 'mode `apply` is refused on a pull request: messages are released only after a merge',
      };
    if (!branch)
      return {
        kind: 'none',
        why: `mode \`apply\` needs a branch, but the ref is ${escapeLogText(ref, 100)}`,
      };
    return { kind: 'apply', branch };
  }
  if (isPr) return planOf();
  if (eventName === 'push' || eventName === 'workflow_dispatch') {
    if (branch && defaultBranch && branch === defaultBranch) return { kind: 'apply', branch };
    return {
      kind: 'none',
      why: `${eventName} on ${escapeLogText(ref, 100)}, not the default branch: nothing is released (set mode: plan to see the plan)`,
    };
  }
  return {
    kind: 'none',
    why: `the ${escapeLogText(eventName, 50)} event does not plan or apply releases; use pull_request (plan), push to the default branch or workflow_dispatch (apply), and schedule (drift check)`,
  };
}

async function readEvent(path: string | undefined): Promise<EventPayload> {
  if (!path) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as EventPayload;
  } catch {
    return {};
  }
}
