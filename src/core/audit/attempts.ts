// Release attempts from ledger records: the rows of the audit report and its summary. Pure.
//
// A row is one release attempt: one message's records of one account, id and attempt. Its
// outcome is the attempt's latest record (the ledger's own order: compareRecords); what was
// asked, by whom and on which commit comes from the request record (see requestRank); its
// time is that of its earliest record, which decides whether it is in the period.
//
// Memory is bounded by the attempts with a record in the period, whatever the size of the
// ledger and the order of its lines. The ledger is read twice, record by record: the first
// pass notes those attempts (mark()), the second folds only their records (add()), one small
// object per attempt. An attempt whose earliest record is in the period has a record in it;
// one that began before the period is dropped at the end. Reading once would need to hold
// every attempt before the period too, since a record of one may come in any order.
import type { LedgerRecord, LedgerState, RecordError } from '../ledger/record.js';
import { compareRecords } from '../ledger/state.js';
import { compareText } from '../values.js';
import { type AuditPeriod, inPeriod } from './period.js';

/** What the attempt's request record says. */
export interface RequestFacts {
  readonly disposition: string | null;
  readonly acknowledge: string | null;
  readonly reason: string | null;
  readonly ticket: string | null;
  readonly requested_by: string | null;
  readonly pull_request: number | null;
  readonly approved_by: readonly string[] | null;
  readonly commit: string | null;
  readonly run: string | null;
  readonly actor: string | null;
  /** The search (its canonical text) whose entry asked for the message; null: an `id` entry. */
  readonly selector: string | null;
}

export interface AuditRow extends RequestFacts {
  readonly account_id: string;
  readonly id: string;
  readonly attempt: number;
  /** The attempt's earliest record. */
  readonly first_at: string;
  /** The attempt's latest record (its outcome). */
  readonly last_at: string;
  readonly state: LedgerState;
  /** Recipients in the latest record; null when it lists none (pending, unknown, failed). */
  readonly delivered: number | null;
  readonly failed: number | null;
  readonly undelivered: number | null;
  readonly error: RecordError | null;
}

interface Facts extends RequestFacts {
  /** All of the above as one string: interns equal facts, and breaks ties. */
  readonly key: string;
}

function factsOf(r: LedgerRecord): Facts {
  const facts: RequestFacts = {
    disposition: r.disposition ?? null,
    acknowledge: r.acknowledge ?? null,
    reason: r.reason ?? null,
    ticket: r.ticket ?? null,
    requested_by: r.requested_by ?? null,
    pull_request: r.pull_request ?? null,
    approved_by: r.approved_by ?? null,
    commit: r.commit ?? null,
    run: r.run ?? null,
    actor: r.actor ?? null,
    selector: r.selector ?? null,
  };
  return { ...facts, key: JSON.stringify(Object.values(facts)) };
}

const NO_FACTS = factsOf({} as LedgerRecord);

/**
 * The request record is the attempt's latest pending record not marked `sent: false`: the
 * one written just before the request went out, with the entry's reason, requester and
 * approvals and the message's disposition. An attempt without one (a ledger written by
 * hand, or by an older version) takes its facts from its latest record.
 */
function requestRank(r: LedgerRecord): number {
  return r.state === 'pending' && r.sent !== false ? 1 : 0;
}

class Attempt implements AuditRow {
  first_at = '';
  firstMs = Number.POSITIVE_INFINITY;
  // The latest record so far (the outcome).
  lastSeq = 0;
  state: LedgerState = 'pending';
  last_at = '';
  delivered: number | null = null;
  failed: number | null = null;
  undelivered: number | null = null;
  error: RecordError | null = null;
  // The request record so far.
  requestRank = -1;
  requestSeq = 0;
  requestAt = '';
  facts: Facts = NO_FACTS;
  /** The message's other attempts. */
  next: Attempt | undefined;

  constructor(
    readonly account_id: string,
    readonly id: string,
    readonly attempt: number,
  ) {}

  get disposition() {
    return this.facts.disposition;
  }
  get acknowledge() {
    return this.facts.acknowledge;
  }
  get reason() {
    return this.facts.reason;
  }
  get ticket() {
    return this.facts.ticket;
  }
  get requested_by() {
    return this.facts.requested_by;
  }
  get pull_request() {
    return this.facts.pull_request;
  }
  get approved_by() {
    return this.facts.approved_by;
  }
  get commit() {
    return this.facts.commit;
  }
  get run() {
    return this.facts.run;
  }
  get actor() {
    return this.facts.actor;
  }
  get selector() {
    return this.facts.selector;
  }

  get seen(): boolean {
    return this.lastSeq > 0;
  }

  fold(r: LedgerRecord, ms: number, intern: (facts: Facts) => Facts): void {
    if (ms < this.firstMs || (ms === this.firstMs && r.at < this.first_at)) {
      this.firstMs = ms;
      this.first_at = r.at;
    }
    if (!this.seen || this.newerOutcome(r) > 0) {
      this.lastSeq = r.seq;
      this.state = r.state;
      this.last_at = r.at;
      this.delivered = r.delivered?.length ?? null;
      this.failed = r.failed?.length ?? null;
      this.undelivered = r.undelivered?.length ?? null;
      this.error = r.error ?? null;
    }
    const rank = requestRank(r);
    const order =
      rank - this.requestRank || r.seq - this.requestSeq || compareText(r.at, this.requestAt);
    if (order > 0 || (order === 0 && factsOf(r).key > this.facts.key)) {
      this.requestRank = rank;
      this.requestSeq = r.seq;
      this.requestAt = r.at;
      this.facts = intern(factsOf(r));
    }
  }

