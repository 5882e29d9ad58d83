// The loader's corpus (test/fixtures/releases) end to end: every broken or hostile file run
// through the bundled CLI's validate, plan and apply against the emulator, the way users run
// them, and a few through the bundled action (plan on a pull request, apply on a push).
// test/core/releases-corpus.test.ts checks the loader's diagnostics in-process; this shows the
// commands give those same positions and refuse everything else: exit 1, each error at its
// file:line:col on stderr, nothing on stdout, no request to the API, the folder byte-identical.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeLogText } from '../../src/core/render/escape.js';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { actionScenario } from '../support/action.js';
import { REPO } from '../support/cli.js';
import { LEDGER_KEY } from '../support/sealed.js';
import {
  ACCOUNT,
  cli,
  expectCleanOutput,
  expectOnlyOwnCommands,
  expectRefused,
  removeDir,
  snapshot,
  tempDir,
} from './fixtures/harness.js';

const CORPUS = join(REPO, 'test', 'fixtures', 'releases');

interface Expected {
  line: number;
  column: number;
  message: string;
}

interface Fixture {
  name: string;
  bytes: Buffer;
  errors: Expected[];
}

async function corpus(): Promise<Fixture[]> {
  const names = (await readdir(CORPUS))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      bytes: await readFile(join(CORPUS, `${name}.yaml`)),
      errors: (
        JSON.parse(await readFile(join(CORPUS, `${name}.expect.json`), 'utf8')) as {
          errors: Expected[];
        }
      ).errors,
    })),
  );
}

// Read before the tests are collected, so each fixture is its own test case.
const FIXTURES = await corpus();
const INVALID = FIXTURES.filter((f) => f.errors.length > 0);
const VALID = FIXTURES.filter((f) => f.errors.length === 0);

/** The `line:column` of every line of a refusal, in order (a line without one shows as is). */
function positions(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => /^releases\.yaml:(\d+):(\d+): /.exec(l)?.slice(1, 3).join(':') ?? l);
}

// One emulator for every run: none of them may reach it.
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

/** A work folder with the fixture as releases.yaml and a ledger of one record. */
async function folder(fixture: Fixture): Promise<string> {
  const dir = await tempDir('qr-corpus-');
  folders.push(dir);
  await writeFile(join(dir, 'releases.yaml'), fixture.bytes);
  await mkdir(join(dir, 'releases.ledger'));
  await writeFile(
    join(dir, 'releases.ledger', '2026-11.jsonl'),
    `{"v":1,"account_id":"${ACCOUNT}","id":"AAAAA11111","seq":1,"attempt":1,"state":"released","at":"2026-11-20T10:00:00.000Z","via":"release","delivered":["a@example.com"]}\n`,
  );
  return dir;
}

// Every broken file goes through apply, the command with credentials, a lock and a ledger to
// write; the YAML features a reviewer can be fooled by (merge keys, tags, several documents,
// anchors and aliases, duplicate keys) and the encodings and hostile text go through
// validate and plan too. Every command for every file would be 230 processes: too slow here.
const EVERY_COMMAND =
  /^(merge-key|tag-|multiple-documents|anchor|alias|duplicate-key|flow-style-duplicate|bom-|crlf-|empty$|id-workflow-command|id-newline|reason-bidi|reason-control|deep-flow$|syntax-unclosed-quote|proto-key-top)/;

/** Runs the commands on the fixture and checks each refused it exactly as the loader does. */
async function expectCorpusRefusal(fixture: Fixture, commands: readonly string[]): Promise<void> {
  const dir = await folder(fixture);
  const before = await snapshot(dir);
  const runs = await Promise.all(
    commands.map((c) =>
      cli(dir, c === 'apply' ? ['apply', '--unreviewed', '--timeout-seconds', '5'] : [c], env),
    ),
  );
  runs.forEach((r, k) => {
    const command = commands[k];
    expectRefused(r, 1, /^releases\.yaml:\d+:\d+: /m);
    // The loader's errors, at the same positions, in the same order, nothing else.
    expect(positions(r.stderr), command).toEqual(
      fixture.errors.map((e) => `${e.line}:${e.column}`),
    );
    const lines = r.stderr.split('\n');
    fixture.errors.forEach((e, i) => {
      expect(lines[i], command).toContain(escapeLogText(e.message, 1000));
    });
  });
  expect(emulator.truth().requests, 'no API call').toEqual([]);
  expect(await snapshot(dir), 'the folder is byte-identical').toEqual(before);
}

