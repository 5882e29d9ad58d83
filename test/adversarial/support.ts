// Shared set-up of the adversarial suite (issue 11's proof): a repository whose ledger already
// records earlier releases, sealed as quarantine-release seals its own commits, and the
// checks every attack ends with: nothing was sent that nobody reviewed, the refusal says why,
// and the audit trail still shows every earlier release.
//
// The earlier releases are made cheaply but for real: the emulator releases the messages (so
// Cloudflare's action log agrees with the ledger) and the records are committed in two sealed
// commits, pending then outcomes, as the action does. A real apply costs ~8 s of paced GitHub
// writes; refusals cost none, which keeps the suite quick.
import { expect, it } from 'vitest';
import { type LedgerRecord, serializeRecord, shardNameFor } from '../../src/core/ledger/record.js';
import { DEFAULT_TOKEN } from '../../src/emulator/index.js';
import {
  type ActionRun,
  type ActionScenario,
  actionScenario,
  type PrAuthor,
  REVIEWER,
} from '../support/action.js';
import { commitSealed } from '../support/sealed.js';

/** The pull requests of these attacks are Mallory's: she wants a message out. */
export const MALLORY: PrAuthor = { author: 'Mallory <mallory@example.com>', user: 'mallory' };

export const LEDGER_DIR = 'releases.ledger';

/** What quarantine-release recorded before the attack. */
export interface Earlier {
  ids: string[];
  /** The shard holding the records, repository-relative, and its text as sealed. */
  path: string;
  text: string;
  /** The shard's lines (no newline), in order. */
  lines: string[];
  /** The two sealed commits: pending, then outcomes (the newest seal). */
  pendingCommit: string;
  sealCommit: string;
  /** Release requests the emulator had received once they were made. */
  posts: number;
}

/**
 * The shard the earlier releases are recorded in: the month the suite started (taken once, so
 * a run across the end of a month does not look for them in the next month's shard).
 */
export const SHARD = `${LEDGER_DIR}/${shardNameFor(new Date().toISOString())}`;

/**
 * `ids` were requested by pull request #pr (merged, approved by REVIEWER) and released by
 * quarantine-release: releases.yaml on main lists them, Cloudflare released them, and the
 * ledger records pending then released for each, in sealed commits.
 */
export async function releasedEarlier(
  s: ActionScenario,
  ids: string[],
  pr = 100,
  extraYaml: Record<string, string> = {},
): Promise<Earlier> {
  const merge = s.gh.commitFiles(
    'main',
    { 'releases.yaml': s.releasesYaml(ids, extraYaml) },
    `Merge pull request #${pr}`,
  );
  const at = new Date().toISOString();
  const path = SHARD;
  const common = {
    v: 1 as const,
    account_id: s.account,
    attempt: 1,
    actor: 'octocat',
    commit: merge,
    run: 'https://github.com/octo-org/mail-releases/actions/runs/900',
    pull_request: pr,
    approved_by: [REVIEWER],
  };
  const dispositions = new Map(
    s.emulator.messages(s.account).map((m) => [m.details.id, m.details.final_disposition]),
  );
  const pending: LedgerRecord[] = ids.map((id) => ({
    ...common,
    id,
    seq: 1,
    state: 'pending',
    at,
    in_flight_until: new Date(Date.now() + 180_000).toISOString(),
    disposition: dispositions.get(id) ?? 'SPAM',
    reason: 'false positive, checked by the security team',
    ticket: 'SEC-7',
  }));
  const before = s.gh.readFile(path) ?? '';
  const pendingText = before + pending.map((r) => `${serializeRecord(r)}\n`).join('');
  const pendingCommit = commitSealed(
    s.gh,
    { [path]: pendingText },
    { message: `quarantine-release: pending release of ${ids.length} message(s) [skip ci]` },
  );
  const answer = await fetch(
    `${s.emulator.url}/accounts/${s.account}/email-security/investigate/release`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids }),
    },
  );
  const body = (await answer.json()) as {
    result: { id: string; delivered: string[]; failed: string[]; undelivered: string[] }[];
  };
  expect(body.result.map((r) => r.id).sort()).toEqual([...ids].sort());
  const outcomes: LedgerRecord[] = body.result.map((r) => ({
    ...common,
    id: r.id,
    seq: 2,
    state: 'released',
    at: new Date().toISOString(),
    via: 'release',
    delivered: r.delivered,
    failed: r.failed,
    undelivered: r.undelivered,
  }));
  const text = pendingText + outcomes.map((r) => `${serializeRecord(r)}\n`).join('');
  const sealCommit = commitSealed(
    s.gh,
    { [path]: text },
    {
      message: `quarantine-release: outcomes of ${ids.length} message(s): ${ids.length} released [skip ci]`,
    },
  );
  return {
    ids,
    path,
    text,
    lines: text.split('\n').filter((l) => l !== ''),
    pendingCommit,
    sealCommit,
    posts: s.releasePosts(),
  };
}

/**
 * Opens pull request #n from a branch off main that commits `files` (null deletes one);
 * returns its head. `message` is the commit message (a forged trailer goes there).
 */
export function openAttack(
  s: ActionScenario,
  n: number,
  files: Record<string, string | null>,
  options: { message?: string; by?: PrAuthor } = {},
): string {
  const by = options.by ?? MALLORY;
  const head = s.gh.commitFiles(
    `feature-${n}`,
    files,
    options.message ?? `Release request ${n}`,
    by.author,
  );
  s.gh.addPullRequest({
    number: n,
    head: `feature-${n}`,
    base: 'main',
    merged: false,
    user: by.user,
  });
  return head;
}

