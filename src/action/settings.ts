// The action's inputs and the runner's variables, read once into one typed object.

import {
  type ApiSettings,
  apiSettings,
  DEFAULT_SEARCH_PAGE_SIZE,
  MAX_SEARCH_PAGE_SIZE,
  SettingsError,
} from '../adapters/cloudflare/settings.js';
import { parseRelativePeriod, type RelativePeriod } from '../core/audit/period.js';
import {
  DEFAULT_UNAPPLIED_AFTER_HOURS,
  MAX_UNAPPLIED_AFTER_HOURS,
} from '../core/check/unapplied.js';
import { isAccountId } from '../core/ids.js';
import { keyProblem } from '../core/ledger/seal.js';
import { DEFAULT_SETTLE_MS } from '../core/release/in-flight.js';
import { DEFAULT_GUARDED_DISPOSITIONS, guardedListProblem } from '../core/safety/screen.js';

export type Mode = 'auto' | 'plan' | 'apply' | 'check' | 'audit';

export interface ActionSettings {
  releasesFile: string;
  ledgerPath: string;
  accounts: string[];
  /** Undefined when no Cloudflare credentials were given (a plan does not need them). */
  cloudflare: ApiSettings | undefined;
  githubToken: string;
  mode: Mode;
  batchSize: number;
  concurrency: number;
  comment: boolean;
  commentAuthor: string;
  dryRun: boolean;
  /** How long Cloudflare may still act on a request whose sender stopped waiting (ms). */
  settleMs: number;
  /** 'auto': hide subjects and addresses unless the repository is private. */
  redact: 'auto' | boolean;
  /** mode audit: the period reported, relative to the run's time. */
  auditPeriod: RelativePeriod;
  safety: {
    lookupBudget: number;
    guarded: string[];
    maxReleases: number;
    force: boolean;
  };
  /** Seals the ledger commits and authenticates seals; required to apply and check. */
  ledgerKey: string | undefined;
  /** An entry goes only when the merged pull request's plan reviewed it. */
  requireReviewedPlan: boolean;
  /** Approvals needed on the merged pull request's final commit (0: none). */
  requiredApprovals: number;
  /** The drift check fails once an entry never applied has waited this many hours. */
  unappliedAfterHours: number;
  runner: RunnerContext;
}

/** The settings of the modes that call Cloudflare and seal the ledger (apply, check). */
export type KeyedSettings = ActionSettings & { cloudflare: ApiSettings; ledgerKey: string };

