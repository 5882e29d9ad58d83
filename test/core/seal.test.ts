// The ledger's seal (core/ledger/seal.ts): what the tool last wrote, authenticated, bound to
// its commit's parent, and what a ledger may differ from it by (nothing but later appends by
// the tool itself).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSealed,
  checkUnchanged,
  findAnchor,
  type HistoryCommit,
  keyProblem,
  makeSeal,
  parseSeal,
  sealIsValid,
  sealTrailer,
} from '../../src/core/ledger/seal.js';

const KEY = 'k'.repeat(40);
const OTHER_KEY = 'o'.repeat(40);
const P1 = '1'.repeat(40);
const P2 = '2'.repeat(40);
const DIR = 'releases.ledger';
const shard = (name: string, lines: string[]) => ({
  name,
  text: lines.map((l) => `${l}\n`).join(''),
});
const L = (n: number) => `{"v":1,"n":${n}}`;

describe('the seal', () => {
  it('reads back from a commit message what it wrote, and is valid only for its key and parent', () => {
    const seal = makeSeal(KEY, P1, [
      shard('2026-11.jsonl', [L(1), L(2)]),
      shard('2026-10.jsonl', [L(0)]),
    ]);
    const message = `quarantine-release: outcomes [skip ci]\n\nRun: x\n\n${sealTrailer(seal)}\n`;
    const parsed = parseSeal(message);
    expect(parsed).toEqual(seal);
    expect(seal.shards.map((s) => s.name)).toEqual(['2026-10.jsonl', '2026-11.jsonl']);
    expect(sealIsValid(seal, KEY, P1)).toBe(true);
    expect(sealIsValid(seal, OTHER_KEY, P1)).toBe(false);
    // Copied into another commit (another parent), it is not valid: no replay.
    expect(sealIsValid(seal, KEY, P2)).toBe(false);
    expect(sealIsValid(seal, KEY, undefined)).toBe(false);
  });

  it('an edited trailer (size, hash, name or parent) no longer verifies', () => {
    const seal = makeSeal(KEY, P1, [shard('2026-11.jsonl', [L(1)])]);
    const trailer = sealTrailer(seal);
    const edits = [
      trailer.replace(/ (\d+) /, (_, n) => ` ${Number(n) + 1} `),
      trailer.replace(/2026-11\.jsonl/, '2026-12.jsonl'),
      trailer.replace(/([0-9a-f]{64})$/, (h: string) => `${h[0] === 'a' ? 'b' : 'a'}${h.slice(1)}`),
      trailer.replace(`parent=${P1}`, `parent=${P2}`),
    ];
    for (const edited of edits) {
      const parsed = parseSeal(edited);
      expect(parsed === 'malformed' || !sealIsValid(parsed as never, KEY, P1), edited).toBe(true);
    }
  });

  it('malformed seal lines are never trusted', () => {
    expect(parseSeal('no seal here')).toBeUndefined();
    expect(parseSeal('Ledger-Seal: v2 parent=x')).toBe('malformed');
    expect(
      parseSeal(
        `Ledger-Seal: v1 parent=${P1} mac=${'a'.repeat(64)}\nLedger-Shard: ../x 1 ${'a'.repeat(64)}`,
      ),
    ).toBe('malformed');
    const dup = `Ledger-Seal: v1 parent=${P1} mac=${'a'.repeat(64)}\nLedger-Shard: 2026-11.jsonl 1 ${'a'.repeat(64)}\nLedger-Shard: 2026-11.jsonl 1 ${'a'.repeat(64)}`;
    expect(parseSeal(dup)).toBe('malformed');
  });

  it('a key must be long enough', () => {
    expect(keyProblem('short')).toMatch(/at least 32/);
    expect(keyProblem(KEY)).toBeUndefined();
  });
});

describe('finding the newest seal on the first-parent history', () => {
  const commit = (oid: string, parent: string | undefined, message: string): HistoryCommit => ({
    oid,
    parents: parent ? [parent] : [],
    message,
  });

  it('skips commits with no seal or an invalid one, and returns the newest valid', () => {
    const good = makeSeal(KEY, P1, [shard('2026-11.jsonl', [L(1)])]);
    const forged = makeSeal(OTHER_KEY, P2, [shard('2026-11.jsonl', [L(1), L(9)])]);
    const copied = good; // the tool's old seal pasted into a later commit
    const history = [
      commit('c'.repeat(40), 'b'.repeat(40), 'Merge pull request #9'),
      commit('b'.repeat(40), 'a'.repeat(40), `evil\n\n${sealTrailer(forged)}`),
      commit('a'.repeat(40), '9'.repeat(40), `revert\n\n${sealTrailer(copied)}`),
      commit('9'.repeat(40), P1, `quarantine-release: outcomes\n\n${sealTrailer(good)}`),
    ];
    const found = findAnchor(history, KEY, false);
    expect(found).toMatchObject({
      kind: 'found',
      anchor: { commit: '9'.repeat(40) },
      invalid: ['b'.repeat(40), 'a'.repeat(40)],
    });
    expect(findAnchor(history.slice(0, 3), KEY, true)).toMatchObject({
      kind: 'none',
      walked: 3,
      complete: true,
    });
  });
});

