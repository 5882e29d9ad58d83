// `ledger verify` and `ledger seal`: the ledger's integrity, checked as a whole, and the one
// explicit way to seal a ledger by hand (adopting one written before seals, or after a
// reviewed repair). See adapters/ledger/local-history.ts and core/ledger/seal.ts.
import { resolve } from 'node:path';
import { readLedgerDir } from '../../adapters/files/read-input.js';
import { type Diagnostic, sortDiagnostics } from '../../core/diagnostics.js';
import { historyProblems } from '../../core/ledger/seal.js';
import { type ShardText, scanNamedShard } from '../../core/ledger/state.js';
import { escapeLogText } from '../../core/render/escape.js';
import { renderDiagnosticsText } from '../../core/render/plan-text.js';
import { type Command, choiceOption, EXIT, integerOption, stringOption } from '../command.js';
import { ledgerFolderFound } from '../ledger-folder.js';
import { LEDGER_KEY_VARIABLE, ledgerHistory } from '../ledger-history.js';
import { stderrLogger } from '../logger.js';

/** The working-tree ledger, with every line's problems and each message's seq history. */
async function readAll(dir: string, shown: string) {
  const shards: ShardText[] = [];
  const errors: Diagnostic[] = await readLedgerDir(dir, (s) =>
    shards.push({ ...s, path: `${shown}/${s.name}` }),
  );
  // The checks every reader makes (scanNamedShard), then each message's seq history.
  const seen: { account_id: string; id: string; seq: number; file: string; line: number }[] = [];
  // One push per problem, not a spread: a damaged shard can have a problem on every line.
  for (const shard of shards) {
    const problems = scanNamedShard(shard, ({ account_id, id, seq }, line) =>
      seen.push({ account_id, id, seq, file: shard.path, line }),
    );
    for (const problem of problems) errors.push(problem);
  }
  for (const problem of historyProblems(seen)) errors.push(problem);
  return { shards, errors, records: seen.length };
}

