import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { openCloudflareClient } from '../../adapters/cloudflare/open.js';
import type { ApiSettings } from '../../adapters/cloudflare/settings.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { searchProblems } from '../../core/plan/selectors.js';
import { DEFAULT_SETTLE_MS } from '../../core/release/in-flight.js';
import { escapeLogText } from '../../core/render/escape.js';
import { renderDiagnosticsText } from '../../core/render/plan-text.js';
import {
  refusedOf,
  renderRunJson,
  renderRunText,
  runSucceeded,
} from '../../core/render/results.js';
import type { ReviewedPlan, ReviewGate } from '../../core/safety/review.js';
import { apply } from '../../engine/apply.js';
import { systemClock } from '../../engine/ports.js';
import {
  accountsOption,
  type CliIO,
  type Command,
  choiceOption,
  EXIT,
  integerOption,
  refusalExit,
  stringOption,
} from '../command.js';
import { commandSettings } from '../credentials.js';
import { ledgerFolderExists, lockLedger } from '../ledger-folder.js';
import { ledgerHistory } from '../ledger-history.js';
import { stderrLogger } from '../logger.js';
import {
  DEFAULT_MAX_RELEASES,
  fingerprintOption,
  guardedOption,
  lookupBudgetOption,
  safetyOptionSpecs,
  safetyOptionsHelp,
  searchPageSizeOption,
} from '../safety-options.js';

/**
 * 100 ids per POST: an answer that is lost (timeout, reset) leaves at most 100 messages to
 * read back (about 8% of the 5-minute API budget), while 50,000 ids still take only 500
 * requests.
 */
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_CONCURRENCY = 2;

export const applyCommand: Command = {
  name: 'apply',
  summary: 'release the planned messages, at most once, and record every outcome in the ledger',
  options: {
    releases: { type: 'string' },
    ledger: { type: 'string' },
    'batch-size': { type: 'string' },
    concurrency: { type: 'string' },
    'deadline-minutes': { type: 'string' },
    'timeout-seconds': { type: 'string' },
    'settle-seconds': { type: 'string' },
    'dry-run': { type: 'boolean' },
    format: { type: 'string' },
    account: { type: 'string', multiple: true },
    'max-releases': { type: 'string' },
    force: { type: 'boolean' },
    fingerprint: { type: 'string', multiple: true },
    unreviewed: { type: 'boolean' },
    ...safetyOptionSpecs,
  },
  help: `Usage: quarantine-release apply [--releases FILE] [--ledger DIR] [--batch-size N] [--dry-run] [--format text|json]

Releases every message of the plan that the ledger does not show as released, then records
each outcome in the ledger (the files change; committing them is up to you):
  1. messages whose last send has no known outcome are read back first; only one still
     quarantined with no release recorded is sent again;
  2. every message is checked right before it is sent: it must exist, still be in
     quarantine, and a guarded disposition (MALICIOUS, MALICIOUS-BEC, SPOOF) needs a
     matching \`acknowledge\` on its entry; refused messages are reported, the rest go on;
  3. each batch is written to the ledger as pending (flushed to disk) before it is sent;
     a batch is sent once and never retried automatically;
  4. a rate limit (429) or an unreachable API stops the run; those messages stay pending and
     are sent by a later run. SIGINT/SIGTERM: no new batch starts, the one in flight is
     recorded, exit 3;
  5. a send whose run died (kill -9, a crash) may still be at Cloudflare for a while: it is
     read back only once it has surely ended (--settle-seconds after its request timeout or
     the next run's start, whichever is sooner); until then it is left pending, exit 3.

Credentials (environment): CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY.
API base URL: CLOUDFLARE_API_BASE_URL (default https://api.cloudflare.com/client/v4).

Options:
  --releases FILE         the requests file (default: releases.yaml)
  --ledger DIR            the ledger directory (default: releases.ledger)
  --batch-size N          ids per request, 1-1000 (default: ${DEFAULT_BATCH_SIZE})
  --concurrency N         requests in flight at once, 1-16 (default: ${DEFAULT_CONCURRENCY})
  --deadline-minutes N    start no new batch after N minutes (default: 60)
  --timeout-seconds N     give up on one request after N seconds (default: 180); a release
                          that times out is recorded unknown and read back by the next run
  --settle-seconds N      how long Cloudflare may still act on a request after its sender
                          stopped waiting (default: ${DEFAULT_SETTLE_MS / 1000}); an earlier send is only
                          resolved by read-back after that, waiting up to N seconds for it
  --dry-run               read back and report what would be sent; send and write nothing
  --format FORMAT         text (default) or json: {"results": [{account_id, id, state, delivered, failed, undelivered, ...}]}
  --account ID            apply only this account (repeatable)
  --max-releases N        refuse the whole run when more than N messages would be released
                          (default: ${DEFAULT_MAX_RELEASES}); --force releases them anyway
  --fingerprint HASH      release only the plan \`plan\` printed with this fingerprint (or
                          ACCOUNT:HASH per account), with or without credentials; a
                          different plan releases nothing. Without it nothing new is
                          released, unless --unreviewed
  --unreviewed            release what the file says without a reviewed plan (explicit
                          opt-out: the output says so)
${safetyOptionsHelp}
  -h, --help              show this help

Exit codes: 0 every message released, 1 invalid input, a refused message or a refused run,
2 usage error, 3 some messages ended partial, failed, unknown or pending, could not be checked
(an unreachable API, the lookup budget), or the run stopped early.
`,
  async run(values, io) {
    const file = stringOption(values, 'releases', 'releases.yaml');
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
    const batchSize = integerOption(values, 'batch-size', DEFAULT_BATCH_SIZE, 1, 1000);
    const concurrency = integerOption(values, 'concurrency', DEFAULT_CONCURRENCY, 1, 16);
    const deadlineMinutes = integerOption(values, 'deadline-minutes', 60, 1, 24 * 60);
    const timeoutMs = integerOption(values, 'timeout-seconds', 180, 1, 3600) * 1000;
    const settleMs =
      integerOption(values, 'settle-seconds', DEFAULT_SETTLE_MS / 1000, 0, 3600) * 1000;
    const dryRun = values['dry-run'] === true;
    const accounts = accountsOption(values);
    const log = stderrLogger(io);

    const safety = {
      lookupBudget: lookupBudgetOption(values),
      guarded: guardedOption(values),
      maxReleases: integerOption(values, 'max-releases', DEFAULT_MAX_RELEASES, 1, 1_000_000),
      force: values.force === true,
    };
    const fingerprints = fingerprintOption(values);
    const ran = provenance(io);
    const settings = commandSettings(io, 'apply', true, searchPageSizeOption(values));
    if (settings === EXIT.invalid) return EXIT.invalid;

    const ledgerDir = resolve(io.cwd, dir);
    if (!(await ledgerFolderExists(ledgerDir))) {
      io.stderr(
        `quarantine-release apply: no ledger folder at ${escapeLogText(dir, 300)} yet: ${dryRun ? 'planned as if nothing was released (a dry run writes nothing)' : 'it is created with the first record this run writes'}.\n`,
      );
    }
    const lock = dryRun ? undefined : await lockLedger(io, 'apply', ledgerDir);
    if (lock === EXIT.invalid) return EXIT.invalid;
    const history = await ledgerHistory(io, ledgerDir, dir, log);
    const store = new FileLedgerStore(ledgerDir, log, history);
    const client = await openCloudflareClient(settings as ApiSettings, {
      connections: concurrency + 1,
      timeouts: { headersMs: timeoutMs, bodyMs: timeoutMs, requestMs: timeoutMs },
      log,
    });
    try {
      const result = await apply(
        {
          releases: () => readTextFile(resolve(io.cwd, file)),
          releasesPath: file,
          store,
          api: client,
          clock: systemClock,
          log,
        },
        {
          batchSize,
          concurrency,
          dryRun,
          pendingScope: 'batch',
          inFlightMs: timeoutMs,
          settleMs,
          accounts,
          provenance: ran,
          safety: { ...safety, gate: cliGate(fingerprints, values.unreviewed === true) },
          ...(io.signal ? { signal: io.signal } : {}),
          deadline: Date.now() + deadlineMinutes * 60_000,
        },
      );
      if (result.kind === 'invalid') {
        io.stderr(renderDiagnosticsText(result.errors));
        if (result.stage === 'ledger')
          io.stderr(
            'The ledger is corrupt, or was changed outside quarantine-release: nothing was sent. Repair it first.\n',
          );
        return EXIT.invalid;
      }
      io.stdout(format === 'json' ? renderRunJson(result) : renderRunText(result));
      // What this run wrote is sealed in a commit of its own (with a ledger key, in a git clone).
      if (!result.dryRun && !(await sealLedger(store, io, ran.run))) return EXIT.incomplete;
      // Refused messages or a refused run: never mistaken for a clean run.
      if (result.blocked !== undefined) return EXIT.invalid;
      const refused = refusalExit([
        ...refusedOf(result).map((r) => r.refused.reason),
        ...(result.plan ? searchProblems(result.plan) : []),
      ]);
      if (refused !== undefined) return refused;
      if (result.dryRun) return EXIT.ok;
      return runSucceeded(result) ? EXIT.ok : EXIT.incomplete;
    } finally {
      await client.close();
      await lock?.release();
    }
  },
};

