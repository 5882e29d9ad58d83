// A generated ledger for the audit report (the CLI end-to-end test and bench/audit.ts): release
// attempts over a year, grouped in pull requests that share a reason, requester, commit, run
// and approvers, as apply writes them: a pending record, then its outcome a moment later
// (in the next month's shard when the send straddles midnight at a month's end). Some end
// partial or failed, some unknown and resolved by a read-back days later, some stay pending;
// some messages are retried. Written a shard at a time, in pieces. What a correct report says
// is computed here, without the product's code.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

export const AUDIT_ACCOUNTS = [
  '023e105f4ecef8ad9ca31a8372d0c353',
  'aaaabbbbccccddddeeeeffff00001111',
] as const;

export interface AuditLedgerOptions {
  /** Records to write (the last attempt may add up to 3 more). */
  records: number;
  seed?: number;
  /** Reasons of the first pull requests (hostile text, for the tests). */
  reasons?: readonly string[];
}

export interface ExpectedAudit {
  records: number;
  attempts: number;
  by_outcome: Record<string, number>;
  by_month: Record<string, number>;
  /** Attempts per account. */
  by_account: Record<string, number>;
  /** Attempts per month of the first account (for --account with --since/--until). */
  by_month_first_account: Record<string, number>;
  reasons: string[];
}

const DISPOSITIONS = ['SPAM', 'BULK', 'SUSPICIOUS', 'SPOOF', 'NONE'] as const;
const YEAR_START = Date.parse('2026-01-01T00:00:00.000Z');
const YEAR_MS = 365 * 86_400_000;

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const messageId = (n: number, ms: number) =>
  `Q${n.toString(36).toUpperCase().padStart(11, '0')}-${new Date(ms - 3_600_000).toISOString().slice(0, 19)}-${10_000_000 + n}`;

export async function writeAuditLedger(
  dir: string,
  options: AuditLedgerOptions,
): Promise<ExpectedAudit> {
  const rand = random(options.seed ?? 1);
  const expected: ExpectedAudit = {
    records: 0,
    attempts: 0,
    by_outcome: { released: 0, partial: 0, failed: 0, unknown: 0, pending: 0 },
    by_month: {},
    by_account: {},
    by_month_first_account: {},
    reasons: [],
  };
  await mkdir(dir, { recursive: true });
  // Lines by shard, flushed when large: a million records never sit in memory at once.
  const pending = new Map<string, string[]>();
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  let held = 0;
  const flush = async () => {
    for (const [shard, lines] of pending) {
      let handle = handles.get(shard);
      if (!handle) {
        handle = await open(join(dir, `${shard}.jsonl`), 'a');
        handles.set(shard, handle);
      }
      await handle.write(`${lines.join('\n')}\n`);
    }
    pending.clear();
    held = 0;
  };
  const write = (record: Record<string, unknown>) => {
    const shard = (record.at as string).slice(0, 7);
    const list = pending.get(shard) ?? [];
    list.push(JSON.stringify(record));
    pending.set(shard, list);
    expected.records++;
    held++;
  };
  const bump = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };

  // Pull requests in time order over the year, each releasing a batch of messages.
  // About 2.06 records an attempt (retries, read-backs and sends left pending included).
  const perPr = 50;
  const prs = Math.max(1, Math.ceil(options.records / 2.06 / perPr));
  let n = 0;
  for (let pr = 0; expected.records < options.records; pr++) {
    const start = YEAR_START + Math.floor(((pr + rand()) / prs) * YEAR_MS);
    const account = AUDIT_ACCOUNTS[pr % 7 === 3 ? 1 : 0];
    const reason =
      options.reasons?.[pr] ?? `False positive: newsletter from vendor ${pr % 97}, checked`;
    expected.reasons.push(reason);
    const facts = {
      reason,
      ...(pr % 3 === 0 ? { ticket: `SEC-${1000 + pr}` } : {}),
      ...(pr % 11 === 5 ? {} : { requested_by: `user${pr % 23}@example.com` }),
      actor: `merger${pr % 5}`,
      commit: (0x1000000 + pr).toString(16).padEnd(40, 'a'),
      run: `https://github.com/acme/mail-ops/actions/runs/${100000 + pr}`,
      pull_request: pr + 1,
      // Older records have no approvers.
      ...(pr % 4 === 0 ? {} : { approved_by: ['security-lead', `reviewer${pr % 6}`] }),
    };
    for (let i = 0; i < perPr && expected.records < options.records; i++) {
      const number = n++;
      const sent = start + i * 40;
      const id = messageId(number, sent);
      const disposition = DISPOSITIONS[number % DISPOSITIONS.length] as string;
      const base = { v: 1, account_id: account, id };
      const attempts = number % 37 === 9 ? 2 : 1;
      let seq = 1;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        // A retry a week later.
        const at = sent + (attempt - 1) * 7 * 86_400_000;
        const month = new Date(at).toISOString().slice(0, 7);
        write({
          ...base,
          seq: seq++,
          attempt,
          state: 'pending',
          at: new Date(at).toISOString(),
          in_flight_until: new Date(at + 300_000).toISOString(),
          disposition,
          ...facts,
        });
        const kind = attempt < attempts ? 'partial' : pickOutcome(number);
        const answered = new Date(at + 1_200 + Math.floor(rand() * 2_000)).toISOString();
        const provenance = {
          actor: facts.actor,
          commit: facts.commit,
          run: facts.run,
          pull_request: facts.pull_request,
        };
        if (kind === 'released' || kind === 'partial') {
          write({
            ...base,
            seq: seq++,
            attempt,
            state: kind,
            at: answered,
            via: 'release',
            delivered: ['alice@example.com', 'bob@example.com'],
            failed: kind === 'partial' ? ['carol@example.com'] : [],
            undelivered: [],
            ...provenance,
          });
        } else if (kind === 'failed') {
          write({
            ...base,
            seq: seq++,
            attempt,
            state: 'failed',
            at: answered,
            via: 'release',
            error: { status: 400, code: 1002, message: 'message not found' },
            ...provenance,
          });
        } else if (kind === 'resolved') {
          write({
            ...base,
            seq: seq++,
            attempt,
            state: 'unknown',
            at: answered,
            via: 'release',
            error: { message: 'timed out after 180 s' },
            ...provenance,
          });
          // Read back by the drift check, days later (perhaps next month).
          write({
            ...base,
            seq: seq++,
            attempt,
            state: 'released',
            at: new Date(at + 3 * 86_400_000).toISOString(),
            via: 'readback',
            actor: 'github-actions[bot]',
            run: 'https://github.com/acme/mail-ops/actions/runs/999999',
          });
        }
        const outcome = kind === 'resolved' ? 'released' : kind;
        expected.attempts++;
        bump(expected.by_outcome, outcome);
        bump(expected.by_month, month);
        bump(expected.by_account, account);
        if (account === AUDIT_ACCOUNTS[0]) bump(expected.by_month_first_account, month);
      }
      if (held >= 20_000) await flush();
    }
  }
  await flush();
  for (const handle of handles.values()) await handle.close();
  return expected;
}

function pickOutcome(n: number): 'released' | 'partial' | 'failed' | 'resolved' | 'pending' {
  if (n % 10 === 3) return 'partial';
  if (n % 25 === 7) return 'failed';
  if (n % 50 === 11) return 'resolved';
  if (n % 100 === 42) return 'pending';
  return 'released';
}
