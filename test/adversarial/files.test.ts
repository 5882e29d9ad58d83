// Files that are not regular files where the CLI reads (issue 11, "Why" 6): a named pipe (FIFO)
// in the ledger folder, or as releases.yaml, used to block `plan` forever (an open() with no
// writer never returns, and SIGTERM did not end it). Each is refused at once with its path,
// nothing is sent and nothing is written. Every run here has a short timeout: a hang fails the
// test instead of stalling the suite.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDistCli } from '../support/cli.js';
import { type Scenario, scenario } from '../support/scenario.js';

/** Long enough for a run on a busy machine, far shorter than "forever". */
const TIMEOUT_MS = 15_000;

let s: Scenario;
beforeAll(async () => {
  s = await scenario();
});
afterAll(() => s.close());

/** A fresh work folder (under the scenario's) with a valid releases.yaml and a ledger folder. */
async function folder(name: string): Promise<string> {
  const dir = join(s.dir, name);
  await mkdir(join(dir, 'releases.ledger'), { recursive: true });
  const lines = ['version: 1', `account_id: ${s.account}`, 'releases:'];
  lines.push(`  - id: ${s.quarantined(1)[0]}`, '    reason: false positive');
  await writeFile(join(dir, 'releases.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

/** Every entry under `dir`: its type, and a regular file's text (a FIFO is never opened). */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    out[path] = e.isFile() ? await readFile(path, 'utf8') : e.isFIFO() ? 'fifo' : 'other';
  }
  return out;
}

const run = (dir: string, args: string[]) =>
  runDistCli(args, { cwd: dir, env: s.env, timeoutMs: TIMEOUT_MS });

describe.skipIf(process.platform === 'win32').concurrent('named pipes and other non-files', () => {
  it('a FIFO as a ledger shard: plan and apply refuse at once, naming it', async () => {
    const dir = await folder('fifo-shard');
    const fifo = join(dir, 'releases.ledger', '2026-11.jsonl');
    execFileSync('mkfifo', [fifo]);
    const before = await listing(dir);
    for (const args of [['plan'], ['apply', '--unreviewed', '--settle-seconds', '0']]) {
      const r = await run(dir, args);
      expect(r.signal, `${args[0]} was killed after ${TIMEOUT_MS} ms: it blocked`).toBeNull();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${fifo}:1:1: not a regular file`);
    }
    expect(s.releasePostsCount()).toBe(0);
    expect(await listing(dir), 'nothing written, no lock left').toEqual(before);
  });

  it('a FIFO as releases.yaml: plan refuses at once, naming it', async () => {
    const dir = await folder('fifo-releases');
    await rm(join(dir, 'releases.yaml'));
    execFileSync('mkfifo', [join(dir, 'releases.yaml')]);
    const r = await run(dir, ['plan']);
    expect(r.signal, 'plan blocked').toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('releases.yaml:1:1: not a regular file');
    expect(s.releasePostsCount()).toBe(0);
  });

  it('a FIFO as a ledger shard in the audit report: refused at once', async () => {
    const dir = await folder('fifo-audit');
    const fifo = join(dir, 'releases.ledger', '2026-11.jsonl');
    execFileSync('mkfifo', [fifo]);
    const r = await run(dir, ['audit']);
    expect(r.signal, 'audit blocked').toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${fifo}:1:1: not a regular file`);
  });

  it('a FIFO in the ledger folder that is not a shard (not *.jsonl) is left alone', async () => {
    const dir = await folder('fifo-other');
    execFileSync('mkfifo', [join(dir, 'releases.ledger', 'notes')]);
    const r = await run(dir, ['plan']);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(0);
  });

  it('a directory named like a shard is refused, naming it', async () => {
    const dir = await folder('dir-shard');
    await mkdir(join(dir, 'releases.ledger', '2026-11.jsonl'));
    const r = await run(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, 'releases.ledger', '2026-11.jsonl')}:1:1: not a regular file`,
    );
  });
});
