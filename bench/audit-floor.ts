// The floor of bench/audit.ts: every ledger line read and JSON.parsed, and nothing else, as
// bench/plan-floor.ts reads the ledger (each shard whole, then split). Nothing is validated,
// grouped, summarised or printed but the count of lines.
//   node audit-floor.js <ledger dir>
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'releases.ledger';
let lines = 0;
for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
  const text = await readFile(join(dir, name), 'utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    JSON.parse(line);
    lines++;
  }
}
process.stdout.write(`${JSON.stringify({ lines })}\n`);
