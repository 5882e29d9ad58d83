// One seeded chaos world: which messages the requests file asks for (from the emulator's own
// seeded mailbox, some with `retry`, maybe a few ids that exist nowhere), and a starting
// ledger left by "earlier runs" that is consistent with the emulator: every history record
// that says (or hides) a delivery is backed by a real release the emulator performed.
import { queueIdOf } from '../../src/core/ids.js';
import { type LedgerRecord, serializeRecord, shardNameFor } from '../../src/core/ledger/record.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  demoFixtures,
  type Emulator,
  type ScriptedFault,
} from '../../src/emulator/index.js';
import type { Random } from '../../src/emulator/random.js';

export const SECOND_ACCOUNT = '5ca1ab1e0000c0de0000feed00000002';
/** Dispositions the generated files may ask for (never MALICIOUS: the safety review refuses it). */
export const SAFE_DISPOSITIONS = new Set(['SPAM', 'BULK', 'NONE', 'SUSPICIOUS']);

export interface Entry {
  account: string;
  /** As written in the file: the long id, or sometimes the bare queue id. */
  id: string;
  /** Canonical key: account/long id (account/id for an id that exists nowhere). */
  key: string;
  exists: boolean;
  /** Quarantined when the world was built (before any history release). */
  quarantined0: boolean;
  retry?: number;
  /** Its `retry` is not allowed by the starting ledger (core/plan/retries): always refused. */
  retryRefused?: boolean;
  /** The hostile actor set `retry: N` on it (hostile.ts): refused, or nothing to send. */
  hostileRetry?: number;
}

export type HistoryKind =
  | 'released'
  | 'partial'
  | 'failed'
  | 'pending-unsent'
  | 'pending-sent'
  | 'pending-sent-partial'
  | 'unknown-acted'
  | 'unknown-not-acted'
  | 'pending-sent-false';

export interface HistoryStage {
  attempt: number;
  kind: HistoryKind;
}

export interface WorldHistory {
  key: string;
  account: string;
  id: string;
  orphan: boolean;
  stages: HistoryStage[];
}

export interface World {
  accounts: string[];
  entries: Entry[];
  history: WorldHistory[];
  /** Ledger shards of the starting ledger: name -> text. */
  shards: Map<string, string>;
  yaml: string;
  /** Canonical key of an (account, id as written), or undefined when it exists nowhere. */
  canon(account: string, id: string): string;
  /** Keys the emulator knew as quarantined at the start. */
  quarantined0: Map<string, boolean>;
  /** Truth requests before the chaos phase (history releases). */
  baselineRequests: number;
  baselineReleases: number;
}

export interface WorldOptions {
  /** Let the world use a second account. */
  accounts: string[];
}

const STAGE1: [HistoryKind, number][] = [
  ['released', 3],
  ['partial', 3],
  ['failed', 2],
  ['pending-unsent', 2],
  ['pending-sent', 3],
  ['pending-sent-partial', 1],
  ['unknown-acted', 3],
  ['unknown-not-acted', 2],
  ['pending-sent-false', 2],
];
const STAGE2: [HistoryKind, number][] = [
  ['released', 2],
  ['partial', 1],
  ['failed', 1],
  ['pending-unsent', 1],
  ['pending-sent', 2],
  ['unknown-acted', 2],
  ['unknown-not-acted', 1],
  ['pending-sent-false', 1],
];

export function weighted<T>(rng: Random, table: readonly [T, number][]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let pick = rng.next() * total;
  for (const [value, w] of table) {
    if (pick < w) return value;
    pick -= w;
  }
  return (table[table.length - 1] as [T, number])[0];
}

function shuffle<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** A release the emulator really performs, as an earlier run would have sent it. */
async function directRelease(
  emulator: Emulator,
  account: string,
  id: string,
  partial: boolean,
): Promise<{ delivered: string[]; failed: string[]; undelivered: string[] }> {
  emulator.setFaults(partial ? { script: [{ kind: 'partial', route: 'release' }] } : {});
  try {
    const res = await fetch(
      `${emulator.url}/accounts/${account}/email-security/investigate/release`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [id] }),
      },
    );
    const body = (await res.json()) as {
      result?: { delivered?: string[]; failed?: string[]; undelivered?: string[] }[];
    };
    const item = body.result?.[0];
    if (!item) throw new Error(`history release of ${id} answered ${res.status}`);
    return {
      delivered: item.delivered ?? [],
      failed: item.failed ?? [],
      undelivered: item.undelivered ?? [],
    };
  } finally {
    emulator.setFaults({});
  }
}

