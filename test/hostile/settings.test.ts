// Broken and hostile settings: the CLI's environment and options (bundled dist/cli.js) and the
// action's inputs and runner variables (bundled dist/action.js). Each is refused before any
// request, with a message naming the setting (never echoing a secret), the documented exit
// code (CLI: 1 refused, 2 usage; action: a failed step), and no change to the ledger.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario, GH_TOKEN } from '../support/action.js';
import { LEDGER_KEY } from '../support/sealed.js';
import {
  cli,
  expectOnlyOwnCommands,
  expectRefused,
  ledgerLine,
  nodeWrapper,
  releasesYaml,
  removeDir,
  SOME_ID,
  snapshot,
  tempDir,
} from './fixtures/harness.js';

let emulator: Emulator;
const folders: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ messagesPerAccount: 20 });
});
afterAll(async () => {
  await emulator.close();
  for (const dir of folders) await removeDir(dir);
});

/** A folder with a valid releases.yaml and a one-record ledger. */
async function folder(): Promise<string> {
  const dir = await tempDir();
  folders.push(dir);
  await writeFile(join(dir, 'releases.yaml'), releasesYaml([SOME_ID]));
  await mkdir(join(dir, 'releases.ledger'));
  await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), `${ledgerLine()}\n`);
  return dir;
}

/** Runs the CLI with exactly `env` (plus PATH); it must refuse and leave everything as it was. */
async function refused(
  args: string[],
  env: Record<string, string>,
  code: 1 | 2,
  message: string,
  secrets: string[] = [],
): Promise<void> {
  const dir = await folder();
  const before = await snapshot(dir);
  const r = await cli(dir, args, env);
  expectRefused(r, code, message);
  for (const secret of secrets) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
  expect(emulator.truth().requests, 'no API call').toEqual([]);
  expect(await snapshot(dir), 'nothing written').toEqual(before);
}

const api = () => ({ CLOUDFLARE_API_BASE_URL: emulator.url });
const token = () => ({ ...api(), CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN });

describe.concurrent('CLI environment: credentials', () => {
  it('CLOUDFLARE_EMAIL without CLOUDFLARE_API_KEY', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...api(), CLOUDFLARE_EMAIL: 'demo@example.com' },
      1,
      'quarantine-release apply: CLOUDFLARE_API_KEY is missing: the legacy scheme needs both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY',
    );
  });

  it('CLOUDFLARE_API_KEY without CLOUDFLARE_EMAIL', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...api(), CLOUDFLARE_API_KEY: 'KEY-ONLY-a1b2c3' },
      1,
      'CLOUDFLARE_EMAIL is missing: the legacy scheme needs both',
      ['KEY-ONLY-a1b2c3'],
    );
  });

  it('a token and the email + key pair, both', async () => {
    await refused(
      ['apply', '--unreviewed'],
      {
        ...token(),
        CLOUDFLARE_EMAIL: 'demo@example.com',
        CLOUDFLARE_API_KEY: 'BOTH-KEY-d4e5f6',
      },
      1,
      'give either CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY, not both',
      ['BOTH-KEY-d4e5f6', DEFAULT_TOKEN],
    );
  });

  it.each([
    ['a space', 'TOKEN-PART-ONE TOKEN-PART-TWO'],
    ['a newline', 'TOKEN-LINE-ONE\nTOKEN-LINE-TWO'],
    ['non-ASCII letters', 'TOKEN-ÜNÏCÖDÉ-7f3a'],
  ])('a token with %s cannot go in a header: refused, not echoed', async (_what, value) => {
    await refused(
      ['apply', '--unreviewed'],
      { ...api(), CLOUDFLARE_API_TOKEN: value },
      1,
      'CLOUDFLARE_API_TOKEN contains spaces or characters that cannot go in an HTTP header',
      value.split(/[\s]/),
    );
  });

  it('an email that is not an address', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...api(), CLOUDFLARE_EMAIL: 'not an email', CLOUDFLARE_API_KEY: 'KEY-g7h8i9' },
      1,
      'CLOUDFLARE_EMAIL is not an email address',
      ['KEY-g7h8i9'],
    );
  });

  it('no credentials at all', async () => {
    await refused(
      ['apply', '--unreviewed'],
      api(),
      1,
      'no Cloudflare credentials: set CLOUDFLARE_API_TOKEN',
    );
  });
});

