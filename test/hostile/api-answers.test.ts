// Hostile and broken answers from the Cloudflare API (a crafted server on loopback), through
// the bundled CLI's apply and, once, the bundled action. The release endpoint has no
// idempotency key, so an answer counts only for what it proves: each of these ends with the
// documented classification (unknown, failed, or not sent), never a crash, never a guessed
// "released", and the hostile text escaped wherever it is shown.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../src/core/ledger/record.js';
import { DEFAULT_TOKEN } from '../../src/emulator/index.js';
import { type ActionScenario, actionScenario, GH_TOKEN } from '../support/action.js';
import { parseShard } from '../support/factories.js';
import { LEDGER_KEY } from '../support/sealed.js';
import {
  ACCOUNT,
  type CraftedApi,
  type CraftedReply,
  type CraftedRequest,
  cli,
  craftedApi,
  type DistRun,
  expectCleanOutput,
  expectOnlyOwnCommands,
  json,
  ledgerLine,
  postedIds,
  releasePosts,
  releasesYaml,
  removeDir,
  tempDir,
} from './fixtures/harness.js';

const ID1 = 'AAAAA11111-2026-11-01T10:00:00-10000001';
const ID2 = 'BBBBB22222-2026-11-01T10:00:00-10000002';

/** Error text written to break out of a log line, a comment and a table. */
const HOSTILE_MESSAGE =
  'denied\n::add-mask::leak\r\n::error file=x::owned ##[set-output name=a]b @org/team &#64;admins <img src=x onerror=alert(1)> | cell | `code`';

const servers: CraftedApi[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of folders) await removeDir(d);
});

async function server(answer: (r: CraftedRequest, n: number) => CraftedReply): Promise<CraftedApi> {
  let n = 0;
  const s = await craftedApi((r) => answer(r, ++n));
  servers.push(s);
  return s;
}

interface Applied {
  run: DistRun;
  json: {
    results: { id: string; state: string; via: string; error: { message: string } | null }[];
    not_started: { id: string }[];
    stopped: string | null;
  };
  ledger: LedgerRecord[];
  dir: string;
}

async function ledgerOf(dir: string): Promise<LedgerRecord[]> {
  const ledgerDir = join(dir, 'releases.ledger');
  const out: LedgerRecord[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(ledgerDir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const parsed = parseShard(await readFile(join(ledgerDir, name), 'utf8'), name);
    expect(parsed.errors, 'the ledger stays readable').toEqual([]);
    out.push(...parsed.records.map((r) => r.record));
  }
  return out;
}

/** apply --format json against `api` for `ids` (optionally over an existing ledger). */
async function apply(
  api: CraftedApi,
  ids: string[],
  options: { ledger?: string; args?: string[] } = {},
): Promise<Applied> {
  const dir = await tempDir();
  folders.push(dir);
  await writeFile(join(dir, 'releases.yaml'), releasesYaml(ids));
  if (options.ledger !== undefined) {
    await mkdir(join(dir, 'releases.ledger'));
    await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), options.ledger);
  }
  const run = await cli(
    dir,
    [
      'apply',
      '--unreviewed',
      '--format',
      'json',
      '--timeout-seconds',
      '10',
      ...(options.args ?? []),
    ],
    { CLOUDFLARE_API_BASE_URL: api.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN },
  );
  expect(run.signal, run.stderr).toBeNull();
  expectCleanOutput(run, { jsonStdout: true });
  const parsed = JSON.parse(run.stdout) as Applied['json'];
  return { run, json: parsed, ledger: await ledgerOf(dir), dir };
}

/** Every id ended `state` with an error saying `message`, recorded in the ledger as such. */
function expectEvery(a: Applied, state: string, message: string | RegExp): void {
  expect(a.run.code, a.run.stderr).toBe(3);
  expect(a.json.results.length).toBeGreaterThan(0);
  for (const r of a.json.results) {
    expect(r.state).toBe(state);
    if (typeof message === 'string') expect(r.error?.message).toBe(message);
    else expect(r.error?.message).toMatch(message);
  }
  expect(a.ledger.some((r) => r.state === 'released' || r.state === 'partial')).toBe(false);
  for (const r of a.json.results) {
    const last = a.ledger.filter((x) => x.id === r.id).at(-1);
    expect(last?.state).toBe(state);
  }
}

