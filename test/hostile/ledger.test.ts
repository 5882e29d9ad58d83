// A broken or hostile ledger (releases.ledger/*.jsonl), end to end through the bundled CLI
// (plan and apply) and the bundled action. A corrupt ledger is refused with its file and line,
// nothing is planned, nothing is sent, and not a byte of the ledger changes. The one tolerated
// defect is a torn last line (a write cut short by a crash): plan skips it with a warning and
// the next apply drops it before appending.

import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SHARD_BYTES } from '../../src/adapters/files/read-input.js';
import { shardNameFor } from '../../src/core/ledger/record.js';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { parseShard } from '../support/factories.js';
import { commitSealed, LEDGER_KEY } from '../support/sealed.js';
import {
  ACCOUNT,
  cli,
  type DistRun,
  expectCleanOutput,
  expectOnlyOwnCommands,
  expectRefused,
  ledgerLine,
  releasesYaml,
  removeDir,
  SOME_ID,
  snapshot,
  tempDir,
} from './fixtures/harness.js';

let emulator: Emulator;
let env: Record<string, string>;
const folders: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ messagesPerAccount: 20 });
  env = { CLOUDFLARE_API_BASE_URL: emulator.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
});
afterAll(async () => {
  await emulator.close();
  for (const dir of folders) await removeDir(dir);
});

interface Work {
  dir: string;
  ledgerDir: string;
  shard(name?: string): string;
  /** The shard apply writes to now: a torn tail is repaired in the shard being appended to. */
  current(): string;
  /** `path:line:1: message` for a file of the ledger. */
  at(name: string, line: number, message: string): string;
  /** plan and apply both refuse with `message`; nothing is sent and nothing changes. */
  expectCorrupt(message: RegExp | string): Promise<{ plan: DistRun; apply: DistRun }>;
}

/** A folder with a valid releases.yaml and an empty ledger directory, for one case. */
async function workFolder(): Promise<Work> {
  const dir = await tempDir();
  folders.push(dir);
  await writeFile(join(dir, 'releases.yaml'), releasesYaml([SOME_ID]));
  const ledgerDir = join(dir, 'releases.ledger');
  await mkdir(ledgerDir);
  const shard = (name = '2026-11.jsonl') => join(ledgerDir, name);
  return {
    dir,
    ledgerDir,
    shard,
    current: () => shard(shardNameFor(new Date().toISOString())),
    at: (name, line, message) => `${join(ledgerDir, name)}:${line}:1: ${message}`,
    async expectCorrupt(message) {
      const before = await snapshot(dir);
      const [plan, apply] = await Promise.all([
        cli(dir, ['plan'], env),
        cli(dir, ['apply', '--unreviewed', '--timeout-seconds', '5'], env),
      ]);
      expectRefused(plan, 1, message);
      expect(plan.stderr).toContain(
        'The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.',
      );
      expectRefused(apply, 1, message);
      expect(apply.stderr).toContain(
        'The ledger is corrupt, or was changed outside quarantine-release: nothing was sent. Repair it first.',
      );
      expect(emulator.truth().requests, 'no API call').toEqual([]);
      expect(await snapshot(dir), 'the ledger is byte-identical').toEqual(before);
      return { plan, apply };
    },
  };
}

/** A quarantined message of the emulator, safe to release. */
function quarantinedId(): string {
  const m = emulator
    .messages(ACCOUNT)
    .find(
      (x) =>
        x.details.is_quarantined &&
        ['SPAM', 'BULK'].includes(x.details.final_disposition) &&
        x.action_log.length === 0,
    );
  if (!m) throw new Error('no quarantined message');
  return m.details.id;
}

