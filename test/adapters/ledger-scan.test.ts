// The streaming ledger reader (scanLedgerDir): the same records and the same problems as
// reading each shard whole (readLedgerDir, then readLedger), whatever the block size cuts.

import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLedgerDir, scanLedgerDir } from '../../src/adapters/files/read-input.js';
import { ledgerDirScan } from '../../src/adapters/ledger/file-store.js';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { type LedgerRecord, serializeRecord } from '../../src/core/ledger/record.js';
import type { ShardText } from '../../src/core/ledger/state.js';
import { withTempDir } from '../support/cli.js';
import { messageId, readLedger, record } from '../support/factories.js';
import { collectingLogger } from '../support/memory.js';

async function scanned(dir: string, chunkBytes?: number) {
  const records: LedgerRecord[] = [];
  const problems: Diagnostic[] = [];
  const torn: string[] = [];
  await scanLedgerDir(
    dir,
    (r) => records.push(r),
    (p) => problems.push(p),
    {
      missing: 'problem',
      onTornTail: (path, chars) => torn.push(`${path}:${chars}`),
      ...(chunkBytes ? { chunkBytes } : {}),
    },
  );
  return { records, problems, torn };
}

/** What the whole-shard readers make of the same directory: problems, and records read. */
async function wholeRead(dir: string) {
  const shards: ShardText[] = [];
  const errors = await readLedgerDir(dir, (shard) => shards.push(shard));
  const ledger = readLedger(shards);
  return { errors: [...errors, ...ledger.errors], records: ledger.records };
}

const line = (n: number, extra: Partial<LedgerRecord> = {}) =>
  serializeRecord(record({ id: messageId(n), reason: `reason ${n} é 😀`, ...extra }));