/** Message details as the API gives them: quarantined spam, never released. */
function quarantinedDetails(id: string, extra: Record<string, unknown> = {}) {
  return {
    success: true,
    errors: [],
    result: {
      id,
      is_quarantined: true,
      final_disposition: 'SPAM',
      post_delivery_operations: [],
      action_log: [],
      subject: 'Invoice',
      from: 'billing@vendor.example',
      to: ['alice@example.com'],
      ...extra,
    },
  };
}

const idOfPath = (path: string) =>
  decodeURIComponent(path.split('?')[0]?.split('/investigate/')[1]?.split('/')[0] ?? '');

/** The release POST answers `reply`; lookups find each message quarantined (checks pass). */
const releaseOnly =
  (reply: (r: CraftedRequest) => CraftedReply) =>
  (r: CraftedRequest): CraftedReply => {
    if (r.method === 'POST') return reply(r);
    if (r.path.includes('/action_log')) return json(200, { success: true, errors: [], result: [] });
    return json(200, quarantinedDetails(idOfPath(r.path)));
  };

describe.concurrent('release answers that prove nothing: unknown, never guessed', () => {
  it('HTML on 200 (a proxy page)', async () => {
    const api = await server(
      releaseOnly(() => ({
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>Welcome</h1><p>Released: all</p></body></html>',
      })),
    );
    const a = await apply(api, [ID1, ID2]);
    expectEvery(a, 'unknown', 'the answer is not the expected JSON envelope');
    expect(releasePosts(api)).toEqual([[ID1, ID2]]);
  });

  it('truncated JSON on 200', async () => {
    const api = await server(
      releaseOnly(() => ({
        status: 200,
        body: `{"success":true,"errors":[],"result":[{"id":"${ID1}","delivered":["a@exa`,
      })),
    );
    expectEvery(await apply(api, [ID1]), 'unknown', 'the answer is not the expected JSON envelope');
  });

  it('`success` as the string "true"', async () => {
    const api = await server(
      releaseOnly(() => json(200, { success: 'true', errors: [], result: [{ id: ID1 }] })),
    );
    expectEvery(await apply(api, [ID1]), 'unknown', 'the answer is not the expected JSON envelope');
  });

  it('`result` that is not a list', async () => {
    const api = await server(
      releaseOnly(() =>
        json(200, { success: true, errors: [], result: { id: ID1, delivered: ['a@example.com'] } }),
      ),
    );
    expectEvery(await apply(api, [ID1]), 'unknown', 'the answer has no result list');
  });

  it('items whose `id` is a number or a list: not an answer for the id sent', async () => {
    const api = await server(
      releaseOnly(() =>
        json(200, {
          success: true,
          errors: [],
          result: [
            { id: 1111111111, delivered: ['a@example.com'], failed: [], undelivered: [] },
            { id: [ID2], delivered: ['b@example.com'], failed: [], undelivered: [] },
          ],
        }),
      ),
    );
    expectEvery(await apply(api, [ID1, ID2]), 'unknown', 'not in the answer');
  });

  it('recipient lists holding numbers, nulls and objects', async () => {
    const api = await server(
      releaseOnly(() =>
        json(200, {
          success: true,
          errors: [],
          result: [
            { id: ID1, delivered: ['a@example.com', 42], failed: [], undelivered: [] },
            { id: ID2, delivered: [], failed: [null, { to: 'x' }], undelivered: 'b@example.com' },
          ],
        }),
      ),
    );
    expectEvery(
      await apply(api, [ID1, ID2]),
      'unknown',
      'recipient lists in the answer are malformed',
    );
  });

  it('a 20 MB body is cut off at the cap, not read whole, and not trusted', async () => {
    const padding = 'x'.repeat(20 * 1024 * 1024);
    const api = await server(
      releaseOnly(() => ({
        status: 200,
        body: `{"success":true,"errors":[],"result":[{"id":"${ID1}","delivered":["a@example.com"],"failed":[],"undelivered":[]}],"padding":"${padding}"}`,
      })),
    );
    expectEvery(await apply(api, [ID1]), 'unknown', 'the answer is not the expected JSON envelope');
  });

  it('a redirect is not followed (the credentials never go elsewhere): unknown', async () => {
    const elsewhere = await server(() => json(200, { success: true, errors: [], result: [] }));
    const api = await server(
      releaseOnly(() => ({
        status: 307,
        headers: {
          location: `${elsewhere.url}/accounts/${ACCOUNT}/email-security/investigate/release`,
        },
      })),
    );
    expectEvery(await apply(api, [ID1]), 'unknown', 'HTTP 307: the server may have acted');
    expect(elsewhere.requests).toEqual([]);
  });
});

