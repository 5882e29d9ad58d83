// Every exit code the README documents, for every command, provoked once each (in-process,
// against the emulator on loopback); the README's lists are held to exactly these codes. And
// what a usage error prints: the error, the usage line, a pointer to --help, and the closest
// option or command for a typo.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { serializeRecord } from '../../src/core/ledger/record.js';
import {
  DEFAULT_TOKEN,
  demoFixtures,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { REPO, runCli, withTempDir } from '../support/cli.js';
import { ACCOUNT, record } from '../support/factories.js';

let emulator: Emulator;
let env: Record<string, string>;
/** An API base URL nothing listens on: the port was free a moment ago and is closed again. */
let unreachable: Record<string, string>;
const fx = demoFixtures();

beforeAll(async () => {
  emulator = await startEmulator({ messagesPerAccount: 60 });
  env = { CLOUDFLARE_API_BASE_URL: emulator.url, CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  unreachable = {
    CLOUDFLARE_API_BASE_URL: `http://127.0.0.1:${port}/client/v4`,
    CLOUDFLARE_API_TOKEN: DEFAULT_TOKEN,
  };
});
afterAll(() => emulator.close());

const yaml = (ids: string[], extra = '') =>
  `version: 1\naccount_id: ${ACCOUNT}\nreleases:\n${ids
    .map(
      (id) => `  - id: ${id}\n    reason: false positive, checked by the security team\n${extra}`,
    )
    .join('')}`;

/** A work folder with releases.yaml (and a ledger folder unless `ledger: false`). */
async function inFolder<T>(
  ids: string[],
  fn: (dir: string) => Promise<T>,
  options: { ledger?: boolean; text?: string } = {},
): Promise<T> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'releases.yaml'), options.text ?? yaml(ids));
    if (options.ledger !== false) await mkdir(join(dir, 'releases.ledger'));
    return fn(dir);
  });
}

const cli = (dir: string, args: string[], withEnv: Record<string, string> = env) =>
  runCli(args, { cwd: dir, env: withEnv });

/** What each test below provokes, by command: the README must document exactly these. */
const TESTED: Record<string, number[]> = {
  init: [0, 1],
  validate: [0, 1],
  plan: [0, 1, 3],
  apply: [0, 1, 3],
  check: [0, 1, 3],
  emulator: [0, 1],
  demo: [0],
};

describe('init', () => {
  it('0 set up (again: files that exist are skipped), 1 a file that cannot be written', async () => {
    await withTempDir(async (dir) => {
      expect((await cli(dir, ['init'])).code).toBe(0);
      expect((await cli(dir, ['init'])).code).toBe(0);
      await rm(join(dir, 'releases.yaml'));
      await mkdir(join(dir, 'releases.yaml'));
      const r = await cli(dir, ['init']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('1 file(s) could not be written');
    });
  });
});

describe('validate', () => {
  it('0 valid, 1 invalid', async () => {
    await inFolder([fx.spam], async (dir) => {
      expect((await cli(dir, ['validate'])).code).toBe(0);
      await writeFile(join(dir, 'releases.yaml'), 'version: 1\n');
      expect((await cli(dir, ['validate'])).code).toBe(1);
    });
  });
});

describe('plan', () => {
  it('0 planned', async () => {
    await inFolder([fx.spam], async (dir) => {
      const r = await cli(dir, ['plan']);
      expect(r.code, r.stderr).toBe(0);
    });
  });

  it('1 invalid releases file, corrupt ledger, refused message', async () => {
    await inFolder([fx.spam], async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), 'version: 1\n');
      expect((await cli(dir, ['plan'])).code).toBe(1);
      await writeFile(join(dir, 'releases.yaml'), yaml([fx.spam]));
      await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), 'not json\n');
      expect((await cli(dir, ['plan'])).code).toBe(1);
    });
    await inFolder([fx.malicious], async (dir) => {
      const r = await cli(dir, ['plan']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('REFUSED');
    });
  });

  it('1 missing ledger folder: reported, not read as "nothing released", and not created', async () => {
    await inFolder(
      [fx.spam],
      async (dir) => {
        const r = await cli(dir, ['plan', '--ledger', 'releases.ldger']);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(
          'quarantine-release plan: no ledger folder at releases.ldger (--ledger). If nothing has been released yet, create it (mkdir releases.ldger); apply also creates it with its first record. Otherwise check the path.\n',
        );
        await expect(stat(join(dir, 'releases.ldger'))).rejects.toThrow();
      },
      { ledger: false },
    );
  });

  it.concurrent('3 an unreachable API: the messages could not be checked', async () => {
    await inFolder([fx.spam], async (dir) => {
      const r = await cli(dir, ['plan'], unreachable);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toContain('disposition not established');
    });
  });
});

