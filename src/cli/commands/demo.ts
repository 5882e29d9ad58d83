// `quarantine-release demo`: a guided tour on the embedded emulator. It runs the real
// commands (validate, plan, apply) in a throw-away folder laid out like a repository: a
// malicious message is refused, then acknowledged with a reason; it shows the ledger and the
// pull-request comment (an HTML page, and text), then applies again to show nothing is sent
// twice. It is meant to show good practice: every reason matches the message it releases.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCloudflareClient } from '../../adapters/cloudflare/open.js';
import type { ApiSettings } from '../../adapters/cloudflare/settings.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { plan } from '../../core/plan/plan.js';
import type { RunResult } from '../../core/release/result.js';
import { accountComment } from '../../core/render/comment.js';
import { markdownPage, markdownText } from '../../core/render/markdown-view.js';
import { basisOf, planFingerprint } from '../../core/safety/review.js';
import { DEFAULT_GUARDED_DISPOSITIONS } from '../../core/safety/screen.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  demoFixtures,
  startEmulator,
} from '../../emulator/index.js';
import { loadInputs } from '../../engine/inputs.js';
import { screenWithCloudflare } from '../../engine/screen.js';
import { type CliIO, type Command, EXIT } from '../command.js';
import { cloudflareFromEnv } from '../credentials.js';
import { runCommand } from '../dispatch.js';
import { applyCommand } from './apply.js';
import { planCommand } from './plan.js';
import { validateCommand } from './validate.js';

const STEPS = { validate: validateCommand, plan: planCommand, apply: applyCommand };

export const demoCommand: Command = {
  name: 'demo',
  summary: 'a guided tour on the built-in Cloudflare API emulator (no account needed)',
  options: { keep: { type: 'boolean' } },
  help: `Usage: quarantine-release demo [--keep]

Starts the built-in Cloudflare Email Security emulator, writes a sample releases.yaml in a
throw-away folder, and walks through validate -> plan (a malicious message refused) -> its
acknowledgement, with a reason -> apply -> the ledger -> the pull-request comment (written as
an HTML page, whose path it prints, and shown as text), then applies again to show that
nothing is ever sent twice.

Options:
  --keep        keep the folder afterwards (its path is printed) to look around
  -h, --help    show this help

Exit codes: 0 every step behaved as shown, 2 usage error; anything else means one did not.
`,
  async run(values, io) {
    const emulator = await startEmulator({ messagesPerAccount: 60 });
    const dir = await mkdtemp(join(tmpdir(), 'quarantine-release-demo-'));
    try {
      return await tour(io, emulator.url, dir);
    } finally {
      await emulator.close();
      if (values.keep) io.stdout(`\nThe folder is kept: ${dir}\n`);
      else await rm(dir, { recursive: true, force: true });
    }
  },
};