describe.concurrent('release answers that refuse or stop the run', () => {
  it('429 with Retry-After: 999999: not sent, recorded so, the run stops at once', async () => {
    const api = await server(
      releaseOnly(() =>
        json(
          429,
          { success: false, errors: [{ code: 971, message: 'Please wait' }], result: null },
          { 'retry-after': '999999' },
        ),
      ),
    );
    const a = await apply(api, [ID1, ID2], { args: ['--batch-size', '1', '--concurrency', '1'] });
    expect(a.run.code).toBe(3);
    expect(a.json.stopped).toBe('rate limited (HTTP 429: Please wait)');
    expect(a.json.results).toMatchObject([{ id: ID1, state: 'pending', via: 'not-sent' }]);
    expect(a.json.not_started).toMatchObject([{ id: ID2 }]);
    expect(releasePosts(api)).toEqual([[ID1]]);
    expect(a.ledger.map((r) => [r.id, r.state, r.sent])).toEqual([
      [ID1, 'pending', undefined],
      [ID1, 'pending', false],
    ]);
  });

  it('error messages with workflow commands, mentions, HTML and line breaks: escaped, one line each', async () => {
    const api = await server(
      releaseOnly((r) =>
        postedIds(r.body)[0] === ID1
          ? json(400, { success: false, errors: [{ code: 1002, message: HOSTILE_MESSAGE }] })
          : json(502, { success: false, errors: [{ code: 1003, message: HOSTILE_MESSAGE }] }),
      ),
    );
    const a = await apply(api, [ID1, ID2], { args: ['--batch-size', '1', '--concurrency', '1'] });
    expect(a.json.results.map((r) => [r.id, r.state])).toEqual([
      [ID1, 'failed'],
      [ID2, 'unknown'],
    ]);
    // The ledger keeps the text as data (JSON-escaped on one line).
    expect(a.ledger.filter((r) => r.error).map((r) => r.error?.message)).toEqual([
      HOSTILE_MESSAGE,
      HOSTILE_MESSAGE,
    ]);
    // The text report: each result on one line, the breaks and commands visible but inert.
    const text = await cli(a.dir, ['plan'], {});
    expect(text.code, text.stderr).toBe(0);
    expectCleanOutput(text);
    const held = text.stdout.split('\n').find((l) => l.includes(ID1)) ?? '';
    expect(held).toContain(
      'denied\\n:\u200b:add-mask:\u200b:leak\\r\\n:\u200b:error file=x:\u200b:owned',
    );
    expect(held).not.toContain('##[');
  });

  it('the same hostile text in the text report of apply', async () => {
    const api = await server(
      releaseOnly(() => json(403, { success: false, errors: [{ message: HOSTILE_MESSAGE }] })),
    );
    const dir = await tempDir();
    folders.push(dir);
    await writeFile(join(dir, 'releases.yaml'), releasesYaml([ID1]));
    const r = await cli(dir, ['apply', '--unreviewed'], {
      CLOUDFLARE_API_BASE_URL: api.url,
      CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN,
    });
    expect(r.code).toBe(3);
    expectCleanOutput(r);
    expect(r.stdout).toMatch(
      new RegExp(
        `^  failed   ${ID1}  \\(released by this run, attempt 1\\)  HTTP 403: denied\\\\n:\u200b:add-mask`,
        'm',
      ),
    );
    expect(r.stdout).toContain('Stopped early: the API refused the credentials (HTTP 403)');
  });
});

