// What `quarantine-release init` sets up in a repository: the requests file, the
// .gitattributes lines, the workflows, the ledger folder, and the repository settings it
// cannot make itself (a checklist). Pure: options in, file texts and report text out;
// src/cli/commands/init.ts does the writing. examples/workflows/ holds exactly what this
// writes for the action reference `OWNER/quarantine-release@v1` (a test holds them equal).
import { isAccountId } from '../ids.js';

/** The schema of releases.yaml, as its `$id`, the README and editors name it. */
export const SCHEMA_URL =
  'https://raw.githubusercontent.com/quarantine-release/quarantine-release/v1/schema/releases.schema.json';

/** Where this action is published. */
export const ACTION_REPOSITORY = 'quarantine-release/quarantine-release';

/**
 * Actions the workflows use, pinned by commit with their version in a comment (Dependabot
 * updates such pins). The same pins as this repository's own workflows (a test holds them so).
 */
export const CHECKOUT = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1';
export const UPLOAD_ARTIFACT =
  'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0';

/** The protected environments of the jobs that hold secrets. */
export const ENVIRONMENTS = { apply: 'email-release', check: 'email-release-check' } as const;
/** The secrets each of those environments holds (the same names in both). */
export const SECRETS = {
  token: 'CLOUDFLARE_API_TOKEN',
  ledgerKey: 'QUARANTINE_RELEASE_LEDGER_KEY',
} as const;

export const RELEASES_FILE = 'releases.yaml';
export const LEDGER_DIR = 'releases.ledger';
export const WORKFLOW_DIR = '.github/workflows';

export interface SetupOptions {
  /** `owner/name@ref` of this action, as the workflows' `uses:` says it. */
  action: string;
  /** The default branch: apply runs on pushes to it. */
  branch: string;
  /** The Cloudflare account of releases.yaml; absent: left for the user to fill in. */
  account?: string;
}

/**
 * One thing init writes. `file`: the whole file, written only where there is none (or with
 * --force). `lines`: lines that must be in the file, appended to it when missing, never
 * replacing what is there (a repository's .gitattributes has other rules).
 */
export interface SetupFile {
  path: string;
  kind: 'file' | 'lines';
  text: string;
  /** What it is, for the report. */
  what: string;
}

/** Why an `--action` value cannot go into `uses:`, or undefined when it can. */
export function actionProblem(action: string): string | undefined {
  if (
    /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}@[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(
      action,
    )
  )
    return undefined;
  return 'must be OWNER/NAME@REF: the repository of the action and a tag or a commit SHA (e.g. quarantine-release/quarantine-release@v1.2.3)';
}

/** Why a branch name cannot be the default branch in a workflow, or undefined. */
export function branchProblem(branch: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(branch) && !branch.includes('..')) return undefined;
  return 'must be a branch name (letters, digits, and . _ / -)';
}

/** Whether the action reference pins a commit (a tag can be moved; a commit cannot). */
export function pinsCommit(action: string): boolean {
  return /@[0-9a-f]{40}$/.test(action);
}

export function setupFiles(o: SetupOptions): SetupFile[] {
  return [
    { path: RELEASES_FILE, kind: 'file', text: releasesYaml(o), what: 'the requests file' },
    {
      path: '.gitattributes',
      kind: 'lines',
      text: GITATTRIBUTES,
      what: 'the ledger merges by line',
    },
    {
      path: `${LEDGER_DIR}/README.md`,
      kind: 'file',
      text: LEDGER_README,
      what: 'the ledger folder (git keeps no empty folder)',
    },
    ...workflows(o).map((w) => ({ ...w, kind: 'file' as const })),
  ];
}

/** The workflows, by file name: plan, apply, the drift check, the monthly audit report. */
export function workflows(o: SetupOptions): { path: string; text: string; what: string }[] {
  const at = (name: string) => `${WORKFLOW_DIR}/quarantine-release-${name}.yml`;
  return [
    { path: at('plan'), text: planWorkflow(o), what: 'plan on every pull request' },
    { path: at('apply'), text: applyWorkflow(o), what: `apply on a push to ${o.branch}` },
    { path: at('check'), text: checkWorkflow(o), what: 'the daily drift check' },
    { path: at('audit'), text: auditWorkflow(o), what: 'the monthly audit report' },
  ];
}

