// The CLI in a git clone with a ledger key: what it writes it seals in a commit of its own,
// and it refuses a ledger anyone else changed in a commit (plan, apply, check), naming the
// file and line; `ledger verify` checks the whole history and `ledger seal` is the explicit way
// to adopt or repair. Through the bundled CLI, against the emulator, with real git.
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Scenario, scenario } from '../support/scenario.js';
import { LEDGER_KEY } from '../support/sealed.js';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const PERSON = {
  GIT_AUTHOR_NAME: 'Operator',
  GIT_AUTHOR_EMAIL: 'ops@example.com',
  GIT_COMMITTER_NAME: 'Operator',
  GIT_COMMITTER_EMAIL: 'ops@example.com',
};
const KEYED = { ...PERSON, QUARANTINE_RELEASE_LEDGER_KEY: LEDGER_KEY };

function git(dir: string, args: string[], who: Record<string, string> = PERSON): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, ...who },
  });
}

/** A clone with the requests committed, and a ledger folder. */
async function clone(ids: string[]): Promise<Scenario> {
  const x = await scenario();
  await x.writeReleases(ids);
  git(x.dir, ['init', '-q', '-b', 'main']);
  git(x.dir, ['add', '-A']);
  git(x.dir, ['commit', '-q', '-m', 'requests']);
  return x;
}

const shard = async (x: Scenario) => {
  const name = (await readdir(join(x.dir, 'releases.ledger'))).find((n) => n.endsWith('.jsonl'));
  const path = join(x.dir, 'releases.ledger', name as string);
  return { path, lines: (await readFile(path, 'utf8')).trimEnd().split('\n') };
};

