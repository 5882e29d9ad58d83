// Options shared by plan and apply about screening messages against Cloudflare and the run's
// guards (lookups, guarded dispositions, the reviewed fingerprint).
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_SEARCH_PAGE_SIZE, MAX_SEARCH_PAGE_SIZE } from '../adapters/cloudflare/settings.js';
import type { ReviewedPlan } from '../core/safety/review.js';
import {
  ACKNOWLEDGEABLE_DISPOSITIONS,
  DEFAULT_GUARDED_DISPOSITIONS,
  guardedListProblem,
} from '../core/safety/screen.js';
import { integerOption, listOption, type OptionValues, UsageError } from './command.js';

export const DEFAULT_LOOKUP_BUDGET = 300;
export const DEFAULT_MAX_RELEASES = 1000;

export const searchPageSizeSpec: NonNullable<ParseArgsConfig['options']> = {
  'search-page-size': { type: 'string' },
};

export function searchPageSizeOption(values: OptionValues): number {
  return integerOption(
    values,
    'search-page-size',
    DEFAULT_SEARCH_PAGE_SIZE,
    1,
    MAX_SEARCH_PAGE_SIZE,
  );
}

export const safetyOptionSpecs: NonNullable<ParseArgsConfig['options']> = {
  ...searchPageSizeSpec,
  'lookup-budget': { type: 'string' },
  'require-ack': { type: 'string' },
  redact: { type: 'boolean' },
};

export const safetyOptionsHelp = `  --search-page-size N    results per search page asked for, 1-${MAX_SEARCH_PAGE_SIZE} (default: ${DEFAULT_SEARCH_PAGE_SIZE});
                          after a 400 it asks for half as many, down to 20, and says so
  --lookup-budget N       at most N lookup requests for message details (default: ${DEFAULT_LOOKUP_BUDGET});
                          a message that could not be checked is refused, never released
  --require-ack LIST      dispositions released only with a matching \`acknowledge\`
                          (default: ${DEFAULT_GUARDED_DISPOSITIONS.join(',')}; any of
                          ${ACKNOWLEDGEABLE_DISPOSITIONS.join(',')}, with MALICIOUS and MALICIOUS-BEC)
  --redact                hide subjects and addresses (dispositions and counts only)`;

export function lookupBudgetOption(values: OptionValues): number {
  return integerOption(values, 'lookup-budget', DEFAULT_LOOKUP_BUDGET, 1, 100_000);
}

export function guardedOption(values: OptionValues): string[] {
  const raw = values['require-ack'];
  if (raw === undefined) return [...DEFAULT_GUARDED_DISPOSITIONS];
  const list = String(raw)
    .split(',')
    .map((d) => d.trim().toUpperCase())
    .filter((d) => d !== '');
  const problem = guardedListProblem(list);
  if (problem) throw new UsageError(`--require-ack ${problem}`);
  return list;
}

/**
 * `--fingerprint HASH` (the file's only account, key `*`) or `--fingerprint ACCOUNT:HASH`
 * (repeatable), as printed by plan. Plan prints it on either basis (dispositions with
 * credentials, ids only without), so apply accepts a match on either.
 */
export function fingerprintOption(values: OptionValues): Map<string, ReviewedPlan> {
  const out = new Map<string, ReviewedPlan>();
  for (const item of listOption(values, 'fingerprint')) {
    const m = /^(?:([0-9a-f]{32}):)?([0-9a-f]{32})$/.exec(item);
    if (!m) {
      throw new UsageError(
        '--fingerprint must be the 32-character fingerprint printed by plan, or ACCOUNT:FINGERPRINT',
      );
    }
    out.set(m[1] ?? '*', { fingerprint: m[2] as string });
  }
  return out;
}
