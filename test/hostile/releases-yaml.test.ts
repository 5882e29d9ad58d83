// Hostile and broken releases.yaml files, end to end through the bundled CLI (validate, plan
// and apply, the way users run them) and, for what reaches a pull request, the bundled action.
// Each refusal: a located error, exit 1, no request to the API, the folder byte-identical.
// The loader's own corpus (test/fixtures/releases, 86 files) runs through the commands and
// the action in releases-corpus-e2e.test.ts; the alias bomb is also run here by path.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario } from '../support/action.js';
import { REPO } from '../support/cli.js';
import { LEDGER_KEY } from '../support/sealed.js';
import {
  ACCOUNT,
  allCommands,
  cli,
  expectOnlyOwnCommands,
  expectRefused,
  nodeWrapper,
  releasesYaml,
  removeDir,
  SOME_ID,
  snapshot,
  tempDir,
} from './fixtures/harness.js';

// One emulator for every refusal: none of them may reach it, so its log must stay empty
// whatever order the (concurrent) cases run in. Cases that do release get their own.
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

interface Folder {
  dir: string;
  write(content: string | Buffer, name?: string): Promise<void>;
  /** validate, plan and apply all refuse with `message`; nothing is sent, nothing changes. */
  refuse(
    message: RegExp | string,
    extra?: string[],
  ): Promise<Awaited<ReturnType<typeof allCommands>>>;
}

/** A work folder with a ledger of one record, so "no ledger change" is checked on content. */
async function folder(): Promise<Folder> {
  const dir = await tempDir();
  folders.push(dir);
  await mkdir(join(dir, 'releases.ledger'));
  await writeFile(
    join(dir, 'releases.ledger', '2026-11.jsonl'),
    `{"v":1,"account_id":"${ACCOUNT}","id":"AAAAA11111","seq":1,"attempt":1,"state":"released","at":"2026-11-20T10:00:00.000Z","via":"release","delivered":["a@example.com"]}\n`,
  );
  return {
    dir,
    write: (content, name = 'releases.yaml') => writeFile(join(dir, name), content),
    async refuse(message, extra = []) {
      const before = await snapshot(dir);
      const r = await allCommands(dir, env, extra);
      expectRefused(r.validate, 1, message);
      expectRefused(r.plan, 1, message);
      expectRefused(r.apply, 1, message);
      expect(emulator.truth().requests, 'no API call').toEqual([]);
      expect(await snapshot(dir), 'the folder is byte-identical').toEqual(before);
      return r;
    },
  };
}

describe.concurrent('releases.yaml: size, encoding and what the path is', () => {
  it('a 10 MB file is refused before parsing, at 1:1, naming the limit', async () => {
    const f = await folder();
    await f.write(Buffer.alloc(10 * 1024 * 1024, 'a'));
    await f.refuse(/^releases\.yaml:1:1: file is too large \(10485760 bytes, limit 8388608\)/m);
  });

  it('an empty file (0 bytes) says what is expected', async () => {
    const f = await folder();
    await f.write('');
    await f.refuse(
      'releases.yaml:1:1: the file is empty: expected `version: 1` and a `releases:` list',
    );
  });

  it('invalid UTF-8 bytes (FF FE, as a UTF-16 file starts) refuse the whole file at 1:1', async () => {
    const f = await folder();
    await f.write(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(releasesYaml([SOME_ID]), 'utf16le')]),
    );
    await f.refuse('releases.yaml:1:1: not valid UTF-8 text');
  });

  it('a symbolic link to /etc/passwd is refused (it is not a releases file), nothing is sent', async () => {
    const f = await folder();
    await symlink('/etc/passwd', join(f.dir, 'releases.yaml'));
    await f.refuse(/^releases\.yaml:1:1: /m);
  });

  // A releases.yaml that is a symbolic link is refused without being read: following it would
  // quote whatever it points to (a file holding a token) in the errors.
  it('a symbolic link is refused without quoting what it points to', async () => {
    const f = await folder();
    const outside = await tempDir('qr-outside-');
    try {
      await writeFile(join(outside, 'credentials'), 'ghs_SECRETVALUE0123456789: 1\n');
      await symlink(join(outside, 'credentials'), join(f.dir, 'releases.yaml'));
      const r = await allCommands(f.dir, env);
      for (const run of [r.validate, r.plan, r.apply]) {
        expect(run.code).toBe(1);
        expect(`${run.stdout}${run.stderr}`).not.toContain('SECRETVALUE');
        expect(run.stderr).toMatch(/symbolic link/);
      }
    } finally {
      await removeDir(outside);
    }
  });

  it('a directory named releases.yaml', async () => {
    const f = await folder();
    await mkdir(join(f.dir, 'releases.yaml'));
    await f.refuse(/^releases\.yaml:1:1: (is a directory|not a regular file)/m);
  });

  it('a missing file named with workflow-command text (--releases) is reported escaped', async () => {
    const f = await folder();
    await f.refuse(/^:\u200b:error:\u200b:owned%0A:1:1: file not found$/m, [
      '--releases',
      '::error::owned%0A',
    ]);
  });
});

