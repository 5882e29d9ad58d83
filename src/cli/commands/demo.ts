// `quarantine-release demo`: a guided tour on the embedded emulator. It runs the real
// commands (validate, plan, apply) in a throw-away folder laid out like a repository, shows
// the ledger and the pull-request comment, then applies again to show nothing is sent twice.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiSettings } from '../../adapters/cloudflare/settings.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { plan } from '../../core/plan/plan.js';
import type { RunResult } from '../../core/release/result.js';
import { accountComment } from '../../core/render/comment.js';
import { DEFAULT_GUARDED_DISPOSITIONS } from '../../core/safety/review.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  demoFixtures,
  startEmulator,
} from '../../emulator/index.js';
import { loadInputs } from '../../engine/inputs.js';
import { reviewedPlan } from '../../engine/review.js';
import { type CliIO, type Command, EXIT } from '../command.js';
import { cloudflareFromEnv, openCloudflareClient } from '../credentials.js';
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
throw-away folder, and walks through validate -> plan -> apply -> the ledger -> the
pull-request comment, then applies again to show that nothing is ever sent twice.

Options:
  --keep        keep the folder afterwards (its path is printed) to look around
  -h, --help    show this help
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
  const releases = `# Requests to release messages from quarantine. Reviewed in a pull request, released on merge.
version: 1
account_id: ${account}
releases:
  - id: ${ids.spam}
    reason: Newsletter from our payroll provider, false positive
    ticket: SEC-1042
    requested_by: alice@example.com
  - id: ${ids.bulk}
    reason: Quarterly report from the auditors
    ticket: SEC-1043
  - id: ${ids.scriptSender}
    reason: "Payroll notice; the sender name looks odd but the message is genuine"
    requested_by: bob@example.com
`;
  await writeFile(join(dir, 'releases.yaml'), releases);
  // plan refuses a ledger folder that does not exist: a repository set up for releases has one.
  await mkdir(join(dir, 'releases.ledger'));
  out(`   ${join(dir, 'releases.yaml')}:\n${indent(releases)}\n`);
  out('   Someone opens a pull request that adds these entries. The GitHub Action then checks\n');
  out('   the file and posts the plan on the pull request; nothing is released yet.\n');

  heading('Validate: the schema, duplicates, and every problem with its line and column');
  if ((await run(['validate'])) !== EXIT.ok) return EXIT.invalid;

  heading('Plan: what the file asks for, minus what the ledger says already happened');
  if ((await run(['plan'])) !== EXIT.ok) return EXIT.invalid;
  const store = new FileLedgerStore(join(dir, 'releases.ledger'));
  const before = await loadInputs(
    () => readTextFile(join(dir, 'releases.yaml')),
    'releases.yaml',
    store,
  );
  if (!before.ok) return EXIT.invalid;
  // The plan as the pull request showed it: every message looked up, as `plan` just did.
  const client = await openCloudflareClient(cloudflareFromEnv(env, true) as ApiSettings);
  const thePlan = await reviewedPlan(plan(before.file, before.ledger.index), client, {
    lookupBudget: 50,
    guarded: DEFAULT_GUARDED_DISPOSITIONS,
    now: Date.now(),
  }).finally(() => client.close());

  heading('Apply (on merge): pending is written before each request, the outcome after it');
  const applied = await run(['apply']);

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

  heading('The pull-request comment the GitHub Action leaves after the merge (markdown)');
  const after = await loadInputs(
    () => readTextFile(join(dir, 'releases.yaml')),
    'releases.yaml',
    store,
  );
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
  if (accountPlan) {
    const comment = accountComment(
      accountPlan,
      { kind: 'applied', report: { results, notStarted: [], wouldRelease: [], dryRun: false } },
      { file: 'releases.yaml' },
    );
    out(`${indent(comment)}\n`);
    out(
      '   Sender names and reasons are escaped: no mention, link, HTML or workflow command survives.\n',
    );
  }

  heading('Apply again: the ledger already has every message, so nothing is sent');
  const again = await run(['apply']);

  out('\n━━ Done.\n');
  out('   To use it in a repository: README.md, "Set up the GitHub Action".\n');
  out(`   To explore: quarantine-release emulator, then point CLOUDFLARE_API_BASE_URL at it.\n`);
  return applied === EXIT.ok && again === EXIT.ok ? EXIT.ok : EXIT.incomplete;
}
