import { resolve } from 'node:path';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import { isAccountId } from '../../core/ids.js';
import { plan } from '../../core/plan/plan.js';
import { renderPlanJson } from '../../core/render/plan-json.js';
import { renderPlanMarkdown } from '../../core/render/plan-markdown.js';
import { renderDiagnosticsText, renderPlanText } from '../../core/render/plan-text.js';
import { loadInputs } from '../../engine/inputs.js';
import {
  type Command,
  choiceOption,
  EXIT,
  type OptionValues,
  stringOption,
  UsageError,
} from '../command.js';
import { stderrLogger } from '../logger.js';

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
  summary: 'show what apply would do: the file minus the ledger (no network)',
  options: {
    releases: { type: 'string' },
    ledger: { type: 'string' },
    format: { type: 'string' },
    account: { type: 'string', multiple: true },
  },
  help: `Usage: quarantine-release plan [--releases FILE] [--ledger DIR] [--format text|markdown|json] [--account ID]...

Compares releases.yaml with the ledger and prints, per account: the messages to release
now, those to verify first (a send with no known outcome), those already released, those
held (partial or failed, not sent again without \`retry\`), and ledger entries no longer in
the file. Sends nothing and writes nothing.

Options:
  --releases FILE   the requests file (default: releases.yaml)
  --ledger DIR      the ledger directory (default: releases.ledger)
  --format FORMAT   text (default), markdown (as in the pull-request comment) or json
  --account ID      plan only this account (repeatable)
  -h, --help        show this help

Exit codes: 0 planned, 1 invalid releases file or corrupt ledger, 2 usage error.
`,
  async run(values, io) {
    const file = stringOption(values, 'releases', 'releases.yaml');
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(values, 'format', ['text', 'markdown', 'json'] as const, 'text');
    const accounts = accountsOption(values);
    const store = new FileLedgerStore(resolve(io.cwd, dir), stderrLogger(io));
    const inputs = await loadInputs(() => readTextFile(resolve(io.cwd, file)), file, store);
    if (!inputs.ok) {
      io.stderr(renderDiagnosticsText(inputs.errors));
      if (inputs.stage === 'ledger')
        io.stderr('The ledger is corrupt: nothing can be planned until it is repaired.\n');
      return EXIT.invalid;
    }
    const result = plan(inputs.file, inputs.ledger.index, { accounts });
    if (format === 'json') io.stdout(renderPlanJson(result));
    else if (format === 'markdown') io.stdout(renderPlanMarkdown(result, { file }));
    else io.stdout(renderPlanText(result, { file }));
    return EXIT.ok;
  },
};