function releasesYaml(o: SetupOptions): string {
  const account =
    o.account !== undefined && isAccountId(o.account)
      ? `account_id: ${o.account}`
      : '# account_id: 0123456789abcdef0123456789abcdef   # set it (or give each entry its own)';
  return `# yaml-language-server: $schema=${SCHEMA_URL}
#
# Requests to release messages from Cloudflare Email Security quarantine. Add entries in a
# pull request: the plan is posted on it, and the messages are released when it is merged,
# at most once. The ledger (${LEDGER_DIR}/) records what happened; only the tool writes it.
#
#   releases:
#     - id: 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678   # the investigate id
#       reason: Vendor invoice from a known supplier, false positive
#       ticket: SEC-1234                                   # optional
#       requested_by: alice@example.com                    # optional
version: 1

# The Cloudflare account (32 lowercase hex characters).
${account}

releases: []
`;
}

const GITATTRIBUTES = `# quarantine-release: the ledger is append-only JSON Lines, so two branches that both
# appended to it merge by keeping every line of both sides, which is always correct for it.
${LEDGER_DIR}/*.jsonl merge=union
${LEDGER_DIR}/check-cursor.ndjson merge=union
`;

const LEDGER_README = `# The ledger of quarantine-release

One JSON Lines file per UTC month (\`2026-11.jsonl\`): every release request and its outcome.
Only quarantine-release writes it (apply and the drift check, on the default branch), and it
seals each of its commits with the ledger key. Never edit, add or remove a ledger file by
hand or in a pull request: the plan of such a pull request fails, and apply and the check
refuse a ledger that anyone else changed. This file only keeps the folder in git until the
first release.
`;

const CHECKOUT_STEP = `      - uses: ${CHECKOUT}
        with:
          persist-credentials: false`;

function planWorkflow(o: SetupOptions): string {
  return `# Plan on every pull request: validates ${RELEASES_FILE} (each problem annotated on its
# line), holds the ledger to the base branch's (a pull request may not change it), and posts
# one comment per Cloudflare account with what the merge would release. Needs no secret.
# On a pull request from a fork the token is read-only: the plan goes to the job summary.
#
# Make this job ("plan") a required status check of ${o.branch}. It runs on every pull request,
# not only on those that touch ${RELEASES_FILE}: a required check that a \`paths\` filter skips
# never reports, and would block the merge of every other pull request. A pull request that
# asks for nothing gets no comment.
name: quarantine-release plan

on:
  pull_request:

# Nothing by default; the job asks for what it needs.
permissions: {}

# A newer push to the pull request supersedes the plan in progress: only the latest plan is
# posted, never an older one after it.
concurrency:
  group: quarantine-release-plan-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  plan:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read        # the checkout
      pull-requests: write  # the plan comment
    steps:
${CHECKOUT_STEP}
      - uses: ${o.action}
        with:
          mode: plan
`;
}

function applyWorkflow(o: SetupOptions): string {
  return `# Release on merge: when ${RELEASES_FILE} changes on ${o.branch}, release the entries the
# merged pull request's plan reviewed and approved, that the ledger does not show as released:
# at most once, with the ledger committed back before the release request ("pending") and
# after it (the outcomes). The results go to the pull request's comment and the job summary.
#
# The job runs in the protected environment ${ENVIRONMENTS.apply} (required reviewers,
# deployment branch ${o.branch} only), which holds its two secrets: ${SECRETS.token} (Cloud
# Email Security: Write) and ${SECRETS.ledgerKey}. Environment secrets, never repository
# secrets: workflows of pull requests from this repository's branches can read those.
name: quarantine-release apply

on:
  push:
    branches: [${o.branch}]
    paths:
      - ${RELEASES_FILE}
  # By hand: finishes what an interrupted run left unresolved. It releases nothing new, since
  # no pull request reviewed it: to release what a cancelled or failed run left, re-run that
  # run ("Re-run jobs").
  workflow_dispatch:

permissions: {}

# Each commit's run in a group of its own. GitHub cancels a run waiting in a group when
# another one joins it, so with one group for every apply a merged release could be left
# unapplied. Runs of different merges may go at once: the ledger commits are compare-and-swap,
# so no message is released twice and no record is lost; the drift check reports any merged
# entry that no run released.
concurrency:
  group: quarantine-release-apply-\${{ github.sha }}
  cancel-in-progress: false

jobs:
  apply:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    environment: ${ENVIRONMENTS.apply}
    permissions:
      contents: write       # the ledger commits
      pull-requests: write  # the results comment
      actions: read         # whether another run's in-flight releases are still going
    steps:
${CHECKOUT_STEP}
      - uses: ${o.action}
        with:
          api-token: \${{ secrets.${SECRETS.token} }}
          ledger-key: \${{ secrets.${SECRETS.ledgerKey} }}
`;
}

