// Attacks on the ledger through the bundled action (issue 11, "Why" 2 and 5, and the ledger
// edits of every kind): a pull request that changes the ledger fails its plan check at the
// first changed line, and the comment says so first; the same change landing on main anyway
// (an admin merge, a direct push, a forged or copied seal) makes apply refuse before any
// Cloudflare call or commit, naming the line and the commit to restore it from.
import { describe, expect, it } from 'vitest';
import { serializeRecord } from '../../src/core/ledger/record.js';
import { makeSeal, sealTrailer } from '../../src/core/ledger/seal.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { BOT_AUTHOR } from '../support/sealed.js';
import {
  currentShard,
  type Earlier,
  expectAnnotated,
  expectNothingSent,
  expectRefusedWithoutWriting,
  expectTrailAtHead,
  fileComment,
  LEDGER_CHANGED,
  MALLORY,
  mergeAttack,
  openAttack,
  releasedEarlier,
} from './support.js';

const SHARD = currentShard();
const OTHER_SHARD = 'releases.ledger/2026-01.jsonl';

/** A ledger line for message `id` of the scenario's account. */
function forged(s: ActionScenario, id: string, state: 'failed' | 'released', seq = 3): string {
  return serializeRecord({
    v: 1,
    account_id: s.account,
    id,
    seq,
    attempt: 1,
    state,
    at: new Date().toISOString(),
    via: 'release',
    ...(state === 'failed'
      ? { error: { status: 500, message: 'Internal Server Error' } }
      : { delivered: ['mallory@example.com'], failed: [], undelivered: [] }),
  });
}

interface Edit {
  name: string;
  /** The ledger files of the attack's commit (null deletes one). */
  files(s: ActionScenario, e: Earlier): Record<string, string | null>;
  /** `retry` asked for the first earlier message, as the attacker would to get it out again. */
  retry?: number;
  /** The file, line and message start of the plan's refusal on the pull request. */
  pr: [string, number, string];
  /** The same for apply's refusal once the change is on main. */
  apply: [string, number, string];
}

const lines = (ls: readonly string[]) => ls.map((l) => `${l}\n`).join('');
const changedPr = (n: number) =>
  `changed or removed by this pull request (line ${n} of releases.ledger on main differs)`;
const changedSeal = (n: number) => `line ${n} changed or removed since quarantine-release sealed`;

