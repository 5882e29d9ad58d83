// The hostile actor's checks and the headline figures, on hand-made histories: each must see
// what it is there to see (a checker that never fires proves nothing), and stay quiet on a
// clean history.
import { describe, expect, it } from 'vitest';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import { makeSeal, sealTrailer } from '../../src/core/ledger/seal.js';
import { refusalText } from '../../src/core/plan/refusals.js';
import type { Truth, TruthRelease } from '../../src/emulator/index.js';
import type { CommitSummary } from '../support/fake-github/index.js';
import { LEDGER_KEY } from '../support/sealed.js';
import { checkInvariants, checkSealedHistory, countFigures, didItsWork } from './invariants.js';
import type { World } from './world.js';

const A = 'a'.repeat(32);
const key = (id: string) => `${A}/${id}`;

function world(ids: string[], retry: Record<string, number> = {}): World {
  return {
    accounts: [A],
    entries: ids.map((id) => ({
      account: A,
      id,
      key: key(id),
      exists: true,
      quarantined0: true,
      ...(retry[id] ? { retry: retry[id] } : {}),
    })),
    history: [],
    shards: new Map(),
    yaml: '',
    canon: (account, id) => `${account}/${id}`,
    quarantined0: new Map(),
    baselineRequests: 0,
    baselineReleases: 0,
  };
}

const released = (id: string, attempt = 1): TruthRelease => ({
  account_id: A,
  id,
  at: '2026-01-01T00:00:00.000Z',
  delivered: ['x@example.com'],
  failed: [],
  undelivered: [],
  request: attempt,
});

const line = (id: string, state: LedgerRecord['state'], attempt = 1, seq = 1) =>
  serializeRecord({
    v: 1,
    account_id: A,
    id,
    seq,
    attempt,
    state,
    at: '2026-01-01T00:00:00.000Z',
    via: 'release',
  });

const truth = (releases: TruthRelease[]): Truth => ({ releases, requests: [] });

describe('countFigures', () => {
  it('counts nothing when every release is recorded once and was asked for', () => {
    const l = line('msg01', 'released');
    expect(
      countFigures({
        world: world(['msg01']),
        truth: truth([released('msg01')]),
        copies: [{ label: 'x', shards: new Map([['2026-01.jsonl', `${l}\n`]]), afterKill: false }],
        finalLines: [l],
        forbidden: [],
      }),
    ).toEqual({ doubleReleases: 0, lostRecords: 0, unreviewedReleases: 0 });
  });

  it('counts a double release, an unrecorded release, a vanished line and an unreviewed release', () => {
    const gone = line('msg03', 'released');
    const f = countFigures({
      world: world(['msg01', 'msg02', 'msg03', 'msg04']),
      // m1 twice with no retry asked; m2 released but not in the ledger; m4 forbidden.
      truth: truth([released('msg01'), released('msg01', 2), released('msg02'), released('msg04')]),
      copies: [{ label: 'x', shards: new Map([['2026-01.jsonl', `${gone}\n`]]), afterKill: false }],
      finalLines: [line('msg01', 'released'), line('msg04', 'released')],
      forbidden: [{ key: key('msg04') }],
    });
    expect(f).toEqual({ doubleReleases: 1, lostRecords: 3, unreviewedReleases: 1 });
  });

  it('allows a second release when the reviewed file asks for a retry', () => {
    const f = countFigures({
      world: world(['msg01'], { msg01: 2 }),
      truth: truth([released('msg01'), released('msg01', 2)]),
      copies: [],
      finalLines: [line('msg01', 'partial', 1, 1), line('msg01', 'released', 2, 2)],
      forbidden: [],
    });
    expect(f).toEqual({ doubleReleases: 0, lostRecords: 0, unreviewedReleases: 0 });
  });
});