/**
 * Merges pull request #n onto main with `files` (what its branch changed): the merge commit
 * is the pushed sha. Approved by `approvedBy` (default REVIEWER) on the head first.
 */
export function mergeAttack(
  s: ActionScenario,
  n: number,
  files: Record<string, string | null>,
  options: {
    message?: string;
    by?: PrAuthor;
    author?: string;
    approvedBy?: readonly string[];
  } = {},
): string {
  const by = options.by ?? MALLORY;
  for (const user of options.approvedBy ?? [REVIEWER]) s.gh.addReview(n, { user });
  const sha = s.gh.commitFiles(
    'main',
    files,
    options.message ?? `Merge pull request #${n}`,
    options.author ?? by.author,
  );
  s.gh.addPullRequest({
    number: n,
    head: `feature-${n}`,
    base: 'main',
    merged: true,
    mergeCommitSha: sha,
    user: by.user,
  });
  return sha;
}

/** Ledger lines as a shard's text. */
export const ledgerText = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/** Apply's refusal of a sealed line that changed (the start of its message). */
export const changedSeal = (n: number): string =>
  `line ${n} changed or removed since quarantine-release sealed`;

/**
 * An attack on its own repository whose ledger records `n` earlier releases: `fn` plays it;
 * then nothing may have been sent and every earlier line must be at main's head, unless
 * `trail` is false (the attack left main's ledger changed; `fn` checks the run wrote nothing).
 */
export function attack(
  name: string,
  fn: (s: ActionScenario, earlier: Earlier) => Promise<void>,
  options: { n?: number; trail?: boolean } = {},
): void {
  it(name, async () => {
    const s = await actionScenario();
    try {
      const earlier = await releasedEarlier(s, s.quarantined(options.n ?? 1));
      await fn(s, earlier);
      expectNothingSent(s, earlier.posts);
      if (options.trail !== false) expectTrailAtHead(s, earlier);
    } finally {
      await s.close();
    }
  });
}

/** The apply run refused `id` with `reason` (its line in the log) and released nothing. */
export function expectApplyRefused(r: ActionRun, id: string, reason: string): void {
  expect(r.code, r.stdout).toBe(1);
  const line = r.stdout.split('\n').find((l) => l.includes(`refused  ${id}  `));
  expect(line, r.stdout).toBeDefined();
  expect(line).toContain(`refused  ${id}  ${reason}`);
  expect(r.outputs.released ?? '0').toBe('0');
}

/** Release requests made since `before` (0: nothing was sent). */
export function newPosts(s: ActionScenario, before: number): number {
  return s.releasePosts() - before;
}

/** No release request since `before`, and no message delivered more than once. */
export function expectNothingSent(s: ActionScenario, before: number): void {
  expect(newPosts(s, before), 'release requests sent by the attack').toBe(0);
  for (const [id, n] of s.deliveries()) expect(n, `deliveries of ${id}`).toBe(1);
}

/** The ledger at main's head still starts with every line recorded before the attack. */
export function expectTrailAtHead(s: ActionScenario, earlier: Earlier): void {
  const now = s.gh.readFile(earlier.path) ?? '';
  expect(now.startsWith(earlier.text), 'every earlier ledger line is at the head').toBe(true);
}

/**
 * The run wrote nothing (main did not move past `head`), and the commit it names as the last
 * seal still holds every earlier line: the trail a person restores from.
 */
export function expectRefusedWithoutWriting(
  s: ActionScenario,
  earlier: Earlier,
  head: string,
): void {
  expect(s.gh.headSha('main'), 'no commit by the refused run').toBe(head);
  expect(s.gh.readFile(earlier.path, earlier.sealCommit)).toBe(earlier.text);
}

/** The run failed and annotated `file` at `line` with a message starting `message`. */
export function expectAnnotated(
  r: ActionRun,
  file: string,
  line: number,
  message: string | RegExp,
): void {
  expect(r.code, r.stdout).toBe(1);
  const at = r.annotations.filter((a) => a.level === 'error' && a.file === file);
  expect(
    at.some(
      (a) =>
        a.line === line &&
        (typeof message === 'string' ? a.message.startsWith(message) : message.test(a.message)),
    ),
    `annotation on ${file}:${line} matching ${message}; got ${JSON.stringify(at)}`,
  ).toBe(true);
}

/**
 * The plan refused the entry for `id` (its line in the log's plan: the reason, then the
 * entry's file:line:col) and the step failed for it.
 */
export function expectPlanRefused(r: ActionRun, id: string, reason: string, at: string): void {
  expect(r.code, r.stdout).toBe(1);
  const line = r.stdout.split('\n').find((l) => l.includes(`REFUSED  ${id}  `));
  expect(line, r.stdout).toBeDefined();
  expect(line).toContain(`  ${reason}`);
  expect(line?.endsWith(`  ${at}`), line).toBe(true);
  expect(r.stdout).toMatch(
    /^::error::\d+ message\(s\) refused \(see the plan\): they will not be released as the file stands$/m,
  );
}

/** The body of the one comment the tool posts when nothing can be planned. */
export function fileComment(s: ActionScenario, pr: number): string {
  const c = s.gh
    .comments(pr)
    .find(
      (x) =>
        x.user.login === 'github-actions[bot]' &&
        x.body.startsWith('<!-- quarantine-release file -->'),
    );
  return c?.body ?? '';
}

export const LEDGER_CHANGED =
  '❌ The ledger was changed outside quarantine-release, or is corrupt: nothing can be planned';