const verifyCommand: Command = {
  name: 'ledger verify',
  summary: 'check the whole ledger and, with a ledger key in a git clone, its whole history',
  options: {
    ledger: { type: 'string' },
    'max-commits': { type: 'string' },
    format: { type: 'string' },
  },
  help: `Usage: quarantine-release ledger verify [--ledger DIR] [--max-commits N] [--format text|json]

Checks every line of the ledger: the record format, and each message's history (no record
missing between two of its seq numbers, no seq twice). With ${LEDGER_KEY_VARIABLE} set and the
ledger in a git clone, also its history: every commit on HEAD's first-parent line that changed
the ledger must carry a valid seal (made with the key) of exactly the ledger it left, each
sealed ledger must keep every line of the one before, and the working tree may only add lines
after HEAD. Reports every bad line, the first one first.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --max-commits N     commits of history to check, newest first (default: 10000)
  --format FORMAT     text (default) or json: {"verified", "errors": [{file, line, column, message}], ...}
  -h, --help          show this help

Exit codes: 0 verified, 1 a bad line or a missing ledger folder, 2 usage error.
`,
  async run(values, io) {
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
    const max = integerOption(values, 'max-commits', 10_000, 1, 1_000_000);
    const ledgerDir = resolve(io.cwd, dir);
    if (!(await ledgerFolderFound(io, 'ledger verify', ledgerDir, dir))) return EXIT.invalid;
    const log = stderrLogger(io);
    const read = await readAll(ledgerDir, dir);
    const history = await ledgerHistory(io, ledgerDir, dir, log);
    const checked = history ? await history.verifyHistory(read.shards, max) : undefined;
    const errors = sortDiagnostics([...read.errors, ...(checked?.errors ?? [])]);
    const summary = {
      verified: errors.length === 0,
      records: read.records,
      shards: read.shards.length,
      history: checked
        ? { commits: checked.commits, sealed: checked.sealed, last_seal: checked.last ?? null }
        : null,
    };
    if (format === 'json') {
      io.stdout(`${JSON.stringify({ ...summary, errors })}\n`);
      return errors.length === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (errors.length > 0) {
      io.stderr(renderDiagnosticsText(errors));
      const first = errors[0] as Diagnostic;
      io.stderr(
        `ledger verify: ${errors.length} problem(s); the first at ${escapeLogText(`${first.file}:${first.line}`, 300)}\n`,
      );
      return EXIT.invalid;
    }
    const where = checked
      ? `; history: ${checked.commits} commit(s) checked, ${checked.sealed} sealed by quarantine-release${checked.last ? `, the last ${checked.last.slice(0, 12)}` : ''}`
      : `; history not checked (set ${LEDGER_KEY_VARIABLE} and run in a git clone of the repository)`;
    io.stdout(
      `ledger verified: ${read.records} record(s) in ${read.shards.length} shard(s)${where}\n`,
    );
    return EXIT.ok;
  },
};

const sealCommand: Command = {
  name: 'ledger seal',
  summary: 'seal the ledger as it is in a commit of its own (adopt or repair, by hand)',
  options: { ledger: { type: 'string' }, message: { type: 'string' } },
  help: `Usage: quarantine-release ledger seal [--ledger DIR] [--message TEXT]

Seals the ledger as it is now in a commit of its own, on top of HEAD (the ledger directory
alone; other changes are left as they are). Needs ${LEDGER_KEY_VARIABLE} and a git clone.
apply and check seal what they write themselves: this is the explicit act for the other
cases, like \`terraform state\`: adopting a ledger written before seals, or sealing a repair
(restoring lines someone removed) once it has been reviewed. The ledger must read cleanly
(the format, and each message's history); nothing is committed when HEAD already has it.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --message TEXT      the commit's first line (default: quarantine-release: ledger sealed by hand)
  -h, --help          show this help

Exit codes: 0 sealed (or nothing to seal), 1 no key, not a git clone, or the ledger does not
read cleanly, 2 usage error.
`,
  async run(values, io) {
    const dir = stringOption(values, 'ledger', 'releases.ledger');
    const ledgerDir = resolve(io.cwd, dir);
    if (!(await ledgerFolderFound(io, 'ledger seal', ledgerDir, dir))) return EXIT.invalid;
    const log = stderrLogger(io);
    const history = await ledgerHistory(io, ledgerDir, dir, log);
    if (!history) {
      io.stderr(
        `quarantine-release ledger seal: needs ${LEDGER_KEY_VARIABLE} and the ledger in a git clone\n`,
      );
      return EXIT.invalid;
    }
    const read = await readAll(ledgerDir, dir);
    if (read.errors.length > 0) {
      io.stderr(renderDiagnosticsText(sortDiagnostics(read.errors)));
      io.stderr('ledger seal: the ledger does not read cleanly: nothing was sealed\n');
      return EXIT.invalid;
    }
    const first = stringOption(values, 'message', 'quarantine-release: ledger sealed by hand');
    const commit = await history.seal(read.shards, `${first.split('\n')[0]} [skip ci]\n`);
    io.stdout(
      commit
        ? `Sealed the ledger in commit ${commit.slice(0, 12)}.\n`
        : 'Nothing to seal: HEAD already holds the ledger as it is.\n',
    );
    return EXIT.ok;
  },
};

export const ledgerCommand: Command = {
  name: 'ledger',
  summary: 'the ledger itself: verify its lines and history, or seal it by hand',
  options: {},
  subcommands: [verifyCommand, sealCommand],
  help: `Usage: quarantine-release ledger <verify|seal> [options]

  verify   ${verifyCommand.summary}
  seal     ${sealCommand.summary}

Run \`quarantine-release ledger <verify|seal> --help\` for their options.
`,
  async run(_values, io) {
    io.stderr(this.help);
    return EXIT.usage;
  },
};
