import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeRecord } from '../../src/core/ledger/record.js';
import { runCli, runDistCli, withTempDir } from '../support/cli.js';
import { ACCOUNT, messageId, record } from '../support/factories.js';

const VALID = `# yaml-language-server: $schema=./schema/releases.schema.json
version: 1
account_id: ${ACCOUNT}
releases:
  - id: ${messageId(1)}
    reason: Vendor invoice, false positive
    ticket: SEC-1234
    requested_by: alice
  - id: ${messageId(2)}
    reason: Payroll notice
`;

describe('validate', () => {
  it('accepts a valid file (exit 0) and describes it', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), VALID);
      const r = await runCli(['validate'], { cwd: dir });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toBe('releases.yaml: valid (2 entries, 1 account)\n');
    });
  });

  it('counts one entry and an empty list in plain English', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'one.yaml'),
        `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: ${messageId(1)}\n    reason: r\n`,
      );
      await writeFile(join(dir, 'none.yaml'), `version: 1\naccount_id: ${ACCOUNT}\nreleases: []\n`);
      const one = await runCli(['validate', '--releases', 'one.yaml'], { cwd: dir });
      expect(one.stdout).toBe('one.yaml: valid (1 entry, 1 account)\n');
      const none = await runCli(['validate', '--releases', 'none.yaml'], { cwd: dir });
      expect(none.stdout).toBe('none.yaml: valid (0 entries, 0 accounts)\n');
    });
  });

  it('reports file:line:col errors and exits 1', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'r.yaml'),
        `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n  - id: 123456789012345678901234\n    reason: x\n    reasn: y\n`,
      );
      const r = await runCli(['validate', '--releases', 'r.yaml'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('r.yaml:4:9: `releases[0].id` must be a string');
      expect(r.stderr).toContain('quote it');
      expect(r.stderr).toContain('r.yaml:6:5: unknown key "reasn" in releases[0]');
    });
  });

  it('--format json gives {valid, errors[{file,line,column,pointer,message}]}', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), 'version: 1\nreleases:\n  - id: ABCDEFGH\n');
      const r = await runCli(['validate', '--format', 'json'], { cwd: dir });
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout);
      expect(json.valid).toBe(false);
      expect(json.errors).toContainEqual({
        file: 'releases.yaml',
        line: 3,
        column: 5,
        pointer: '/releases/0',
        message: 'releases[0] is missing required key `reason`',
      });
      for (const e of json.errors)
        expect(Object.keys(e)).toEqual(['file', 'line', 'column', 'pointer', 'message']);
    });
  });

  it('refuses a missing file and a too-large file with file:1:1 before parsing', async () => {
    await withTempDir(async (dir) => {
      const missing = await runCli(['validate', '--releases', 'nope.yaml'], { cwd: dir });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('nope.yaml:1:1: file not found\n');
      await writeFile(join(dir, 'big.yaml'), `version: 1\n#${'x'.repeat(10 * 1024 * 1024)}\n`);
      const big = await runCli(['validate', '--releases', 'big.yaml'], { cwd: dir });
      expect(big.code).toBe(1);
      expect(big.stderr).toMatch(
        /^big\.yaml:1:1: file is too large \(10485773 bytes, limit 8388608\)/,
      );
    });
  });

  it('usage errors exit 2 with help', async () => {
    await withTempDir(async (dir) => {
      for (const args of [
        ['validate', '--format', 'xml'],
        ['validate', '--nope'],
        ['validate', 'extra'],
        ['frobnicate'],
        [],
      ]) {
        const r = await runCli(args, { cwd: dir });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain('Usage: quarantine-release');
      }
      const help = await runCli(['validate', '--help'], { cwd: dir });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Exit codes: 0 valid, 1 invalid, 2 usage error.');
    });
  });
});

describe('plan', () => {
  it('plans against the ledger and prints text, markdown and json', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), VALID);
      await mkdir(join(dir, 'releases.ledger'));
      await writeFile(
        join(dir, 'releases.ledger', '2026-11.jsonl'),
        `${serializeRecord(record({ id: messageId(1), state: 'released', delivered: ['a@example.com'] }))}\n`,
      );
      const text = await runCli(['plan'], { cwd: dir });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        `  + release  ${messageId(2)}  "Payroll notice"  releases.yaml:9:9`,
      );
      expect(text.stdout).toContain(`  = released ${messageId(1)}`);
      expect(text.stdout).toContain(
        'Plan: 1 to release, 0 to verify, 1 already released, 0 held, 0 no longer in the file.',
      );

      const md = await runCli(['plan', '--format', 'markdown'], { cwd: dir });
      expect(md.stdout).toContain('#### To release (1)');
      expect(md.stdout).toContain('<details><summary>Already released (1)</summary>');

      const json = JSON.parse((await runCli(['plan', '--format', 'json'], { cwd: dir })).stdout);
      expect(json.to_release).toEqual([{ account_id: ACCOUNT, id: messageId(2) }]);
    });
  });

  it('refuses to plan on a corrupt ledger, naming the file and line, and changes nothing', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), VALID);
      const ledgerDir = join(dir, 'releases.ledger');
      await mkdir(ledgerDir);
      const shard = join(ledgerDir, '2026-11.jsonl');
      const content = `${serializeRecord(record())}\n{"v":1,"state":"exploded"}\n`;
      await writeFile(shard, content);
      const before = await stat(shard);
      const r = await runCli(['plan'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${shard}:2:1: record is missing field`);
      expect(r.stderr).toContain('The ledger is corrupt');
      expect(r.stdout).toBe('');
      expect(await readFile(shard, 'utf8')).toBe(content);
      expect((await stat(shard)).mtimeMs).toBe(before.mtimeMs);
      expect(await readdir(ledgerDir)).toEqual(['2026-11.jsonl']);
    });
  });

  it('an invalid releases file exits 1 and does not read or touch the ledger', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), 'version: 1\nreleases: [\n');
      const r = await runCli(['plan', '--format', 'json'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^releases\.yaml:\d+:\d+: /);
      expect(await readdir(dir)).toEqual(['releases.yaml']);
    });
  });

  it('the bundled CLI behaves the same as a subprocess', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), VALID);
      await mkdir(join(dir, 'releases.ledger'));
      const r = await runDistCli(['plan', '--format', 'json'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).to_release).toHaveLength(2);
      const bad = await runDistCli(['validate', '--releases', 'missing.yaml'], { cwd: dir });
      expect(bad.code).toBe(1);
    });
  });
});