describe('a ledger against its seal', () => {
  const sealed = [shard('2026-10.jsonl', [L(1), L(2)]), shard('2026-11.jsonl', [L(3), L(4)])];
  const anchor = { commit: 'f'.repeat(40), seal: makeSeal(KEY, P1, sealed) };
  const check = (current: { name: string; text: string }[], texts?: Map<string, string>) =>
    checkSealed(current, anchor, { dir: DIR, ...(texts ? { sealedTexts: texts } : {}) });

  it('passes when unchanged', () => {
    expect(check(sealed)).toEqual({ errors: [], changed: [] });
  });

  it('names the first line added by anyone but the tool, in a sealed shard or a new one', () => {
    const added = check([sealed[0] as never, shard('2026-11.jsonl', [L(3), L(4), L(5), L(6)])]);
    expect(added.errors.map((e) => [e.file, e.line])).toEqual([[`${DIR}/2026-11.jsonl`, 3]]);
    expect(added.errors[0]?.message).toMatch(/added outside quarantine-release/);
    const newShard = check([...sealed, shard('2026-12.jsonl', [L(7)])]);
    expect(newShard.errors.map((e) => [e.file, e.line])).toEqual([[`${DIR}/2026-12.jsonl`, 1]]);
  });

  it('names a changed, removed or truncated line once the sealed text is known', () => {
    const edited = [sealed[0] as never, shard('2026-11.jsonl', [L(3), L(40)])];
    const first = check(edited);
    expect(first.changed).toEqual(['2026-11.jsonl']);
    const exact = check(edited, new Map([['2026-11.jsonl', sealed[1]?.text as string]]));
    expect(exact.errors.map((e) => [e.file, e.line])).toEqual([[`${DIR}/2026-11.jsonl`, 2]]);
    expect(exact.errors[0]?.message).toMatch(
      /line 2 changed or removed since quarantine-release sealed/,
    );
    const truncated = check([sealed[0] as never, shard('2026-11.jsonl', [L(3)])]);
    expect(truncated.changed).toEqual(['2026-11.jsonl']);
    const gone = check([sealed[1] as never]);
    expect(gone.errors[0]).toMatchObject({ file: `${DIR}/2026-10.jsonl`, line: 1 });
    expect(gone.errors[0]?.message).toMatch(/^removed/);
  });

  it('with no seal at all, only an empty ledger passes', () => {
    expect(checkSealed([], undefined, { dir: DIR }).errors).toEqual([]);
    expect(checkSealed([shard('2026-11.jsonl', [])], undefined, { dir: DIR }).errors).toEqual([]);
    const some = checkSealed(sealed, undefined, { dir: DIR, noAnchor: 'none in 3 commits' });
    expect(some.errors).toHaveLength(2);
    expect(some.errors[0]?.message).toMatch(/no commit sealing it was found \(none in 3 commits\)/);
  });

  it('property: any edit of sealed bytes is found; appending after the seal is found as added', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/\n/g, ' ')),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 5 }),
        (lines, at, insert) => {
          const text = lines.map((l) => `${l}\n`).join('');
          const a = {
            commit: 'f'.repeat(40),
            seal: makeSeal(KEY, P1, [{ name: '2026-11.jsonl', text }]),
          };
          const pos = at % text.length;
          const mutated = text.slice(0, pos) + insert + text.slice(pos + 1);
          fc.pre(mutated !== text);
          const r = checkSealed([{ name: '2026-11.jsonl', text: mutated }], a, { dir: DIR });
          expect(r.errors.length).toBeGreaterThan(0);
          const appended = checkSealed([{ name: '2026-11.jsonl', text: `${text}x\n` }], a, {
            dir: DIR,
          });
          expect(appended.errors.map((e) => e.line)).toEqual([lines.length + 1]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a pull request against its base', () => {
  const base = [shard('2026-11.jsonl', [L(1), L(2), L(3)])];
  const opts = { dir: DIR, base: 'releases.ledger on main' };
  it('must leave the ledger exactly as it is', () => {
    expect(checkUnchanged(base, base, opts)).toEqual([]);
    const added = checkUnchanged([shard('2026-11.jsonl', [L(1), L(2), L(3), L(4)])], base, opts);
    expect(added.map((e) => [e.line, e.message.split(':')[0]])).toEqual([
      [4, 'added by this pull request'],
    ]);
    const removed = checkUnchanged([shard('2026-11.jsonl', [L(1), L(3)])], base, opts);
    expect(removed[0]).toMatchObject({ file: `${DIR}/2026-11.jsonl`, line: 2 });
    expect(removed[0]?.message).toMatch(/changed or removed by this pull request/);
    expect(checkUnchanged([], base, opts)[0]?.message).toMatch(/^removed by this pull request/);
    expect(checkUnchanged([...base, shard('2026-12.jsonl', [L(5)])], base, opts)[0]).toMatchObject({
      file: `${DIR}/2026-12.jsonl`,
      line: 1,
    });
  });
});
