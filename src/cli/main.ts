// The command line: parses arguments, runs one command, returns its exit code.
// Commands live in ./commands; this file only dispatches and reports usage errors.
import { type CliIO, type Command, EXIT } from './command.js';
import { runCommand } from './dispatch.js';
import { didYouMean, usageError } from './usage.js';
import { VERSION } from './version.js';

// Each command is loaded when it runs, as the action loads its modes: `validate` starts without
// the code of the others (the emulator, the demo's markdown renderer, the GitHub client...),
// about 40 ms less per run. Only the full usage loads them all, for their summaries.
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  ledger: async () => (await import('./commands/ledger.js')).ledgerCommand,
  emulator: async () => (await import('./commands/emulator.js')).emulatorCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
};
const NAMES = Object.keys(COMMANDS);

export { VERSION };

async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...NAMES.map((n) => n.length));
  return [
    'quarantine-release: release email from Cloudflare Email Security quarantine, reviewed and recorded.',
    '',
    'Usage: quarantine-release <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `quarantine-release <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(await usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const suggestion = didYouMean(name, NAMES);
    io.stderr(
      usageError(
        'quarantine-release',
        `unknown command ${JSON.stringify(name)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
        `Usage: quarantine-release <command> [options]   (commands: ${NAMES.join(', ')})`,
        { command: 'quarantine-release --help', shows: 'what each command does' },
      ),
    );
    return EXIT.usage;
  }
  const command = await load();
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
