import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/index.js';
import { appendWithCas, type Octokit, plainOctokit, rejected, repo } from './helpers.js';

const LEDGER = 'releases.ledger/2026-11.jsonl';

/** What `git hash-object -t <type>` prints for this content. */
function gitHash(type: string, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

function treeObject(entries: Array<[mode: string, name: string, sha: string]>): Buffer {
  return Buffer.concat(
    entries.flatMap(([mode, name, sha]) => [
      Buffer.from(`${mode} ${name}\0`),
      Buffer.from(sha, 'hex'),
    ]),
  );
}

let fake: FakeGitHub;
let octokit: Octokit;

beforeEach(async () => {
  fake = await startFakeGitHub({
    files: { 'README.md': '# releases\n', [LEDGER]: '{"id":"a"}\n' },
  });
  octokit = plainOctokit(fake);
});

afterEach(async () => {
  await fake.close();
});

describe('object ids', () => {
  it('gives blobs the sha git computes', async () => {
    const content = 'hello\n';
    const { data, status } = await octokit.rest.git.createBlob({ ...repo, content });
    expect(status).toBe(201);
    expect(data.sha).toBe(gitHash('blob', Buffer.from(content)));
    expect(data.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');

    const binary = Buffer.from([0, 1, 2, 255]);
    const { data: b64 } = await octokit.rest.git.createBlob({
      ...repo,
      content: binary.toString('base64'),
      encoding: 'base64',
    });
    expect(b64.sha).toBe(gitHash('blob', binary));
  });

  it('gives trees the sha git computes, entries in git order', async () => {
    const blob = gitHash('blob', Buffer.from('x\n'));
    const { data } = await octokit.rest.git.createTree({
      ...repo,
      tree: [
        { path: 'a/x', mode: '100644', type: 'blob', content: 'x\n' },
        { path: 'a.b', mode: '100644', type: 'blob', content: 'x\n' },
      ],
    });
    // "a.b" sorts before the directory "a" because git compares it as "a/".
    expect(data.tree.map((e) => [e.path, e.type])).toEqual([
      ['a.b', 'blob'],
      ['a', 'tree'],
    ]);
    const inner = gitHash('tree', treeObject([['100644', 'x', blob]]));
    expect(data.sha).toBe(
      gitHash(
        'tree',
        treeObject([
          ['100644', 'a.b', blob],
          ['40000', 'a', inner],
        ]),
      ),
    );
  });

  it('starts an empty repository on the empty tree', async () => {
    const empty = await startFakeGitHub();
    try {
      const { data } = await plainOctokit(empty).rest.git.getCommit({
        ...repo,
        commit_sha: empty.headSha(),
      });
      expect(data.tree.sha).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
      expect(data.parents).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});

describe('reading', () => {
  it('walks ref, commit, tree and blob', async () => {
    const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(ref).toMatchObject({ ref: 'refs/heads/main', object: { type: 'commit' } });
    expect(ref.object.sha).toBe(fake.headSha());

    const { data: commit } = await octokit.rest.git.getCommit({
      ...repo,
      commit_sha: ref.object.sha,
    });
    const { data: tree } = await octokit.rest.git.getTree({
      ...repo,
      tree_sha: commit.tree.sha,
      recursive: '1',
    });
    expect(tree.truncated).toBe(false);
    expect(tree.tree.map((e) => [e.path, e.type, e.mode])).toEqual([
      ['README.md', 'blob', '100644'],
      ['releases.ledger', 'tree', '040000'],
      [LEDGER, 'blob', '100644'],
    ]);

    const top = await octokit.rest.git.getTree({ ...repo, tree_sha: commit.tree.sha });
    expect(top.data.tree.map((e) => e.path)).toEqual(['README.md', 'releases.ledger']);

    const ledgerSha = tree.tree.find((e) => e.path === LEDGER)?.sha ?? '';
    const { data: blob } = await octokit.rest.git.getBlob({ ...repo, file_sha: ledgerSha });
    expect(blob.encoding).toBe('base64');
    expect(blob.size).toBe(11);
    expect(Buffer.from(blob.content, 'base64').toString('utf8')).toBe('{"id":"a"}\n');
  });

  it('wraps base64 content at 60 characters like GitHub', async () => {
    const text = 'x'.repeat(200);
    fake.commitFiles('main', { 'big.txt': text }, 'add big file');
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: 'big.txt' });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    const lines = data.content.split('\n');
    expect(lines.slice(0, -2).every((l) => l.length === 60)).toBe(true);
    expect(lines.at(-1)).toBe('');
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe(text);
  });

  it('serves files and directories through the contents API', async () => {
    const { data: file } = await octokit.rest.repos.getContent({ ...repo, path: LEDGER });
    expect(file).toMatchObject({ type: 'file', encoding: 'base64', path: LEDGER, size: 11 });

    const { data: dir } = await octokit.rest.repos.getContent({ ...repo, path: 'releases.ledger' });
    expect(Array.isArray(dir) && dir.map((e) => [e.type, e.path])).toEqual([['file', LEDGER]]);

    const old = fake.headSha();
    fake.commitFiles('main', { [LEDGER]: null }, 'drop ledger');
    expect((await rejected(octokit.rest.repos.getContent({ ...repo, path: LEDGER }))).status).toBe(
      404,
    );
    const atOld = await octokit.rest.repos.getContent({ ...repo, path: LEDGER, ref: old });
    expect(atOld.status).toBe(200);
    const { data: root } = await octokit.rest.repos.getContent({ ...repo, path: '' });
    expect(Array.isArray(root) && root.map((e) => e.path)).toEqual(['README.md']);
  });

  it('stops inlining contents above 1 MB', async () => {
    fake.commitFiles('main', { 'huge.txt': 'x'.repeat(1024 * 1024 + 1) }, 'huge');
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: 'huge.txt' });
    expect(data).toMatchObject({ type: 'file', encoding: 'none', content: '' });
  });

  it('reports branches and 404s unknown refs and objects', async () => {
    const { data } = await octokit.rest.repos.getBranch({ ...repo, branch: 'main' });
    expect(data.commit.sha).toBe(fake.headSha());
    const missing = [
      () => octokit.rest.git.getRef({ ...repo, ref: 'heads/nope' }),
      () => octokit.rest.repos.getBranch({ ...repo, branch: 'nope' }),
      () => octokit.rest.git.getCommit({ ...repo, commit_sha: '0'.repeat(40) }),
      () => octokit.rest.git.getBlob({ ...repo, file_sha: fake.headSha() }),
    ];
    for (const call of missing) expect((await rejected(call())).status).toBe(404);
  });
});

describe('committing back', () => {
  it('commits with compare-and-swap in eight calls, signed and authored by the bot', async () => {
    const before = fake.headSha();
    fake.resetRequests();
    const { sha, attempts } = await appendWithCas(octokit, { path: LEDGER, text: '{"id":"b"}\n' });

    expect(attempts).toBe(1);
    expect(fake.headSha()).toBe(sha);
    expect(fake.readFile(LEDGER)).toBe('{"id":"a"}\n{"id":"b"}\n');
    expect(fake.readFile('README.md')).toBe('# releases\n');
    expect(fake.requests().map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'GET 200',
      'GET 200',
      'GET 200',
      'POST 201',
      'POST 201',
      'POST 201',
      'PATCH 200',
    ]);

    const { data: commit } = await octokit.rest.git.getCommit({ ...repo, commit_sha: sha });
    expect(commit.parents.map((p) => p.sha)).toEqual([before]);
    expect(commit.author.name).toBe('github-actions[bot]');
    expect(commit.committer.name).toBe('GitHub');
    expect(commit.verification?.verified).toBe(true);

    const history = fake.commits();
    expect(history.map((c) => c.sha)).toEqual([sha, before]);
    expect(history[0]?.message).toBe(`ledger: append to ${LEDGER}`);
    expect(history[1]?.files[LEDGER]).toBe('{"id":"a"}\n');
  });

  it('refuses a ref update that is not a fast forward unless forced', async () => {
    const base = fake.headSha();
    const { data: baseCommit } = await octokit.rest.git.getCommit({ ...repo, commit_sha: base });
    const { data: ours } = await octokit.rest.git.createCommit({
      ...repo,
      message: 'ours',
      tree: baseCommit.tree.sha,
      parents: [base],
    });
    const theirs = fake.commitFiles('main', { 'other.txt': 'x' }, 'theirs');

    const refused = await rejected(
      octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: ours.sha }),
    );
    expect(refused.status).toBe(422);
    expect(refused.data).toMatchObject({ message: 'Update is not a fast forward', status: '422' });
    expect(fake.headSha()).toBe(theirs);

    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: ours.sha, force: true });
    expect(fake.headSha()).toBe(ours.sha);
  });

  it('survives a concurrent push: the update 422s, a re-read and re-commit keep both', async () => {
    fake.moveBranchBeforeNextRefUpdate({ 'releases.ledger/other.jsonl': '{"id":"x"}\n' });
    fake.resetRequests();
    const { attempts } = await appendWithCas(octokit, { path: LEDGER, text: '{"id":"b"}\n' });

    expect(attempts).toBe(2);
    const patches = fake.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.status)).toEqual([422, 200]);
    expect(fake.readFile(LEDGER)).toBe('{"id":"a"}\n{"id":"b"}\n');
    expect(fake.readFile('releases.ledger/other.jsonl')).toBe('{"id":"x"}\n');
    expect(fake.commits().map((c) => c.message)).toEqual([
      `ledger: append to ${LEDGER}`,
      'Concurrent push',
      'Initial commit',
    ]);
  });

  it('serves stale reads after a write, and compare-and-swap still loses nothing', async () => {
    const first = await appendWithCas(octokit, { path: LEDGER, text: '{"id":"b"}\n' });
    const previous = fake.commits()[1]?.sha;

    fake.staleReads(1);
    const stale = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(stale.data.object.sha).toBe(previous);
    const fresh = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(fresh.data.object.sha).toBe(first.sha);

    fake.staleReads(1);
    const second = await appendWithCas(octokit, { path: LEDGER, text: '{"id":"c"}\n' });
    expect(second.attempts).toBe(2);
    expect(fake.readFile(LEDGER)).toBe('{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n');
  });
});