async function tour(io: CliIO, apiUrl: string, dir: string): Promise<number> {
  const out = io.stdout;
  const env = { CLOUDFLARE_API_BASE_URL: apiUrl, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
  const account = DEFAULT_ACCOUNT;
  const ids = demoFixtures();
  let step = 0;
  const heading = (title: string) => out(`\n━━ ${++step}. ${title}\n`);
  const indent = (text: string) => text.replace(/\n$/, '').replace(/^/gm, '   │ ');
  const run = async (args: [keyof typeof STEPS, ...string[]]) => {
    out(`\n   $ quarantine-release ${args.join(' ')}\n`);
    let stdout = '';
    let stderr = '';
    const [name, ...rest] = args;
    const code = await runCommand(STEPS[name], rest, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env,
      cwd: dir,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    if (stderr) out(`${indent(stderr)}\n`);
    if (stdout) out(`${indent(stdout)}\n`);
    out(`   (exit code ${code})\n`);
    return code;
  };

  out('quarantine-release demo: releasing quarantined email through a reviewed, recorded file.\n');
  out('Everything below runs against a local emulator of the Cloudflare Email Security API.\n');

  heading('A local Cloudflare API');
  out(`   The emulator listens on ${apiUrl}\n`);
  out('   Its seeded mailbox holds quarantined spam, bulk mail, spoofed and malicious messages.\n');

  heading('A repository with a releases.yaml');
  // Each reason says why that message, as the lookup will show it, should reach its recipients.
  const entries = (
    simulation: string,
  ) => `# Requests to release messages from quarantine. Reviewed in a pull request, released on merge.
version: 1
account_id: ${account}
releases:
  - id: ${ids.bulk}
    reason: Product newsletter the recipient subscribed to; bulk mail, not spam
    ticket: SEC-1043
    requested_by: goran.novak@example.com
  - id: ${ids.scriptSender}
    reason: Monthly digest of the webinar platform the recipient signed up to
    ticket: SEC-1044
    requested_by: fatima.park@example.com
${simulation}`;
  const asked = `  - id: ${ids.malicious}
    reason: Message of the awareness team's phishing simulation, campaign 2026-Q4
    ticket: SEC-1045
    requested_by: security@example.com
`;
  const acknowledged = `  - id: ${ids.malicious}
    acknowledge: MALICIOUS
    reason: "Phishing simulation of the awareness team (campaign 2026-Q4): the look-alike sender and the EICAR test attachment are by design; confirmed with the security team"
    ticket: SEC-1045
    requested_by: security@example.com
`;
  const releasesPath = join(dir, 'releases.yaml');
  await writeFile(releasesPath, entries(asked));
  // plan refuses a ledger folder that does not exist: a repository set up for releases has one.
  await mkdir(join(dir, 'releases.ledger'));
  out(`   ${releasesPath}:\n${indent(entries(asked))}\n`);
  out('   and an empty releases.ledger/ folder, where every release will be recorded.\n');
  out('   Someone opens a pull request that adds these entries. The GitHub Action then checks\n');
  out('   the file and posts the plan on the pull request; nothing is released yet.\n');

  heading('Validate: the schema, duplicates, and every problem with its line and column');
  if ((await run(['validate'])) !== EXIT.ok) return EXIT.invalid;

  heading('Plan: every message looked up; malicious mail is refused without an acknowledgement');
  if ((await run(['plan'])) !== EXIT.invalid) return EXIT.invalid;
  out('   The third message is MALICIOUS: nothing in the file said so, so it is refused and the\n');
  out('   plan fails (on a pull request, the plan check fails and the merge is blocked).\n');

  heading('Review: the malicious message is acknowledged, with the reason, and planned again');
  out(
    '   The reviewer asks the security team: it is a message of their phishing simulation, and\n',
  );
  out('   they want it delivered. The entry now names the disposition it accepts and says why:\n');
  await writeFile(releasesPath, entries(acknowledged));
  out(`${indent(acknowledged)}\n`);
  if ((await run(['plan'])) !== EXIT.ok) return EXIT.invalid;
  const store = new FileLedgerStore(join(dir, 'releases.ledger'));
  const before = await loadInputs(() => readTextFile(releasesPath), 'releases.yaml', store);
  if (!before.ok) return EXIT.invalid;
  // The plan as the pull request showed it: every message looked up, as `plan` just did.
  const client = await openCloudflareClient(cloudflareFromEnv(env, true) as ApiSettings);
  const thePlan = await screenWithCloudflare(plan(before.file, before.ledger.index), client, {
    lookupBudget: 50,
    guarded: DEFAULT_GUARDED_DISPOSITIONS,
    now: Date.now(),
  }).finally(() => client.close());

  heading('Apply (on merge): pending is written before each request, the outcome after it');
  // Only the plan that was reviewed goes: its fingerprint, as `plan` printed it.
  const reviewed = thePlan.accounts.map(
    (a) => `--fingerprint=${a.account_id}:${planFingerprint(a, basisOf(a))}`,
  );
  const applied = await run(['apply', ...reviewed]);

  heading('The ledger: an append-only record of every state change, committed to the repository');
  const ledgerDir = join(dir, 'releases.ledger');
  for (const name of (await readdir(ledgerDir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    const lines = (await readFile(join(ledgerDir, name), 'utf8')).trimEnd().split('\n');
    out(`   releases.ledger/${name} (${lines.length} lines):\n`);
    for (const line of lines) {
      const r = JSON.parse(line) as {
        id: string;
        seq: number;
        state: string;
        delivered?: string[];
      };
      out(
        `   │ seq ${r.seq} ${r.state.padEnd(8)} ${r.id}${r.delivered ? `  delivered to ${r.delivered.length}` : ''}\n`,
      );
    }
  }
  out(
    '   Each line is JSON; `git log -p releases.ledger` is the audit trail of who, why and what happened.\n',
  );

  heading('The pull-request comment the GitHub Action leaves after the merge');
  const after = await loadInputs(() => readTextFile(releasesPath), 'releases.yaml', store);
  if (!after.ok) return EXIT.invalid;
  const results: RunResult[] = [];
  for (const item of thePlan.accounts.flatMap((a) => a.to_release)) {
    const latest = after.ledger.index.get(item.request.account_id, item.request.id)?.latest;
    if (!latest) continue;
    const r: RunResult = {
      account_id: latest.account_id,
      id: latest.id,
      state: latest.state,
      attempt: latest.attempt,
      via: 'release',
    };
    if (latest.delivered) r.delivered = latest.delivered;
    if (latest.failed) r.failed = latest.failed;
    if (latest.undelivered) r.undelivered = latest.undelivered;
    results.push(r);
  }
  const accountPlan = thePlan.accounts[0];
  if (!accountPlan) return EXIT.invalid;
  const comment = accountComment(
    accountPlan,
    { kind: 'applied', report: { results, notStarted: [], wouldRelease: [], dryRun: false } },
    { file: 'releases.yaml' },
  );
  // The page outlives the throw-away folder: it is there to be opened afterwards.
  const page = join(
    await mkdtemp(join(tmpdir(), 'quarantine-release-comment-')),
    'pull-request-comment.html',
  );
  await writeFile(page, markdownPage(comment, 'quarantine-release: the pull-request comment'));
  out(`   As GitHub shows it: ${page}\n`);
  out('   As text:\n');
  out(`${indent(markdownText(comment))}\n`);
  out(
    '   In the comment, every sender name and reason is escaped (the markup in one sender name\n',
  );
  out('   above stays text): no mention, link, HTML or workflow command survives.\n');

  heading('Apply again: the ledger already has every message, so nothing is sent');
  const again = await run(['apply', ...reviewed]);

  out('\n━━ Done.\n');
  out(`   The pull-request comment, as a page: ${page}\n`);
  out('   To use it in a repository: README.md, "Set up the GitHub Action".\n');
  out(`   To explore: quarantine-release emulator, then point CLOUDFLARE_API_BASE_URL at it.\n`);
  return applied === EXIT.ok && again === EXIT.ok ? EXIT.ok : EXIT.invalid;
}
