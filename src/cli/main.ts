// The command line: parses arguments, runs one command, returns its exit code.
// Commands live in ./commands; this file only dispatches and reports usage errors.
import type { CliIO, Command } from './command.js';
import { EXIT } from './command.js';
import { applyCommand } from './commands/apply.js';
import { auditCommand } from './commands/audit.js';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { emulatorCommand } from './commands/emulator.js';
import { initCommand } from './commands/init.js';
import { ledgerCommand } from './commands/ledger.js';
import { planCommand } from './commands/plan.js';
import { validateCommand } from './commands/validate.js';
import { runCommand } from './dispatch.js';
import { didYouMean, usageError } from './usage.js';
import { VERSION } from './version.js';

const COMMANDS: Command[] = [
  initCommand,
  validateCommand,
  planCommand,
  applyCommand,
  checkCommand,
  auditCommand,
  ledgerCommand,
  emulatorCommand,
  demoCommand,
];

export { VERSION };

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'quarantine-release: release email from Cloudflare Email Security quarantine, reviewed and recorded.',
    '',
    'Usage: quarantine-release <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `quarantine-release <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const names = COMMANDS.map((c) => c.name);
    const suggestion = didYouMean(name, names);
    io.stderr(
      usageError(
        'quarantine-release',
        `unknown command ${JSON.stringify(name)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
        `Usage: quarantine-release <command> [options]   (commands: ${names.join(', ')})`,
        { command: 'quarantine-release --help', shows: 'what each command does' },
      ),
    );
    return EXIT.usage;
  }

  if (command.subcommands) {
    const [subName, ...subArgs] = rest;
    const sub = command.subcommands.find((c) => c.name === `${command.name} ${subName}`);
    if (!sub) {
      if (subName === '--help' || subName === '-h') {
        io.stdout(command.help);
        return EXIT.ok;
      }
      const names = command.subcommands.map((c) => c.name.slice(command.name.length + 1));
      const suggestion = subName === undefined ? undefined : didYouMean(subName, names);
      io.stderr(
        usageError(
          `quarantine-release ${command.name}`,
          subName === undefined
            ? `which one? ${names.join(' or ')}`
            : `unknown command ${JSON.stringify(subName)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
          `Usage: quarantine-release ${command.name} <${names.join('|')}> [options]`,
          { command: `quarantine-release ${command.name} --help`, shows: 'what each does' },
        ),
      );
      return EXIT.usage;
    }
    return runCommand(sub, subArgs, io);
  }
  return runCommand(command, rest, io);
}