export async function buildWorld(
  rng: Random,
  emulator: Emulator,
  seed: number,
  options: WorldOptions,
): Promise<World> {
  const accounts = options.accounts;
  const longOf = new Map<string, string>();
  const quarantined0 = new Map<string, boolean>();
  const pools = new Map<string, { q: string[]; free: string[] }>();
  for (const account of accounts) {
    const q: string[] = [];
    const free: string[] = [];
    for (const m of emulator.messages(account)) {
      const key = `${account}/${m.details.id}`;
      longOf.set(`${account}/${m.details.id}`, m.details.id);
      longOf.set(`${account}/${m.details.postfix_id}`, m.details.id);
      quarantined0.set(key, m.details.is_quarantined);
      if (!SAFE_DISPOSITIONS.has(m.details.final_disposition)) continue;
      if (m.details.is_quarantined && m.action_log.length === 0) q.push(m.details.id);
      else if (!m.details.is_quarantined) free.push(m.details.id);
    }
    pools.set(account, { q: shuffle(rng, q), free: shuffle(rng, free) });
  }
  const canon = (account: string, id: string): string => {
    const long = longOf.get(`${account}/${id}`);
    return `${account}/${long ?? id}`;
  };

  // --- the requests file -----------------------------------------------------------------
  const entries: Entry[] = [];
  for (const [i, account] of accounts.entries()) {
    const pool = pools.get(account) as { q: string[]; free: string[] };
    const want = i === 0 ? 2 + rng.int(8) : 1 + rng.int(4);
    for (const long of pool.q.splice(0, want)) {
      const bare = rng.chance(0.1);
      const e: Entry = {
        account,
        id: bare ? queueIdOf(long) : long,
        key: `${account}/${long}`,
        // The emulator, like the API, finds nothing by a bare queue id: refused as not found.
        exists: !bare,
        quarantined0: true,
      };
      if (rng.chance(0.25)) e.retry = rng.chance(0.8) ? 2 : 3;
      entries.push(e);
    }
    // A message that is not quarantined (clean mail, or released by someone before).
    if (rng.chance(0.12) && pool.free.length > 0) {
      const long = pool.free.shift() as string;
      entries.push({
        account,
        id: long,
        key: `${account}/${long}`,
        exists: true,
        quarantined0: false,
      });
    }
    // Ids that exist in no mailbox.
    if (rng.chance(0.2)) {
      for (const id of demoFixtures(seed, account).missing.slice(0, 1 + rng.int(2))) {
        const e: Entry = {
          account,
          id,
          key: `${account}/${id}`,
          exists: false,
          quarantined0: false,
        };
        if (rng.chance(0.2)) e.retry = 2;
        entries.push(e);
      }
    }
  }
  shuffle(rng, entries);

  // --- the starting ledger ----------------------------------------------------------------
  const history: WorldHistory[] = [];
  for (const e of entries) {
    if (!e.exists || !e.quarantined0 || e.id !== e.key.slice(e.account.length + 1)) continue;
    if (!rng.chance(0.4)) continue;
    const stages: HistoryStage[] = [{ attempt: 1, kind: weighted(rng, STAGE1) }];
    const first = stages[0] as HistoryStage;
    if (
      e.retry !== undefined &&
      (first.kind === 'partial' || first.kind === 'failed') &&
      rng.chance(0.5)
    )
      stages.push({ attempt: e.retry, kind: weighted(rng, STAGE2) });
    history.push({ key: e.key, account: e.account, id: e.id, orphan: false, stages });
  }
  // A retry the ledger cannot justify (no earlier attempt, or one skipped) is refused for good:
  // nothing is ever written for it, so the ledger never comes to allow it.
  const stagesOf = new Map(history.map((h) => [h.key, h.stages]));
  for (const e of entries) {
    if (e.retry === undefined) continue;
    const last = stagesOf.get(e.key)?.at(-1);
    e.retryRefused =
      last === undefined || e.id !== e.key.slice(e.account.length + 1)
        ? true
        : last.kind !== 'released' && last.attempt < e.retry - 1;
  }
  // An orphan: in the ledger, no longer in the file.
  if (rng.chance(0.25)) {
    const account = accounts[0] as string;
    const long = pools.get(account)?.q.shift();
    if (long) {
      const kind = weighted<HistoryKind>(rng, [
        ['pending-sent', 2],
        ['pending-unsent', 2],
        ['unknown-acted', 2],
        ['unknown-not-acted', 1],
        ['released', 1],
      ]);
      history.push({
        key: `${account}/${long}`,
        account,
        id: long,
        orphan: true,
        stages: [{ attempt: 1, kind }],
      });
    }
  }

  const shards = new Map<string, string>();
  const dayMs = 86_400_000;
  let clock = Date.now() - (2 + rng.int(45)) * dayMs;
  const add = (r: LedgerRecord) => {
    const name = shardNameFor(r.at);
    shards.set(name, `${shards.get(name) ?? ''}${serializeRecord(r)}\n`);
  };
  for (const h of history) {
    let seq = 1;
    for (const stage of h.stages) {
      const rec = (
        state: LedgerRecord['state'],
        extra: Partial<LedgerRecord> = {},
      ): LedgerRecord => {
        clock += 1000 + rng.int(60_000);
        return {
          v: 1,
          account_id: h.account,
          id: h.id,
          seq: seq++,
          attempt: stage.attempt,
          state,
          at: new Date(clock).toISOString(),
          ...extra,
          run: 'chaos-history',
        };
      };
      add(rec('pending', { reason: 'chaos: an earlier run' }));
      const posts =
        stage.kind === 'released' ||
        stage.kind === 'partial' ||
        stage.kind === 'pending-sent' ||
        stage.kind === 'pending-sent-partial' ||
        stage.kind === 'unknown-acted';
      const partial = stage.kind === 'partial' || stage.kind === 'pending-sent-partial';
      const d = posts ? await directRelease(emulator, h.account, h.id, partial) : undefined;
      switch (stage.kind) {
        case 'released':
        case 'partial':
          add(
            rec(d && d.failed.length + d.undelivered.length > 0 ? 'partial' : 'released', {
              via: 'release',
              ...d,
            }),
          );
          break;
        case 'failed':
          add(rec('failed', { via: 'release', error: { status: 400, message: 'bad request' } }));
          break;
        case 'unknown-acted':
        case 'unknown-not-acted':
          add(
            rec('unknown', { via: 'release', error: { message: 'no answer: connection reset' } }),
          );
          break;
        case 'pending-sent-false':
          add(rec('pending', { sent: false, error: { message: 'rate limited (HTTP 429)' } }));
          break;
        default:
          break;
      }
    }
  }

  // --- YAML -------------------------------------------------------------------------------
  const lines = ['version: 1', `account_id: ${accounts[0] ?? DEFAULT_ACCOUNT}`, 'releases:'];
  for (const [i, e] of entries.entries()) {
    lines.push(`  - id: ${e.id}`, `    reason: chaos seed ${seed} entry ${i}, a false positive`);
    if (e.account !== accounts[0]) lines.push(`    account_id: ${e.account}`);
    if (e.retry !== undefined) lines.push(`    retry: ${e.retry}`);
    if (rng.chance(0.3)) lines.push(`    ticket: SEC-${1000 + i}`);
  }
  const truth = emulator.truth();
  return {
    accounts,
    entries,
    history,
    shards,
    yaml: `${lines.join('\n')}\n`,
    canon,
    quarantined0,
    baselineRequests: truth.requests.length,
    baselineReleases: truth.releases.length,
  };
}