// The earlier ledger: 1 pending A, 2 pending B, 3 released A, 4 released B.
const EDITS: Edit[] = [
  {
    name: 'delete one line (the release of A)',
    files: (_, e) => ({ [SHARD]: lines(e.lines.filter((_l, i) => i !== 2)) }),
    pr: [SHARD, 3, changedPr(3)],
    apply: [SHARD, 3, changedSeal(3)],
  },
  {
    name: "delete every line of A and ask for retry: 2 (issue 11's attack 2)",
    files: (_, e) => ({ [SHARD]: lines(e.lines.filter((l) => !l.includes(e.ids[0] as string))) }),
    retry: 2,
    pr: [SHARD, 1, changedPr(1)],
    apply: [SHARD, 1, changedSeal(1)],
  },
  {
    name: 'change a state (released to failed) and ask for retry: 2',
    files: (_, e) => ({
      [SHARD]: lines(e.lines.map((l, i) => (i === 2 ? l.replace('"released"', '"failed"') : l))),
    }),
    retry: 2,
    pr: [SHARD, 3, changedPr(3)],
    apply: [SHARD, 3, changedSeal(3)],
  },
  {
    name: 'change the recipients of a release',
    files: (_, e) => ({
      [SHARD]: lines(
        e.lines.map((l, i) =>
          i === 2 ? l.replace(/"delivered":\[[^\]]*\]/, '"delivered":["mallory@example.com"]') : l,
        ),
      ),
    }),
    pr: [SHARD, 3, changedPr(3)],
    apply: [SHARD, 3, changedSeal(3)],
  },
  {
    name: 'append a forged failed record and ask for retry: 2',
    files: (s, e) => ({ [SHARD]: e.text + lines([forged(s, e.ids[0] as string, 'failed')]) }),
    retry: 2,
    pr: [SHARD, 5, 'added by this pull request'],
    apply: [SHARD, 5, 'added outside quarantine-release'],
  },
  {
    name: 'append a forged released record (a release that never happened)',
    files: (s, e) => ({
      [SHARD]: e.text + lines([forged(s, s.quarantined(3)[2] as string, 'released', 1)]),
    }),
    pr: [SHARD, 5, 'added by this pull request'],
    apply: [SHARD, 5, 'added outside quarantine-release'],
  },
  {
    name: 'truncate the shard',
    files: () => ({ [SHARD]: '' }),
    retry: 2,
    pr: [SHARD, 1, changedPr(1)],
    apply: [SHARD, 1, changedSeal(1)],
  },
  {
    name: 'delete the shard',
    files: () => ({ [SHARD]: null }),
    retry: 2,
    pr: [SHARD, 1, 'removed by this pull request'],
    apply: [SHARD, 1, 'removed: quarantine-release sealed this shard'],
  },
  {
    name: 'add a shard of another month with a forged failed record',
    files: (s, e) => ({ [OTHER_SHARD]: lines([forged(s, e.ids[0] as string, 'failed')]) }),
    retry: 2,
    pr: [OTHER_SHARD, 1, 'added by this pull request'],
    apply: [OTHER_SHARD, 1, 'added outside quarantine-release: this shard is not in its last seal'],
  },
  {
    name: 'reorder lines (the release of B before the release of A)',
    files: (_, e) => ({
      [SHARD]: lines([e.lines[0], e.lines[1], e.lines[3], e.lines[2]] as string[]),
    }),
    pr: [SHARD, 3, changedPr(3)],
    apply: [SHARD, 3, changedSeal(3)],
  },
  {
    // Issue 11's attack 5: it used to pass the pull request's check and block apply later.
    name: 'a torn last line (a record cut short)',
    files: (s, e) => ({ [SHARD]: `${e.text}{"v":1,"account_id":"${s.account}","id":"${e.ids[0]}` }),
    pr: [SHARD, 5, 'added by this pull request'],
    apply: [SHARD, 5, 'added outside quarantine-release'],
  },
];

describe.concurrent('a pull request that edits the ledger fails its check; merged anyway, apply refuses', () => {
  for (const edit of EDITS) {
    it(edit.name, async () => {
      const s = await actionScenario();
      try {
        const earlier = await releasedEarlier(s, s.quarantined(2));
        const [a, b] = earlier.ids as [string, string];
        const wanted = s.quarantined(3)[2] as string;
        const yaml = s.releasesYaml(
          [a, b, wanted],
          edit.retry ? { [a]: `retry: ${edit.retry}` } : {},
        );
        const files = { 'releases.yaml': yaml, ...edit.files(s, earlier) };

        const head = openAttack(s, 21, files);
        const plan = await s.run({ event: 'pull_request', pr: 21, sha: head });
        expectAnnotated(plan, ...edit.pr);
        expect(plan.stdout).toMatch(
          /^::error::\d+ problem\(s\) in the ledger; nothing can be planned$/m,
        );
        expect(plan.outputs['to-release']).toBe('0');
        // The comment says so first, with the line; no plan (nothing a reviewer could approve).
        const comment = fileComment(s, 21);
        expect(comment).toContain(LEDGER_CHANGED);
        expect(comment).toContain(`${edit.pr[0]}:${edit.pr[1]}`);
        expect(s.gh.comments(21)).toHaveLength(1);
        expectTrailAtHead(s, earlier);

        // An admin merges it anyway (approved by a reviewer who missed the ledger change).
        const merged = mergeAttack(s, 21, files);
        const apply = await s.run({ event: 'push', sha: merged });
        expectAnnotated(apply, ...edit.apply);
        expect(apply.stdout).toMatch(
          /^::error::\d+ problem\(s\) in the ledger: nothing was released$/m,
        );
        if (edit.apply[2].startsWith('line'))
          expect(apply.annotations.map((x) => x.message).join('\n')).toContain(
            `restore them (git show ${earlier.sealCommit.slice(0, 7)}:${edit.apply[0]})`,
          );
        expectNothingSent(s, earlier.posts);
        expectRefusedWithoutWriting(s, earlier, merged);
        expect(s.emulator.truth().requests.length, 'not even a lookup').toBe(earlier.posts);
      } finally {
        await s.close();
      }
    });
  }

  it('a pull request that only deletes the ledger lines (no other change) fails its check and says so', async () => {
    const s = await actionScenario();
    try {
      const earlier = await releasedEarlier(s, s.quarantined(2));
      const [a] = earlier.ids as [string];
      const head = openAttack(s, 22, {
        [SHARD]: lines(earlier.lines.filter((l) => !l.includes(a))),
      });
      const plan = await s.run({ event: 'pull_request', pr: 22, sha: head });
      expectAnnotated(plan, SHARD, 1, changedPr(1));
      expect(fileComment(s, 22)).toContain(LEDGER_CHANGED);
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    } finally {
      await s.close();
    }
  });
  // Fail closed, not a fresh start. Also a standing denial of service: see the report.
  it('burying the last seal under more commits than are searched refuses everything', async () => {
    const s = await actionScenario();
    try {
      const earlier = await releasedEarlier(s, s.quarantined(2));
      const [a] = earlier.ids as [string];
      for (let i = 0; i < 101; i++)
        s.gh.commitFiles('main', { 'notes.txt': `note ${i}\n` }, `note ${i}`, MALLORY.author);
      const pushed = s.gh.commitFiles(
        'main',
        {
          'releases.yaml': s.releasesYaml(earlier.ids, { [a]: 'retry: 2' }),
          [SHARD]: lines(earlier.lines.filter((l) => !l.includes(a))),
        },
        'fix ledger',
        MALLORY.author,
      );
      const r = await s.run({ event: 'push', sha: pushed });
      expectAnnotated(
        r,
        SHARD,
        1,
        /^the ledger holds records but no commit sealing it was found \(none in the last 100 commits of main\)/,
      );
      expectNothingSent(s, earlier.posts);
      expectRefusedWithoutWriting(s, earlier, pushed);
    } finally {
      await s.close();
    }
  });
});