describe.concurrent('CLI environment: the API base URL', () => {
  it('credentials in the URL (user:password@) are refused and never echoed', async () => {
    const url = new URL(emulator.url);
    url.username = 'url-user-p9q8';
    url.password = 'URL-PASSWORD-j1k2';
    await refused(
      ['apply', '--unreviewed'],
      { ...token(), CLOUDFLARE_API_BASE_URL: url.toString() },
      1,
      'CLOUDFLARE_API_BASE_URL must not contain credentials (user:password@); use the credential variables',
      ['URL-PASSWORD-j1k2', 'url-user-p9q8'],
    );
  });

  it('a query string', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...token(), CLOUDFLARE_API_BASE_URL: `${emulator.url}?account=x` },
      1,
      'CLOUDFLARE_API_BASE_URL must not have a query or fragment',
    );
  });

  it('plain http to a host that is not loopback', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...token(), CLOUDFLARE_API_BASE_URL: 'http://api.cloudflare.invalid/client/v4' },
      1,
      'CLOUDFLARE_API_BASE_URL must use https (plain http only for localhost, e.g. the emulator)',
    );
  });

  it('not a URL', async () => {
    await refused(
      ['apply', '--unreviewed'],
      { ...token(), CLOUDFLARE_API_BASE_URL: 'api.cloudflare.com/client/v4' },
      1,
      'CLOUDFLARE_API_BASE_URL is not a URL',
    );
  });

  // `url.search` is '' for a bare `?` while the URL is then used as text: the release POST
  // would go to `/client/v4?/accounts/...` (the path turned into a query). Refused like any
  // query or fragment, before any request.
  it('a bare `?` (an empty query) is refused like any query', async () => {
    // Its own emulator: were the URL accepted, the request would go out there.
    const own = await startEmulator({ messagesPerAccount: 20 });
    try {
      const dir = await folder();
      const before = await snapshot(dir);
      const r = await cli(dir, ['apply', '--unreviewed', '--timeout-seconds', '5'], {
        CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN,
        CLOUDFLARE_API_BASE_URL: `${own.url}?`,
      });
      expectRefused(r, 1, 'CLOUDFLARE_API_BASE_URL must not have a query or fragment');
      expect(own.truth().requests, 'no API call').toEqual([]);
      expect(await snapshot(dir)).toEqual(before);
    } finally {
      await own.close();
    }
  });
});

describe.concurrent('CLI options', () => {
  it.each(['0', '1001', 'abc', '-1'])('--batch-size %j is a usage error', async (n) => {
    await refused(
      ['apply', '--unreviewed', `--batch-size=${n}`],
      token(),
      2,
      'quarantine-release apply: --batch-size must be a whole number from 1 to 1000',
    );
  });

  it('--account that is not 32 lowercase hex (apply)', async () => {
    await refused(
      ['apply', '--unreviewed', '--account', 'XYZ'],
      token(),
      2,
      '--account must be 32 lowercase hexadecimal characters',
    );
  });

  it('--require-ack without MALICIOUS (a way to release malware unacknowledged)', async () => {
    await refused(
      ['apply', '--unreviewed', '--require-ack', 'SPOOF'],
      token(),
      2,
      '--require-ack must include MALICIOUS and MALICIOUS-BEC',
    );
  });

  it('--require-ack with a disposition no entry can acknowledge', async () => {
    await refused(
      ['apply', '--unreviewed', '--require-ack', 'MALICIOUS,MALICIOUS-BEC,BULK'],
      token(),
      2,
      'quarantine-release apply: --require-ack names BULK, which no entry can acknowledge, so its messages could never be released (allowed: MALICIOUS, MALICIOUS-BEC, SPOOF, SUSPICIOUS)',
    );
  });

  it('--account in upper case (plan)', async () => {
    await refused(
      ['plan', '--account', '023E105F4ECEF8AD9CA31A8372D0C353'],
      token(),
      2,
      'quarantine-release plan: --account must be 32 lowercase hexadecimal characters',
    );
  });
});

