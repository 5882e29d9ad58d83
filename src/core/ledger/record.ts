// The ledger's record format: one JSON line per state change of one message. Pure.
import type { ErrorObject } from 'ajv';
import ledgerSchema from '../../../schema/ledger.schema.json' with { type: 'json' };
import { type Diagnostic, lineProblem } from '../diagnostics.js';
import { type Validator, validateLedgerRecord } from '../generated/validators.js';

export const LEDGER_STATES = ['pending', 'released', 'partial', 'failed', 'unknown'] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

export interface RecordError {
  status?: number;
  code?: number;
  message: string;
}

export interface Provenance {
  reason?: string;
  requested_by?: string;
  ticket?: string;
  actor?: string;
  commit?: string;
  run?: string;
  pull_request?: number;
  /** GitHub logins that approved the pull request on its final head commit. */
  approved_by?: string[];
}

export interface LedgerRecord extends Provenance {
  v: 1;
  account_id: string;
  id: string;
  seq: number;
  attempt: number;
  state: LedgerState;
  at: string;
  sent?: false;
  /** Pending records: no request in this record's name is started or awaited after this. */
  in_flight_until?: string;
  via?: 'release' | 'readback';
  delivered?: string[];
  failed?: string[];
  undelivered?: string[];
  error?: RecordError;
  disposition?: string;
  acknowledge?: string;
  /**
   * Pending records of a message a `search:` entry asked for: the search's canonical text
   * (core/requests/search searchText), so the ledger says which selector released it.
   */
  selector?: string;
}

// ajv's code for schema/ledger.schema.json, generated at build time (scripts/validators.mjs).
const validateRecord = validateLedgerRecord as Validator<LedgerRecord>;

/** Shard file of a UTC month: `2026-11.jsonl`. */
export const SHARD_NAME = /^([0-9]{4})-(0[1-9]|1[0-2])\.jsonl$/;

export function shardNameFor(at: string): string {
  return `${at.slice(0, 7)}.jsonl`;
}

const KEY_ORDER: (keyof LedgerRecord)[] = [
  'v',
  'account_id',
  'id',
  'seq',
  'attempt',
  'state',
  'at',
  'sent',
  'in_flight_until',
  'via',
  'delivered',
  'failed',
  'undelivered',
  'error',
  'disposition',
  'acknowledge',
  'reason',
  'requested_by',
  'ticket',
  'selector',
  'actor',
  'commit',
  'run',
  'pull_request',
  'approved_by',
];

// Schema bounds, applied when writing so that text from the API or the user can never
// produce a record the reader would refuse (a refused ledger stops every later run).
const MAX_RECIPIENTS = ledgerSchema.$defs.recipients.maxItems;
const MAX_RECIPIENT = ledgerSchema.$defs.recipients.items.maxLength;
const MAX_ERROR_MESSAGE = ledgerSchema.properties.error.properties.message.maxLength;

/** Serialises a record as one ledger line (no newline), keys in a fixed order. */
export function serializeRecord(record: LedgerRecord): string {
  const bounded = boundRecord(record);
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) {
    const value = bounded[key];
    if (value !== undefined) ordered[key] = value;
  }
  return JSON.stringify(ordered);
}

/** The records' lines (serializeRecord) by the shard each belongs in, in record order. */
export function linesByShard(records: readonly LedgerRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const name = shardNameFor(r.at);
    const list = out.get(name) ?? [];
    list.push(serializeRecord(r));
    out.set(name, list);
  }
  return out;
}

function boundRecord(record: LedgerRecord): LedgerRecord {
  const out: LedgerRecord = { ...record };
  for (const key of ['delivered', 'failed', 'undelivered'] as const) {
    const list = out[key];
    if (list) out[key] = list.slice(0, MAX_RECIPIENTS).map((r) => clip(String(r), MAX_RECIPIENT));
  }
  if (out.error) {
    const error: RecordError = { message: clip(out.error.message, MAX_ERROR_MESSAGE) };
    if (out.error.status !== undefined) error.status = out.error.status;
    if (out.error.code !== undefined && Number.isInteger(out.error.code) && out.error.code >= 0) {
      error.code = Math.min(out.error.code, 99999999);
    }
    out.error = error;
  }
  if (out.reason !== undefined) out.reason = clip(out.reason, 500);
  if (out.requested_by !== undefined) out.requested_by = clip(out.requested_by, 100);
  if (out.actor !== undefined) out.actor = clip(out.actor, 100);
  if (out.run !== undefined) out.run = clip(out.run, 300);
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The unterminated last line of a shard when it is not a whole JSON value, else undefined. */
export function tornTail(text: string): string | undefined {
  if (text.length === 0 || text.endsWith('\n')) return undefined;
  const fragment = text.slice(text.lastIndexOf('\n') + 1);
  try {
    JSON.parse(fragment);
    return undefined;
  } catch {
    return fragment;
  }
}

/**
 * Reads one shard: each valid record goes to `onRecord` in file order, so a reader that folds
 * as it goes never holds a shard's records at once. Every line must be a valid record; a
 * corrupt line is an error with its file and line (returned), and callers refuse to plan or
 * apply on a ledger with errors.
 */
export function scanShard(
  text: string,
  file: string,
  onRecord: (record: LedgerRecord, line: string, lineNumber: number) => void,
): Diagnostic[] {
  const errors: Diagnostic[] = [];
  scanShardLines(text, file, 1, onRecord, (error) => errors.push(error));
  return errors;
}

/**
 * scanShard() over part of a shard: whole lines, the first of them line `firstLine` of the
 * file (a reader that streams a shard hands it one block at a time). Problems go to
 * `onError`. Returns the number of lines read.
 */
export function scanShardLines(
  text: string,
  file: string,
  firstLine: number,
  onRecord: (record: LedgerRecord, line: string, lineNumber: number) => void,
  onError: (error: Diagnostic) => void,
): number {
  const fail = (lineNumber: number, message: string) =>
    onError(lineProblem(file, lineNumber, message));

  if (firstLine === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let start = 0;
  let lineNumber = firstLine - 1;
  while (start < text.length) {
    lineNumber++;
    let end = text.indexOf('\n', start);
    const terminated = end !== -1;
    if (!terminated) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;

    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(
        lineNumber,
        terminated
          ? 'not a JSON record'
          : 'incomplete last line (a write cut short?); the ledger store repairs this on its next write, or remove the line by hand after checking it',
      );
      continue;
    }
    if (!validateRecord(value)) {
      fail(lineNumber, recordProblem(value, validateRecord.errors ?? []));
      continue;
    }
    onRecord(value, line, lineNumber);
  }
  return lineNumber - firstLine + 1;
}

function recordProblem(value: unknown, errors: readonly ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'not a valid ledger record';
  if (value !== null && typeof value === 'object' && 'v' in value && value.v !== 1) {
    return `record format v=${JSON.stringify(value.v)} is not supported by this version of quarantine-release`;
  }
  const where = first.instancePath === '' ? 'record' : `field ${first.instancePath.slice(1)}`;
  if (first.keyword === 'enum' && first.instancePath === '/state') {
    return `unknown state ${JSON.stringify((value as { state: unknown }).state)}; expected one of ${LEDGER_STATES.join(', ')}`;
  }
  if (first.keyword === 'additionalProperties') {
    return `unknown field ${JSON.stringify((first.params as { additionalProperty: string }).additionalProperty)} in record`;
  }
  if (first.keyword === 'required') {
    return `record is missing field ${JSON.stringify((first.params as { missingProperty: string }).missingProperty)}`;
  }
  return `invalid ${where}: ${first.message ?? 'does not match the ledger schema'}`;
}
