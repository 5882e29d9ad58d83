// Secrets never leak. Every command (validate, plan, apply, check: success, failure, dry run,
// the emulator's help, the demo) and the bundled action (plan, apply and the scheduled drift
// check, success and failure) run with recognisable fake credentials, and everything they
// produce is searched for each secret in every form a leak would take: as is, base64 (padded
// or not), base64url, URL-encoded, hex, and the `email:key` pair as Basic authentication
// would carry it. Searched: stdout, stderr, the job summary, GITHUB_OUTPUT, the results file,
// every body sent to GitHub (decoded blobs included), every comment and commit, every ledger
// line, and the paths the emulator received.
// The action must also mask each secret (`::add-mask::`) before it prints anything else.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, type Emulator, startEmulator } from '../../src/emulator/index.js';
import {
  ACCOUNT,
  type CraftedApi,
  cli,
  craftedApi,
  type DistRun,
  expectCleanOutput,
  json,
  ledgerLine,
  releasePosts,
  releasesYaml,
  removeDir,
  tempDir,
} from '../hostile/fixtures/harness.js';
import { type ActionRun, type ActionScenario, actionScenario } from '../support/action.js';

// Visible ASCII with characters that change under every encoding checked.
const TOKEN = 'SECRET+TOKEN/7f3a9c=';
const READ_TOKEN = 'SECRET+READONLY/3c8f1a=';
const BAD_TOKEN = 'SECRET+BADTOKEN/0d6b2e=';
const EMAIL = 'secret-owner@example.com';
const KEY = 'SECRET+KEY/9b2e4d=';
const READ_EMAIL = 'reader@example.com';
const READ_KEY = 'SECRET+READKEY/5a7c0f=';
const GH_SECRET = 'ghs_SECRET+GITHUB/4e1d8b=';
const URL_PASSWORD = 'SECRET+URLPASS/8a4c';
const LEDGER_SECRET = 'SECRET+LEDGERKEY/2f9e7b=0123456789abcdef';

const SECRETS = [
  TOKEN,
  READ_TOKEN,
  BAD_TOKEN,
  KEY,
  READ_KEY,
  GH_SECRET,
  URL_PASSWORD,
  LEDGER_SECRET,
];
const PAIRS: [string, string][] = [
  [EMAIL, KEY],
  [READ_EMAIL, READ_KEY],
];

const CREDENTIALS: Credentials = {
  tokens: [
    { token: TOKEN, write: true },
    { token: READ_TOKEN, write: false },
  ],
  keys: [
    { email: EMAIL, key: KEY, write: true },
    { email: READ_EMAIL, key: READ_KEY, write: false },
  ],
};

/** Every form a leaked secret could take in a text. */
function forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const b64 = bytes.toString('base64');
  return [
    secret,
    b64,
    b64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    // base64 of a longer text holding the secret, at each of its three alignments.
    ...[1, 2].flatMap((shift) => {
      const core = Buffer.concat([Buffer.alloc(shift, 32), bytes])
        .toString('base64')
        .slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
      return [core, core.replaceAll('+', '-').replaceAll('/', '_')];
    }),
  ];
}

const NEEDLES: { what: string; form: string }[] = [
  ...SECRETS.flatMap((s) => forms(s).map((form) => ({ what: s, form }))),
  ...PAIRS.flatMap(([email, key]) => {
    const b64 = Buffer.from(`${email}:${key}`).toString('base64');
    return [b64, b64.replace(/=+$/, '')].map((form) => ({ what: `${email}:${key}`, form }));
  }),
];

/** No secret, in any form, in any of the named texts. */
function expectNoSecrets(texts: Record<string, string>): void {
  const found: string[] = [];
  for (const [name, text] of Object.entries(texts))
    for (const { what, form } of NEEDLES)
      if (text.includes(form)) found.push(`${name}: ${what} (as ${JSON.stringify(form)})`);
  expect(found).toEqual([]);
}

async function ledgerText(dir: string): Promise<string> {
  const ledgerDir = join(dir, 'releases.ledger');
  let names: string[] = [];
  try {
    names = (await readdir(ledgerDir)).sort();
  } catch {
    return '';
  }
  const parts = await Promise.all(names.map((n) => readFile(join(ledgerDir, n), 'utf8')));
  return parts.join('');
}

// --- the command line -------------------------------------------------------------------------

