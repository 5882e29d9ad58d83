// What a usage error prints: the one error line, the command's usage line, and where the rest
// of the help is. Misspelt options and commands get the closest known name.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closestMatch } from 'leven';
import { escapeLogText } from '../core/render/escape.js';

/**
 * The known name closest to `name`, when it is close enough to be a typo: two edits (a swap of
 * two letters counts two: `paln`, `--fromat`), three for names of nine characters or more.
 */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const maxDistance = Math.min(3, Math.max(2, Math.floor(name.length / 3)));
  return closestMatch(name, known, { maxDistance });
}

/** The `Usage: ...` line a command's help starts with. */
export function usageLine(help: string): string {
  return help.split('\n', 1)[0] ?? '';
}

/** The text of a usage error: `prefix: message`, the usage line, and a pointer to --help. */
export function usageError(
  prefix: string,
  message: string,
  usage: string,
  more: { command: string; shows: string },
): string {
  return `${prefix}: ${escapeLogText(message, 500)}\n${usage}\nRun \`${more.command}\` for ${more.shows}.\n`;
}

/**
 * The first option in `args` that `options` does not define, with the closest one defined
 * (long names only), found before a strict parse would refuse it with Node's longer message.
 * Node's own tokenizer reads the arguments, so values are told from options as it tells them.
 */
export function unknownOption(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { given: string; suggestion?: string } | undefined {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const long = Object.keys(options);
  for (const token of tokens) {
    if (token.kind !== 'option' || Object.hasOwn(options, token.name)) continue;
    if (!token.rawName.startsWith('--')) return { given: token.rawName };
    const suggestion = didYouMean(token.name, long);
    return { given: token.rawName, ...(suggestion ? { suggestion: `--${suggestion}` } : {}) };
  }
  return undefined;
}