function checkWorkflow(o: SetupOptions): string {
  return `# The drift check, every morning (and by hand). It releases nothing, and fails when:
# - a message the ledger records as released is back in quarantine (drift);
# - an entry of ${RELEASES_FILE} that the ledger does not hold at all (merged, never applied:
#   its apply run was cancelled or failed) has waited \`unapplied-after-hours\` since its merge.
# It also reads back sends whose outcome is unknown (a run cut short) and commits what it
# learns, sealed with the ledger key like apply's commits.
#
# The job runs in the environment ${ENVIRONMENTS.check} (deployment branch ${o.branch} only; no
# required reviewers, as it runs on a schedule), which holds ${SECRETS.token} (Cloud Email
# Security: Read is enough) and ${SECRETS.ledgerKey} (the same key as ${ENVIRONMENTS.apply}'s).
#
# \`lookup-budget\` caps the Cloudflare requests of a run (the API allows 1,200 per 5 minutes,
# the dashboard included). When it does not cover the whole ledger, the run commits where it
# stopped (${LEDGER_DIR}/check-cursor.ndjson) and the next run goes on from there.
name: quarantine-release check

on:
  schedule:
    - cron: '17 6 * * *'
  workflow_dispatch:

permissions: {}

# Its own group, apart from apply's. It may run beside an apply: it leaves the records of a run
# that is still going alone, and its commits are compare-and-swap too.
concurrency:
  group: quarantine-release-check
  cancel-in-progress: false

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    environment: ${ENVIRONMENTS.check}
    permissions:
      contents: write       # commits the outcomes it resolves, and its cursor
      actions: read         # whether an apply run's in-flight releases are still going
    steps:
${CHECKOUT_STEP}
      - uses: ${o.action}
        with:
          mode: check
          api-token: \${{ secrets.${SECRETS.token} }}
          ledger-key: \${{ secrets.${SECRETS.ledgerKey} }}
          lookup-budget: 300
          unapplied-after-hours: 24
`;
}

function auditWorkflow(o: SetupOptions): string {
  return `# The audit report, on the first of each month: every release attempt of the previous
# calendar month (UTC), read from the ledger in the checkout: who asked, why, who approved,
# what happened. The summary is in the job summary; every attempt is in the results file,
# kept as an artifact. Reads files only: no secret, read-only contents, nothing committed.
name: quarantine-release audit

on:
  schedule:
    - cron: '23 5 1 * *'
  workflow_dispatch:

permissions: {}

jobs:
  audit:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
    steps:
${CHECKOUT_STEP}
      - id: audit
        uses: ${o.action}
        with:
          mode: audit
          audit-period: previous-month   # or e.g. 30d: the 30 whole days before today
      - uses: ${UPLOAD_ARTIFACT}
        with:
          name: quarantine-release-audit
          path: \${{ steps.audit.outputs.results-file }}
          retention-days: 400
`;
}

/** The repository settings init cannot make: what to do on GitHub, in order. */
export function settingsChecklist(o: SetupOptions): string {
  const { apply, check } = ENVIRONMENTS;
  return `Repository settings to make on GitHub (init cannot make them):

  1. Protect ${o.branch} with a ruleset (Settings > Rules > Rulesets), targeting it:
     - require a pull request before merging, with at least 1 approval;
     - dismiss stale pull request approvals when new commits are pushed;
     - require approval of the most recent reviewable push;
     - require review from Code Owners;
     - require the status check "plan" (quarantine-release-plan.yml) to pass;
     - block force pushes and deletions; let nobody bypass these rules but the ledger commits.
  2. The ledger commits. Apply and the check commit the ledger straight to ${o.branch} with the
     job's token (github-actions[bot]), never through a pull request, so a rule that requires
     pull requests refuses them: the run then fails and releases nothing. Let that token
     bypass the pull-request rule (a ruleset's bypass list: GitHub Actions, where GitHub offers
     it). That lets other workflows with contents: write push to ${o.branch} too: a push that
     no approved pull request brought never releases anything new (apply checks), and the
     environment reviewers below stand between a changed workflow and the secrets.
  3. CODEOWNERS (.github/CODEOWNERS), so the people who review releases approve every change
     to the requests, the ledger folder and the workflows:
       /${RELEASES_FILE}    @your-org/email-security
       /${LEDGER_DIR}/  @your-org/email-security
       /.github/         @your-org/email-security
  4. Two environments (Settings > Environments), each with deployment branches "${o.branch}" only:
     - ${apply} (apply): required reviewers (the people who approve releases; tick
       "Prevent self-review");
     - ${check} (the scheduled drift check): no required reviewers.
  5. Their secrets, as environment secrets, never repository secrets (workflows of pull
     requests from this repository's branches can read repository secrets):
     - ${SECRETS.token}: a Cloudflare API token scoped to the account, with Cloud Email
       Security: Write in ${apply}, and Read only in ${check};
     - ${SECRETS.ledgerKey}: the same value in both, generated once with
         openssl rand -hex 32
       It seals every ledger commit the tool makes; apply and the check refuse a ledger whose
       seals they cannot verify, so keep it (a lost key stops every release).
  6. Settings > Actions > General: workflow permissions "Read repository contents" (each job
     asks for what it needs), and require approval for workflows from fork pull requests.
`;
}

