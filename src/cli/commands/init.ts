// `init`: sets a repository up in one step (core/setup/init says what), never replacing a
// file without --force, then prints the settings it cannot make and the next steps.
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isAccountId } from '../../core/ids.js';
import { escapeLogText } from '../../core/render/escape.js';
import {
  ACTION_REPOSITORY,
  actionProblem,
  branchProblem,
  type InitOutcome,
  nextSteps,
  renderInitReport,
  type SetupFile,
  type SetupOptions,
  settingsChecklist,
  setupFiles,
  withMissingLines,
} from '../../core/setup/init.js';
import { type Command, EXIT, stringOption, UsageError } from '../command.js';
import { VERSION } from '../version.js';

const DEFAULT_ACTION = `${ACTION_REPOSITORY}@v${VERSION}`;

export const initCommand: Command = {
  name: 'init',
  summary:
    'set up a repository: releases.yaml, .gitattributes, the workflows, the ledger folder, and the settings to make',
  options: {
    dir: { type: 'string' },
    account: { type: 'string' },
    action: { type: 'string' },
    branch: { type: 'string' },
    force: { type: 'boolean' },
  },
  help: `Usage: quarantine-release init [--dir DIR] [--account ID] [--action OWNER/NAME@REF] [--branch NAME] [--force]

Sets up a repository for quarantine-release, in its root folder:
  releases.yaml                      the requests file, empty, with the schema modeline
  .gitattributes                     the ledger's merge=union lines (appended when missing)
  releases.ledger/README.md          the ledger folder (read as an empty ledger)
  .github/workflows/quarantine-release-plan.yml    plan on every pull request
  .github/workflows/quarantine-release-apply.yml   apply on a push to the default branch
  .github/workflows/quarantine-release-check.yml   the daily drift check
  .github/workflows/quarantine-release-audit.yml   the monthly audit report
Each job gets only the permissions it needs; apply and the check run in protected
environments that hold their secrets; actions are pinned. A file that exists is left as it
is (and reported) unless --force; .gitattributes only ever gets the missing lines appended.
Then it prints the repository settings it cannot make (branch rules, reviews, CODEOWNERS,
the environments and their secrets) and the next steps.

Options:
  --dir DIR              the repository's root folder (default: the current folder)
  --account ID           the Cloudflare account of releases.yaml (32 lowercase hex characters);
                         without it, releases.yaml says where to set it
  --action OWNER/NAME@REF
                         the action as the workflows use it (default: ${DEFAULT_ACTION},
                         this version's tag); a commit SHA pins it for good
  --branch NAME          the default branch, where apply runs (default: main)
  --force                replace files that exist
  -h, --help             show this help

Exit codes: 0 set up (files that exist skipped, as reported), 1 a file could not be written or
DIR is not a folder, 2 usage error.
`,
  async run(values, io) {
    const given = stringOption(values, 'dir', '.');
    const action = stringOption(values, 'action', DEFAULT_ACTION);
    const branch = stringOption(values, 'branch', 'main');
    const account = values.account;
    const problem = actionProblem(action);
    if (problem) throw new UsageError(`--action ${problem}`);
    const badBranch = branchProblem(branch);
    if (badBranch) throw new UsageError(`--branch ${badBranch}`);
    if (account !== undefined && !isAccountId(account))
      throw new UsageError('--account must be 32 lowercase hexadecimal characters');
    const options: SetupOptions = {
      action,
      branch,
      ...(typeof account === 'string' ? { account } : {}),
    };

    const dir = resolve(io.cwd, given);
    const shown = escapeLogText(given, 300);
    const kind = await lstat(dir).then(
      (s) => (s.isDirectory() ? 'folder' : 'other'),
      () => 'missing',
    );
    if (kind !== 'folder') {
      io.stderr(
        `quarantine-release init: ${kind === 'missing' ? `no folder at ${shown}` : `${shown} is not a folder`} (--dir): give the root folder of the repository.\n`,
      );
      return EXIT.invalid;
    }
    const outcomes: InitOutcome[] = [];
    for (const file of setupFiles(options))
      outcomes.push(await put(dir, file, values.force === true));
    const isRepo = await lstat(join(dir, '.git')).then(
      () => true,
      () => false,
    );
    io.stdout(
      [
        renderInitReport(shown, outcomes, isRepo),
        settingsChecklist(options),
        nextSteps(options),
      ].join('\n'),
    );
    return outcomes.some((o) => o.result === 'failed') ? EXIT.invalid : EXIT.ok;
  },
};

/** Writes one file as init's rules say; never follows a symbolic link, never throws. */
async function put(dir: string, file: SetupFile, force: boolean): Promise<InitOutcome> {
  const path = join(dir, file.path);
  const outcome = (result: InitOutcome['result'], detail?: string): InitOutcome => ({
    path: file.path,
    what: file.what,
    result,
    ...(detail ? { detail } : {}),
  });
  try {
    await mkdir(dirname(path), { recursive: true });
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    // 'wx': created only where nothing is, not even a dangling symbolic link.
    if (!info) {
      await writeFile(path, file.text, { flag: 'wx' });
      return outcome('created');
    }
    if (!info.isFile())
      return outcome('failed', 'not a regular file (a symbolic link or a folder): left alone');
    const current = await readFile(path, 'utf8');
    if (file.kind === 'lines') {
      const merged = withMissingLines(current, file.text);
      if (!merged) return outcome('unchanged');
      await writeFile(path, merged.text);
      return outcome('appended', `${merged.added} line(s)`);
    }
    if (current === file.text) return outcome('unchanged');
    if (!force) return outcome('skipped', 'exists: left as it is (--force replaces it)');
    await writeFile(path, file.text);
    return outcome('replaced');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return outcome('failed', `cannot write: ${code}`);
  }
}
