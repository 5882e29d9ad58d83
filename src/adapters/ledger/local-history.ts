// The CLI's ledger held to its seals in a local git clone, as the action holds the branch's
// (core/ledger/seal.ts): with a ledger key, what HEAD has committed must be exactly the newest
// sealed commit on its first-parent history, and the working tree may only add lines after it
// (the operator's own runs, not committed yet). The CLI seals what it wrote in a commit of its
// own. Without git or without a key nothing here runs: the README says what that leaves out.
import { type Diagnostic, lineProblem } from '../../core/diagnostics.js';
import {
  type Anchor,
  checkSealed,
  findAnchor,
  firstDifferentLine,
  makeSeal,
  parseSeal,
  sealIsValid,
  sealTrailer,
} from '../../core/ledger/seal.js';
import {
  changesLedger,
  commitLedger,
  firstParents,
  type GitRepo,
  headCommit,
  shardsAt,
} from '../files/git-history.js';

/** First parents searched for the newest seal. */
const MAX_HISTORY = 1000;

type Shard = { name: string; text: string };

export class LocalLedgerHistory {
  constructor(
    private readonly repo: GitRepo,
    private readonly key: string,
    /** The ledger directory as shown in messages. */
    private readonly shown: string,
  ) {}

  /** The newest valid seal below HEAD, or why there is none. */
  private async anchor(): Promise<{ anchor?: Anchor; reason: string }> {
    const { commits, complete } = await firstParents(this.repo, MAX_HISTORY);
    const found = findAnchor(commits, this.key, complete);
    if (found.kind === 'found') return { anchor: found.anchor, reason: '' };
    return {
      reason: complete
        ? `none in the ${commits.length} commit(s) of HEAD's history`
        : `none in the last ${commits.length} commits of HEAD's history`,
    };
  }

  /**
   * What is wrong with this working-tree ledger: HEAD's committed ledger against the newest
   * seal, and the working tree against HEAD (lines may only be added after it).
   */
  async check(current: readonly Shard[]): Promise<Diagnostic[]> {
    const head = await headCommit(this.repo);
    const committed = head ? await shardsAt(this.repo, head) : [];
    const { anchor, reason } = await this.anchor();
    const errors = await this.againstSeal(committed, anchor, reason);
    errors.push(...appendOnly(committed, current, this.shown, 'HEAD'));
    return errors;
  }

  /**
   * Seals the working-tree ledger in a commit of its own (the ledger directory alone), on top
   * of HEAD. Nothing when the newest seal already holds it. Returns the new commit.
   */
  async seal(current: readonly Shard[], message: string): Promise<string | undefined> {
    const head = await headCommit(this.repo);
    if (!head)
      throw new Error(
        'the repository has no commit yet: commit something first, then the ledger is sealed on top of it',
      );
    // Already sealed as it is: nothing to do.
    const { anchor } = await this.anchor();
    if (anchor && checkSealed(current, anchor, { dir: this.shown }).errors.length === 0)
      return undefined;
    const seal = makeSeal(this.key, head, current);
    const trailer = sealTrailer(seal);
    return commitLedger(this.repo, head, `${message.replace(/\n*$/, '')}\n\n${trailer}\n`);
  }

  /**
   * The whole history: each commit of HEAD's first-parent line that changed the ledger must
   * carry a valid seal of exactly the ledger it left, and each sealed ledger must extend the
   * previous one line by line. Oldest first; then the working tree against the newest seal.
   */
  async verifyHistory(
    current: readonly Shard[],
    max: number,
  ): Promise<{ errors: Diagnostic[]; commits: number; sealed: number; last?: string }> {
    const { commits } = await firstParents(this.repo, max);
    const errors: Diagnostic[] = [];
    let sealed = 0;
    let previous: { commit: string; shards: Shard[] } | undefined;
    let last: string | undefined;
    for (const c of [...commits].reverse()) {
      const parent = c.parents[0];
      if (!(await changesLedger(this.repo, c.oid, parent))) continue;
      const shards = await shardsAt(this.repo, c.oid);
      const seal = parseSeal(c.message);
      const short = c.oid.slice(0, 7);
      if (seal === undefined || seal === 'malformed' || !sealIsValid(seal, this.key, parent)) {
        const before = parent ? await shardsAt(this.repo, parent) : [];
        const { what, ...where } = changedAt(before, shards, this.shown);
        errors.push({
          ...where,
          message: `commit ${short} (${subject(c.message)}) changed the ledger outside quarantine-release: ${what}; only the tool writes the ledger`,
        });
        continue;
      }
      sealed++;
      last = c.oid;
      const own = checkSealed(shards, { commit: c.oid, seal }, { dir: this.shown });
      for (const e of own.errors)
        errors.push({
          ...e,
          message: `commit ${short} does not hold what its seal says: ${e.message}`,
        });
      if (previous)
        for (const e of appendOnly(
          previous.shards,
          shards,
          this.shown,
          previous.commit.slice(0, 7),
        ))
          errors.push({ ...e, message: `commit ${short}: ${e.message}` });
      previous = { commit: c.oid, shards };
    }
    errors.push(...(await this.check(current)));
    return { errors, commits: commits.length, sealed, ...(last ? { last } : {}) };
  }

  private async againstSeal(
    committed: readonly Shard[],
    anchor: Anchor | undefined,
    reason: string,
  ): Promise<Diagnostic[]> {
    const dir = this.shown;
    const first = checkSealed(committed, anchor, { dir, noAnchor: reason });
    if (first.changed.length === 0 || !anchor) return first.errors;
    const sealed = new Map((await shardsAt(this.repo, anchor.commit)).map((s) => [s.name, s.text]));
    return checkSealed(committed, anchor, { dir, sealedTexts: sealed }).errors;
  }
}

/**
 * `after` must hold every shard of `before` with the same lines first; it may add lines at
 * the end and new shards. Each difference is named at its first line.
 */
export function appendOnly(
  before: readonly Shard[],
  after: readonly Shard[],
  dir: string,
  since: string,
): Diagnostic[] {
  const now = new Map(after.map((s) => [s.name, s.text]));
  const errors: Diagnostic[] = [];
  for (const shard of before) {
    const text = now.get(shard.name);
    const at = (line: number, message: string) =>
      errors.push(lineProblem(`${dir}/${shard.name}`, line, message));
    if (text === undefined) at(1, `removed since ${since}: the ledger is append-only, restore it`);
    else if (!text.startsWith(shard.text)) {
      const line = firstDifferentLine(shard.text, text);
      at(
        line,
        `line ${line} changed or removed since ${since}: ledger lines are never edited or removed; restore it`,
      );
    }
  }
  return errors;
}

function changedAt(
  before: readonly Shard[],
  after: readonly Shard[],
  dir: string,
): { file: string; line: number; column: number; pointer: string; what: string } {
  const was = new Map(before.map((s) => [s.name, s.text]));
  const now = new Map(after.map((s) => [s.name, s.text]));
  for (const name of [...new Set([...was.keys(), ...now.keys()])].sort()) {
    const a = was.get(name) ?? '';
    const b = now.get(name) ?? '';
    if (a === b) continue;
    const line = firstDifferentLine(a, b);
    const what = !now.has(name)
      ? 'removed the shard'
      : b.startsWith(a)
        ? `added line ${line}`
        : `changed or removed line ${line}`;
    return { file: `${dir}/${name}`, line, column: 1, pointer: '', what };
  }
  return { file: dir, line: 1, column: 1, pointer: '', what: 'changed it' };
}

function subject(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.length > 72 ? `${first.slice(0, 71)}…` : first;
}
