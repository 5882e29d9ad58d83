import { resolve } from 'node:path';
import { openCloudflareClient } from '../../adapters/cloudflare/open.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { type Plan, plan } from '../../core/plan/plan.js';
import { searchProblems, withSearches } from '../../core/plan/selectors.js';
import { writePlanJson } from '../../core/render/plan-json.js';
import { renderPlanMarkdown } from '../../core/render/plan-markdown.js';
import { renderDiagnosticsText, renderPlanText } from '../../core/render/plan-text.js';
import { basisOf, planFingerprint } from '../../core/safety/review.js';
import { loadInputs } from '../../engine/inputs.js';
import { screenWithCloudflare } from '../../engine/screen.js';
import { resolveSearches } from '../../engine/searches.js';
import {
  accountsOption,
  type Command,
  choiceOption,
  EXIT,
  refusalExit,
  stringOption,
} from '../command.js';
import { commandSettings } from '../credentials.js';
import { ledgerFolderFound } from '../ledger-folder.js';
import { ledgerHistory } from '../ledger-history.js';
import { stderrLogger } from '../logger.js';
import {
  guardedOption,
  lookupBudgetOption,
  safetyOptionSpecs,
  safetyOptionsHelp,
  searchPageSizeOption,
} from '../safety-options.js';

export const planCommand: Command = {
  name: 'plan',
  summary:
    'show what apply would do: the file minus the ledger, each message checked when credentials are set',
  options: {
    releases: { type: 'string' },
    ledger: { type: 'string' },
    format: { type: 'string' },
    account: { type: 'string', multiple: true },
    ...safetyOptionSpecs,
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
${safetyOptionsHelp}
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
    const screen = { lookupBudget: lookupBudgetOption(values), guarded: guardedOption(values) };
    const settings = commandSettings(io, 'plan', false, searchPageSizeOption(values));
    if (settings === EXIT.invalid) return EXIT.invalid;
    const log = stderrLogger(io);
    const ledgerDir = resolve(io.cwd, dir);
    const store = new FileLedgerStore(ledgerDir, log, await ledgerHistory(io, ledgerDir, dir, log));
    const now = Date.now();
    const inputs = await loadInputs(() => readTextFile(resolve(io.cwd, file)), file, store, now);
    if (!inputs.ok) {
      io.stderr(renderDiagnosticsText(inputs.errors));
      if (inputs.stage === 'ledger')
        io.stderr(
          'The ledger is corrupt, or was changed outside quarantine-release: nothing can be planned until it is repaired.\n',
        );
      return EXIT.invalid;
    }
    if (!(await ledgerFolderFound(io, 'plan', ledgerDir, dir))) return EXIT.invalid;
    const client = settings ? await openCloudflareClient(settings, { log }) : undefined;
    let result: Plan;
    try {
      const halt = io.signal ? { halt: io.signal } : {};
      const searched = await resolveSearches(inputs.file, client, { accounts, log, ...halt });
      const planned = plan(searched.file, inputs.ledger.index, { accounts });
      result = await screenWithCloudflare(
        withSearches(planned, searched.outcomes, accounts),
        client,
        {
          ...screen,
          now,
          log,
          known: searched.views,
          ...halt,
        },
      );
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
        const unresolved = (a.searches ?? []).some((s) => s.status.kind === 'unresolved')
          ? '; search entries are not covered until a plan with credentials resolves them'
          : '';
        io.stdout(
          `Fingerprint of ${a.account_id}: ${planFingerprint(a, basis)}${basis === 'ids' ? ` (ids only: nothing was looked up${unresolved})` : ''}\n`,
        );
      }
    }
    return (
      refusalExit([
        ...result.accounts.flatMap((a) => (a.refused ?? []).map((r) => r.reason)),
        ...searchProblems(result),
      ]) ?? EXIT.ok
    );
  },
};
