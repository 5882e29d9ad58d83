// The drift check's cursor committed through the ledger store: other accounts' lines are
// kept, and a branch that moves under the commit is re-read and merged, not overwritten.
import { Octokit as Core } from '@octokit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { GitHubBranchStore } from '../../src/adapters/github/branch-store.js';
import { GitHubCheckState } from '../../src/adapters/github/check-state.js';
import type { GitHubClient } from '../../src/adapters/github/octokit.js';
import { type CheckCursor, serializeCursor } from '../../src/core/check/cursor.js';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/factories.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/index.js';
import { collectingLogger } from '../support/memory.js';
import { LEDGER_KEY } from '../support/sealed.js';

const PATH = 'releases.ledger/check-cursor.ndjson';
const SHARD = 'releases.ledger/2026-11.jsonl';

const line = (account: string, after: string, at: string): CheckCursor => ({
  v: 1,
  account_id: account,
  after,
  pass_started: '2026-11-01T00:00:00.000Z',
  at,
});

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(files: Record<string, string>) {
  fake = await startFakeGitHub({ files: { 'README.md': '# releases\n', ...files } });
  // No throttling plugin: its pacing of writes would only slow the test down.
  const gh = new Core({ auth: 'ghs_fake_token', baseUrl: fake.url }) as unknown as GitHubClient;
  const store = new GitHubBranchStore(gh, {
    owner: 'octo-org',
    repo: 'mail-releases',
    branch: 'main',
    ledgerDir: 'releases.ledger',
    releasesPath: 'releases.yaml',
    key: LEDGER_KEY,
    extraFiles: [PATH],
    commitMessage: () => 'ledger',
    log: collectingLogger(),
  });
  return { fake, store, state: new GitHubCheckState(store, PATH, 'drift check cursor [skip ci]') };
}

describe('GitHubCheckState', () => {
  it('reads the file at the head, and saves ours beside the other accounts, ledger untouched', async () => {
    const theirs = serializeCursor(line(OTHER_ACCOUNT, 'Q0000000000B', '2026-11-02T00:00:00.000Z'));
    const { fake, state } = await setup({ [PATH]: `${theirs}\n`, [SHARD]: '' });
    expect(await state.read()).toEqual({ kind: 'text', text: `${theirs}\n` });
    await state.write([line(ACCOUNT, 'Q0000000000A', '2026-11-03T00:00:00.000Z')]);
    const lines = (fake.readFile(PATH) ?? '').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).account_id)).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    // Every commit of the tool carries the ledger's seal (here: of the empty shard).
    expect(fake.commits('main')[0]?.message).toMatch(
      /^drift check cursor \[skip ci\]\n\nLedger-Seal: v1 parent=[0-9a-f]{40} mac=[0-9a-f]{64}\nLedger-Shard: 2026-11\.jsonl 0 [0-9a-f]{64}\n$/,
    );
    expect(fake.readFile(SHARD)).toBe('');
  });

  it('a missing file reads as missing', async () => {
    const { state } = await setup({});
    expect(await state.read()).toEqual({ kind: 'missing' });
  });

  it('when another check saved its cursor meanwhile, merges on the new head', async () => {
    const { fake, state, store } = await setup({});
    await store.sync();
    const theirs = serializeCursor(line(OTHER_ACCOUNT, 'Q0000000000C', '2026-11-04T00:00:00.000Z'));
    fake.moveBranchBeforeNextRefUpdate({ [PATH]: `${theirs}\n` });
    await state.write([line(ACCOUNT, 'Q0000000000A', '2026-11-05T00:00:00.000Z')]);
    const saved = (fake.readFile(PATH) ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(saved.map((c) => [c.account_id, c.after])).toEqual([
      [ACCOUNT, 'Q0000000000A'],
      [OTHER_ACCOUNT, 'Q0000000000C'],
    ]);
  });
});