describe.concurrent('read-back answers (a send whose outcome is unknown)', () => {
  const pending = (id: string) =>
    `${ledgerLine({ id, seq: 1, state: 'unknown', error: { message: 'no answer: timed out' } })}\n`;

  async function readBack(
    message: unknown,
    actionLog: unknown = { success: true, errors: [], result: [] },
  ) {
    const api = await server((r) => {
      if (r.method === 'POST') return json(200, { success: true, errors: [], result: [] });
      if (r.path.endsWith('/action_log')) return json(200, actionLog);
      return json(200, message);
    });
    const a = await apply(api, [ID1], { ledger: pending(ID1) });
    return { api, a };
  }

  /** Unresolved: nothing sent, nothing recorded, the message stays `unknown`. */
  async function expectUnresolved(api: CraftedApi, a: Applied, message: string) {
    expect(a.run.code, a.run.stderr).toBe(3);
    expect(a.json.results).toMatchObject([
      { id: ID1, state: 'unknown', via: 'readback', error: { message } },
    ]);
    expect(releasePosts(api)).toEqual([]);
    expect(a.ledger).toHaveLength(1);
    expect(a.run.stderr).toContain(`${ID1}: still unresolved (${message})`);
  }

  it('message details without `is_quarantined`', async () => {
    const { api, a } = await readBack({
      success: true,
      errors: [],
      result: { id: ID1, subject: 'x' },
    });
    await expectUnresolved(api, a, 'malformed message details');
  });

  it('`is_quarantined` as the string "false"', async () => {
    const { api, a } = await readBack({
      success: true,
      errors: [],
      result: { id: ID1, is_quarantined: 'false' },
    });
    await expectUnresolved(api, a, 'malformed message details');
  });

  it('an action log that is not a list (the message is still quarantined)', async () => {
    const { api, a } = await readBack(
      { success: true, errors: [], result: { id: ID1, is_quarantined: true } },
      { success: true, errors: [], result: { operation: 'QUARANTINE_RELEASE' } },
    );
    await expectUnresolved(api, a, 'malformed action log');
  });

  it('message details answered with 429 and Retry-After: 999999: the run stops, nothing sent', async () => {
    const api = await server((r) =>
      r.method === 'POST'
        ? json(200, { success: true, errors: [], result: [] })
        : json(
            429,
            { success: false, errors: [{ code: 971, message: 'slow down' }] },
            { 'retry-after': '999999' },
          ),
    );
    const a = await apply(api, [ID1], { ledger: pending(ID1) });
    expect(a.run.code).toBe(3);
    expect(a.json.stopped).toBe('rate limited while reading messages back');
    expect(releasePosts(api)).toEqual([]);
    expect(a.ledger).toHaveLength(1);
  });
});

/** Details written to break out of a log line, a table cell and a comment. */
const HOSTILE_DETAILS = {
  subject: 'Invoice\n::add-mask::subject @org/team <img src=x onerror=alert(1)> | x |',
  from_name: '::error::sender\r\n##[set-output name=a]b',
  from: '@admins@example.com',
  to: ['alice@example.com', '<script>alert(1)</script>@x', '@org/team'],
  detection_reasons: ['`code` &#64;team [link](https://evil.example)'],
};

