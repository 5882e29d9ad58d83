import { resolve } from 'node:path';
import { readTextFile } from '../../adapters/files/read-input.js';
import { validationJson } from '../../core/render/plan-json.js';
import { renderDiagnosticsText } from '../../core/render/plan-text.js';
import { loadReleasesFrom } from '../../engine/inputs.js';
import { type Command, choiceOption, EXIT, stringOption } from '../command.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check releases.yaml against the schema (no network, no ledger)',
  options: {
    releases: { type: 'string' },
    format: { type: 'string' },
  },
  help: `Usage: quarantine-release validate [--releases FILE] [--format text|json]

Checks releases.yaml: YAML syntax, the schema, duplicate messages. Every problem is
reported as file:line:column: message.

Options:
  --releases FILE   the requests file (default: releases.yaml)
  --format FORMAT   text (default) or json: {"valid", "errors": [{file, line, column, pointer, message}]}
  -h, --help        show this help

Exit codes: 0 valid, 1 invalid, 2 usage error.
`,
  async run(values, io) {
    const file = stringOption(values, 'releases', 'releases.yaml');
    const format = choiceOption(values, 'format', ['text', 'json'] as const, 'text');
    // A search window must have ended: checked against now, as plan and apply do.
    const loaded = await loadReleasesFrom(
      () => readTextFile(resolve(io.cwd, file)),
      file,
      Date.now(),
    );
    const errors = loaded.ok ? [] : loaded.errors;
    if (format === 'json') io.stdout(validationJson(errors));
    else if (loaded.ok) {
      const searches = loaded.file.searches ?? [];
      const entries = loaded.file.releases.length + searches.length;
      const accounts = new Set([...loaded.file.releases, ...searches].map((r) => r.account_id))
        .size;
      const bySearch =
        searches.length > 0
          ? `, ${searches.length} of them by search, resolved at plan time with credentials`
          : '';
      io.stdout(
        `${file}: valid (${entries} ${entries === 1 ? 'entry' : 'entries'}${bySearch}, ${accounts} account${accounts === 1 ? '' : 's'})\n`,
      );
    } else io.stderr(renderDiagnosticsText(errors));
    return loaded.ok ? EXIT.ok : EXIT.invalid;
  },
};
