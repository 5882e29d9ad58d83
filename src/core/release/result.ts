import type { LedgerState, RecordError } from '../ledger/record.js';

/** What a run did to one message. */
export interface RunResult {
  account_id: string;
  id: string;
  state: LedgerState;
  attempt: number;
  via: 'release' | 'readback' | 'not-sent';
  delivered?: string[];
  failed?: string[];
  undelivered?: string[];
  error?: RecordError;
}