describe('scanLedgerDir', () => {
  it('reads every line of every shard, in file order, whatever the block size', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, '2026-10.jsonl'),
        `\uFEFF${line(1)}\r\n\n${line(2)}\r\n   \n${line(3)}`,
      );
      await writeFile(join(dir, '2026-11.jsonl'), `${line(4)}\n${line(5)}\n`);
      await writeFile(join(dir, 'README.md'), 'not a shard');
      const ids = [1, 2, 3, 4, 5].map(messageId);
      for (const chunk of [undefined, 1, 3, 17, 64, 400]) {
        const got = await scanned(dir, chunk);
        expect(got.problems).toEqual([]);
        expect(got.torn).toEqual([]);
        expect(got.records.map((r) => r.id)).toEqual(ids);
        expect(got.records[0]?.reason).toBe('reason 1 é 😀');
      }
      expect((await wholeRead(dir)).records).toBe(5);
    });
  });

  it('reports each corrupt line as file:line, as the whole-shard reader does, and reads the rest', async () => {
    await withTempDir(async (dir) => {
      const shard = join(dir, '2026-11.jsonl');
      await writeFile(
        shard,
        [
          line(1),
          '{"v":1,',
          line(2, { state: 'nonsense' as never }),
          '{"v":2}',
          line(3),
          JSON.stringify({ ...record({ id: messageId(4) }), extra: 1 }),
          '',
        ].join('\n'),
      );
      await writeFile(join(dir, 'notes.jsonl'), `${line(9)}\n`);
      const whole = await wholeRead(dir);
      for (const chunk of [undefined, 5, 100]) {
        const got = await scanned(dir, chunk);
        expect(got.records.map((r) => r.id)).toEqual([messageId(1), messageId(3)]);
        expect(got.problems).toEqual(whole.errors);
        expect(got.problems.map((p) => `${p.file}:${p.line}`)).toEqual([
          `${shard}:2`,
          `${shard}:3`,
          `${shard}:4`,
          `${shard}:6`,
          `${join(dir, 'notes.jsonl')}:1`,
        ]);
      }
    });
  });

  it('skips a torn last line (a write cut short) and reads a whole record without its newline', async () => {
    await withTempDir(async (dir) => {
      // Cut inside a multi-byte character, as a crash can.
      const cut = Buffer.from(line(2)).subarray(0, Buffer.from(line(2)).indexOf('é') + 1);
      await writeFile(
        join(dir, '2026-10.jsonl'),
        Buffer.concat([Buffer.from(`${line(1)}\n`), cut]),
      );
      await writeFile(join(dir, '2026-11.jsonl'), `${line(3)}\n${line(4)}`);
      for (const chunk of [undefined, 7]) {
        const got = await scanned(dir, chunk);
        expect(got.problems).toEqual([]);
        expect(got.records.map((r) => r.id)).toEqual([1, 3, 4].map(messageId));
        expect(got.torn).toEqual([`${join(dir, '2026-10.jsonl')}:${cut.toString('utf8').length}`]);
      }
    });
  });

  it('reports a line that is not UTF-8 on its line, and reads the others', async () => {
    await withTempDir(async (dir) => {
      const bad = Buffer.from(line(2));
      bad[bad.indexOf('reason') + 2] = 0xff;
      await writeFile(
        join(dir, '2026-11.jsonl'),
        Buffer.concat([Buffer.from(`${line(1)}\n`), bad, Buffer.from(`\n${line(3)}\n`)]),
      );
      for (const chunk of [undefined, 11]) {
        const got = await scanned(dir, chunk);
        expect(got.records.map((r) => r.id)).toEqual([messageId(1), messageId(3)]);
        expect(got.problems).toEqual([
          expect.objectContaining({ line: 2, message: 'not valid UTF-8 text' }),
        ]);
      }
    });
  });

  it('a missing directory is a problem for a report, an empty ledger otherwise', async () => {
    await withTempDir(async (dir) => {
      const missing = join(dir, 'releases.ledger');
      expect((await scanned(missing)).problems).toEqual([
        expect.objectContaining({ file: missing, message: 'the ledger directory does not exist' }),
      ]);
      const problems: Diagnostic[] = [];
      await scanLedgerDir(
        missing,
        () => {},
        (p) => problems.push(p),
        { missing: 'empty' },
      );
      expect(problems).toEqual([]);
    });
  });

  it('refuses symbolic links, for the directory and for a shard', async () => {
    await withTempDir(async (dir) => {
      const real = join(dir, 'real');
      await mkdir(real);
      await writeFile(join(real, '2026-11.jsonl'), `${line(1)}\n`);
      await symlink(real, join(dir, 'linked'));
      expect((await scanned(join(dir, 'linked'))).problems[0]?.message).toMatch(/symbolic link/);
      await symlink(join(real, '2026-11.jsonl'), join(real, '2026-12.jsonl'));
      const got = await scanned(real);
      expect(got.records).toHaveLength(1);
      expect(got.problems).toEqual([
        expect.objectContaining({ file: join(real, '2026-12.jsonl') }),
      ]);
      expect(got.problems[0]?.message).toMatch(/symbolic link/);
    });
  });

  it('reads back the records written, for any ledger and any block size', async () => {
    await withTempDir(async (dir) => {
      const ledger = join(dir, 'l');
      await mkdir(ledger);
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              n: fc.integer({ min: 1, max: 50 }),
              reason: fc.string({ maxLength: 30, unit: 'grapheme' }),
              crlf: fc.boolean(),
            }),
            { maxLength: 20 },
          ),
          fc.integer({ min: 1, max: 200 }),
          async (lines, chunkBytes) => {
            const text = lines
              .map((l) => `${line(l.n, { reason: l.reason })}${l.crlf ? '\r\n' : '\n'}`)
              .join('');
            await writeFile(join(ledger, '2026-11.jsonl'), text);
            const got = await scanned(ledger, chunkBytes);
            expect(got.problems).toEqual([]);
            expect(got.records).toEqual(
              lines.map((l) => record({ id: messageId(l.n), reason: l.reason })),
            );
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it('ledgerDirScan warns once per torn shard, however often it is scanned, or refuses it', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, '2026-11.jsonl'), `${line(1)}\n{"v":1,"acc`);
      const log = collectingLogger();
      const scan = ledgerDirScan(dir, { skip: true, log });
      for (let i = 0; i < 2; i++)
        await scan.scan(
          () => {},
          () => {},
        );
      expect(log.lines).toEqual([
        expect.stringMatching(/^warn: .*2026-11\.jsonl: ignoring an incomplete last line/),
      ]);
      // In a checkout of the repository it is a corrupt line.
      const problems: Diagnostic[] = [];
      await ledgerDirScan(dir, { skip: false }).scan(
        () => {},
        (p) => problems.push(p),
      );
      expect(problems).toEqual([
        expect.objectContaining({
          line: 2,
          message: expect.stringMatching(/^incomplete last line/),
        }),
      ]);
    });
  });
});

describe('readLedgerDir', () => {
  // One buffer serves every shard of a read: a shard read after a larger one must not carry
  // the larger one's bytes, nor one read after a smaller one be cut to its size.
  it('hands over each shard exactly, whatever the sizes of the shards read before it', async () => {
    await withTempDir(async (dir) => {
      const sizes: Record<string, number> = {
        '2026-01.jsonl': 3,
        '2026-02.jsonl': 900,
        '2026-03.jsonl': 1,
        '2026-04.jsonl': 2000,
        '2026-05.jsonl': 900,
      };
      const texts = new Map<string, string>();
      let n = 0;
      for (const [name, lines] of Object.entries(sizes)) {
        const text = Array.from({ length: lines }, () => `${line(++n)}\n`).join('');
        texts.set(name, text);
        await writeFile(join(dir, name), text);
      }
      const got = new Map<string, string>();
      expect(await readLedgerDir(dir, (shard) => got.set(shard.name, shard.text))).toEqual([]);
      expect(got).toEqual(texts);
    });
  });
});
