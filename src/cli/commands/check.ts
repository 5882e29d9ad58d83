import { resolve } from 'node:path';
import { openCloudflareClient } from '../../adapters/cloudflare/open.js';
import {
  type ApiSettings,
  DEFAULT_SEARCH_PAGE_SIZE,
  MAX_SEARCH_PAGE_SIZE,
} from '../../adapters/cloudflare/settings.js';
import { FileEntryTimes } from '../../adapters/files/entry-times.js';
import { readTextFile } from '../../adapters/files/read-input.js';
import { FileCheckState } from '../../adapters/ledger/check-state.js';
import { FileLedgerStore } from '../../adapters/ledger/file-store.js';
import {
  DEFAULT_UNAPPLIED_AFTER_HOURS,
  MAX_UNAPPLIED_AFTER_HOURS,
} from '../../core/check/unapplied.js';
import { DEFAULT_SETTLE_MS } from '../../core/release/in-flight.js';
import { checkJsonValue, renderCheckText } from '../../core/render/check.js';
import { renderDiagnosticsText } from '../../core/render/plan-text.js';
import { check } from '../../engine/check.js';
import { systemClock } from '../../engine/ports.js';
import {
  accountsOption,
  type Command,
  choiceOption,
  EXIT,
  integerOption,
  stringOption,
} from '../command.js';
import { commandSettings } from '../credentials.js';
import { ledgerFolderFound, lockLedger } from '../ledger-folder.js';
import { ledgerHistory } from '../ledger-history.js';
import { stderrLogger } from '../logger.js';
import { lookupBudgetOption, searchPageSizeOption, searchPageSizeSpec } from '../safety-options.js';
import { provenance, sealLedger } from './apply.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'drift check: released messages back in quarantine, and unresolved sends resolved',
  options: {
    releases: { type: 'string' },
    ledger: { type: 'string' },
    format: { type: 'string' },
    account: { type: 'string', multiple: true },
    'lookup-budget': { type: 'string' },
    'settle-seconds': { type: 'string' },
    'unapplied-after-hours': { type: 'string' },
    ...searchPageSizeSpec,
  },
  help: `Usage: quarantine-release check [--releases FILE] [--ledger DIR] [--lookup-budget N] [--unapplied-after-hours N] [--format text|json]

For every message the ledger records as released, checks that it is not back in quarantine
(drift), searching by time window rather than one lookup per message; sends whose outcome is
not known (pending, unknown) are read back and their outcome recorded. Releases nothing; a
read-only API token is enough.

One budget covers every request: read-backs first (two each at most), then the drift
lookups. When it does not cover the whole ledger, the run stops where the budget does and
saves a cursor in DIR/check-cursor.ndjson (one line per account, see
schema/check-cursor.schema.json); the next run starts there and wraps round at the end, so
successive runs cover a ledger of any size. A missing or unreadable cursor file means
"from the beginning"; it never stops the check.

It also lists the entries of FILE that the ledger does not hold at all (merged, never
applied: their apply run was cancelled or failed), with how long they have waited: at least
since FILE last changed (its modification time). A search: entry counts as applied once a
ledger record carries its text (selector); one that released nothing stays listed. It fails
once one has waited --unapplied-after-hours or more. They cost no request.

Credentials: as for apply (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY).

Options:
  --releases FILE       the requests file (default: releases.yaml)
  --ledger DIR          the ledger directory (default: releases.ledger)
  --lookup-budget N     at most N Cloudflare requests, read-backs and drift lookups together
                        (default: 300)
  --account ID          check only this account (repeatable)
  --settle-seconds N    how long Cloudflare may still act on a request after its sender
                        stopped waiting (default: ${DEFAULT_SETTLE_MS / 1000}); see apply --help
  --unapplied-after-hours N
                        fail when an entry not in the ledger has waited N hours or more,
                        0-${MAX_UNAPPLIED_AFTER_HOURS} (default: ${DEFAULT_UNAPPLIED_AFTER_HOURS}; 0: any such entry fails)
  --format FORMAT       text (default) or json
  --search-page-size N  results per search page asked for, 1-${MAX_SEARCH_PAGE_SIZE} (default:
                        ${DEFAULT_SEARCH_PAGE_SIZE}); after a 400, half as many, down to 20
  -h, --help            show this help

Exit codes: 0 no drift and nothing unresolved, 1 drift found, an entry not applied for
--unapplied-after-hours or more, or invalid input (a missing ledger folder too), 2 usage error,
3 some sends still unresolved or some released messages not checked this run.
`,
  async run(values, io) {
    const file = stringOption(values, 'releases', 'releases.yaml');
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
    const accounts = accountsOption(values);
    const lookupBudget = lookupBudgetOption(values);
    const settleMs =
      integerOption(values, 'settle-seconds', DEFAULT_SETTLE_MS / 1000, 0, 3600) * 1000;
    const unappliedAfterHours = integerOption(
      values,
      'unapplied-after-hours',
      DEFAULT_UNAPPLIED_AFTER_HOURS,
      0,
      MAX_UNAPPLIED_AFTER_HOURS,
    );
    const settings = commandSettings(io, 'check', true, searchPageSizeOption(values));
    if (settings === EXIT.invalid) return EXIT.invalid;
    const log = stderrLogger(io);
    const ledgerDir = resolve(io.cwd, dir);
    if (!(await ledgerFolderFound(io, 'check', ledgerDir, dir))) return EXIT.invalid;
    const lock = await lockLedger(io, 'check', ledgerDir);
    if (lock === EXIT.invalid) return EXIT.invalid;
    const store = new FileLedgerStore(ledgerDir, log, await ledgerHistory(io, ledgerDir, dir, log));
    const client = await openCloudflareClient(settings as ApiSettings, { log });
    const ran = provenance(io);
    try {
      const result = await check(
        {
          releases: () => readTextFile(resolve(io.cwd, file)),
          releasesPath: file,
          store,
          api: client,
          clock: systemClock,
          log,
          checkState: new FileCheckState(ledgerDir),
          entryTimes: new FileEntryTimes(resolve(io.cwd, file), file),
        },
        {
          concurrency: 2,
          pendingScope: 'batch',
          // It never sends: no pending record of its own is ever in flight.
          inFlightMs: 0,
          settleMs,
          accounts,
          provenance: ran,
          lookupBudget,
          unappliedAfterHours,
          ...(io.signal ? { signal: io.signal } : {}),
        },
      );
      if (result.kind === 'invalid') {
        io.stderr(renderDiagnosticsText(result.errors));
        return EXIT.invalid;
      }
      io.stdout(
        format === 'json' ? `${JSON.stringify(checkJsonValue(result))}\n` : renderCheckText(result),
      );
      // What the read-backs recorded is sealed in a commit of its own (ledger key, git clone).
      if (!(await sealLedger(store, io, ran.run))) return EXIT.incomplete;
      if (result.drift.length > 0 || result.unapplied.overdue > 0) return EXIT.invalid;
      // A read-back that could not conclude leaves the send unresolved (it carries the error).
      const unresolved = result.resolved.results.some(
        (r) => (r.state === 'pending' || r.state === 'unknown') && r.error !== undefined,
      );
      return unresolved ||
        result.resolved.deferred.length > 0 ||
        result.resolved.unverified.length > 0 ||
        result.checked < result.released
        ? EXIT.incomplete
        : EXIT.ok;
    } finally {
      await client.close();
      await lock.release();
    }
  },
};