describe('apply', () => {
  it('0 every message released; a missing ledger folder is created, and it says so', async () => {
    await inFolder(
      [fx.bulk],
      async (dir) => {
        const r = await cli(dir, ['apply', '--unreviewed']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(
          'quarantine-release apply: no ledger folder at releases.ledger yet: it is created with the first record this run writes.\n',
        );
        expect((await stat(join(dir, 'releases.ledger'))).isDirectory()).toBe(true);
      },
      { ledger: false },
    );
  });

  it('1 invalid input, a refused message, a refused run', async () => {
    await inFolder([fx.spoof], async (dir) => {
      await writeFile(join(dir, 'releases.yaml'), 'version: 1\n');
      expect((await cli(dir, ['apply', '--unreviewed'])).code).toBe(1);
      // No reviewed plan (no --fingerprint): nothing new is released.
      await writeFile(join(dir, 'releases.yaml'), yaml([fx.scriptSender]));
      const unreviewed = await cli(dir, ['apply']);
      expect(unreviewed.code).toBe(1);
      expect(unreviewed.stdout).toContain('not reviewed: no --fingerprint was given');
      await writeFile(join(dir, 'releases.yaml'), yaml([fx.spoof]));
      const refused = await cli(dir, ['apply', '--unreviewed']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('acknowledge: SPOOF');
      await writeFile(join(dir, 'releases.yaml'), yaml([fx.scriptSender, fx.hostileSubject]));
      const run = await cli(dir, ['apply', '--unreviewed', '--max-releases', '1']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('REFUSED, nothing released: 2 messages');
      const sent = emulator.truth().releases.map((r) => r.id);
      expect(sent).not.toContain(fx.scriptSender);
      expect(sent).not.toContain(fx.hostileSubject);
    });
  });

  it.concurrent('3 an unreachable API: nothing sent, nothing recorded', async () => {
    await inFolder([fx.spam], async (dir) => {
      const r = await cli(dir, ['apply', '--unreviewed', '--format', 'json'], unreachable);
      expect(r.code, r.stderr).toBe(3);
      expect(JSON.parse(r.stdout).refused).toMatchObject([{ reason: { kind: 'unchecked' } }]);
      expect(await readdir(join(dir, 'releases.ledger'))).toEqual([]);
    });
  });
});

describe('check', () => {
  const released = (id: string) =>
    `${serializeRecord(record({ id, state: 'released', delivered: ['a@example.com'] }))}\n`;

  it('0 no drift, 1 drift found', async () => {
    await inFolder([fx.released], async (dir) => {
      await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), released(fx.released));
      const clean = await cli(dir, ['check']);
      expect(clean.code, clean.stderr).toBe(0);
      await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), released(fx.spam));
      const drift = await cli(dir, ['check']);
      expect(drift.code, drift.stderr).toBe(1);
      expect(drift.stdout).toContain(fx.spam);
    });
  });

  it('1 an entry not in the ledger for --unapplied-after-hours or more; under it, reported only', async () => {
    await inFolder([fx.released, fx.spam], async (dir) => {
      await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), released(fx.released));
      const waiting = await cli(dir, ['check']);
      expect(waiting.code, waiting.stderr).toBe(0);
      expect(waiting.stdout).toContain(
        'NOT APPLIED: 1 entry of releases.yaml is not in the ledger',
      );
      const late = await cli(dir, ['check', '--unapplied-after-hours', '0']);
      expect(late.code).toBe(1);
      expect(late.stdout).toMatch(new RegExp(`${fx.spam} .*OVERDUE`));
    });
  });

  it('1 a missing ledger folder (invalid input), before any request', async () => {
    await inFolder(
      [fx.spam],
      async (dir) => {
        const r = await cli(dir, ['check', '--ledger', 'nowhere'], unreachable);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('quarantine-release check: no ledger folder at nowhere');
      },
      { ledger: false },
    );
  });

  it.concurrent('3 an unreachable API: released messages not checked this run', async () => {
    await inFolder([fx.released], async (dir) => {
      await writeFile(join(dir, 'releases.ledger', '2026-11.jsonl'), released(fx.released));
      const r = await cli(dir, ['check'], unreachable);
      expect(r.code, r.stderr).toBe(3);
    });
  });
});

