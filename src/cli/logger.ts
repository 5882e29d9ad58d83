import type { Logger } from '../engine/ports.js';
import type { CliIO } from './command.js';

/** Diagnostics go to stderr so stdout stays clean for --format json. Callers escape user text. */
export function stderrLogger(io: CliIO): Logger {
  return {
    info: (m) => io.stderr(`${m}\n`),
    warn: (m) => io.stderr(`warning: ${m}\n`),
    error: (m) => io.stderr(`error: ${m}\n`),
  };
}
