// The releases file of the pushed commit: free when it is a head already read or the commit
// checked out, one contents request otherwise (the blob too above 1 MB), and "not found"
// when the commit has no such file. Against the fake GitHub API.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkedOutCommit, packedRef } from '../../src/adapters/files/git-checkout.js';
import { GitHubBranchStore } from '../../src/adapters/github/branch-store.js';
import { githubClient } from '../../src/adapters/github/octokit.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/index.js';
import { LEDGER_KEY } from '../support/sealed.js';

const SHA = 'a'.repeat(40);
const log = { info: () => {}, warn: () => {}, error: () => {} };

let gh: FakeGitHub;
let dir: string;
beforeEach(async () => {
  gh = await startFakeGitHub({ files: { 'README.md': '# x\n' } });
  dir = await mkdtemp(join(tmpdir(), 'qr-at-'));
});
afterEach(async () => {
  await gh.close();
  await rm(dir, { recursive: true, force: true });
});

function store(workspace?: string): GitHubBranchStore {
  return new GitHubBranchStore(githubClient('ghs_fake_token', { baseUrl: gh.url, log }), {
    owner: 'octo-org',
    repo: 'mail-releases',
    branch: 'main',
    ledgerDir: 'releases.ledger',
    releasesPath: 'releases.yaml',
    key: LEDGER_KEY,
    ...(workspace ? { workspace } : {}),
    commitMessage: () => 'x',
    log,
  });
}

const calls = (since: number) =>
  gh
    .requests()
    .slice(since)
    .map((q) => `${q.method} ${decodeURIComponent(q.path).split('?')[0]}`);

describe('GitHubBranchStore.readReleasesAt', () => {
  it('the head it read costs nothing; an older commit costs one contents request', async () => {
    const pushed = gh.commitFiles('main', { 'releases.yaml': 'version: 1 # pushed\n' }, 'one');
    const head = gh.commitFiles('main', { 'releases.yaml': 'version: 1 # head\n' }, 'two');
    const s = store();
    expect(await s.readReleases()).toEqual({ ok: true, text: 'version: 1 # head\n' });
    const before = gh.requests().length;
    expect(await s.readReleasesAt(head)).toEqual({ ok: true, text: 'version: 1 # head\n' });
    expect(calls(before)).toEqual([]);
    expect(await s.readReleasesAt(pushed)).toEqual({ ok: true, text: 'version: 1 # pushed\n' });
    expect(calls(before)).toEqual(['GET /repos/octo-org/mail-releases/contents/releases.yaml']);
  });

  it('reads the checkout when it is at that commit, and asks GitHub when it is not', async () => {
    const pushed = gh.commitFiles('main', { 'releases.yaml': 'version: 1 # pushed\n' }, 'one');
    gh.commitFiles('main', { 'releases.yaml': 'version: 1 # head\n' }, 'two');
    await mkdir(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(dir, '.git', 'refs', 'heads', 'main'), `${pushed}\n`);
    await writeFile(join(dir, 'releases.yaml'), 'version: 1 # pushed\n');
    const s = store(dir);
    await s.readReleases();
    const before = gh.requests().length;
    expect(await s.readReleasesAt(pushed)).toEqual({ ok: true, text: 'version: 1 # pushed\n' });
    expect(calls(before)).toEqual([]);

    await writeFile(join(dir, '.git', 'refs', 'heads', 'main'), `${SHA}\n`);
    expect(await store(dir).readReleasesAt(pushed)).toEqual({
      ok: true,
      text: 'version: 1 # pushed\n',
    });
    expect(calls(before).filter((c) => c.includes('/contents/'))).toHaveLength(1);
  });

  it('a commit without the file: not found, so nothing of it is in scope', async () => {
    const before = gh.headSha('main');
    gh.commitFiles('main', { 'releases.yaml': 'version: 1\n' }, 'add');
    const r = await store().readReleasesAt(before);
    expect(r).toMatchObject({
      ok: false,
      error: { message: `file not found at commit ${before.slice(0, 7)}` },
    });
  });

  it('above 1 MB the contents answer has no content: the blob is read', async () => {
    const big = `version: 1\n${'# padding\n'.repeat(120_000)}`;
    const pushed = gh.commitFiles('main', { 'releases.yaml': big }, 'big');
    gh.commitFiles('main', { 'releases.yaml': 'version: 1\n' }, 'small');
    const s = store();
    await s.readReleases();
    const before = gh.requests().length;
    expect(await s.readReleasesAt(pushed)).toEqual({ ok: true, text: big });
    expect(calls(before).map((c) => c.replace(/[0-9a-f]{40}$/, 'SHA'))).toEqual([
      'GET /repos/octo-org/mail-releases/contents/releases.yaml',
      'GET /repos/octo-org/mail-releases/git/blobs/SHA',
    ]);
  });
});

describe('checkedOutCommit', () => {
  it('reads a detached HEAD, a loose branch ref and a packed one', async () => {
    await mkdir(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    await writeFile(join(dir, '.git', 'HEAD'), `${SHA}\n`);
    expect(await checkedOutCommit(dir)).toBe(SHA);
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(
      join(dir, '.git', 'packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${'b'.repeat(40)} refs/heads/dev\n${'c'.repeat(40)} refs/heads/main\n^${'d'.repeat(40)}\n`,
    );
    expect(await checkedOutCommit(dir)).toBe('c'.repeat(40));
    await writeFile(join(dir, '.git', 'refs', 'heads', 'main'), `${SHA}\n`);
    expect(await checkedOutCommit(dir)).toBe(SHA);
  });

  it('answers "unknown" for anything else, so the API is asked', async () => {
    expect(await checkedOutCommit(dir)).toBeUndefined();
    // A worktree or submodule: .git is a file.
    await writeFile(join(dir, '.git'), 'gitdir: /elsewhere\n');
    expect(await checkedOutCommit(dir)).toBeUndefined();
    await rm(join(dir, '.git'));
    await mkdir(join(dir, '.git'));
    for (const head of ['ref: refs/heads/../../../etc/passwd', 'ref: HEAD', 'garbage', '']) {
      await writeFile(join(dir, '.git', 'HEAD'), head);
      expect(await checkedOutCommit(dir), head).toBeUndefined();
    }
    expect(packedRef(`${SHA} refs/heads/main\n`, 'refs/heads/other')).toBeUndefined();
  });
});