describe('emulator', () => {
  it('0 stopped by Ctrl-C, 1 invalid messages file', async () => {
    await withTempDir(async (dir) => {
      const controller = new AbortController();
      let stdout = '';
      const running = main(['emulator', '--port', '0'], {
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        env: {},
        cwd: dir,
        signal: controller.signal,
      });
      for (let i = 0; i < 500 && !stdout.includes('Press Ctrl-C'); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(stdout).toContain('listening on');
      controller.abort();
      expect(await running).toBe(0);
      await writeFile(join(dir, 'messages.json'), '{ not json');
      const bad = await runCli(['emulator', '--messages', 'messages.json'], { cwd: dir });
      expect(bad.code).toBe(1);
    });
  });
});

describe('demo', () => {
  it('0 every step behaved as shown', async () => {
    await withTempDir(async (dir) => {
      const r = await runCli(['demo'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The comment's page is kept for the user to open: not by a test.
      const page = /As GitHub shows it: (\S+\.html)$/m.exec(r.stdout)?.[1] as string;
      await rm(dirname(page), { recursive: true, force: true });
    });
  });
});

describe('2 a usage error, for every command: the error, the usage line, and where the rest is', () => {
  it.each([
    [
      'validate',
      ['validate', '--relases', 'x.yaml'],
      'unknown option --relases (did you mean --releases?)',
    ],
    ['plan', ['plan', '--fromat', 'json'], 'unknown option --fromat (did you mean --format?)'],
    ['apply', ['apply', '--dryrun'], 'unknown option --dryrun (did you mean --dry-run?)'],
    [
      'check',
      ['check', '--lookup-budget', 'lots'],
      '--lookup-budget must be a whole number from 1 to 100000',
    ],
    ['emulator', ['emulator', '--prot', '8787'], 'unknown option --prot (did you mean --port?)'],
    [
      'demo',
      ['demo', 'now'],
      "Unexpected argument 'now'. This command does not take positional arguments",
    ],
    ['init', ['init', '--froce'], 'unknown option --froce (did you mean --force?)'],
  ])('%s', async (name, args, message) => {
    const r = await runCli(args, { cwd: REPO });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`quarantine-release ${name}: ${message}`);
    expect(lines[1]).toMatch(new RegExp(`^Usage: quarantine-release ${name} \\[`));
    expect(lines[2]).toBe(`Run \`quarantine-release ${name} --help\` for every option.`);
    expect(lines.slice(3)).toEqual(['']);
  });

  it('an unknown option with nothing close to it gets no guess', async () => {
    const r = await runCli(['plan', '--xyz'], { cwd: REPO });
    expect(r.stderr.split('\n')[0]).toBe('quarantine-release plan: unknown option --xyz');
  });

  it('an unknown command: the closest one, and the list of commands', async () => {
    const r = await runCli(['paln'], { cwd: REPO });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'quarantine-release: unknown command "paln" (did you mean plan?)\n' +
        'Usage: quarantine-release <command> [options]   (commands: init, validate, plan, apply, check, audit, ledger, emulator, demo)\n' +
        'Run `quarantine-release --help` for what each command does.\n',
    );
  });
});

describe('README', () => {
  it('documents exactly the exit codes tested here, and 2 for a usage error for every command', async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain('All commands return exit code 2 for a usage error.');
    for (const [command, codes] of Object.entries(TESTED)) {
      const section = readme.split(`\n### \`${command}\`\n`)[1]?.split('\n### ')[0] ?? '';
      const listed = section.slice(section.indexOf('Exit code'));
      const documented = [...listed.matchAll(/\*\*(\d)\*\*/g)].map((m) => Number(m[1]));
      expect(documented, command).toEqual(codes);
    }
  });
});
