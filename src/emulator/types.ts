// Public types of the embedded Cloudflare Email Security emulator, and the API shapes it
// serves (a subset of `email-security_*` in the OpenAPI contract).

import type { ReleaseBodyForm } from '../core/release/classify.js';
import { DISPOSITIONS } from '../core/safety/screen.js';

// The final dispositions Cloudflare reports: one list for the client and the emulator.
export { DISPOSITIONS };
export type Disposition = (typeof DISPOSITIONS)[number];

export type PostDeliveryOperation = 'PREVIEW' | 'QUARANTINE_RELEASE' | 'SUBMISSION' | 'MOVE';

/** `email-security_ActionEntry`: one item of `GET .../{investigate_id}/action_log`. */
export interface ActionEntry {
  operation: PostDeliveryOperation;
  started_at: string | null;
  completed_at: string | null;
  status: string | null;
  success: boolean | null;
  properties: Record<string, unknown> | null;
}

/** `email-security_ActionLogEntry`: the deprecated `action_log` field inside MessageDetails. */
export interface ActionLogEntry {
  /** RELEASE: the legacy name of a quarantine release (the `legacy_release` fault). */
  operation: PostDeliveryOperation | 'RELEASE';
  completed_at: string;
  status: string | null;
  properties: { requested_by?: string; folder?: string };
}

/** `email-security_MessageDetails`, the fields the emulator fills. */
export interface MessageDetails {
  id: string;
  postfix_id: string;
  action_log: ActionLogEntry[];
  alert_id: string | null;
  client_recipients: string[];
  delivery_mode: 'DIRECT' | 'BCC' | 'JOURNAL' | 'API';
  detection_reasons: string[];
  edf_hash: string | null;
  envelope_from: string | null;
  envelope_to: string[] | null;
  final_disposition: Disposition;
  from: string | null;
  from_name: string | null;
  is_phish_submission: boolean;
  is_quarantined: boolean;
  message_id: string | null;
  post_delivery_operations: PostDeliveryOperation[];
  properties: Record<string, never>;
  replyto: string | null;
  scanned_at: string;
  sent_at: string;
  sent_date: string | null;
  subject: string | null;
  threat_categories: string[];
  to: string[];
  to_name: string[] | null;
  ts: string;
  validation: {
    comment: string | null;
    dkim: ValidationStatus;
    dmarc: ValidationStatus;
    spf: ValidationStatus;
  };
}
export type ValidationStatus = 'pass' | 'neutral' | 'fail' | 'error' | 'none';

/** `email-security_ReleaseResponse` (faults may break it on purpose). */
export interface ReleaseItem {
  id?: string;
  postfix_id?: string;
  delivered: string[] | null;
  failed: string[] | null;
  undelivered: string[] | null;
}

/** The state of one message, as `Emulator.messages()` shows it to tests. */
export interface EmulatedMessage {
  account_id: string;
  /** What `GET .../investigate/{id}` answers. */
  details: MessageDetails;
  /** What `GET .../investigate/{id}/action_log` answers. */
  action_log: ActionEntry[];
  /**
   * Recipients a release has not reached yet: every recipient while the message was never
   * released, the failed and undelivered ones after a partial release, none after a full one.
   */
  awaiting: string[];
}

/**
 * A message of an explicit mailbox (`EmulatorOptions.messages`, CLI `--messages FILE`).
 * Field names follow MessageDetails; `released` marks a message released before the start.
 */
export interface SeedMessage {
  /** Account the message belongs to; default: the first account. */
  account_id?: string;
  /** Long investigate id: `<queue id>-<YYYY-MM-DDTHH:MM:SS>-<digits>`. */
  id: string;
  /** Recipients (1 or more e-mail addresses). */
  to: string[];
  subject?: string;
  from?: string;
  from_name?: string;
  /** Default SPAM. */
  final_disposition?: Disposition;
  /** Default: the timestamp inside the id, as UTC. */
  scanned_at?: string;
  /** Already released once: not quarantined, QUARANTINE_RELEASE recorded. Default false. */
  released?: boolean;
}

export type FaultRoute = 'release' | 'message' | 'action_log' | 'search';

export const FAULT_KINDS = [
  'none',
  '5xx',
  '429',
  'auth',
  'reset_before',
  'reset_after',
  'timeout_before',
  'timeout_after',
  'malformed',
  'success_false',
  'partial',
  'missing_id',
  'postfix_only',
  'null_recipients',
  'accepted',
  'null_success',
  'legacy_release',
] as const;
/**
 * - `none`: answer normally (a scripted placeholder, to let some requests through first).
 * - `5xx`: 500/502/503, sometimes an HTML body; does nothing.
 * - `429`: code 971 with Retry-After; does nothing. `auth`: 401 code 10000; does nothing.
 * - `reset_before` / `reset_after`: the socket is destroyed before acting / after acting.
 * - `timeout_before` / `timeout_after`: never answers; does not act / acts first.
 * - `malformed`: acts, then 200 with a truncated JSON body.
 * - `success_false`: 200 with `success: false` and no errors; acts or not (`acted`).
 * - release only: `partial` (some recipients failed or undelivered), `missing_id` (acts but
 *   drops one item from the result), `postfix_only` (items carry only `postfix_id`: breaks
 *   the schema on purpose), `null_recipients` (recipient lists are null).
 * - search only: `accepted` (202, empty result, `Location` of a poll URL that answers the page).
 * - action_log only: `null_success` (every entry's `success` is null: a nullable field).
 * - message only: `legacy_release` (releases named RELEASE in the deprecated `action_log`, and
 *   left out of `post_delivery_operations`).
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScriptedFault {
  kind: FaultKind;
  /** Which requests it may hit; default 'any' (the next request the kind applies to). */
  route?: FaultRoute | 'any';
  /** `5xx`: the status; default 503. */
  status?: 500 | 502 | 503;
  /** `5xx`: answer an HTML page instead of a JSON envelope, as a proxy in front would. */
  html?: boolean;
  /** `success_false`: act before answering; default false. */
  acted?: boolean;
  /** `429`: Retry-After seconds; default 1. */
  retryAfterSeconds?: number;
  /** `accepted`: how many more 202 answers the poll URL gives before the page; default 0. */
  polls?: number;
  /** `auth`: answer as to a malformed Authorization header (400, 6003 with 6111), not 401. */
  badHeader?: boolean;
}