describe('checkSealedHistory', () => {
  let n = 0;
  const sha = () => (++n).toString(16).padStart(40, '0');
  const BOT = { name: 'github-actions[bot]', email: 'bot@example.com' };
  const MALLORY = { name: 'Mallory', email: 'm@example.com' };
  const dir = 'releases.ledger';
  function sealed(parent: CommitSummary | undefined, text: string): CommitSummary {
    const p = parent?.sha ?? '0'.repeat(40);
    const seal = makeSeal(LEDGER_KEY, p, [{ name: '2026-01.jsonl', text }]);
    return {
      sha: sha(),
      message: `quarantine-release: ledger\n\n${sealTrailer(seal)}\n`,
      parents: [p],
      author: BOT,
      files: { [`${dir}/2026-01.jsonl`]: text },
    };
  }
  const by = (parent: CommitSummary, text: string, message = 'edit'): CommitSummary => ({
    sha: sha(),
    message,
    parents: [parent.sha],
    author: MALLORY,
    files: { [`${dir}/2026-01.jsonl`]: text },
  });
  const others = (c: CommitSummary) => c.author?.name === 'Mallory';
  const kinds = (commits: CommitSummary[]) =>
    checkSealedHistory(commits, LEDGER_KEY, dir, others).map((v) => v.kind);

  const l1 = `${line('msg01', 'pending')}\n`;
  const l2 = `${line('msg01', 'released', 1, 2)}\n`;

  it('is quiet on the tool appending, an edit put back, and a copied seal on a commit by someone else', () => {
    const c1 = sealed(undefined, l1);
    const c2 = sealed(c1, l1 + l2);
    const replay = by(c2, l1, `Merge\n\n${c1.message.split('\n\n')[1]}`);
    const repair = by(replay, l1 + l2, 'Restore');
    const c3 = sealed(repair, l1 + l2 + l1.replace('pending', 'unknown'));
    expect(kinds([c1, c2, replay, repair, c3])).toEqual([]);
  });

  it('sees the tool sealing over a replayed (shorter) ledger, and the record lost at the end', () => {
    const c1 = sealed(undefined, l1);
    const c2 = sealed(c1, l1 + l2);
    const replay = by(c2, l1);
    const c3 = sealed(replay, l1);
    expect(kinds([c1, c2, replay, c3])).toEqual(
      expect.arrayContaining(['sealed-without-line', 'record-lost']),
    );
  });

  it('sees the tool sealing over a forged line', () => {
    const c1 = sealed(undefined, l1);
    const forged = by(c1, l1 + l2);
    const c2 = sealed(forged, l1 + l2);
    expect(kinds([c1, forged, c2])).toContain('sealed-foreign-line');
  });
});

// A clean run that changed nothing is taken as the fixed point, after which everything must be
// resolved. One that could not reach Cloudflare in time (a loaded machine) changed nothing
// because it could not: taking it as the fixed point reported a correct tool as losing records.
describe('didItsWork: when a clean run that changed nothing is a fixed point', () => {
  const id = 'dzBLF6kIPV6dCEt-2026-10-19T07:56:31-45132893';
  it('is one when the run had nothing left to do, or refused for good reasons', () => {
    expect(didItsWork('')).toBe(true);
    expect(didItsWork(`warning: ${id}: refused: ${refusalText({ kind: 'not-found' })}\n`)).toBe(
      true,
    );
  });
  it('is not one when a read-back or a check timed out, or the run stopped early', () => {
    for (const log of [
      `warning: ${id}: still unresolved (timed out)\n`,
      `warning: ${id}: refused: ${refusalText({ kind: 'unchecked', reason: 'timed out' })}\n`,
      'warning: stopping: rate limited while reading messages back; no new batch will start\n',
      `${id}: still quarantined, but its last send may still be in progress: left alone; a run after that resolves it\n`,
    ])
      expect(didItsWork(log), log).toBe(false);
  });
});

// The harness stands in for "another run" by posting a release itself, and records it only if
// it delivered. One that a fault stopped before the server acted leaves no record, as a run
// would not either had it never sent: the tool's own send of that message later is its first.
describe('checkInvariants: the harness standing in for another run', () => {
  const post = (seq: number, id: string, fault?: 'reset_before') => ({
    seq,
    method: 'POST',
    path: `/client/v4/accounts/${A}/email-security/investigate/release`,
    status: fault ? null : 200,
    ...(fault ? { fault } : {}),
    at: '2026-01-01T00:00:00.000Z',
    ids: [id],
  });
  const input = (standInPosts?: number[]) => {
    const l = line('msg01', 'released');
    return {
      world: world(['msg01']),
      truth: {
        requests: [post(1, 'msg01', 'reset_before'), post(2, 'msg01')],
        releases: [{ ...released('msg01'), request: 2 }],
      },
      final: new Map([[key('msg01'), { awaiting: [], quarantined: false }]]),
      snapshots: [
        { label: 'end', shards: new Map([['2026-01.jsonl', `${l}\n`]]), afterKill: false },
      ],
      converged: true,
      ...(standInPosts ? { standInPosts } : {}),
    };
  };
  it('a send after an unanswered send, with no read-back between, is a violation', () => {
    expect(checkInvariants(input()).map((v) => v.kind)).toContain('post-without-readback');
  });
  it('is none when the unanswered send was the stand-in', () => {
    expect(checkInvariants(input([1])).map((v) => v.kind)).not.toContain('post-without-readback');
  });
});