/** Seals the ledger as it is now (see FileLedgerStore.seal); false when that failed. */
export async function sealLedger(store: FileLedgerStore, io: CliIO, run: string): Promise<boolean> {
  try {
    const commit = await store.seal(
      `quarantine-release: ledger records [skip ci]\n\nRun: ${run}\n`,
    );
    if (commit) io.stderr(`Sealed the ledger in commit ${commit.slice(0, 12)}.\n`);
    return true;
  } catch (error) {
    io.stderr(
      `quarantine-release: the ledger records are written but could not be sealed in a commit (${escapeLogText((error as Error).message, 500)}); run \`quarantine-release ledger seal\` once the cause is fixed\n`,
    );
    return false;
  }
}

/**
 * The CLI's review: the plan `plan` printed, given back as its fingerprint. Without one,
 * nothing new is released unless the operator says so explicitly.
 */
function cliGate(fingerprints: Map<string, ReviewedPlan>, unreviewed: boolean): ReviewGate {
  if (fingerprints.size > 0) return { expected: fingerprints, requirePlan: true };
  if (unreviewed) return { requirePlan: false };
  return {
    requirePlan: true,
    closed:
      'no --fingerprint was given: pass the fingerprint `plan` printed for the plan you reviewed, or --unreviewed to release what the file says',
  };
}

/** Who and what ran this, for the ledger: CI variables when present, else the local user. */
export function provenance(io: CliIO): { actor?: string; commit?: string; run: string } {
  const env = io.env;
  const p: { actor?: string; commit?: string; run: string } = {
    run:
      env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : `cli@${hostname()}`,
  };
  const actor = env.GITHUB_ACTOR ?? safeUser();
  if (actor) p.actor = actor;
  if (env.GITHUB_SHA && /^[0-9a-f]{7,64}$/.test(env.GITHUB_SHA)) p.commit = env.GITHUB_SHA;
  return p;
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
