// Runs one command with its arguments: parsing (strict), --help, and usage errors (exit 2),
// which print the error, the command's usage line and a pointer to --help (not the whole help).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CliIO, type Command, EXIT, type OptionValues, UsageError } from './command.js';
import { unknownOption, usageError, usageLine } from './usage.js';

export async function runCommand(
  command: Command,
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  const fail = (message: string) => {
    io.stderr(
      usageError(`quarantine-release ${command.name}`, message, usageLine(command.help), {
        command: `quarantine-release ${command.name} --help`,
        shows: 'every option',
      }),
    );
    return EXIT.usage;
  };
  const options: NonNullable<ParseArgsConfig['options']> = {
    ...command.options,
    help: { type: 'boolean', short: 'h' },
  };
  const unknown = unknownOption(args, options);
  if (unknown) {
    return fail(
      `unknown option ${unknown.given}${unknown.suggestion ? ` (did you mean ${unknown.suggestion}?)` : ''}`,
    );
  }
  let values: OptionValues;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
      .values as OptionValues;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    io.stdout(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(values, io);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
}