describe.concurrent('forged and copied seals on main', () => {
  /** Runs an attack on a fresh repository whose ledger records two earlier releases. */
  const attack = (name: string, fn: (s: ActionScenario, earlier: Earlier) => Promise<void>) =>
    it(name, async () => {
      const s = await actionScenario();
      try {
        await fn(s, await releasedEarlier(s, s.quarantined(2)));
      } finally {
        await s.close();
      }
    });
  const deleteA = (e: Earlier) => lines(e.lines.filter((l) => !l.includes(e.ids[0] as string)));
  const retryA = (s: ActionScenario, e: Earlier) =>
    s.releasesYaml(e.ids, { [e.ids[0] as string]: 'retry: 2' });

  attack(
    'a squash merge whose message carries a forged seal (right parent, guessed mac) is ignored',
    async (s, earlier) => {
      const parent = s.gh.headSha('main');
      const fake = makeSeal('a guessed key that is long enough 0123456789', parent, [
        { name: SHARD.slice('releases.ledger/'.length), text: deleteA(earlier) },
      ]);
      openAttack(s, 31, { 'releases.yaml': retryA(s, earlier), [SHARD]: deleteA(earlier) });
      const merged = mergeAttack(
        s,
        31,
        { 'releases.yaml': retryA(s, earlier), [SHARD]: deleteA(earlier) },
        { message: `Release request 31 (#31)\n\n${sealTrailer(fake)}\n` },
      );
      const r = await s.run({ event: 'push', sha: merged });
      expect(r.stdout).toContain(
        `::warning::commit ${merged.slice(0, 7)} carries a ledger seal that is not valid (forged, copied or made with another key): ignored`,
      );
      expectAnnotated(r, SHARD, 1, changedSeal(1));
      expectNothingSent(s, earlier.posts);
      expectRefusedWithoutWriting(s, earlier, merged);
    },
  );

  attack(
    "a revert to an older ledger that copies the older commit's valid seal is refused",
    async (s, earlier) => {
      // The pending state: A and B look unresolved again, as before their release.
      const older = s.gh.readFile(SHARD, earlier.pendingCommit) ?? '';
      const message = s.gh.commits('main').find((c) => c.sha === earlier.pendingCommit)?.message;
      expect(message).toContain('Ledger-Seal: v1');
      const revert = s.gh.commitFiles('main', { [SHARD]: older }, message as string, BOT_AUTHOR);
      const r = await s.run({ event: 'push', sha: revert });
      expect(r.stdout).toContain(
        `::warning::commit ${revert.slice(0, 7)} carries a ledger seal that is not valid`,
      );
      expectAnnotated(r, SHARD, 3, changedSeal(3));
      expectNothingSent(s, earlier.posts);
      expectRefusedWithoutWriting(s, earlier, revert);
    },
  );

  attack(
    'a rebase-merged pull request whose commit is authored as github-actions[bot] with a forged seal is refused',
    async (s, earlier) => {
      openAttack(s, 32, { 'releases.yaml': retryA(s, earlier), [SHARD]: deleteA(earlier) });
      // Rebased onto main: the ledger commit first, as the bot, with a seal over its own ledger.
      const parent = s.gh.headSha('main');
      const fake = makeSeal('f'.repeat(64), parent, [
        { name: SHARD.slice('releases.ledger/'.length), text: deleteA(earlier) },
      ]);
      const ledgerCommit = s.gh.commitFiles(
        'main',
        { [SHARD]: deleteA(earlier) },
        `quarantine-release: outcomes of 1 message(s): 1 failed [skip ci]\n\n${sealTrailer(fake)}\n`,
        BOT_AUTHOR,
      );
      const last = mergeAttack(
        s,
        32,
        { 'releases.yaml': retryA(s, earlier) },
        { message: 'Retry A' },
      );
      const r = await s.run({ event: 'push', sha: last });
      expect(r.stdout).toContain(
        `::warning::commit ${ledgerCommit.slice(0, 7)} carries a ledger seal that is not valid`,
      );
      expectAnnotated(r, SHARD, 1, changedSeal(1));
      expectNothingSent(s, earlier.posts);
      expectRefusedWithoutWriting(s, earlier, last);
    },
  );

  attack(
    'a direct push that deletes the lines of A and asks for retry: 2 is refused',
    async (s, earlier) => {
      const pushed = s.gh.commitFiles(
        'main',
        { 'releases.yaml': retryA(s, earlier), [SHARD]: deleteA(earlier) },
        'fix ledger',
        'Mallory <mallory@example.com>',
      );
      const r = await s.run({ event: 'push', sha: pushed });
      expectAnnotated(r, SHARD, 1, changedSeal(1));
      expectNothingSent(s, earlier.posts);
      expectRefusedWithoutWriting(s, earlier, pushed);
    },
  );

  attack(
    'putting the sealed lines back after a refused tampering lets releases go on',
    async (s, earlier) => {
      // The control blocks tampering, not the repository: restoring the lines (git show of the
      // sealed commit) is enough. A dry run at the end: it checks everything without paced writes.
      const pushed = s.gh.commitFiles(
        'main',
        { [SHARD]: deleteA(earlier) },
        'clean up',
        MALLORY.author,
      );
      expectAnnotated(await s.run({ event: 'push', sha: pushed }), SHARD, 1, changedSeal(1));
      s.gh.commitFiles(
        'main',
        { [SHARD]: s.gh.readFile(SHARD, earlier.sealCommit) ?? '' },
        'Restore the ledger',
      );
      const alice = { author: 'Alice <alice@example.com>', user: 'alice' };
      const fresh = s.quarantined(3)[2] as string;
      const yaml = s.releasesYaml([...earlier.ids, fresh]);
      const head = openAttack(s, 33, { 'releases.yaml': yaml }, { by: alice });
      const plan = await s.run({ event: 'pull_request', pr: 33, sha: head });
      expect(plan.code, plan.stdout).toBe(0);
      const merged = mergeAttack(s, 33, { 'releases.yaml': yaml }, { by: alice });
      const r = await s.run({ event: 'push', sha: merged, inputs: { 'dry-run': 'true' } });
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain(`would release ${fresh}`);
      expectNothingSent(s, earlier.posts);
      expectTrailAtHead(s, earlier);
    },
  );
});
