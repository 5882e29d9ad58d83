// What every CLI command shares: its shape, the process it talks to, and the exit codes.
import type { ParseArgsConfig } from 'node:util';

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

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  name: string;
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: OptionValues, io: CliIO): Promise<number>;
}

export class UsageError extends Error {}

export function stringOption(values: OptionValues, name: string, fallback: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : fallback;
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
