// What every CLI command shares: its shape, the process it talks to, and the exit codes.
import type { ParseArgsConfig } from 'node:util';
import { isAccountId } from '../core/ids.js';

export const EXIT = {
  ok: 0,
  /** Invalid input, or a run refused as a whole. */
  invalid: 1,
  usage: 2,
  /** Some messages ended partial, failed, unknown or still pending. */
  incomplete: 3,
} as const;

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: commands finish what is in flight and stop. */
  signal?: AbortSignal;
}

/** As parseArgs gives them: a list for the options declared `multiple`. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: OptionValues, io: CliIO): Promise<number>;
  /** Commands under this one (`ledger verify`): the next argument names one. */
  subcommands?: Command[];
}

export class UsageError extends Error {}

/**
 * The exit code refusals give: 1 when a message was refused for what it is (missing, no longer
 * quarantined, malicious without acknowledgement...), 3 when the only refusals are messages
 * that could not be checked (an unreachable API, a failed lookup, the lookup budget used up),
 * which a later run checks again; undefined when nothing was refused.
 */
export function refusalExit(reasons: readonly { kind: string }[]): number | undefined {
  if (reasons.length === 0) return undefined;
  return reasons.every((r) => r.kind === 'unchecked') ? EXIT.incomplete : EXIT.invalid;
}

export function stringOption(values: OptionValues, name: string, fallback: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : fallback;
}

/** Every value given for a repeatable option. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** `--account ID`, repeatable: the accounts a command is limited to. */
export function accountsOption(values: OptionValues): string[] {
  const list = listOption(values, 'account');
  for (const account of list) {
    if (!isAccountId(account))
      throw new UsageError('--account must be 32 lowercase hexadecimal characters');
  }
  return list;
}

export function choiceOption<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value))
    return value as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}`);
}

export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}
