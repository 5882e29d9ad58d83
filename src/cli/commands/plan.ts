import { resolve } from 'node:path';
import { type ApiSettings, SettingsError } from '../../adapters/cloudflare/settings.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { isAccountId } from '../../core/ids.js';
import { type Plan, plan } from '../../core/plan/plan.js';
import { writePlanJson } from '../../core/render/plan-json.js';
import { renderPlanMarkdown } from '../../core/render/plan-markdown.js';
import { renderDiagnosticsText, renderPlanText } from '../../core/render/plan-text.js';
import { basisOf, planFingerprint } from '../../core/safety/review.js';
import { loadInputs } from '../../engine/inputs.js';
import { reviewedPlan } from '../../engine/review.js';
import {
  type Command,
  choiceOption,
  EXIT,
  type OptionValues,
  refusalExit,
  stringOption,
  UsageError,
} from '../command.js';
import { cloudflareFromEnv, openCloudflareClient } from '../credentials.js';
import { ledgerFolderExists, missingLedgerMessage } from '../ledger-folder.js';
import { ledgerHistory } from '../ledger-history.js';
import { stderrLogger } from '../logger.js';
import {
  guardedOption,
  lookupBudgetOption,
  reviewOptionSpecs,
  reviewOptionsHelp,
  searchPageSizeOption,
} from '../review-options.js';

export function accountsOption(values: OptionValues): string[] {
  const raw = values.account as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  for (const account of list) {
    if (!isAccountId(account))
      throw new UsageError('--account must be 32 lowercase hexadecimal characters');
  }
  return list;
}

export const planCommand: Command = {
  name: 'plan',
  summary:
    'show what apply would do: the file minus the ledger, each message checked when credentials are set',
  options: {
    releases: { type: 'string' },
    ledger: { type: 'string' },
    format: { type: 'string' },
    account: { type: 'string', multiple: true },
    ...reviewOptionSpecs,
  },
  help: `Usage: quarantine-release plan [--releases FILE] [--ledger DIR] [--format text|markdown|json] [--account ID]...

Compares releases.yaml with the ledger and prints, per account: the messages to release
now, those to verify first (a send with no known outcome), those already released, those
held (partial or failed, not sent again without \`retry\`), and ledger entries no longer in
the file. Writes nothing and releases nothing.

With Cloudflare credentials in the environment (as for apply), each message to release is
looked up once and shown with its subject, sender, recipients, scan time, disposition and
detection reasons. Messages that do not exist, are no longer quarantined or were released
elsewhere, and malicious mail without \`acknowledge\`, are listed first as refused.
Without credentials nothing is looked up; apply checks every message before sending it.
Each account's plan ends with a fingerprint: pass it to apply (--fingerprint) to release
exactly the plan reviewed.

Options:
  --releases FILE         the requests file (default: releases.yaml)
  --ledger DIR            the ledger directory (default: releases.ledger)
  --format FORMAT         text (default), markdown (as in the pull-request comment) or json
  --account ID            plan only this account (repeatable)
${reviewOptionsHelp}
  -h, --help              show this help

Exit codes: 0 planned, 1 invalid releases file, missing or corrupt ledger, or a refused message,
2 usage error, 3 some messages could not be checked (an unreachable API, the lookup budget).
`,
  async run(values, io) {
    const file = stringOption(values, 'releases', 'releases.yaml');
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(values, 'format', ['text', 'markdown', 'json'] as const, 'text');
    const accounts = accountsOption(values);
    const redact = values.redact === true;
    const review = { lookupBudget: lookupBudgetOption(values), guarded: guardedOption(values) };
    let settings: ApiSettings | undefined;
    try {
      settings = cloudflareFromEnv(io.env, false, searchPageSizeOption(values));
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      io.stderr(`quarantine-release plan: ${error.message}\n`);
      return EXIT.invalid;
    }
    const log = stderrLogger(io);
    const ledgerDir = resolve(io.cwd, dir);
    const store = new FileLedgerStore(ledgerDir, log, await ledgerHistory(io, ledgerDir, dir, log));
    const inputs = await loadInputs(() => readTextFile(resolve(io.cwd, file)), file, store);
    if (!inputs.ok) {
      io.stderr(renderDiagnosticsText(inputs.errors));
      if (inputs.stage === 'ledger')
        io.stderr(
          'The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.\n',
        );
      return EXIT.invalid;
    }
    if (!(await ledgerFolderExists(ledgerDir))) {
      io.stderr(missingLedgerMessage('plan', dir));
      return EXIT.invalid;
    }
    const client = settings ? await openCloudflareClient(settings, { log }) : undefined;
    let result: Plan;
    try {
      result = await reviewedPlan(plan(inputs.file, inputs.ledger.index, { accounts }), client, {
        ...review,
        now: Date.now(),
        log,
        ...(io.signal ? { halt: io.signal } : {}),
      });
    } finally {
      await client?.close();
    }
    if (format === 'json') writePlanJson(result, io.stdout);
    else if (format === 'markdown') io.stdout(renderPlanMarkdown(result, { file, redact }));
    else {
      io.stdout(renderPlanText(result, { file, redact }));
      for (const a of result.accounts) {
        if (a.to_release.length === 0) continue;
        const basis = basisOf(a);
        io.stdout(
          `Fingerprint of ${a.account_id}: ${planFingerprint(a, basis)}${basis === 'ids' ? ' (ids only: nothing was looked up)' : ''}\n`,
        );
      }
    }
    return (
      refusalExit(result.accounts.flatMap((a) => (a.refused ?? []).map((r) => r.reason))) ?? EXIT.ok
    );
  },
};