describe('creating trees', () => {
  async function headTree(): Promise<string> {
    const { data } = await octokit.rest.git.getCommit({ ...repo, commit_sha: fake.headSha() });
    return data.tree.sha;
  }

  it('deletes with sha null and drops directories left empty', async () => {
    const { data } = await octokit.rest.git.createTree({
      ...repo,
      base_tree: await headTree(),
      tree: [{ path: LEDGER, mode: '100644', type: 'blob', sha: null }],
    });
    expect(data.tree.map((e) => e.path)).toEqual(['README.md']);
  });

  it('answers 422 the way GitHub does for bad entries', async () => {
    const base = await headTree();
    const cases: Array<[entry: Record<string, unknown>, message: string]> = [
      [{ path: 'missing.txt', sha: null }, 'GitRPC::BadObjectState'],
      [
        { path: 'x.txt' },
        'Must supply either tree.sha or tree.content. Request will be rejected if both are present.',
      ],
      [{ path: 'x.txt', sha: '1'.repeat(40) }, `tree.sha ${'1'.repeat(40)} is not a valid blob`],
    ];
    for (const [entry, message] of cases) {
      const response = await rejected(
        octokit.request('POST /repos/{owner}/{repo}/git/trees', {
          ...repo,
          base_tree: base,
          tree: [{ mode: '100644', type: 'blob', ...entry }],
        }),
      );
      expect(response.status).toBe(422);
      expect(response.data).toMatchObject({ message });
    }
  });

  it('refuses commits on trees or parents that do not exist', async () => {
    const tree = await headTree();
    const badTree = await rejected(
      octokit.rest.git.createCommit({ ...repo, message: 'm', tree: '2'.repeat(40), parents: [] }),
    );
    expect(badTree.data).toMatchObject({ message: 'Tree SHA does not exist' });
    const badParent = await rejected(
      octokit.rest.git.createCommit({ ...repo, message: 'm', tree, parents: ['3'.repeat(40)] }),
    );
    expect(badParent.data).toMatchObject({
      message: 'Parent SHA does not exist or is not a commit object',
    });
  });
});
