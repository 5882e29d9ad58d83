// The audit use case over a ledger directory: the rows do not depend on the order of the
// lines or on how they are split over shards; problems stop the report.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ledgerDirScan } from '../../src/adapters/ledger/file-store.js';
import { AttemptCollector, type AuditReport } from '../../src/core/audit/attempts.js';
import type { AuditPeriod } from '../../src/core/audit/period.js';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import { auditRowJson } from '../../src/core/render/audit.js';
import { audit, MAX_PROBLEMS } from '../../src/engine/audit.js';
import { arbAttemptRecord } from '../support/arbitrary.js';
import { withTempDir } from '../support/cli.js';
import { record } from '../support/factories.js';

function inMemory(records: readonly LedgerRecord[], period: AuditPeriod) {
  const c = new AttemptCollector(period);
  for (const r of records) c.mark(r);
  for (const r of records) c.add(r);
  return c.rows().map(auditRowJson);
}

const rowsOf = (report: AuditReport) => report.rows.map(auditRowJson);

describe('audit over a ledger directory', () => {
  it('gives the same rows whatever the order of the lines and their split over shards', async () => {
    await withTempDir(async (root) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbAttemptRecord, { maxLength: 30 }).chain((list) =>
            fc.tuple(
              fc.constant(list),
              fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
              fc.array(fc.integer({ min: 1, max: 12 }), {
                minLength: list.length,
                maxLength: list.length,
              }),
            ),
          ),
          fc.constantFrom<AuditPeriod>({}, { since: Date.parse('2026-11-01T00:00:00Z') }),
          async ([list, shuffled, shardOf], period) => {
            const dir = join(root, `l${run++}`);
            await mkdir(dir);
            const shards = new Map<number, string[]>();
            shuffled.forEach((r, i) => {
              const month = shardOf[i] as number;
              shards.set(month, [...(shards.get(month) ?? []), serializeRecord(r)]);
            });
            for (const [month, lines] of shards)
              await writeFile(
                join(dir, `2025-${String(month).padStart(2, '0')}.jsonl`),
                `${lines.join('\n')}\n`,
              );
            const result = await audit(ledgerDirScan(dir, { skip: false }), {
              period,
              accounts: [],
            });
            if (result.kind !== 'report') throw new Error(JSON.stringify(result.errors));
            expect(rowsOf(result.report)).toEqual(inMemory(list, period));
            await rm(dir, { recursive: true });
          },
        ),
        { numRuns: 50 },
      );
    });
  });

  it('any problem stops the report, sorted by file and line, at most MAX_PROBLEMS listed', async () => {
    await withTempDir(async (dir) => {
      const good = serializeRecord(record());
      await writeFile(join(dir, '2026-12.jsonl'), `${good}\nnot json\n`);
      await writeFile(
        join(dir, '2026-11.jsonl'),
        `${Array.from({ length: MAX_PROBLEMS + 5 }, () => '{').join('\n')}\n`,
      );
      const result = await audit(ledgerDirScan(dir, { skip: false }), { period: {}, accounts: [] });
      expect(result.kind).toBe('invalid');
      if (result.kind !== 'invalid') return;
      expect(result.errors).toHaveLength(MAX_PROBLEMS);
      expect(result.more).toBe(6);
      expect(result.errors[0]).toMatchObject({ file: join(dir, '2026-11.jsonl'), line: 1 });
    });
  });
});