describe.concurrent('lookups before release (message details)', () => {
  /** The pre-release lookup answers `details`; a POST would be answered "released". */
  async function lookup(details: (id: string) => unknown) {
    return server((r) => {
      if (r.method === 'POST')
        return json(200, {
          success: true,
          errors: [],
          result: postedIds(r.body).map((id) => ({
            id,
            delivered: ['a@example.com'],
            failed: [],
            undelivered: [],
          })),
        });
      if (r.path.includes('/action_log'))
        return json(200, { success: true, errors: [], result: [] });
      return json(200, details(idOfPath(r.path)));
    });
  }

  it.each([
    [
      'without `is_quarantined`',
      (id: string) => ({ success: true, errors: [], result: { id, final_disposition: 'SPAM' } }),
    ],
    [
      'with `is_quarantined` as a string',
      (id: string) => quarantinedDetails(id, { is_quarantined: 'true' }),
    ],
    ['without a disposition', (id: string) => quarantinedDetails(id, { final_disposition: null })],
  ])('message details %s: refused as unchecked, never sent', async (_what, details) => {
    const api = await lookup(details);
    const a = await apply(api, [ID1]);
    // Exit 3, not 1: the message could not be checked (not refused for what it is).
    expect(a.run.code, a.run.stderr).toBe(3);
    expect(releasePosts(api)).toEqual([]);
    expect(a.json.results).toEqual([]);
    expect(a.ledger).toEqual([]);
    expect(a.run.stdout).toContain('disposition not established');
  });

  it('hostile subject, sender, recipients and reasons: one line each in plan text, inert in markdown', async () => {
    const api = await lookup((id) => quarantinedDetails(id, HOSTILE_DETAILS));
    const dir = await tempDir();
    folders.push(dir);
    await writeFile(join(dir, 'releases.yaml'), releasesYaml([ID1]));
    await mkdir(join(dir, 'releases.ledger'));
    const env = { CLOUDFLARE_API_BASE_URL: api.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
    const [text, markdown] = await Promise.all([
      cli(dir, ['plan'], env),
      cli(dir, ['plan', '--format', 'markdown'], env),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expectCleanOutput(text);
    const detail = text.stdout.split('\n').find((l) => l.includes('Invoice')) ?? '';
    expect(detail).toContain('Invoice\\n:\u200b:add-mask:\u200b:subject');
    expect(detail).toContain(':\u200b:error:\u200b:sender\\r\\n#\u200b#[set-output');
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).not.toMatch(
      /@org\/team|@admins|&#64;team|<img|<script|::add-mask::|::error::|\]\(https/,
    );
    const row = markdown.stdout.split('\n').find((l) => l.includes(ID1)) ?? '';
    expect(row.startsWith('|') && row.endsWith('|')).toBe(true);
    expect(releasePosts(api)).toEqual([]);
  });

  // The disposition comes from the API like the subject and is escaped like it: a hostile one
  // must not break the log (workflow commands) or the markdown table (`|`, HTML, mentions).
  it('a hostile disposition string is escaped like every other field', async () => {
    const api = await lookup((id) =>
      quarantinedDetails(id, { final_disposition: 'SPAM\n::add-mask::x | <img src=x> @org/team' }),
    );
    const dir = await tempDir();
    folders.push(dir);
    await writeFile(join(dir, 'releases.yaml'), releasesYaml([ID1]));
    const env = { CLOUDFLARE_API_BASE_URL: api.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
    const [text, markdown] = await Promise.all([
      cli(dir, ['plan'], env),
      cli(dir, ['plan', '--format', 'markdown'], env),
    ]);
    expectCleanOutput(text);
    expect(markdown.stdout).not.toMatch(/@org\/team|<img/);
  });
});

describe('hostile answers through the action (apply on merge)', () => {
  let s: ActionScenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  // The same hostile disposition where it hurts most: a pull request plan, printed to the log
  // and posted as a comment. No workflow command, no mention, no HTML.
  it('a hostile disposition in a pull request plan issues no workflow command and no mention', async () => {
    s = await actionScenario();
    const api = await server((r) =>
      r.method === 'GET' && !r.path.includes('/action_log')
        ? json(
            200,
            quarantinedDetails(idOfPath(r.path), {
              final_disposition: 'SPAM\n::add-mask::x @org/team <img src=x>',
            }),
          )
        : json(200, { success: true, errors: [], result: [] }),
    );
    s.gh.commitFiles('feature-3', { 'releases.yaml': releasesYaml([ID1]) }, 'request');
    s.gh.addPullRequest({ number: 3, head: 'feature-3', base: 'main', merged: false });
    const r = await s.run({
      event: 'pull_request',
      pr: 3,
      sha: s.gh.headSha('feature-3'),
      inputs: { 'api-base-url': api.url },
    });
    expectOnlyOwnCommands(r.stdout, [DEFAULT_TOKEN, GH_TOKEN, LEDGER_KEY]);
    expect(s.gh.comments(3).at(-1)?.body ?? '').not.toMatch(/@org\/team|<img/);
    expect(releasePosts(api)).toEqual([]);
  });

  // Found by this suite while the disposition checks were being written (the run ended green
  // and said "every requested message is already in the ledger"); fixed since.
  it('a bad token (401 on every lookup): every message refused, the step fails', async () => {
    s = await actionScenario();
    s.gh.commitFiles('main', { 'releases.yaml': releasesYaml(s.quarantined(1)) }, 'merge');
    const r = await s.run({ event: 'push', inputs: { 'api-token': 'not-a-known-token' } });
    expect(r.outputs.refused).toBe('1');
    expect(s.releasePosts()).toBe(0);
    expect(r.stdout).not.toContain('every requested message is already in the ledger');
    expect(r.code).toBe(1);
  });

  it('hostile recipients and error text: counted or escaped in the summary, the comment and the log', async () => {
    s = await actionScenario();
    const recipients = ['@org/team', '<img src=x onerror=alert(1)>', '::add-mask::r', 'a|b'];
    const api = await server(
      releaseOnly((r) => {
        const [id] = postedIds(r.body);
        return id === ID1
          ? json(200, {
              success: true,
              errors: [],
              result: [{ id, delivered: recipients, failed: [], undelivered: [] }],
            })
          : json(400, { success: false, errors: [{ code: 1002, message: HOSTILE_MESSAGE }] });
      }),
    );
    const yaml = releasesYaml([ID1, ID2]);
    const sha = s.gh.commitFiles('main', { 'releases.yaml': yaml }, 'Merge pull request #8');
    s.gh.addPullRequest({ number: 8, head: 'feature-8', merged: true, mergeCommitSha: sha });
    const r = await s.run({
      event: 'push',
      inputs: {
        'api-base-url': api.url,
        'batch-size': '1',
        concurrency: '1',
        // Not about the review: the merge applies the file as it is.
        'require-reviewed-plan': 'false',
        'required-approvals': '0',
      },
    });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ mode: 'apply', released: '1', failed: '1' });
    expectOnlyOwnCommands(r.stdout, [DEFAULT_TOKEN, GH_TOKEN, LEDGER_KEY]);
    expect(r.stdout).not.toContain('::add-mask::leak');
    expect(r.stdout).not.toContain('::add-mask::r');
    const comment = s.gh.comments(8).at(-1)?.body ?? '';
    expect(comment).toContain('<!-- quarantine-release account=');
    for (const text of [comment, r.summary]) {
      expect(text).not.toMatch(/@org\/team|&#64;admins|<img|::add-mask::|::error|##\[/);
      expect(text).not.toContain('| cell |');
      const row = text.split('\n').find((l) => l.includes(ID2)) ?? '';
      expect(row.startsWith('|'), 'one table row, on one line').toBe(true);
      expect(row).toContain('denied');
    }
    // The ledger committed to the branch keeps the facts, on whole lines.
    const lines = s.ledgerLines();
    expect(lines.filter((l) => l.state === 'released').map((l) => l.delivered)).toEqual([
      recipients,
    ]);
    expect(
      lines
        .filter((l) => l.state === 'failed')
        .map((l) => (l.error as { message: string }).message),
    ).toEqual([HOSTILE_MESSAGE]);
    expect(s.emulator.truth().requests).toEqual([]);
  });
});
