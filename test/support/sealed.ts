// Ledgers as quarantine-release itself leaves them: committed with a seal made with the key
// the tests give the action (see core/ledger/seal.ts), so a test can start from a ledger
// "the tool wrote" and then play someone else changing it.
import { makeSeal, sealTrailer } from '../../src/core/ledger/seal.js';
import type { FakeGitHub } from './fake-github/index.js';

/** The ledger key of the tests (an input of the action, an environment variable of the CLI). */
export const LEDGER_KEY = 'test-ledger-key-0123456789abcdef0123456789abcdef';

export const BOT_AUTHOR =
  'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';

/**
 * Commits `files` on `branch` the way the tool does: the ledger shards they leave (under
 * `ledgerDir`) sealed with `key`, in a commit on top of the branch head.
 */
export function commitSealed(
  gh: FakeGitHub,
  files: Record<string, string | null>,
  options: { branch?: string; ledgerDir?: string; key?: string; message?: string } = {},
): string {
  const branch = options.branch ?? 'main';
  const dir = options.ledgerDir ?? 'releases.ledger';
  const parent = gh.headSha(branch);
  const shards = new Map<string, string>();
  for (const path of gh.listFiles(parent))
    if (path.startsWith(`${dir}/`) && path.endsWith('.jsonl'))
      shards.set(path.slice(dir.length + 1), gh.readFile(path, parent) ?? '');
  for (const [path, text] of Object.entries(files)) {
    if (!path.startsWith(`${dir}/`)) continue;
    if (text === null) shards.delete(path.slice(dir.length + 1));
    else shards.set(path.slice(dir.length + 1), text);
  }
  const seal = makeSeal(
    options.key ?? LEDGER_KEY,
    parent,
    [...shards].map(([name, text]) => ({ name, text })),
  );
  const message = `${options.message ?? 'quarantine-release: ledger [skip ci]'}\n\n${sealTrailer(seal)}\n`;
  return gh.commitFiles(branch, files, message, BOT_AUTHOR);
}