  /** >0 when `r` is a later record than the outcome held; ties broken by what the row shows. */
  private newerOutcome(r: LedgerRecord): number {
    // One attempt's records: the held outcome has the same attempt.
    const held = { seq: this.lastSeq, state: this.state, at: this.last_at, attempt: r.attempt };
    return compareRecords(r, held) || compareText(outcomeKey(r), outcomeKey(this));
  }
}

function outcomeKey(o: {
  delivered?: unknown;
  failed?: unknown;
  undelivered?: unknown;
  error?: RecordError | null;
}): string {
  const count = (list: unknown) =>
    Array.isArray(list) ? list.length : typeof list === 'number' ? list : null;
  return JSON.stringify([
    count(o.delivered),
    count(o.failed),
    count(o.undelivered),
    o.error ?? null,
  ]);
}

/** Folds ledger records into release attempts: mark() every record, then add() every record. */
export class AttemptCollector {
  // By account, then id: no joined key built per record. `account` is the one copy of the
  // account id that every attempt of it refers to.
  private readonly byAccount = new Map<
    string,
    { account: string; messages: Map<string, Attempt> }
  >();
  private readonly accounts: ReadonlySet<string> | undefined;
  // Equal facts (a pull request's entries share reason, commit, run, approvers) held once.
  private readonly facts = new Map<string, Facts>();
  private readonly intern = (f: Facts): Facts => {
    const known = this.facts.get(f.key);
    if (known) return known;
    this.facts.set(f.key, f);
    return f;
  };

  /** `accounts`: only these accounts (all when empty). */
  constructor(
    readonly period: AuditPeriod,
    accounts: readonly string[] = [],
  ) {
    this.accounts = accounts.length > 0 ? new Set(accounts) : undefined;
  }

  /** First pass: notes the attempt of a record written in the period. */
  mark(r: LedgerRecord): void {
    if (this.accounts && !this.accounts.has(r.account_id)) return;
    if (!inPeriod(this.period, Date.parse(r.at))) return;
    let group = this.byAccount.get(r.account_id);
    if (group === undefined) {
      group = { account: r.account_id, messages: new Map() };
      this.byAccount.set(r.account_id, group);
    }
    if (this.find(r)) return;
    const created = new Attempt(group.account, r.id, r.attempt);
    created.next = group.messages.get(r.id);
    group.messages.set(r.id, created);
  }

  /** Second pass: folds a record into its attempt, if mark() noted it. */
  add(r: LedgerRecord): void {
    this.find(r)?.fold(r, Date.parse(r.at), this.intern);
  }

  /** The attempt of a record, if mark() noted it. */
  private find(r: LedgerRecord): Attempt | undefined {
    let attempt = this.byAccount.get(r.account_id)?.messages.get(r.id);
    while (attempt && attempt.attempt !== r.attempt) attempt = attempt.next;
    return attempt;
  }

  /** The attempts that began in the period, by time, then account, id and attempt. */
  rows(): AuditRow[] {
    const rows: Attempt[] = [];
    for (const { messages } of this.byAccount.values()) {
      for (const head of messages.values()) {
        for (let a: Attempt | undefined = head; a; a = a.next) {
          if (a.seen && inPeriod(this.period, a.firstMs)) rows.push(a);
        }
      }
    }
    return rows.sort(
      (a, b) =>
        a.firstMs - b.firstMs ||
        compareText(a.first_at, b.first_at) ||
        compareText(a.account_id, b.account_id) ||
        compareText(a.id, b.id) ||
        a.attempt - b.attempt,
    );
  }
}

export const OUTCOMES: readonly LedgerState[] = [
  'released',
  'partial',
  'failed',
  'unknown',
  'pending',
];

export interface AuditSummary {
  attempts: number;
  by_outcome: Record<LedgerState, number>;
  /** Attempts asked for by a `search:` entry (a selector recorded) and by an `id` entry. */
  by_entry: { id: number; search: number };
  /** The request record's disposition, `unknown` when it has none; most first. */
  by_disposition: Record<string, number>;
  /** Most first; null: not recorded. An array, as requesters are free text. */
  by_requester: { requested_by: string | null; attempts: number }[];
  /** Month (UTC) of each attempt's earliest record, in order. */
  by_month: Record<string, number>;
}

export function summarize(rows: readonly AuditRow[]): AuditSummary {
  const outcome = Object.fromEntries(OUTCOMES.map((s) => [s, 0])) as Record<LedgerState, number>;
  const disposition = new Map<string, number>();
  const requester = new Map<string | null, number>();
  const month = new Map<string, number>();
  const entry = { id: 0, search: 0 };
  const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const row of rows) {
    outcome[row.state]++;
    entry[row.selector === null ? 'id' : 'search']++;
    bump(disposition, row.disposition ?? 'unknown');
    bump(requester, row.requested_by);
    bump(month, row.first_at.slice(0, 7));
  }
  // Most first, then by name; "not recorded" (null) last among equals.
  const byName = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : compareText(a, b);
  const mostFirst = <K extends string | null>(map: Map<K, number>) =>
    [...map].sort(([ka, a], [kb, b]) => b - a || byName(ka, kb));
  return {
    attempts: rows.length,
    by_outcome: outcome,
    by_entry: entry,
    // Object.fromEntries defines properties: even a key `__proto__` stays a plain key.
    by_disposition: Object.fromEntries(mostFirst(disposition)),
    by_requester: mostFirst(requester).map(([requested_by, attempts]) => ({
      requested_by,
      attempts,
    })),
    by_month: Object.fromEntries([...month].sort(([a], [b]) => compareText(a, b))),
  };
}

export interface AuditReport {
  period: AuditPeriod;
  /** Only these accounts; empty: all. */
  accounts: readonly string[];
  rows: readonly AuditRow[];
  summary: AuditSummary;
}