export interface FaultConfig {
  /** Added to every API request before it is handled. */
  latencyMs?: number;
  /** A uniform random 0..jitterMs (from the seed) added to latencyMs. */
  jitterMs?: number;
  /**
   * One-shot faults. Each request takes the first entry whose route and kind fit it; the
   * entry is then gone. Checked before the random faults.
   */
  script?: ScriptedFault[];
  /** Per-request probability of each kind, drawn from the seed, on the routes it applies to. */
  rates?: Partial<Record<Exclude<FaultKind, 'none'>, number>>;
  /** Seed of the random faults; default the emulator's seed. */
  seed?: number;
}

export interface Credentials {
  tokens?: { token: string; write: boolean }[];
  keys?: { email: string; key: string; write: boolean }[];
}

export interface RateLimitConfig {
  limit: number;
  windowMs: number;
  /** How long going over blocks every call of the credential; default windowMs. */
  blockMs?: number;
  /**
   * A second, tighter policy (`"burst"`, as in Cloudflare's own example), counted beside the
   * default one and listed first in the headers; going over it blocks for its window.
   */
  burst?: { limit: number; windowMs: number };
}

export type RateLimitHeaderStyle = 'ietf' | 'x' | 'both' | 'none';

// The release body forms (core's type): one type for the client and the emulator.
export type { ReleaseBodyForm };

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seeds the generated mailbox and the random faults; default 1. */
  seed?: number;
  /** Account ids (32 lowercase hex) served; default one: 023e105f4ecef8ad9ca31a8372d0c353. */
  accounts?: string[];
  /** Size of each generated mailbox, fixtures included (at least their number); default 60. */
  messagesPerAccount?: number;
  /** An explicit mailbox instead of the generated one. */
  messages?: SeedMessage[];
  credentials?: Credentials;
  /** Default 1,200 per 300,000 ms, blocking for one window; false disables it. */
  rateLimit?: RateLimitConfig | false;
  /** Default 'both'. */
  rateLimitHeaders?: RateLimitHeaderStyle;
  /** Largest `per_page` a search accepts; more is answered 400. Default 1000. */
  maxPerPage?: number;
  /**
   * Which release body forms are accepted; default 'ids' (the current description). 'array'
   * plays an account that still takes only the earlier form; 'either' takes both.
   */
  releaseBody?: ReleaseBodyForm | 'either';
  faults?: FaultConfig;
  /** Serve `/__emulator/truth`, `/__emulator/faults`, `/__emulator/reset`; default true. */
  control?: boolean;
}

export interface TruthRelease {
  account_id: string;
  /** The message's long id, whatever form the request used. */
  id: string;
  at: string;
  delivered: string[];
  failed: string[];
  undelivered: string[];
  /** `seq` of the request that did it. */
  request: number;
}

export interface TruthRequest {
  seq: number;
  method: string;
  /** Path and query as received. */
  path: string;
  /** HTTP status answered; null when no answer was sent (reset, timeout, still in flight). */
  status: number | null;
  fault?: FaultKind;
  at: string;
  /** Release requests only: the ids the body named, as sent (when it was a list of strings). */
  ids?: string[];
  /** Release requests only: the form of the body, when it was one of the two. */
  form?: ReleaseBodyForm;
}

/** What the emulator actually did, whatever its answers said. */
export interface Truth {
  /** Every delivery performed, including those whose answer a fault lost. */
  releases: TruthRelease[];
  /** Every API request received (control requests excluded), in arrival order. */
  requests: TruthRequest[];
}

export interface Emulator {
  /** API base, e.g. http://127.0.0.1:PORT/client/v4. */
  url: string;
  /** Account ids served. */
  accounts: readonly string[];
  close(): Promise<void>;
  /** Replaces the fault configuration (and restarts its random stream). */
  setFaults(faults: FaultConfig): void;
  /** Restores the mailbox, clears truth, faults, rate-limit counters and pending searches. */
  reset(): void;
  truth(): Truth;
  /** Current state of an account's messages (copies), in mailbox order. */
  messages(accountId: string): EmulatedMessage[];
  /** Reclassifies a message after its scan (tests: a disposition that changes). */
  reclassify(accountId: string, id: string, disposition: Disposition): boolean;
  /** Puts a released message back in quarantine (tests: drift). */
  requarantine(accountId: string, id: string): boolean;
}