describe('a torn last line (a write cut short)', () => {
  beforeEach(() => emulator.reset());

  const torn = () =>
    `${ledgerLine({ seq: 1, state: 'pending' })}\n{"v":1,"account_id":"${ACCOUNT}","id":"${SOME_ID}","seq":2,"att`;

  it('plan warns with the file, plans the message for read-back, and writes nothing', async () => {
    const w = await workFolder();
    await writeFile(w.current(), torn());
    const before = await snapshot(w.dir);
    const plan = await cli(w.dir, ['plan'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr.split('\n')).toContain(
      `warning: ${w.current()}: ignoring an incomplete last line (${torn().length - torn().indexOf('\n') - 1} characters) left by an interrupted write; nothing was sent in its name`,
    );
    expect(plan.stdout).toContain(`? verify   ${SOME_ID}  pending since 2026-11-20T10:00:00.000Z`);
    expectCleanOutput(plan);
    expect(await snapshot(w.dir)).toEqual(before);
    expect(emulator.truth().requests).toEqual([]);
  });

  it('apply drops the fragment before appending, reads the message back, and sends it once', async () => {
    const w = await workFolder();
    const id = quarantinedId();
    await writeFile(join(w.dir, 'releases.yaml'), releasesYaml([id]));
    const first = ledgerLine({ id, seq: 1, state: 'pending' });
    await writeFile(
      w.current(),
      `${first}\n{"v":1,"account_id":"${ACCOUNT}","id":"${id}","seq":2,"sta`,
    );
    const r = await cli(w.dir, ['apply', '--unreviewed', '--format', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('dropped an incomplete last line');
    expect(JSON.parse(r.stdout).results).toMatchObject([{ id, state: 'released' }]);
    const posts = emulator
      .truth()
      .requests.filter((q) => q.method === 'POST')
      .flatMap((q) => q.ids ?? []);
    expect(posts).toEqual([id]);
    // The shard: the first line, then the new records; no fragment, every line whole.
    const text = await readFile(w.current(), 'utf8');
    expect(text.startsWith(`${first}\n`)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('"sta\n');
    const parsed = parseShard(text, w.current());
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((x) => x.record.state)).toEqual(['pending', 'pending', 'released']);
  });

  // A crash can cut a write anywhere, also inside a multi-byte UTF-8 character (a reason with
  // "é", a name in Cyrillic): such a torn last line is tolerated like any other (plan warns
  // and plans, apply drops the fragment) instead of refusing the whole shard as not UTF-8.
  it('a torn last line cut inside a multi-byte character is tolerated like any other', async () => {
    const w = await workFolder();
    await writeFile(
      w.current(),
      Buffer.concat([
        Buffer.from(
          `${ledgerLine({ seq: 1, state: 'pending' })}\n{"v":1,"account_id":"${ACCOUNT}","id":"${SOME_ID}","seq":2,"attempt":1,"state":"pending","at":"2026-11-20T10:00:01.000Z","reason":"Caf`,
        ),
        Buffer.from([0xc3]),
      ]),
    );
    const plan = await cli(w.dir, ['plan'], env);
    expect(plan.stderr).not.toContain('not valid UTF-8');
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain('ignoring an incomplete last line');
  });

  it('a whole record without its newline (an edit by hand) is kept, and ended before the next append', async () => {
    const w = await workFolder();
    const id = quarantinedId();
    await writeFile(join(w.dir, 'releases.yaml'), releasesYaml([SOME_ID, id]));
    const kept = ledgerLine({ seq: 1, state: 'released', via: 'release', delivered: [] });
    await writeFile(w.current(), kept);
    const plan = await cli(w.dir, ['plan'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`= released ${SOME_ID}`);
    const apply = await cli(w.dir, ['apply', '--unreviewed'], env);
    expect(apply.code, apply.stderr).toBe(0);
    const lines = (await readFile(w.current(), 'utf8')).split('\n');
    expect(lines[0]).toBe(kept);
    expect(lines.slice(1, -1).every((l) => l.includes(`"id":"${id}"`))).toBe(true);
  });
});

describe.concurrent('a corrupt ledger is refused with its file and line', () => {
  // None of these may reach the API: start from an empty log (the cases above did release).
  beforeAll(() => emulator.reset());

  it('a corrupt line in the middle', async () => {
    const w = await workFolder();
    await writeFile(
      w.shard(),
      `${ledgerLine({ seq: 1 })}\n{"v":1,"account_id":"${ACCOUNT}","id\n${ledgerLine({ seq: 2, state: 'released' })}\n`,
    );
    await w.expectCorrupt(w.at('2026-11.jsonl', 2, 'not a JSON record'));
  });

  it('a record with an unknown state', async () => {
    const w = await workFolder();
    await writeFile(w.shard(), `${ledgerLine().replace('"pending"', '"exploded"')}\n`);
    await w.expectCorrupt(
      w.at(
        '2026-11.jsonl',
        1,
        'unknown state "exploded"; expected one of pending, released, partial, failed, unknown',
      ),
    );
  });

  it('a record of a later format version (v: 2)', async () => {
    const w = await workFolder();
    await writeFile(
      w.shard(),
      `${ledgerLine({ seq: 1 })}\n${ledgerLine({ seq: 2 }).replace('"v":1', '"v":2')}\n`,
    );
    await w.expectCorrupt(
      w.at(
        '2026-11.jsonl',
        2,
        'record format v=2 is not supported by this version of quarantine-release',
      ),
    );
  });

  it('a record with an unknown field', async () => {
    const w = await workFolder();
    await writeFile(
      w.shard(),
      `${ledgerLine().replace('"seq"', '"reviewed_by":"mallory","seq"')}\n`,
    );
    await w.expectCorrupt(w.at('2026-11.jsonl', 1, 'unknown field "reviewed_by" in record'));
  });

  it('a record with a __proto__ field is an unknown field, not a prototype', async () => {
    const w = await workFolder();
    await writeFile(
      w.shard(),
      `${ledgerLine().replace('"seq"', '"__proto__":{"state":"released"},"seq"')}\n`,
    );
    await w.expectCorrupt(w.at('2026-11.jsonl', 1, 'unknown field "__proto__" in record'));
  });

  it('a record whose id is a workflow command is refused, and shown escaped', async () => {
    const w = await workFolder();
    await writeFile(w.shard(), `${ledgerLine().replace(SOME_ID, '::error::owned @org/team')}\n`);
    const { plan } = await w.expectCorrupt(
      `${join(w.ledgerDir, '2026-11.jsonl')}:1:1: invalid field id`,
    );
    expect(plan.stderr).not.toContain('::error::owned');
  });

  it('invalid UTF-8 in a line that is not the last', async () => {
    const w = await workFolder();
    await writeFile(
      w.shard(),
      Buffer.concat([
        Buffer.from(`${ledgerLine({ seq: 1 })}\n`),
        Buffer.from([0xff, 0xfe, 0x0a]),
        Buffer.from(`${ledgerLine({ seq: 2, state: 'released' })}\n`),
      ]),
    );
    await w.expectCorrupt(w.at('2026-11.jsonl', 1, 'not valid UTF-8 text'));
  });

  it.each(['notes.jsonl', '2026-13.jsonl'])(
    'a .jsonl file whose name is not a UTC month: %s',
    async (name) => {
      const w = await workFolder();
      await writeFile(w.shard(name), `${ledgerLine()}\n`);
      await w.expectCorrupt(
        w.at(name, 1, 'not a ledger shard name: shards are named by UTC month, e.g. 2026-11.jsonl'),
      );
    },
  );

  it('two more near misses at once (2026-1.jsonl, 2026-11.jsonl.jsonl): both reported', async () => {
    const w = await workFolder();
    await writeFile(w.shard('2026-1.jsonl'), `${ledgerLine()}\n`);
    await writeFile(w.shard('2026-11.jsonl.jsonl'), `${ledgerLine()}\n`);
    const { plan } = await w.expectCorrupt(w.at('2026-1.jsonl', 1, 'not a ledger shard name'));
    expect(plan.stderr).toContain(w.at('2026-11.jsonl.jsonl', 1, 'not a ledger shard name'));
  });

  it('a ledger "directory" that is a file', async () => {
    const w = await workFolder();
    await removeDir(w.ledgerDir);
    await writeFile(w.ledgerDir, `${ledgerLine()}\n`);
    await w.expectCorrupt(`${w.ledgerDir}:1:1: cannot read the ledger directory: ENOTDIR`);
  });

  it('a shard just over the 256 MiB cap (sparse) is refused before a byte is read', async () => {
    const w = await workFolder();
    const handle = await open(w.shard(), 'w');
    try {
      await handle.truncate(MAX_SHARD_BYTES + 1);
    } finally {
      await handle.close();
    }
    await w.expectCorrupt(
      w.at(
        '2026-11.jsonl',
        1,
        `file is too large (${MAX_SHARD_BYTES + 1} bytes, limit ${MAX_SHARD_BYTES})`,
      ),
    );
  });

  // As root every file is readable, so the refusal cannot be produced here.
  it.skipIf(process.getuid?.() === 0)('an unreadable shard (mode 000)', async () => {
    const w = await workFolder();
    await writeFile(w.shard(), `${ledgerLine()}\n`);
    await chmod(w.shard(), 0o000);
    try {
      await w.expectCorrupt(w.at('2026-11.jsonl', 1, 'cannot open: EACCES'));
    } finally {
      await chmod(w.shard(), 0o644);
    }
  });

  it('a lock file naming another host, with hostile text, refuses apply (escaped)', async () => {
    const w = await workFolder();
    await writeFile(
      `${w.ledgerDir}.lock`,
      JSON.stringify({ pid: 1, host: 'evil\n::error::owned', since: '@org/team' }),
    );
    const before = await snapshot(w.dir);
    const apply = await cli(w.dir, ['apply', '--unreviewed'], env);
    expectRefused(
      apply,
      1,
      'the ledger is in use by another run (pid 1 on evil\\n:\u200b:error:\u200b:owned',
    );
    expect(emulator.truth().requests).toEqual([]);
    expect(await snapshot(w.dir)).toEqual(before);
  });
});

describe('tolerated encodings', () => {
  it('a shard with a byte-order mark and CRLF line endings (git autocrlf) reads as written', async () => {
    const w = await workFolder();
    const text = `\ufeff${ledgerLine({ seq: 1 })}\r\n${ledgerLine({ seq: 2, state: 'released', via: 'release', delivered: ['a@example.com'] })}\r\n`;
    await writeFile(w.shard(), text);
    const plan = await cli(w.dir, ['plan'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      `= released ${SOME_ID}  on 2026-11-20T10:00:00.000Z (1 delivered)`,
    );
  });
});

describe('a corrupt ledger through the action', () => {
  let s: ActionScenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('on a pull request: the line is annotated, the step fails, nothing else is called', async () => {
    s = await actionScenario();
    const yaml = releasesYaml(s.quarantined(1));
    s.gh.commitFiles(
      'feature-2',
      {
        'releases.yaml': yaml,
        'releases.ledger/2026-11.jsonl': `${ledgerLine()}\nnot json at all\n`,
      },
      'request',
    );
    s.gh.addPullRequest({ number: 2, head: 'feature-2', base: 'main', merged: false });
    const r = await s.run({ event: 'pull_request', pr: 2, sha: s.gh.headSha('feature-2') });
    expect(r.code).toBe(1);
    const annotations = r.annotations.filter((a) =>
      a.file?.endsWith('releases.ledger/2026-11.jsonl'),
    );
    // The pull request may not write the ledger at all, and its line 2 is not even a record.
    expect(annotations.map((a) => [a.level, a.line, a.col, a.message.split(':')[0]])).toEqual([
      ['error', 1, 1, 'added by this pull request'],
      ['error', 2, 1, 'not a JSON record'],
    ]);
    expect(r.stdout).toMatch(/^::error::2 problem\(s\) in the ledger; nothing can be planned$/m);
    expect(r.outputs['to-release']).toBe('0');
    expectOnlyOwnCommands(r.stdout, [DEFAULT_TOKEN, 'ghs_fake_token', LEDGER_KEY]);
    expect(s.emulator.truth().requests).toEqual([]);
  });

  it('on a push: refused before any commit or release request, the branch does not move', async () => {
    s = await actionScenario();
    const yaml = releasesYaml(s.quarantined(1));
    // The tool wrote the first line; a merge added the second.
    commitSealed(s.gh, { 'releases.ledger/2026-11.jsonl': `${ledgerLine()}\n` });
    const head = s.gh.commitFiles(
      'main',
      {
        'releases.yaml': yaml,
        'releases.ledger/2026-11.jsonl': `${ledgerLine()}\n${ledgerLine({ seq: 2 }).replace('"v":1', '"v":2')}\n`,
      },
      'merge',
    );
    const r = await s.run({ event: 'push' });
    expect(r.code).toBe(1);
    const errors = r.annotations.filter((a) => a.level === 'error' && a.file);
    expect(errors.map((a) => [a.file, a.line, a.message.split(':')[0]])).toEqual([
      ['releases.ledger/2026-11.jsonl', 2, 'added outside quarantine-release'],
      [
        'releases.ledger/2026-11.jsonl',
        2,
        'record format v=2 is not supported by this version of quarantine-release',
      ],
    ]);
    expect(r.stdout).toMatch(/problem\(s\) in the ledger: nothing was released/);
    // Reads only (the history is a GraphQL query): no commit.
    expect(r.github.filter((q) => q.method !== 'GET' && q.path !== '/graphql')).toEqual([]);
    expect(s.gh.headSha('main')).toBe(head);
    expect(s.emulator.truth().requests).toEqual([]);
  });

  it('on a push: a torn last line committed to the branch is refused, not guessed at', async () => {
    s = await actionScenario();
    commitSealed(s.gh, { 'releases.ledger/2026-11.jsonl': `${ledgerLine()}\n` });
    const head = s.gh.commitFiles(
      'main',
      {
        'releases.yaml': releasesYaml(s.quarantined(1)),
        'releases.ledger/2026-11.jsonl': `${ledgerLine()}\n{"v":1,"acc`,
      },
      'merge',
    );
    const r = await s.run({ event: 'push' });
    expect(r.code).toBe(1);
    const torn = r.annotations.find((a) => a.message.includes('incomplete last line'));
    expect(torn).toMatchObject({ file: 'releases.ledger/2026-11.jsonl', line: 2 });
    // Reads only (the history is a GraphQL query): no commit.
    expect(r.github.filter((q) => q.method !== 'GET' && q.path !== '/graphql')).toEqual([]);
    expect(s.gh.headSha('main')).toBe(head);
    expect(s.emulator.truth().requests).toEqual([]);
  });
});
