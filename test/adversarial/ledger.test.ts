// Attacks on the ledger through the bundled action (issue 11, "Why" 2 and 5, and the ledger
// edits of every kind): a pull request that changes the ledger fails its plan check at the
// first changed line, and the comment says so first; the same change merged anyway (by an
// admin) makes apply refuse before any Cloudflare call or commit, naming the line and the
// commit to restore it from. Forged, copied and buried seals are in seals.test.ts.
import { describe, expect, it } from 'vitest';
import { serializeRecord } from '../../src/core/ledger/record.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import {
  changedSeal,
  type Earlier,
  expectAnnotated,
  expectNothingSent,
  expectRefusedWithoutWriting,
  expectTrailAtHead,
  fileComment,
  LEDGER_CHANGED,
  ledgerText,
  mergeAttack,
  openAttack,
  releasedEarlier,
  SHARD,
} from './support.js';

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

const lines = ledgerText;
const changedPr = (n: number) =>
  `changed or removed by this pull request (line ${n} of releases.ledger on main differs)`;

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
    // Readers take *.jsonl only: the records would vanish from every plan.
    name: 'rename the shard out of sight (.JSONL)',
    files: (_, e) => ({ [SHARD]: null, [SHARD.replace(/\.jsonl$/, '.JSONL')]: e.text }),
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
});
