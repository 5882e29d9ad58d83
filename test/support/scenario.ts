// End-to-end scenarios: an emulator on loopback, a throw-away work folder with releases.yaml,
// and the bundled CLI run as a subprocess, the way users run it.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import type { LedgerRecord } from '../../src/core/ledger/record.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_TOKEN,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { type CliResult, runDistCli } from './cli.js';
import { foldRecords, parseShard } from './factories.js';

export interface Scenario {
  emulator: Emulator;
  dir: string;
  account: string;
  env: Record<string, string>;
  /** Runs `quarantine-release <args>` in the work folder. */
  cli(
    args: string[],
    extraEnv?: Record<string, string>,
  ): Promise<CliResult & { signal: NodeJS.Signals | null }>;
  writeReleases(ids: string[], extra?: Record<string, string>): Promise<void>;
  /** Quarantined messages of the seeded mailbox that are safe to release (not malicious). */
  quarantined(n: number): string[];
  ledger(): Promise<LedgerRecord[]>;
  /** Latest ledger state per id. */
  states(): Promise<Map<string, LedgerRecord>>;
  /** How many times the emulator delivered each id (its own record, whatever it answered). */
  deliveries(): Map<string, number>;
  /** How many release POSTs named each id. */
  posts(): Map<string, number>;
  /** Release POSTs received. */
  releasePostsCount(): number;
  close(): Promise<void>;
}

/**
 * A scenario of the test's own, closed when it ends: for files whose tests run at once
 * (describe.concurrent). The test's context, because in concurrent tests only the context
 * knows which test is which.
 */
export async function scenarioForThisTest(
  test: TestContext,
  options: EmulatorOptions = {},
): Promise<Scenario> {
  const s = await scenario(options);
  test.onTestFinished(() => s.close());
  return s;
}

export async function scenario(options: EmulatorOptions = {}): Promise<Scenario> {
  const emulator = await startEmulator({ messagesPerAccount: 80, ...options });
  const dir = await mkdtemp(join(tmpdir(), 'qr-e2e-'));
  // A repository set up for releases: its ledger folder exists (plan and check refuse one that
  // does not), empty until the first apply.
  await mkdir(join(dir, 'releases.ledger'));
  const account = emulator.accounts[0] ?? DEFAULT_ACCOUNT;
  const env = { CLOUDFLARE_API_BASE_URL: emulator.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };

  const s: Scenario = {
    emulator,
    dir,
    account,
    env,
    cli: (args, extraEnv = {}) =>
      runDistCli(settleAtOnce(args), { cwd: dir, env: { ...env, ...extraEnv }, timeoutMs: 60_000 }),
    async writeReleases(ids, extra = {}) {
      const lines = ['version: 1', `account_id: ${account}`, 'releases:'];
      for (const id of ids) {
        lines.push(`  - id: ${id}`, '    reason: false positive, checked by the security team');
        if (extra[id]) lines.push(`    ${extra[id]}`);
      }
      await writeFile(join(dir, 'releases.yaml'), `${lines.join('\n')}\n`);
    },
    quarantined(n) {
      const ok = new Set(['SPAM', 'BULK', 'NONE', 'SUSPICIOUS']);
      const ids = emulator
        .messages(account)
        .filter(
          (m) =>
            m.details.is_quarantined &&
            ok.has(m.details.final_disposition) &&
            m.action_log.length === 0,
        )
        .map((m) => m.details.id);
      if (ids.length < n) throw new Error(`only ${ids.length} quarantined messages`);
      return ids.slice(0, n);
    },
    async ledger() {
      const ledgerDir = join(dir, 'releases.ledger');
      let names: string[] = [];
      try {
        names = (await readdir(ledgerDir)).filter((n) => n.endsWith('.jsonl'));
      } catch {
        return [];
      }
      const out: LedgerRecord[] = [];
      for (const name of names) {
        const parsed = parseShard(await readFile(join(ledgerDir, name), 'utf8'), name);
        if (parsed.errors.length > 0)
          throw new Error(`corrupt ledger: ${JSON.stringify(parsed.errors)}`);
        out.push(...parsed.records.map((r) => r.record));
      }
      return out;
    },
    async states() {
      const records = await s.ledger();
      const folded = foldRecords(
        records.map((record) => ({
          record,
          line: JSON.stringify(record),
          file: 'x',
          lineNumber: 0,
        })),
      );
      return new Map([...folded].map(([, h]) => [h.latest.id, h.latest]));
    },
    deliveries() {
      const count = new Map<string, number>();
      for (const r of emulator.truth().releases) count.set(r.id, (count.get(r.id) ?? 0) + 1);
      return count;
    },
    posts() {
      const count = new Map<string, number>();
      for (const r of emulator.truth().requests)
        for (const id of r.ids ?? []) count.set(id, (count.get(id) ?? 0) + 1);
      return count;
    },
    releasePostsCount() {
      return emulator
        .truth()
        .requests.filter((r) => r.method === 'POST' && r.path.endsWith('/release')).length;
    },
    async close() {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return s;
}

/**
 * The emulator acts before it answers (unless a test gives it latency), so a send it did not
 * answer has settled at once: apply and check read back without waiting, unless the test
 * passes its own --settle-seconds (the tests about settling do).
 */
function settleAtOnce(args: string[]): string[] {
  const settles = args[0] === 'apply' || args[0] === 'check';
  return settles && !args.includes('--settle-seconds') ? [...args, '--settle-seconds', '0'] : args;
}

/** Release requests the emulator received, as [seq, path]. */
export function releaseRequests(
  e: Emulator,
): { seq: number; status: number | null; fault?: string; form?: string }[] {
  return e
    .truth()
    .requests.filter((r) => r.method === 'POST' && r.path.endsWith('/release'))
    .map((r) => ({
      seq: r.seq,
      status: r.status,
      ...(r.fault ? { fault: r.fault } : {}),
      ...(r.form ? { form: r.form } : {}),
    }));
}
