// The floor of bench/plan.ts: parsing the same files with the same libraries, and nothing
// else. It reads releases.yaml with yaml's parseDocument (with a LineCounter, as errors need
// file:line:col, and the product's composer options), then reads every ledger shard and
// JSON.parses every line. Nothing is validated, folded, planned or printed. (plan itself
// reads a file in the plain layout without yaml's tree: see src/core/releases/plain-layout.ts.)
// bench/plan.ts bundles it exactly as the CLI is bundled and runs it as its own process:
//   node floor.js <dir with releases.yaml and releases.ledger/>
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

const dir = process.argv[2] ?? '.';
const lineCounter = new LineCounter();
const doc = parseDocument(await readFile(join(dir, 'releases.yaml'), 'utf8'), {
  lineCounter,
  uniqueKeys: true,
  strict: true,
  merge: false,
  version: '1.2',
  schema: 'core',
});
if (doc.errors.length > 0) throw new Error(`floor: releases.yaml: ${doc.errors[0]?.message}`);
// Counting what was parsed keeps the work observable, and lets the bench check the inputs.
const releases = doc.get('releases', true) as { items?: unknown[] } | undefined;

let lines = 0;
const ledger = join(dir, 'releases.ledger');
for (const name of (await readdir(ledger)).filter((n) => n.endsWith('.jsonl')).sort()) {
  const text = await readFile(join(ledger, name), 'utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    JSON.parse(line);
    lines++;
  }
}
process.stdout.write(`${JSON.stringify({ entries: releases?.items?.length ?? 0, lines })}\n`);
