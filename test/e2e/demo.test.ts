import { readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDistCli, withTempDir } from '../support/cli.js';

describe('demo', () => {
  it('tours validate, a refused then acknowledged plan, apply, the ledger, the comment and a second apply, and exits 0', async () => {
    await withTempDir(async (dir) => {
      const r = await runDistCli(['demo'], { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const steps = [...r.stdout.matchAll(/^━━ (\d+)\. (.*)$/gm)].map((m) => m[2]);
      expect(steps).toEqual([
        'A local Cloudflare API',
        'A repository with a releases.yaml',
        'Validate: the schema, duplicates, and every problem with its line and column',
        'Plan: every message looked up; malicious mail is refused without an acknowledgement',
        'Review: the malicious message is acknowledged, with the reason, and planned again',
        'Apply (on merge): pending is written before each request, the outcome after it',
        'The ledger: an append-only record of every state change, committed to the repository',
        'The pull-request comment the GitHub Action leaves after the merge',
        'Apply again: the ledger already has every message, so nothing is sent',
      ]);
      // validate, plan (the malicious message refused), plan again, apply, apply again.
      expect(r.stdout.match(/\(exit code (\d+)\)/g)).toEqual([
        '(exit code 0)',
        '(exit code 1)',
        '(exit code 0)',
        '(exit code 0)',
        '(exit code 0)',
      ]);
      expect(r.stdout).toContain(
        'x REFUSED  q36YYoRzbrnanfp-2026-10-25T20:56:35-22742178  final disposition MALICIOUS',
      );
      expect(r.stdout).toContain('acknowledge: MALICIOUS');
      expect(r.stdout).toContain('Result: 3 released, 0 partial');
      expect(r.stdout).toContain(
        'Nothing to release: every requested message is already in the ledger.',
      );

      // The comment in the terminal is text: entities decoded, no markdown table syntax.
      const text = r.stdout.slice(r.stdout.indexOf('━━ 8.'), r.stdout.indexOf('━━ 9.'));
      expect(text).not.toMatch(/&#\d+;|\\u200B|\| --- \|/);
      expect(text).toContain('Requested by  security@example.com');
      expect(text).toContain(
        'from <script>alert(1)</script> Payroll <events@webinars.example.org>',
      );

      // ... and a page, rendered by marked, kept after the run at the path it printed.
      const page = /As GitHub shows it: (\S+\.html)$/m.exec(r.stdout)?.[1] as string;
      expect(r.stdout).toContain(`The pull-request comment, as a page: ${page}`);
      try {
        const html = await readFile(page, 'utf8');
        expect(html).toMatch(/^<!doctype html>/);
        expect(html).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"");
        expect(html).toContain('<th>Requested by</th>');
        // marked decodes the comment's entities and escapes for HTML what must be.
        expect(html).toContain('<td>security@\u200Bexample.\u200Bcom</td>');
        expect(html).toContain('from &lt;script&gt;alert(1)&lt;/script&gt; Payroll');
        expect(html).not.toContain('<script>');
      } finally {
        await rm(dirname(page), { recursive: true, force: true });
      }

      // The throw-away folder is gone afterwards.
      const folder = /(\/\S+quarantine-release-demo-\w+)\/releases\.yaml/.exec(r.stdout)?.[1];
      expect(folder).toBeDefined();
      await expect(stat(folder as string)).rejects.toThrow();
    });
  });
});
