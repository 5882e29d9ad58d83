// Attacks on the ledger's seal through the bundled action: the change lands on main anyway
// (a squash or rebase merge, a revert, a direct push) with a seal forged, copied from an older
// commit, or buried under more commits than are searched. Apply refuses before any Cloudflare
// call or commit, naming the line and the sealed commit to restore it from; putting the lines
// back is enough to go on.
import { describe, expect } from 'vitest';
import { makeSeal, sealTrailer } from '../../src/core/ledger/seal.js';
import type { ActionScenario } from '../support/action.js';
import { BOT_AUTHOR } from '../support/sealed.js';
import {
  attack,
  changedSeal,
  type Earlier,
  expectAnnotated,
  expectRefusedWithoutWriting,
  ledgerText,
  MALLORY,
  mergeAttack,
  openAttack,
  SHARD,
} from './support.js';

/** The attack leaves main's ledger changed: the check is that the run wrote nothing. */
const TAMPERED = { n: 2, trail: false };

/** The ledger without the lines of the first earlier message. */
const deleteA = (e: Earlier) => ledgerText(e.lines.filter((l) => !l.includes(e.ids[0] as string)));
/** releases.yaml asking for the first earlier message again. */
const retryA = (s: ActionScenario, e: Earlier) =>
  s.releasesYaml(e.ids, { [e.ids[0] as string]: 'retry: 2' });

describe.concurrent('forged, copied and buried seals on main', () => {
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
      expectRefusedWithoutWriting(s, earlier, merged);
    },
    TAMPERED,
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
      expectRefusedWithoutWriting(s, earlier, revert);
    },
    TAMPERED,
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
      expectRefusedWithoutWriting(s, earlier, last);
    },
    TAMPERED,
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
      expectRefusedWithoutWriting(s, earlier, pushed);
    },
    TAMPERED,
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
    },
    { n: 2 },
  );

  // Fail closed, not a fresh start. Also a standing denial of service: see the report.
  attack(
    'burying the last seal under more commits than are searched refuses everything',
    async (s, earlier) => {
      for (let i = 0; i < 101; i++)
        s.gh.commitFiles('main', { 'notes.txt': `note ${i}\n` }, `note ${i}`, MALLORY.author);
      const pushed = s.gh.commitFiles(
        'main',
        { 'releases.yaml': retryA(s, earlier), [SHARD]: deleteA(earlier) },
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
      expectRefusedWithoutWriting(s, earlier, pushed);
    },
    TAMPERED,
  );
});