describe.concurrent('the broken files of the corpus, through the bundled CLI', () => {
  it('the corpus is all here, and every category named runs through every command', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(70);
    const everyCommand = INVALID.map((f) => f.name).filter((n) => EVERY_COMMAND.test(n));
    for (const name of [
      'merge-key',
      'merge-key-no-anchor',
      'tag-custom',
      'tag-binary',
      'multiple-documents',
      'anchor',
      'alias',
      'alias-bomb',
      'duplicate-key-top',
      'duplicate-key-entry',
      'bom-version-2',
      'crlf-errors',
    ])
      expect(everyCommand).toContain(name);
    expect(everyCommand.length).toBeGreaterThanOrEqual(20);
  });

  // A few fixtures at once (vitest's maxConcurrency), each with its commands at once.
  it.each(INVALID.map((f) => [f.name, f] as const))('%s', async (name, fixture) => {
    await expectCorpusRefusal(
      fixture,
      EVERY_COMMAND.test(name) ? ['validate', 'plan', 'apply'] : ['apply'],
    );
  });
});

describe.concurrent('the valid files of the corpus', () => {
  it.each(VALID.map((f) => [f.name, f] as const))(
    '%s: validate and plan accept it',
    async (_name, fixture) => {
      const dir = await folder(fixture);
      const before = await snapshot(dir);
      const validate = await cli(dir, ['validate']);
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toMatch(
        /^releases\.yaml: valid \(\d+ entr(y|ies), \d+ accounts?\)\n$/,
      );
      // Without credentials: the ids are made up, so a lookup would refuse them.
      const plan = await cli(dir, ['plan']);
      if (/^\s+retry:/m.test(fixture.bytes.toString())) {
        // A valid retry field, but this (empty) ledger never sent the message: plan refuses it.
        expect(plan.code).toBe(1);
        expect(plan.stdout).toMatch(
          /x REFUSED .* retry refused: the ledger has no earlier attempt/,
        );
      } else {
        expect(plan.code, plan.stderr).toBe(0);
        expectCleanOutput(plan);
      }
      expect(await snapshot(dir)).toEqual(before);
    },
  );
});

describe('a few of them through the bundled action', () => {
  // The YAML features a reviewer can be fooled by, each refused at its own line.
  const NAMES = [
    'merge-key',
    'tag-custom',
    'multiple-documents',
    'alias',
    'duplicate-key-entry',
    'duplicate-key-top',
  ];

  it('plan on a pull request: an annotation at each error; apply on push: nothing released, no ledger commit', async () => {
    const s = await actionScenario({ emulator: { messagesPerAccount: 20 } });
    try {
      for (const [i, name] of NAMES.entries()) {
        const fixture = FIXTURES.find((f) => f.name === name);
        if (!fixture) throw new Error(`no fixture ${name}`);
        const yaml = fixture.bytes.toString('utf8');
        const n = 10 + i;
        const head = s.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, `request ${n}`);
        s.gh.addPullRequest({ number: n, head: `feature-${n}`, base: 'main', merged: false });
        const plan = await s.run({ event: 'pull_request', pr: n, sha: head });
        expect(plan.code, `${name}: ${plan.stdout}`).toBe(1);
        expect(
          plan.annotations.filter((a) => a.file).map((a) => [a.level, a.file, a.line, a.col]),
          name,
        ).toEqual(fixture.errors.map((e) => ['error', 'releases.yaml', e.line, e.column]));
        plan.annotations
          .filter((a) => a.file)
          .forEach((a, k) => {
            expect(a.message, name).toContain(escapeLogText(fixture.errors[k]?.message ?? '', 500));
          });
        expectOnlyOwnCommands(plan.stdout, [DEFAULT_TOKEN, 'ghs_fake_token', LEDGER_KEY]);

        // Merged anyway (a required check skipped): the push run refuses it whole.
        const merged = s.gh.commitFiles('main', { 'releases.yaml': yaml }, `Merge #${n}`);
        const commits = s.gh.commits('main').length;
        const apply = await s.run({ event: 'push', sha: merged });
        expect(apply.code, `${name}: ${apply.stdout}`).toBe(1);
        expect(apply.outputs.released ?? '0', name).toBe('0');
        expect(s.gh.headSha('main'), `${name}: no ledger commit`).toBe(merged);
        expect(s.gh.commits('main')).toHaveLength(commits);
        expect(s.gh.listFiles().filter((p) => p.startsWith('releases.ledger/'))).toEqual([]);
      }
      expect(s.emulator.truth().requests, 'no API call').toEqual([]);
    } finally {
      await s.close();
    }
  });
});