/** What to do after init, with what it could not do itself first. */
export function nextSteps(o: SetupOptions): string {
  const steps = [
    ...(o.account === undefined ? [`Set account_id in ${RELEASES_FILE}.`] : []),
    'Make the settings above (the environments and their secrets before the first merge).',
    'Commit these files on a branch and open a pull request: the plan runs on it.',
    'Merge it. Then ask for a release: a pull request that adds an entry to releases.yaml.',
  ];
  const repository = o.action.replace(/@.*$/, '');
  const pin = pinsCommit(o.action)
    ? `The workflows use the action at a commit:\n  ${o.action}`
    : `The workflows use the action at a tag:\n  ${o.action}\nA tag can be moved, a commit cannot. To pin the commit, run init again with\n  --force --action ${repository}@<commit SHA>`;
  return `Next steps:\n\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n\n${pin}\n\n\`quarantine-release validate\` checks ${RELEASES_FILE} before you push.\n`;
}

/**
 * `current` with the rule lines of `wanted` (not comments, not blank) it lacks appended, under
 * `wanted`'s comment lines; undefined when it lacks none. Lines already there are never
 * touched: a repository's .gitattributes has rules of its own.
 */
export function withMissingLines(
  current: string,
  wanted: string,
): { text: string; added: number } | undefined {
  const have = new Set(current.split(/\r?\n/).map((l) => l.trim()));
  const lines = wanted.split('\n');
  const missing = lines.filter((l) => l.trim() !== '' && !l.startsWith('#') && !have.has(l.trim()));
  if (missing.length === 0) return undefined;
  const comment = lines.filter((l) => l.startsWith('#'));
  const gap = current === '' ? '' : current.endsWith('\n') ? '\n' : '\n\n';
  return {
    text: `${current}${gap}${[...comment, ...missing].join('\n')}\n`,
    added: missing.length,
  };
}

/** What init did with one file. */
export interface InitOutcome {
  path: string;
  what: string;
  result: 'created' | 'replaced' | 'appended' | 'unchanged' | 'skipped' | 'failed';
  detail?: string;
}

/** The files, one line each: what happened, the path, what it is (paths are init's own). */
export function renderInitReport(
  dir: string,
  outcomes: readonly InitOutcome[],
  isRepo: boolean,
): string {
  const width = Math.max(...outcomes.map((o) => o.path.length));
  const lines = outcomes.map(
    (o) =>
      `  ${o.result.padEnd(9)} ${o.path.padEnd(width)}  ${o.what}${o.detail ? `: ${o.detail}` : ''}`,
  );
  const skipped = outcomes.filter((o) => o.result === 'skipped').length;
  const failed = outcomes.filter((o) => o.result === 'failed').length;
  const head = `quarantine-release init: ${dir}${isRepo ? '' : ' (no .git here: is it the root folder of the repository?)'}`;
  const tail = [
    ...(skipped > 0
      ? [
          `${skipped} file(s) exist and were left as they are: compare them with what init writes (--force replaces them).`,
        ]
      : []),
    ...(failed > 0 ? [`${failed} file(s) could not be written: see above.`] : []),
  ];
  return `${[head, '', ...lines, ...(tail.length > 0 ? ['', ...tail] : [])].join('\n')}\n`;
}