describe('the CLI', () => {
  let emulator: Emulator;
  const folders: string[] = [];
  const servers: CraftedApi[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ messagesPerAccount: 80, credentials: CREDENTIALS });
  });
  afterAll(async () => {
    await emulator.close();
    for (const s of servers) await s.close();
    for (const d of folders) await removeDir(d);
  });

  /** Quarantined, releasable messages not used by another case. */
  let taken = 0;
  function fresh(n: number): string[] {
    const ids = emulator
      .messages(ACCOUNT)
      .filter(
        (m) =>
          m.details.is_quarantined &&
          ['SPAM', 'BULK', 'NONE'].includes(m.details.final_disposition) &&
          m.action_log.length === 0,
      )
      .map((m) => m.details.id)
      .slice(taken, taken + n);
    taken += n;
    if (ids.length < n) throw new Error('not enough quarantined messages');
    return ids;
  }

  async function folder(yaml: string): Promise<string> {
    const dir = await tempDir('qr-secrets-');
    folders.push(dir);
    await writeFile(join(dir, 'releases.yaml'), yaml);
    return dir;
  }

  /** Runs the command and checks every output and the ledger and the emulator's log. */
  async function run(dir: string, args: string[], env: Record<string, string>): Promise<DistRun> {
    const r = await cli(dir, args, env);
    expect(r.signal).toBeNull();
    expectCleanOutput(r, { jsonStdout: args.includes('json') });
    expectNoSecrets({
      stdout: r.stdout,
      stderr: r.stderr,
      ledger: await ledgerText(dir),
      'emulator request paths': emulator
        .truth()
        .requests.map((q) => q.path)
        .join('\n'),
    });
    return r;
  }

  const withToken = (token = TOKEN) => ({
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_API_TOKEN: token,
  });
  const withKey = (email = EMAIL, key = KEY) => ({
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_EMAIL: email,
    CLOUDFLARE_API_KEY: key,
  });
  /** Every secret variable set at once, for commands that must ignore them. */
  const everything = () => ({ ...withToken(), ...withKey(), GITHUB_TOKEN: GH_SECRET });

  it('validate, valid and invalid, with every secret in the environment', async () => {
    const ok = await run(await folder(releasesYaml(fresh(1))), ['validate'], everything());
    expect(ok.code).toBe(0);
    const bad = await run(await folder('version: 2\nreleases: {}\n'), ['validate'], everything());
    expect(bad.code).toBe(1);
  });

  it('plan: with lookups (token), invalid file, and half-given credentials', async () => {
    // Set up for releases: plan refuses a ledger folder that does not exist.
    const planFolder = async (yaml: string) => {
      const dir = await folder(yaml);
      await mkdir(join(dir, 'releases.ledger'));
      return dir;
    };
    const ids = fresh(2);
    const looked = await run(await planFolder(releasesYaml(ids)), ['plan'], withToken());
    expect(looked.code, looked.stderr).toBe(0);
    expect(looked.stdout).toContain(ids[0]);
    const json = await run(
      await planFolder(releasesYaml(ids)),
      ['plan', '--format', 'json'],
      withKey(),
    );
    expect(json.code, json.stderr).toBe(0);
    const markdown = await run(
      await planFolder(releasesYaml(ids)),
      ['plan', '--format', 'markdown'],
      withToken(),
    );
    expect(markdown.code).toBe(0);
    const invalid = await run(await planFolder('version: 1\n'), ['plan'], withToken());
    expect(invalid.code).toBe(1);
    const half = await run(await planFolder(releasesYaml(ids)), ['plan'], {
      CLOUDFLARE_API_BASE_URL: emulator.url,
      CLOUDFLARE_API_KEY: KEY,
    });
    expect(half.code).toBe(1);
  });

  it('apply: released with a token, and with the email + key pair', async () => {
    const byToken = await run(
      await folder(releasesYaml(fresh(2))),
      ['apply', '--unreviewed'],
      withToken(),
    );
    expect(byToken.code, byToken.stderr).toBe(0);
    const byKey = await run(
      await folder(releasesYaml(fresh(1))),
      ['apply', '--unreviewed', '--format', 'json'],
      withKey(),
    );
    expect(byKey.code, byKey.stderr).toBe(0);
  });

  it('apply --dry-run', async () => {
    const r = await run(
      await folder(releasesYaml(fresh(2))),
      ['apply', '--unreviewed', '--dry-run'],
      withToken(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Dry run');
  });

  it('apply with a bad token (401), a read-only token (403) and a read-only key (403)', async () => {
    const bad = await run(
      await folder(releasesYaml(fresh(1))),
      ['apply', '--unreviewed'],
      withToken(BAD_TOKEN),
    );
    expect(bad.code).not.toBe(0);
    const readOnly = await run(
      await folder(releasesYaml(fresh(1))),
      ['apply', '--unreviewed', '--format', 'json'],
      withToken(READ_TOKEN),
    );
    expect(readOnly.code).toBe(3);
    expect(JSON.parse(readOnly.stdout).results[0].error.status).toBe(403);
    const readKey = await run(
      await folder(releasesYaml(fresh(1))),
      ['apply', '--unreviewed'],
      withKey(READ_EMAIL, READ_KEY),
    );
    expect(readKey.code).toBe(3);
  });

  it('apply refusing its settings: both schemes, a base URL with credentials, a token with a space', async () => {
    const ids = fresh(1);
    const both = await run(await folder(releasesYaml(ids)), ['apply', '--unreviewed'], {
      ...withToken(),
      ...withKey(),
    });
    expect(both.code).toBe(1);
    const url = new URL(emulator.url);
    url.username = EMAIL;
    url.password = URL_PASSWORD;
    const inUrl = await run(await folder(releasesYaml(ids)), ['apply', '--unreviewed'], {
      ...withToken(),
      CLOUDFLARE_API_BASE_URL: url.toString(),
    });
    expect(inUrl.code).toBe(1);
    const spaced = await run(
      await folder(releasesYaml(ids)),
      ['apply', '--unreviewed'],
      withToken(`${TOKEN} x`),
    );
    expect(spaced.code).toBe(1);
  });

  it('check: a send resolved by read-back, then drift found; token, key pair, read-only credentials', async () => {
    const ids = fresh(3);
    const dir = await folder(releasesYaml(ids));
    // The first send's answer is lost: apply leaves it unknown for check to read back.
    emulator.setFaults({ script: [{ kind: 'reset_after', route: 'release' }] });
    const applied = await run(
      dir,
      ['apply', '--unreviewed', '--batch-size', '1', '--concurrency', '1', '--settle-seconds', '0'],
      withToken(),
    );
    expect(applied.code, applied.stderr).toBe(3);
    // A read-only token is enough for the drift check.
    const resolved = await run(dir, ['check', '--settle-seconds', '0'], withToken(READ_TOKEN));
    expect(resolved.code, resolved.stdout + resolved.stderr).toBe(0);
    expect(await ledgerText(dir)).toContain('"via":"readback"');
    emulator.requarantine(ACCOUNT, ids[1] as string);
    const drift = await run(dir, ['check', '--format', 'json'], withKey(READ_EMAIL, READ_KEY));
    expect(drift.code, drift.stderr).toBe(1);
    expect(JSON.parse(drift.stdout).drift.map((d: { id: string }) => d.id)).toEqual([ids[1]]);
    const text = await run(dir, ['check'], withKey());
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(ids[1]);
  });

  it('check refusing or failing on its credentials: a bad token (401), both schemes, half a pair', async () => {
    const dir = await folder(releasesYaml(fresh(1)));
    expect((await run(dir, ['apply', '--unreviewed'], withToken())).code).toBe(0);
    const bad = await run(dir, ['check'], withToken(BAD_TOKEN));
    expect(bad.code).not.toBe(0);
    const both = await run(dir, ['check'], { ...withToken(), ...withKey() });
    expect(both.code).toBe(1);
    const half = await run(dir, ['check'], {
      CLOUDFLARE_API_BASE_URL: emulator.url,
      CLOUDFLARE_EMAIL: EMAIL,
    });
    expect(half.code).toBe(1);
    const url = new URL(emulator.url);
    url.username = EMAIL;
    url.password = URL_PASSWORD;
    const inUrl = await run(dir, ['check'], {
      ...withToken(),
      CLOUDFLARE_API_BASE_URL: url.toString(),
    });
    expect(inUrl.code).toBe(1);
  });

  // The drift search and the read-back show API error text too: the same scrubbing applies,
  // and a workflow command in it stays on its own line, inert.
  it('check against an API whose errors echo the credential', async () => {
    const released = 'AAAAA11111-2026-11-01T10:00:00-10000001';
    const unknown = 'BBBBB22222-2026-11-01T10:00:00-20000002';
    const echo = await craftedApi((r) =>
      json(400, {
        success: false,
        errors: [
          {
            code: 6003,
            message: `invalid header: Authorization: ${String(r.headers.authorization ?? '')} X-Auth-Key: ${String(r.headers['x-auth-key'] ?? '')}\n::add-mask::x`,
          },
        ],
      }),
    );
    servers.push(echo);
    for (const env of [
      { CLOUDFLARE_API_TOKEN: TOKEN },
      { CLOUDFLARE_EMAIL: EMAIL, CLOUDFLARE_API_KEY: KEY },
    ]) {
      const dir = await folder(releasesYaml([released, unknown]));
      await mkdir(join(dir, 'releases.ledger'));
      await writeFile(
        join(dir, 'releases.ledger', '2026-11.jsonl'),
        `${ledgerLine({ id: released, state: 'released', via: 'release', delivered: ['a@example.com'] })}\n${ledgerLine({ id: unknown, seq: 2, state: 'unknown', error: { message: 'no answer: timed out' } })}\n`,
      );
      const before = echo.requests.length;
      const r = await cli(dir, ['check', '--settle-seconds', '0'], {
        CLOUDFLARE_API_BASE_URL: echo.url,
        ...env,
      });
      expect(echo.requests.length, 'the API was asked').toBeGreaterThan(before);
      expect(r.code, r.stderr).not.toBe(0);
      // The echo reached the output, with the credential cut out of it.
      expect(r.stderr).toContain('refused the credentials (HTTP 400: invalid header');
      expect(r.stderr).toContain('[redacted]');
      expectCleanOutput(r);
      expectNoSecrets({ stdout: r.stdout, stderr: r.stderr, ledger: await ledgerText(dir) });
    }
  });

  it('emulator --help and the demo, with every secret in the environment', async () => {
    const dir = await folder('');
    const help = await run(dir, ['emulator', '--help'], everything());
    expect(help.code).toBe(0);
    const demo = await run(dir, ['demo'], everything());
    expect(demo.code, demo.stderr).toBe(0);
    // The comment's page the demo writes is an output too.
    const page = /As GitHub shows it: (\S+\.html)$/m.exec(demo.stdout)?.[1] as string;
    try {
      expectNoSecrets({ page: await readFile(page, 'utf8') });
    } finally {
      await rm(dirname(page), { recursive: true, force: true });
    }
  });

  // Text from the API can echo the credential (a proxy answering "invalid header:
  // Authorization: Bearer <token>"): every known secret is removed from it before it is shown
  // or recorded in the ledger, which the action commits into git history.
  it('an API error that echoes the credential is not recorded or printed with it', async () => {
    const echo = await craftedApi((r) => {
      const auth = String(r.headers.authorization ?? '');
      // The credential as is and in every encoding a proxy might echo it in.
      const header = `Authorization: ${auth}`;
      const encoded = [
        Buffer.from(header).toString('base64'),
        Buffer.from(`x${header}`).toString('base64url'),
        Buffer.from(auth).toString('hex'),
        encodeURIComponent(auth).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      ];
      if (r.method === 'POST')
        return json(400, {
          success: false,
          errors: [
            { code: 6003, message: `invalid header: ${header} (echo: ${encoded.join(' ')})` },
          ],
        });
      return json(200, {
        success: true,
        errors: [],
        result: {
          id: decodeURIComponent(r.path.split('/investigate/')[1] ?? ''),
          is_quarantined: true,
          final_disposition: 'SPAM',
          post_delivery_operations: [],
        },
      });
    });
    servers.push(echo);
    const dir = await folder(releasesYaml(['AAAAA11111-2026-11-01T10:00:00-10000001']));
    const r = await cli(dir, ['apply', '--unreviewed'], {
      CLOUDFLARE_API_BASE_URL: echo.url,
      CLOUDFLARE_API_TOKEN: TOKEN,
    });
    expect(releasePosts(echo)).toHaveLength(1);
    const ledger = await ledgerText(dir);
    // The echo was recorded (the error is kept), with every form of the credential cut out.
    expect(ledger).toContain('invalid header: Authorization: Bearer [redacted]');
    expect(ledger).toContain('(echo: ');
    expectNoSecrets({ stdout: r.stdout, stderr: r.stderr, ledger });
  });
});