export interface RunnerContext {
  eventName: string;
  eventPath: string | undefined;
  workspace: string;
  owner: string;
  repo: string;
  ref: string;
  sha: string;
  actor: string | undefined;
  serverUrl: string;
  apiUrl: string;
  runId: string | undefined;
  runAttempt: string | undefined;
  runnerTemp: string | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads an input the way the runner passes it: INPUT_<NAME> with the name upper-cased. */
export function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = input(env, name).toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new SettingsError(`input \`${name}\` must be true or false`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = input(env, name);
  if (v === '') return fallback;
  const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SettingsError(`input \`${name}\` must be a whole number from ${min} to ${max}`);
  return n;
}

/** A repository-relative path: no absolute paths, no `..`, no backslashes. */
function repoPath(env: Env, name: string, fallback: string): string {
  const v = input(env, name) || fallback;
  const clean = v.replace(/^\.\//, '').replace(/\/+$/, '');
  if (
    clean === '' ||
    clean.startsWith('/') ||
    clean.split('/').includes('..') ||
    clean.includes('\\')
  ) {
    throw new SettingsError(`input \`${name}\` must be a path inside the repository`);
  }
  return clean;
}

export function readSettings(env: Env): ActionSettings {
  const modeInput = input(env, 'mode') || 'auto';
  if (!['auto', 'plan', 'apply', 'check', 'audit'].includes(modeInput))
    throw new SettingsError('input `mode` must be auto, plan, apply, check or audit');
  const accounts = input(env, 'account-id')
    .split(/[\s,]+/)
    .filter((a) => a !== '');
  for (const a of accounts) {
    if (!isAccountId(a))
      throw new SettingsError(
        'input `account-id` must be 32 lowercase hexadecimal characters (several may be separated by commas)',
      );
  }

  const token = input(env, 'api-token');
  const email = input(env, 'api-email');
  const key = input(env, 'api-key');
  const names = { token: 'api-token', email: 'api-email', key: 'api-key', baseUrl: 'api-base-url' };
  const pageSize = int(env, 'search-page-size', DEFAULT_SEARCH_PAGE_SIZE, 1, MAX_SEARCH_PAGE_SIZE);
  const cloudflare =
    token || email || key
      ? apiSettings({
          token,
          email,
          key,
          baseUrl: input(env, 'api-base-url'),
          names,
          searchPageSize: pageSize,
        })
      : undefined;

  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = repository.split('/');
  if (!owner || !repo)
    throw new SettingsError('GITHUB_REPOSITORY is not set: this action runs inside GitHub Actions');

  return {
    releasesFile: repoPath(env, 'releases-file', 'releases.yaml'),
    ledgerPath: repoPath(env, 'ledger-path', 'releases.ledger'),
    accounts,
    cloudflare,
    githubToken: input(env, 'github-token'),
    mode: modeInput as Mode,
    batchSize: int(env, 'batch-size', 100, 1, 1000),
    concurrency: int(env, 'concurrency', 2, 1, 16),
    comment: bool(env, 'comment', true),
    commentAuthor: input(env, 'comment-author') || 'github-actions[bot]',
    dryRun: bool(env, 'dry-run', false),
    settleMs: int(env, 'settle-seconds', DEFAULT_SETTLE_MS / 1000, 0, 3600) * 1000,
    redact:
      input(env, 'redact') === '' || input(env, 'redact') === 'auto'
        ? 'auto'
        : bool(env, 'redact', true),
    auditPeriod: auditPeriodInput(env),
    safety: {
      lookupBudget: int(env, 'lookup-budget', 300, 1, 100_000),
      guarded: guardedInput(env),
      maxReleases: int(env, 'max-releases', 1000, 1, 1_000_000),
      force: bool(env, 'force', false),
    },
    ledgerKey: ledgerKeyInput(env),
    requireReviewedPlan: bool(env, 'require-reviewed-plan', true),
    requiredApprovals: int(env, 'required-approvals', 1, 0, 10),
    unappliedAfterHours: int(
      env,
      'unapplied-after-hours',
      DEFAULT_UNAPPLIED_AFTER_HOURS,
      0,
      MAX_UNAPPLIED_AFTER_HOURS,
    ),
    runner: {
      eventName: env.GITHUB_EVENT_NAME ?? '',
      eventPath: env.GITHUB_EVENT_PATH,
      workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
      owner,
      repo,
      ref: env.GITHUB_REF ?? '',
      sha: env.GITHUB_SHA ?? '',
      actor: env.GITHUB_ACTOR,
      serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
      apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
      runId: env.GITHUB_RUN_ID,
      runAttempt: env.GITHUB_RUN_ATTEMPT,
      runnerTemp: env.RUNNER_TEMP,
    },
  };
}

function ledgerKeyInput(env: Env): string | undefined {
  const key = input(env, 'ledger-key');
  if (key === '') return undefined;
  const problem = keyProblem(key);
  if (problem) throw new SettingsError(`input \`ledger-key\` ${problem}`);
  return key;
}

function auditPeriodInput(env: Env): RelativePeriod {
  const period = parseRelativePeriod(input(env, 'audit-period') || 'previous-month');
  if (!period)
    throw new SettingsError(
      'input `audit-period` must be previous-month, or a number of days such as 30d (at most 3660d)',
    );
  return period;
}

function guardedInput(env: Env): string[] {
  const list = (input(env, 'require-acknowledgement') || DEFAULT_GUARDED_DISPOSITIONS.join(','))
    .split(/[\s,]+/)
    .map((d) => d.toUpperCase())
    .filter((d) => d !== '');
  const problem = guardedListProblem(list);
  if (problem) throw new SettingsError(`input \`require-acknowledgement\` ${problem}`);
  return list;
}

export function runUrl(r: RunnerContext): string | undefined {
  return r.runId ? `${r.serverUrl}/${r.owner}/${r.repo}/actions/runs/${r.runId}` : undefined;
}
