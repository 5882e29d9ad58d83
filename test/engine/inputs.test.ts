// What the commands read: the requests, then the ledger folded shard by shard, keeping whole
// only the records a plan reads.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLedgerStore } from '../../src/adapters/ledger/file-store.js';
import { plan } from '../../src/core/plan/plan.js';
import { loadInputs, recordsToKeep } from '../../src/engine/inputs.js';
import { withTempDir } from '../support/cli.js';
import {
  ACCOUNT,
  messageId,
  OTHER_ACCOUNT,
  record,
  releasesFile,
  request,
  shardText,
} from '../support/factories.js';

describe('recordsToKeep', () => {
  const long = messageId(1);
  const queue = messageId(2).split('-')[0] as string;
  const keep = recordsToKeep(
    releasesFile([request({ id: long }), request({ id: queue, index: 1 })]),
  );

  it("keeps the file's messages, by id or by queue id, and unresolved sends anywhere", () => {
    expect(keep(record({ id: long }))).toBe(true);
    // The long form of an entry written as a bare queue id: the plan reads it as an alias.
    expect(keep(record({ id: messageId(2) }))).toBe(true);
    expect(keep(record({ id: messageId(3), state: 'pending' }))).toBe(true);
    expect(keep(record({ id: messageId(3), state: 'unknown' }))).toBe(true);
    // Anything else is an orphan: its state, attempt and time are enough.
    for (const state of ['released', 'partial', 'failed'] as const)
      expect(keep(record({ id: messageId(3), state }))).toBe(false);
    expect(keep(record({ id: long, account_id: OTHER_ACCOUNT }))).toBe(false);
  });
});

describe('loadInputs', () => {
  it('reads the ledger shard by shard, and the plan reads every record it needs', async () => {
    await withTempDir(async (dir) => {
      const ledger = join(dir, 'releases.ledger');
      await mkdir(ledger);
      await writeFile(
        join(ledger, '2026-10.jsonl'),
        shardText([record({ id: messageId(1), state: 'partial' }), record({ id: messageId(4) })]),
      );
      await writeFile(
        join(ledger, '2026-11.jsonl'),
        shardText([
          record({ id: messageId(2), state: 'released' }),
          record({ id: messageId(3), state: 'pending', seq: 1 }),
        ]),
      );
      const text = [
        'version: 1',
        `account_id: ${ACCOUNT}`,
        'releases:',
        `  - id: ${messageId(1)}`,
        '    reason: partial before',
        `  - id: ${messageId(2).split('-')[0]}`,
        '    reason: written as a bare queue id',
        '',
      ].join('\n');
      const store = new FileLedgerStore(ledger);
      const handed: string[] = [];
      const streamed = await store.read((shard) => handed.push(shard.name));
      expect(streamed).toEqual({ shards: [], errors: [] });
      expect(handed).toEqual(['2026-10.jsonl', '2026-11.jsonl']);

      const inputs = await loadInputs(async () => ({ ok: true, text }), 'releases.yaml', store);
      if (!inputs.ok) throw new Error(JSON.stringify(inputs.errors));
      expect(inputs.ledger.records).toBe(4);
      const p = plan(inputs.file, inputs.ledger.index);
      const account = p.accounts[0];
      expect(account?.held.map((h) => h.record.state)).toEqual(['partial']);
      expect(account?.to_verify.map((v) => [v.id, v.why])).toEqual([
        [messageId(2).split('-')[0], 'alias'],
        [messageId(3), 'pending'],
      ]);
      expect(account?.orphaned.map((o) => o.id).sort()).toEqual(
        [messageId(2), messageId(3), messageId(4)].sort(),
      );
    });
  });
});