describe.concurrent('action inputs and runner variables (bundled action, push to the default branch)', () => {
  let s: ActionScenario;
  let head: string;
  beforeAll(async () => {
    s = await actionScenario();
    head = s.gh.commitFiles(
      'main',
      {
        'releases.yaml': s.releasesYaml(s.quarantined(1)),
        'releases.ledger/2026-11.jsonl': `${ledgerLine()}\n`,
      },
      'merge',
    );
  });
  afterAll(async () => {
    await s.close();
  });

  /** A failed step with `message`, and not one request to GitHub or Cloudflare. */
  async function failedStep(
    inputs: Record<string, string>,
    message: string,
    options: { node?: string; masks?: string[]; secrets?: string[] } = {},
  ): Promise<void> {
    const requestsBefore = s.gh.requests().length;
    const r = await s.run({
      event: 'push',
      inputs,
      ...(options.node ? { node: options.node } : {}),
    });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain(`::error::quarantine-release: ${message}\n`);
    expectOnlyOwnCommands(r.stdout, options.masks ?? [DEFAULT_TOKEN, GH_TOKEN, LEDGER_KEY]);
    for (const secret of options.secrets ?? [])
      expect(
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n') +
          r.stderr +
          r.summary,
      ).not.toContain(secret);
    expect(r.outputs).toEqual({});
    expect(r.github, 'no GitHub call').toEqual([]);
    expect(s.gh.requests()).toHaveLength(requestsBefore);
    expect(s.emulator.truth().requests, 'no Cloudflare call').toEqual([]);
    expect(s.gh.headSha('main'), 'the ledger branch did not move').toBe(head);
  }

  it('mode: destroy', async () => {
    await failedStep({ mode: 'destroy' }, 'input `mode` must be auto, plan, apply, check or audit');
  });

  it('audit-period: last-month', async () => {
    await failedStep(
      { mode: 'audit', 'audit-period': 'last-month' },
      'input `audit-period` must be previous-month, or a number of days such as 30d (at most 3660d)',
    );
  });

  it('batch-size: -1', async () => {
    await failedStep(
      { 'batch-size': '-1' },
      'input `batch-size` must be a whole number from 1 to 1000',
    );
  });

  it('concurrency: 0', async () => {
    await failedStep(
      { concurrency: '0' },
      'input `concurrency` must be a whole number from 1 to 16',
    );
  });

  it('comment: maybe', async () => {
    await failedStep({ comment: 'maybe' }, 'input `comment` must be true or false');
  });

  it('dry-run: perhaps (a typo must not turn a dry run into a real one)', async () => {
    await failedStep({ 'dry-run': 'ture' }, 'input `dry-run` must be true or false');
  });

  it('require-acknowledgement: SPAM (dropping MALICIOUS would release malware unacknowledged)', async () => {
    await failedStep(
      { 'require-acknowledgement': 'SPAM' },
      'input `require-acknowledgement` must include MALICIOUS and MALICIOUS-BEC',
    );
  });

  it('require-acknowledgement: SPAM besides MALICIOUS (no entry can acknowledge SPAM)', async () => {
    await failedStep(
      { 'require-acknowledgement': 'MALICIOUS, MALICIOUS-BEC, SPAM' },
      'input `require-acknowledgement` names SPAM, which no entry can acknowledge, so its messages could never be released (allowed: MALICIOUS, MALICIOUS-BEC, SPOOF, SUSPICIOUS)',
    );
  });

  it('lookup-budget: 0', async () => {
    await failedStep(
      { 'lookup-budget': '0' },
      'input `lookup-budget` must be a whole number from 1 to 100000',
    );
  });

  it('account-id: XYZ', async () => {
    await failedStep(
      { 'account-id': 'XYZ' },
      'input `account-id` must be 32 lowercase hexadecimal characters (several may be separated by commas)',
    );
  });

  it('releases-file: ../../etc/passwd', async () => {
    await failedStep(
      { 'releases-file': '../../etc/passwd' },
      'input `releases-file` must be a path inside the repository',
    );
  });

  it('ledger-path: /abs', async () => {
    await failedStep(
      { 'ledger-path': '/abs' },
      'input `ledger-path` must be a path inside the repository',
    );
  });

  it('GITHUB_REPOSITORY missing from the runner', async () => {
    const dir = await tempDir('qr-wrapper-');
    folders.push(dir);
    const node = await nodeWrapper(dir, { unset: ['GITHUB_REPOSITORY'] });
    await failedStep({}, 'GITHUB_REPOSITORY is not set: this action runs inside GitHub Actions', {
      node,
    });
  });

  it('api-email without api-key', async () => {
    await failedStep(
      { 'api-token': '', 'api-email': 'demo@example.com' },
      'api-key is missing: the legacy scheme needs both api-email and api-key',
      { masks: [GH_TOKEN, LEDGER_KEY] },
    );
  });

  it('api-token together with api-email and api-key', async () => {
    await failedStep(
      { 'api-email': 'demo@example.com', 'api-key': 'ACTION-KEY-l3m4' },
      'give either api-token, or api-email with api-key, not both',
      {
        masks: [DEFAULT_TOKEN, 'ACTION-KEY-l3m4', GH_TOKEN, LEDGER_KEY],
        secrets: ['ACTION-KEY-l3m4'],
      },
    );
  });

  it('api-token with a newline inside (masked as given, refused, not echoed)', async () => {
    await failedStep(
      { 'api-token': 'ACTION-TOKEN-ONE\nACTION-TOKEN-TWO' },
      'api-token contains spaces or characters that cannot go in an HTTP header',
      {
        masks: ['ACTION-TOKEN-ONE%0AACTION-TOKEN-TWO', GH_TOKEN, LEDGER_KEY],
        secrets: ['ACTION-TOKEN-ONE', 'ACTION-TOKEN-TWO'],
      },
    );
  });

  it('api-base-url with credentials in it', async () => {
    const url = new URL(s.emulator.url);
    url.username = 'user';
    url.password = 'ACTION-URL-PASSWORD-n5o6';
    await failedStep(
      { 'api-base-url': url.toString() },
      'api-base-url must not contain credentials (user:password@); use the credential variables',
      { secrets: ['ACTION-URL-PASSWORD-n5o6'] },
    );
  });

  it('api-base-url over plain http to a host that is not loopback', async () => {
    await failedStep(
      { 'api-base-url': 'http://api.cloudflare.invalid/client/v4' },
      'api-base-url must use https (plain http only for localhost, e.g. the emulator)',
    );
  });

  it('api-base-url with a query', async () => {
    await failedStep(
      { 'api-base-url': `${s.emulator.url}?x=1` },
      'api-base-url must not have a query or fragment',
    );
  });
});
