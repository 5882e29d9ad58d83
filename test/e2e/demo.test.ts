import { describe, expect, it } from 'vitest';
import { runDistCli, withTempDir } from '../support/cli.js';

describe('demo', () => {
  it('tours validate, plan, apply, the ledger, the comment and a second apply, and exits 0', async () => {
    await withTempDir(async (dir) => {
      const r = await runDistCli(['demo'], { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const steps = [...r.stdout.matchAll(/^━━ (\d+)\. (.*)$/gm)].map((m) => m[2]);
      expect(steps).toEqual([
        'A local Cloudflare API',
        'A repository with a releases.yaml',
        'Validate: the schema, duplicates, and every problem with its line and column',
        'Plan: what the file asks for, minus what the ledger says already happened',
        'Apply (on merge): pending is written before each request, the outcome after it',
        'The ledger: an append-only record of every state change, committed to the repository',
        'The pull-request comment the GitHub Action leaves after the merge (markdown)',
        'Apply again: the ledger already has every message, so nothing is sent',
      ]);
      expect(r.stdout).toContain('Result: 3 released, 0 partial');
      expect(r.stdout).toContain(
        'Nothing to release: every requested message is already in the ledger.',
      );
      expect(r.stdout.match(/\(exit code (\d+)\)/g)).toEqual(Array(4).fill('(exit code 0)'));
      // The throw-away folder is gone afterwards.
      const folder = /(\/\S+quarantine-release-demo-\w+)\/releases\.yaml/.exec(r.stdout)?.[1];
      expect(folder).toBeDefined();
      const { stat } = await import('node:fs/promises');
      await expect(stat(folder as string)).rejects.toThrow();
    });
  });
});