describe('releases.yaml: a valid file with a byte-order mark and CRLF', () => {
  it('a UTF-8 byte-order mark and CRLF line endings: a valid file still works end to end', async () => {
    const own = await startEmulator({ messagesPerAccount: 20 });
    const ownEnv = { CLOUDFLARE_API_BASE_URL: own.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
    const f = await folder();
    try {
      const id = own
        .messages(ACCOUNT)
        .find((m) => m.details.is_quarantined && m.details.final_disposition === 'SPAM')
        ?.details.id;
      if (!id) throw new Error('no quarantined message');
      await f.write(`\ufeff${releasesYaml([id]).replaceAll('\n', '\r\n')}`);
      const validate = await cli(f.dir, ['validate'], ownEnv);
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toBe('releases.yaml: valid (1 entry, 1 account)\n');
      const plan = await cli(f.dir, ['plan'], ownEnv);
      expect(plan.code, plan.stderr).toBe(0);
      // Columns are counted without the mark: the id is at 4:9, as an editor shows it.
      expect(plan.stdout).toContain(
        `+ release  ${id}  "false positive, checked"  releases.yaml:4:9`,
      );
      const apply = await cli(f.dir, ['apply', '--unreviewed', '--format', 'json'], ownEnv);
      expect(apply.code, apply.stderr).toBe(0);
      expect(JSON.parse(apply.stdout).results).toMatchObject([{ id, state: 'released' }]);
      expect(own.truth().releases.map((r) => r.id)).toEqual([id]);
    } finally {
      await own.close();
    }
  });
});

describe('releases.yaml: ids written to break out of logs, comments and tables', () => {
  // Seven hostile ids in one file (one run of each command): each is reported on its own
  // line at its own position, quoted and escaped, and the whole file is refused.
  const HOSTILE_IDS: [what: string, yaml: string, shown: string][] = [
    ['a backtick', '"4Njp3P0`rm -rf`"', '"4Njp3P0`rm -rf`"'],
    ['an @org/team mention', '"@org/team"', '"@org/team"'],
    ['an HTML entity for @', '"&#64;security"', '"&#64;security"'],
    ['an <img> tag', '"<img src=x onerror=alert(1)>"', '"<img src=x onerror=alert(1)>"'],
    ['a table pipe', '"4Njp3P0|x|y"', '"4Njp3P0|x|y"'],
    [
      'an escaped newline then a command',
      '"4Njp3P0STMz2\\n::add-mask::x"',
      '"4Njp3P0STMz2\\n:\u200b:add-mask:\u200b:x"',
    ],
    ['a workflow command', '"::error::owned"', '":\u200b:error:\u200b:owned"'],
  ];

  let shared: Promise<Awaited<ReturnType<typeof runHostileIds>>> | undefined;
  async function runHostileIds() {
    const folder = await tempDir();
    try {
      await writeFile(
        join(folder, 'releases.yaml'),
        releasesYaml(HOSTILE_IDS.map(([, yaml]) => yaml)),
      );
      const before = await snapshot(folder);
      const requestsBefore = emulator.truth().requests.length;
      const runs = await allCommands(folder, env);
      return {
        runs,
        unchanged: JSON.stringify(await snapshot(folder)) === JSON.stringify(before),
        requests: emulator.truth().requests.length - requestsBefore,
      };
    } finally {
      await removeDir(folder);
    }
  }

  it.each(HOSTILE_IDS.map(([what], i) => [what, i] as const))(
    'an id with %s: refused at its line, column 9, shown escaped on one line',
    async (_what, i) => {
      shared ??= runHostileIds();
      const { runs, unchanged, requests } = await shared;
      const [, , shown] = HOSTILE_IDS[i] as [string, string, string];
      const message = `releases.yaml:${4 + 2 * i}:9: \`releases[${i}].id\` ${shown} is not a message id`;
      for (const r of [runs.validate, runs.plan, runs.apply]) {
        expectRefused(r, 1, message);
        expect(r.stderr.split('\n').filter((l) => l.includes(`releases[${i}].id`))).toHaveLength(1);
      }
      expect(requests, 'no API call').toBe(0);
      expect(unchanged, 'the folder is byte-identical').toBe(true);
    },
  );
});

describe.concurrent('releases.yaml: parser attacks and values YAML silently changes', () => {
  it('a __proto__ map in a flow-style entry cannot give the entry an account', async () => {
    const f = await folder();
    await f.write(
      `version: 1\nreleases:\n  - {__proto__: {account_id: ${ACCOUNT}}, id: ${SOME_ID}, reason: r}\n`,
    );
    const r = await f.refuse(/^releases\.yaml:3:6: unknown key "__proto__" in releases\[0\]/m);
    expect(r.validate.stderr).toContain('releases.yaml:3:5: releases[0] has no account');
  });

  it('the billion-laughs alias bomb of the corpus, through the commands by path', async () => {
    const f = await folder();
    const file = join(REPO, 'test', 'fixtures', 'releases', 'alias-bomb.yaml');
    await f.write(await readFile(file));
    await f.refuse(/^releases\.yaml:3:4: YAML anchors \(&a\) are not allowed/m);
  });

  it('flow maps nested 5,000 deep are refused before parsing, at the bracket past the limit', async () => {
    const f = await folder();
    await f.write(
      `version: 1\naccount_id: ${ACCOUNT}\nreleases: []\nx: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
    );
    await f.refuse(
      'releases.yaml:4:1028: more than 256 unclosed brackets; releases.yaml never needs that much nesting',
    );
  });

  it('block sequences nested 5,000 deep under an id are refused, not a stack overflow', async () => {
    const f = await folder();
    await f.write(
      `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: ${'- '.repeat(5000)}x\n    reason: r\n`,
    );
    await f.refuse(/^releases\.yaml:4:\d+: .*(nested more than 32 levels deep|invalid YAML)/m);
  });

  it('the same entry with `id` twice (a reviewer sees one, a lax parser keeps the other)', async () => {
    const f = await folder();
    await f.write(
      `${releasesYaml([SOME_ID])}    id: 5Abc9X1YZQw3d04R-2024-01-06T11:30:00-87654321\n`,
    );
    await f.refuse('releases.yaml:6:5: duplicate key "id": each key may appear once in a map');
  });

  it('an unquoted all-digit account id (valid hex) has lost digits as a number: quote it', async () => {
    const f = await folder();
    await f.write(releasesYaml([SOME_ID], '12345678901234567890123456789012'));
    await f.refuse(
      'releases.yaml:2:13: `account_id` must be a string but YAML read "12345678901234567890123456789012" as a number (as a number it has already lost digits): quote it',
    );
  });

  it('an unquoted queue id with leading zeros would lose them as a number: quote it', async () => {
    const f = await folder();
    await f.write(releasesYaml(['0012345']));
    await f.refuse(
      'releases.yaml:4:9: `releases[0].id` must be a string but YAML read "0012345" as a number: quote it, e.g. id: "0012345"',
    );
  });

  it('a NUL byte inside a reason is shown as a visible code, never passed through', async () => {
    const f = await folder();
    await f.write(releasesYaml([SOME_ID]).replace('checked', 'checked\u0000::error::x'));
    const r = await f.refuse(/^releases\.yaml:5:\d+: /m);
    expect(r.validate.stderr).not.toContain('\u0000');
  });
});

describe('releases.yaml through the action on a pull request', () => {
  let s: ActionScenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  const BOT_MASKS = [DEFAULT_TOKEN, 'ghs_fake_token', LEDGER_KEY];

  function openPr(x: ActionScenario, n: number, yaml: string): string {
    const head = x.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, 'request');
    x.gh.addPullRequest({ number: n, head: `feature-${n}`, base: 'main', merged: false });
    return head;
  }

  it('hostile ids: one annotation per line, and no mention, HTML or command in the comment, summary or log', async () => {
    s = await actionScenario();
    const hostile = [
      '"4Njp3P0`x`"',
      '"@org/team"',
      '"&#64;security"',
      '"<img src=x onerror=alert(1)>"',
      '"a|b|c"',
      '"4Njp3P0STMz2\\n::add-mask::x"',
      '"::error::owned"',
    ];
    const sha = openPr(s, 5, releasesYaml(hostile));
    const headBefore = s.gh.headSha('main');
    const r = await s.run({ event: 'pull_request', pr: 5, sha });
    expect(r.code).toBe(1);
    expect(
      r.annotations.filter((a) => a.file).map((a) => [a.level, a.file, a.line, a.col]),
    ).toEqual(hostile.map((_, i) => ['error', 'releases.yaml', 4 + 2 * i, 9]));
    expectOnlyOwnCommands(r.stdout, BOT_MASKS);
    expect(r.stdout).not.toContain('::add-mask::x');
    const comment = s.gh.comments(5)[0]?.body ?? '';
    expect(comment).toContain('<!-- quarantine-release file -->');
    for (const text of [comment, r.summary]) {
      expect(text).not.toMatch(/@org\/team|@security|<img|::error::|::add-mask::/);
      expect(text).not.toContain('&#64;security');
      // Every error is one list item: no raw newline inside a value.
      for (const line of text.split('\n').filter((l) => l.includes('is not a message id')))
        expect(line.startsWith('- ')).toBe(true);
    }
    expect(s.emulator.truth().requests).toEqual([]);
    expect(s.gh.headSha('main')).toBe(headBefore);
  });

  // A pull request can commit releases.yaml as a symbolic link (git keeps links) to
  // .git/config, where actions/checkout may persist the token. Followed, the YAML errors would
  // quote it into annotations, summary and comment (masking covers only the log): refused.
  it('a releases.yaml committed as a symbolic link to .git/config does not leak the checkout credential', async () => {
    s = await actionScenario();
    const sha = openPr(s, 6, releasesYaml([SOME_ID]));
    const credential = 'eC1hY2Nlc3MtdG9rZW46Z2hzX0ZBS0VDUkVERU5USUFM'; // x-access-token:ghs_FAKECREDENTIAL
    const config = [
      '[core]',
      '\trepositoryformatversion = 0',
      '[http "https://github.com/"]',
      `\textraheader = AUTHORIZATION: basic ${credential}`,
      '',
    ].join('\n');
    const wrappers = await tempDir('qr-wrapper-');
    try {
      const node = await nodeWrapper(wrappers, {
        prepare: [
          'mkdir -p .git',
          `printf '%s' '${config}' > .git/config`,
          'rm -f releases.yaml',
          'ln -s .git/config releases.yaml',
        ].join('\n'),
      });
      const r = await s.run({ event: 'pull_request', pr: 6, sha, node });
      expect(r.code).toBe(1);
      const comment = s.gh.comments(6)[0]?.body ?? '';
      for (const text of [comment, r.summary, r.stdout, r.stderr])
        expect(text).not.toContain(credential.slice(0, 20));
    } finally {
      await removeDir(wrappers);
    }
  });
});
