// Runs one command with its arguments: parsing (strict), --help, and usage errors (exit 2).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { escapeLogText } from '../core/render/escape.js';
import { type CliIO, type Command, EXIT, UsageError } from './command.js';

export async function runCommand(
  command: Command,
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const config: ParseArgsConfig = {
      args: [...args],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    };
    values = parseArgs(config).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    io.stderr(
      `quarantine-release ${command.name}: ${escapeLogText((error as Error).message, 300)}\n\n${command.help}`,
    );
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(values, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(
        `quarantine-release ${command.name}: ${escapeLogText(error.message, 500)}\n\n${command.help}`,
      );
      return EXIT.usage;
    }
    throw error;
  }
}