// --- the action -------------------------------------------------------------------------------

describe('the action', () => {
  let s: ActionScenario;
  let taken = 0;
  beforeAll(async () => {
    s = await actionScenario({
      github: { token: GH_SECRET },
      emulator: { credentials: CREDENTIALS, messagesPerAccount: 40 },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  function fresh(n: number): string[] {
    const ids = s.quarantined(taken + n).slice(taken);
    taken += n;
    return ids;
  }

  /**
   * Runs the action with these inputs (github-token is the secret one) and checks that it masks
   * each secret input first, and that no output of the run, nor anything GitHub received,
   * holds a secret.
   */
  async function run(
    options: Parameters<ActionScenario['run']>[0],
    masked: string[],
  ): Promise<ActionRun> {
    const before = s.gh.requests().length;
    const r = await s.run({
      ...options,
      inputs: {
        'github-token': GH_SECRET,
        'api-token': '',
        'ledger-key': LEDGER_SECRET,
        // About secrets, not reviews: direct pushes apply the file as it is.
        'require-reviewed-plan': 'false',
        'required-approvals': '0',
        ...options.inputs,
      },
    });
    expect(r.signal).toBeNull();
    masked = [...masked, LEDGER_SECRET];
    // The masks come first: nothing is printed before every secret is masked.
    const lines = r.stdout.split('\n');
    const masks = lines.slice(0, masked.length);
    expect(masks.sort(), r.stdout).toEqual(masked.map((m) => `::add-mask::${m}`).sort());
    expect(lines.slice(masked.length).some((l) => l.startsWith('::add-mask::'))).toBe(false);

    const resultsPath = r.outputs['results-file'];
    const results = resultsPath ? await readFile(resultsPath, 'utf8') : '';
    const prs = [...new Set([options.pr, 8].filter((n): n is number => n !== undefined))];
    const sent = s.gh.requests().slice(before);
    const decodedBlobs = sent
      .map((q) => q.body as { content?: unknown; encoding?: unknown } | undefined)
      .filter((b) => b?.encoding === 'base64' && typeof b.content === 'string')
      .map((b) => Buffer.from(String(b?.content), 'base64').toString('utf8'));
    expectNoSecrets({
      stdout: lines.slice(masked.length).join('\n'),
      stderr: r.stderr,
      summary: r.summary,
      outputs: JSON.stringify(r.outputs),
      'results file': results,
      'GitHub request paths and bodies': sent
        .map((q) => `${q.method} ${q.path}\n${JSON.stringify(q.body ?? null)}`)
        .join('\n'),
      'decoded blobs': decodedBlobs.join('\n'),
      comments: prs.flatMap((n) => s.gh.comments(n).map((c) => c.body)).join('\n'),
      commits: s.gh
        .commits('main')
        .map((c) => `${c.message}\n${Object.values(c.files).join('\n')}`)
        .join('\n'),
      ledger: s
        .ledgerLines()
        .map((l) => JSON.stringify(l))
        .join('\n'),
      'emulator request paths': s.emulator
        .truth()
        .requests.map((q) => q.path)
        .join('\n'),
    });
    return r;
  }

  function openPr(n: number, yaml: string): string {
    const head = s.gh.commitFiles(`feature-${n}`, { 'releases.yaml': yaml }, `request ${n}`);
    s.gh.addPullRequest({ number: n, head: `feature-${n}`, base: 'main', merged: false });
    return head;
  }

  function merge(n: number, yaml: string): void {
    const sha = s.gh.commitFiles('main', { 'releases.yaml': yaml }, `Merge pull request #${n}`);
    s.gh.addPullRequest({ number: n, head: `feature-${n}`, merged: true, mergeCommitSha: sha });
  }

  it('plan on a pull request: with lookups (token), and with an invalid file', async () => {
    const sha = openPr(5, releasesYaml(fresh(2)));
    const ok = await run({ event: 'pull_request', pr: 5, sha, inputs: { 'api-token': TOKEN } }, [
      TOKEN,
      GH_SECRET,
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(s.gh.comments(5)).toHaveLength(1);
    const bad = openPr(6, 'version: 1\nreleases: nope\n');
    const failed = await run(
      { event: 'pull_request', pr: 6, sha: bad, inputs: { 'api-email': EMAIL, 'api-key': KEY } },
      [KEY, GH_SECRET],
    );
    expect(failed.code).toBe(1);
  });

  it('apply on merge: released, with the ledger committed and the comment updated', async () => {
    const yaml = releasesYaml(fresh(2));
    merge(8, yaml);
    const r = await run({ event: 'push', inputs: { 'api-token': TOKEN } }, [TOKEN, GH_SECRET]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.released).toBe('2');
    expect(s.gh.comments(8).length).toBeGreaterThan(0);
  });

  it('apply with a bad token: 401, nothing released, the step fails', async () => {
    s.gh.commitFiles('main', { 'releases.yaml': releasesYaml(fresh(1)) }, 'another request');
    const r = await run({ event: 'push', inputs: { 'api-token': BAD_TOKEN } }, [
      BAD_TOKEN,
      GH_SECRET,
    ]);
    expect(r.code).toBe(1);
    expect(r.outputs.released).toBe('0');
    expect(s.emulator.truth().requests.some((q) => q.status === 401)).toBe(true);
  });

  it('apply with a read-only key: 403, the step fails', async () => {
    s.gh.commitFiles('main', { 'releases.yaml': releasesYaml(fresh(1)) }, 'one more request');
    const r = await run(
      { event: 'push', inputs: { 'api-email': READ_EMAIL, 'api-key': READ_KEY } },
      [READ_KEY, GH_SECRET],
    );
    expect(r.code).toBe(1);
    expect(
      s.ledgerLines().some((l) => (l.error as { status?: number } | undefined)?.status === 403),
    ).toBe(true);
  });

  it('a base URL with credentials in it: refused, the password never shown', async () => {
    const url = new URL(s.emulator.url);
    url.username = 'proxy-user';
    url.password = URL_PASSWORD;
    const r = await run(
      { event: 'push', inputs: { 'api-token': TOKEN, 'api-base-url': url.toString() } },
      [TOKEN, GH_SECRET],
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('api-base-url must not contain credentials');
  });

  it('the drift check on a schedule: a send resolved and committed, then drift found, read-only credentials', async () => {
    const ids = fresh(3);
    s.gh.commitFiles('main', { 'releases.yaml': releasesYaml(ids) }, 'requests to check later');
    // The first send's answer is lost: the check reads it back and commits the outcome.
    s.emulator.setFaults({ script: [{ kind: 'reset_after', route: 'release' }] });
    const applied = await run(
      { event: 'push', inputs: { 'api-token': TOKEN, 'batch-size': '1', concurrency: '1' } },
      [TOKEN, GH_SECRET],
    );
    expect(applied.outputs.unknown, applied.stdout).toBe('1');
    const commits = s.gh.commits('main').length;
    const resolved = await run({ event: 'schedule', inputs: { 'api-token': READ_TOKEN } }, [
      READ_TOKEN,
      GH_SECRET,
    ]);
    expect(resolved.code, resolved.stdout).toBe(0);
    expect(resolved.outputs).toMatchObject({ mode: 'check', drift: '0' });
    expect(s.gh.commits('main').length).toBeGreaterThan(commits);
    expect(s.ledgerLines().some((l) => l.id === ids[0] && l.via === 'readback')).toBe(true);

    s.emulator.requarantine(ACCOUNT, ids[1] as string);
    const drift = await run(
      {
        event: 'schedule',
        inputs: { mode: 'check', 'api-email': READ_EMAIL, 'api-key': READ_KEY },
      },
      [READ_KEY, GH_SECRET],
    );
    expect(drift.code).toBe(1);
    expect(drift.outputs.drift).toBe('1');
    expect(drift.summary).toContain(ids[1]);
  });

  it('the drift check with a bad token, and with a base URL holding a password', async () => {
    const asked = s.emulator.truth().requests.length;
    const bad = await run({ event: 'schedule', inputs: { 'api-token': BAD_TOKEN } }, [
      BAD_TOKEN,
      GH_SECRET,
    ]);
    expect(bad.outputs.mode).toBe('check');
    expect(
      s.emulator
        .truth()
        .requests.slice(asked)
        .some((q) => q.status === 401),
    ).toBe(true);
    // Refused credentials stop the check at once (not one failed search or lookup after another).
    expect(bad.stdout).toMatch(/^::error::the API refused the credentials \(HTTP 401/m);
    // Nothing could be checked: that is a failed check, not "no drift".
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^::error::none of the \d+ released message\(s\) could be checked/m);
    const url = new URL(s.emulator.url);
    url.username = 'proxy-user';
    url.password = URL_PASSWORD;
    const inUrl = await run(
      { event: 'schedule', inputs: { 'api-token': TOKEN, 'api-base-url': url.toString() } },
      [TOKEN, GH_SECRET],
    );
    expect(inUrl.code).toBe(1);
    expect(inUrl.stdout).toContain('api-base-url must not contain credentials');
  });
});