describe('the CLI with a ledger key in a git clone', () => {
  it('seals what apply wrote in a commit of its own; a re-run seals nothing new; verify passes', async () => {
    s = await clone([]);
    const ids = s.quarantined(2);
    await s.writeReleases(ids);
    git(s.dir, ['commit', '-q', '-am', 'two requests']);
    const r = await s.cli(['apply', '--unreviewed'], KEYED);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Sealed the ledger in commit [0-9a-f]{12}\./);
    const message = git(s.dir, ['log', '-1', '--format=%B']);
    expect(message).toMatch(/^quarantine-release: ledger records \[skip ci\]/);
    expect(message).toMatch(
      /\nLedger-Seal: v1 parent=[0-9a-f]{40} mac=[0-9a-f]{64}\nLedger-Shard: \d{4}-\d{2}\.jsonl \d+ [0-9a-f]{64}\n/,
    );
    // Only the ledger was committed: the working tree is clean.
    expect(git(s.dir, ['status', '--porcelain'])).toBe('');
    const commits = git(s.dir, ['rev-list', '--count', 'HEAD']);
    const again = await s.cli(['apply', '--unreviewed'], KEYED);
    expect(again.code, again.stderr).toBe(0);
    expect(git(s.dir, ['rev-list', '--count', 'HEAD'])).toBe(commits);
    const verify = await s.cli(['ledger', 'verify'], KEYED);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(
      /^ledger verified: 4 record\(s\) in 1 shard\(s\); history: 3 commit\(s\) checked, 1 sealed by quarantine-release/,
    );
  });

  it('a commit by someone else that edits, removes or adds a line is refused everywhere, at its line', async () => {
    s = await clone([]);
    const ids = s.quarantined(2);
    await s.writeReleases(ids);
    git(s.dir, ['commit', '-q', '-am', 'two requests']);
    expect((await s.cli(['apply', '--unreviewed'], KEYED)).code).toBe(0);
    const posts = s.releasePostsCount();
    const { path, lines } = await shard(s);

    // The released record of the first message turned into a failed one, and a retry asked.
    await writeFile(
      path,
      `${[...lines.slice(0, 2), (lines[2] as string).replace('"released"', '"failed"'), lines[3]].join('\n')}\n`,
    );
    await s.writeReleases(ids, { [ids[0] as string]: 'retry: 2' });
    git(s.dir, ['commit', '-q', '-am', 'fix the ledger'], {
      ...PERSON,
      GIT_AUTHOR_NAME: 'Mallory',
      GIT_AUTHOR_EMAIL: 'm@example.com',
    });
    for (const command of [['plan'], ['apply', '--unreviewed'], ['check']]) {
      const r = await s.cli(command, KEYED);
      expect(r.code, command.join(' ')).toBe(1);
      expect(r.stderr).toContain(
        'releases.ledger/2026-12.jsonl:3:1: line 3 changed or removed since quarantine-release sealed the ledger in commit',
      );
    }
    expect(s.releasePostsCount()).toBe(posts);
    const verify = await s.cli(['ledger', 'verify'], KEYED);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(
      /commit [0-9a-f]{7} \(fix the ledger\) changed the ledger outside quarantine-release: changed or removed line 3/,
    );

    // The repository's repair: revert the commit. The ledger is what was sealed again.
    git(s.dir, ['revert', '--no-edit', 'HEAD']);
    const ok = await s.cli(['plan'], KEYED);
    expect(ok.code, ok.stderr).toBe(0);

    // A forged line appended in a commit: "added outside quarantine-release".
    await writeFile(
      path,
      `${lines.join('\n')}\n${(lines[2] as string).replace('"seq":2', '"seq":3')}\n`,
    );
    git(s.dir, ['commit', '-q', '-am', 'one more line']);
    const added = await s.cli(['plan'], KEYED);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain(
      'releases.ledger/2026-12.jsonl:5:1: added outside quarantine-release: its last seal',
    );
  });

  it('uncommitted lines after HEAD are the operator’s own (a run killed before it sealed): kept and sealed', async () => {
    s = await clone([]);
    const ids = s.quarantined(2);
    await s.writeReleases([ids[0] as string]);
    git(s.dir, ['commit', '-q', '-am', 'one request']);
    expect((await s.cli(['apply', '--unreviewed'], KEYED)).code).toBe(0);
    // Another local run wrote its records but died before sealing them.
    await s.writeReleases(ids);
    git(s.dir, ['commit', '-q', '-am', 'one more request']);
    expect((await s.cli(['apply', '--unreviewed'], { ...PERSON })).code).toBe(0);
    expect(git(s.dir, ['status', '--porcelain'])).toMatch(/releases\.ledger/);
    const r = await s.cli(['apply', '--unreviewed'], KEYED);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Sealed the ledger/);
    expect(git(s.dir, ['status', '--porcelain'])).toBe('');
    // An uncommitted edit of a committed line is not an append: refused.
    const { path, lines } = await shard(s);
    await writeFile(path, `${lines.slice(1).join('\n')}\n`);
    const edited = await s.cli(['plan'], KEYED);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain(
      'releases.ledger/2026-12.jsonl:1:1: line 1 changed or removed since HEAD',
    );
  });

  it('a ledger written before seals is refused until it is adopted with `ledger seal`', async () => {
    s = await clone([]);
    const ids = s.quarantined(1);
    await s.writeReleases(ids);
    git(s.dir, ['commit', '-q', '-am', 'a request']);
    // Written without a key, then committed by hand: nobody sealed it.
    expect((await s.cli(['apply', '--unreviewed'], PERSON)).code).toBe(0);
    git(s.dir, ['add', '-A']);
    git(s.dir, ['commit', '-q', '-m', 'ledger']);
    const refused = await s.cli(['plan'], KEYED);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the ledger holds records but no commit sealing it was found');
    const noKey = await s.cli(['ledger', 'seal'], PERSON);
    expect(noKey.code).toBe(1);
    const sealed = await s.cli(['ledger', 'seal', '--message', 'adopt the ledger'], KEYED);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(git(s.dir, ['log', '-1', '--format=%s']).trim()).toBe('adopt the ledger [skip ci]');
    expect((await s.cli(['plan'], KEYED)).code).toBe(0);
    expect((await s.cli(['ledger', 'seal'], KEYED)).stdout).toContain('Nothing to seal');
  });

  it('ledger verify without a key checks the lines and each message’s history, and says what it did not check', async () => {
    s = await clone([]);
    await s.writeReleases(s.quarantined(1));
    expect((await s.cli(['apply', '--unreviewed'], PERSON)).code).toBe(0);
    const ok = await s.cli(['ledger', 'verify'], PERSON);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('history not checked (set QUARANTINE_RELEASE_LEDGER_KEY');
    const { path, lines } = await shard(s);
    await writeFile(path, `${lines[1]}\n`);
    const gap = await s.cli(['ledger', 'verify', '--format', 'json'], PERSON);
    expect(gap.code).toBe(1);
    const json = JSON.parse(gap.stdout);
    expect(json.verified).toBe(false);
    expect(json.errors[0].message).toMatch(
      /seq 2 follows seq 0: record\(s\) 1 of this message are missing/,
    );
  });
});