// --- faults of the chaos phase -------------------------------------------------------------

const RELEASE_FAULTS: [ScriptedFault['kind'], number][] = [
  ['none', 28],
  ['5xx', 8],
  ['429', 6],
  ['reset_before', 6],
  ['reset_after', 8],
  ['timeout_before', 4],
  ['timeout_after', 5],
  ['malformed', 6],
  ['success_false', 6],
  ['partial', 10],
  ['missing_id', 5],
  ['postfix_only', 4],
  ['null_recipients', 4],
  ['auth', 3],
];
const GET_FAULTS: [ScriptedFault['kind'], number][] = [
  ['none', 6],
  ['5xx', 8],
  ['429', 3],
  ['reset_before', 3],
  ['reset_after', 3],
  ['malformed', 2],
  ['success_false', 1],
  ['timeout_before', 1],
];

/** The emulator's fault script for the chaos phase (timeouts only where the client has a short one). */
export function faultScript(rng: Random, timeouts: boolean): ScriptedFault[] {
  const noTimeout = <T extends [ScriptedFault['kind'], number]>(t: T[]) =>
    timeouts ? t : t.filter(([k]) => k !== 'timeout_before' && k !== 'timeout_after');
  const script: ScriptedFault[] = [];
  const releases = rng.int(7);
  for (let i = 0; i < releases; i++) {
    const kind = weighted(rng, noTimeout(RELEASE_FAULTS));
    const f: ScriptedFault = { kind, route: 'release' };
    if (kind === '5xx') {
      f.status = rng.pick([500, 502, 503] as const);
      f.html = rng.chance(0.3);
    }
    if (kind === 'success_false') f.acted = rng.chance(0.5);
    if (kind === '429') f.retryAfterSeconds = 1;
    script.push(f);
  }
  const gets = rng.chance(0.5) ? rng.int(4) : 0;
  for (let i = 0; i < gets; i++) {
    const kind = weighted(rng, noTimeout(GET_FAULTS));
    const f: ScriptedFault = { kind, route: rng.chance(0.5) ? 'message' : 'action_log' };
    if (kind === '429') f.retryAfterSeconds = 1;
    if (kind === 'success_false') f.acted = false;
    script.push(f);
  }
  return script;
}
