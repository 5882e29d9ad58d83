// The floor of bench/plan.ts: the same work as `plan`, done naively with the same libraries.
// releases.yaml is read with yaml's parse() and validated with ajv (compiled at run time, as a
// first version would), every ledger line is JSON.parsed and validated with ajv, and the
// plan is a set difference: the ids in the file that no ledger line has. Nothing is located,
// folded or rendered; the result is printed as counts.
// bench/plan.ts bundles it exactly as the CLI is bundled and runs it as its own process:
//   node floor.js <dir with releases.yaml and releases.ledger/>
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import ledgerSchema from '../schema/ledger.schema.json' with { type: 'json' };
import releasesSchema from '../schema/releases.schema.json' with { type: 'json' };

const dir = process.argv[2] ?? '.';
// Not strict: the schemas carry editor-only keywords (markdownDescription, defaultSnippets).
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateReleases = ajv.compile(releasesSchema);
const validateRecord = ajv.compile(ledgerSchema);

const file = parse(await readFile(join(dir, 'releases.yaml'), 'utf8')) as {
  releases: { id: string }[];
};
if (!validateReleases(file)) throw new Error('floor: releases.yaml is invalid');

const released = new Set<string>();
let lines = 0;
const ledger = join(dir, 'releases.ledger');
for (const name of (await readdir(ledger)).filter((n) => n.endsWith('.jsonl')).sort()) {
  const text = await readFile(join(ledger, name), 'utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as { id: string };
    if (!validateRecord(record)) throw new Error(`floor: ${name}: invalid record`);
    released.add(record.id);
    lines++;
  }
}
const toRelease = file.releases.filter((entry) => !released.has(entry.id)).length;
process.stdout.write(
  `${JSON.stringify({ entries: file.releases.length, lines, to_release: toRelease })}\n`,
);
