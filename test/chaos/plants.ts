// Planted bugs, to prove the harness catches what it is meant to catch. Each is a patched
// copy of the bundled CLI (dist/cli.js, string-replaced into a temp file): src/ is never
// touched. A pattern that no longer matches the bundle (the code moved) is an error, not a
// silent no-op.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_CLI } from '../support/cli.js';

export interface Plant {
  what: string;
  pattern: RegExp;
  replacement: string;
}

export const PLANTS: Record<string, Plant> = {
  'skip-pending': {
    what: 'no pending write-ahead before a batch is POSTed',
    pattern:
      /this\.settings\.pendingScope==="batch"&&!await this\.writeAhead\(this\.pendingRecords\(\w+\)\)/g,
    replacement: '!1',
  },
  'retry-post': {
    what: 'a release POST whose answer is lost or 5xx is sent again at once',
    pattern: /await this\.deps\.api\.release\((\w+)\.account_id,(\w+),this\.halt\.signal\)/g,
    replacement:
      'await(async()=>{let __a=await this.deps.api.release($1.account_id,$2,this.halt.signal);if(__a.kind==="no-response"||(__a.kind==="response"&&__a.status>=500))__a=await this.deps.api.release($1.account_id,$2,this.halt.signal);return __a})()',
  },
  'unknown-as-released': {
    what: 'an outcome that is unknown is recorded as released',
    pattern:
      /(outcomeRecord\((\w+),(\w+),(\w+)\)\{[\s\S]{0,400}?this\.makeRecord\(\2,\3\.id,\4,)\3\.state,/g,
    replacement: '$1$3.state==="unknown"?"released":$3.state,',
  },
  'drop-readback': {
    what: 'pending and unknown sends are not read back: assumed never released',
    pattern: /await this\.readBack\(\w+,\w+\.id,\w+\.priorActs\)/g,
    replacement: '({kind:"not-released"})',
  },
  'no-settle': {
    what: 'a send that may still be in flight is read back at once (its in_flight_until ignored)',
    pattern: /(\w+)\.push\(\{\.\.\.(\w+),from:\w+\}\)\}return \1\}/g,
    replacement: '$1.push({...$2,from:-1/0})}return $1}',
  },
  'no-lock': {
    what: 'the ledger lock is never taken: two runs at once both apply',
    pattern: /static async acquire\((\w+)\)\{/g,
    replacement: 'static async acquire($1){return{release:async()=>{}};',
  },
};

/** Path of a patched copy of dist/cli.js with the bug planted. */
export async function plantedBundle(name: string, source = DIST_CLI): Promise<string> {
  const plant = PLANTS[name];
  if (!plant) throw new Error(`unknown plant ${name}; one of: ${Object.keys(PLANTS).join(', ')}`);
  const text = await readFile(source, 'utf8');
  const matches = text.match(plant.pattern)?.length ?? 0;
  if (matches !== 1)
    throw new Error(
      `plant ${name}: its pattern matches ${matches} time(s) in ${source}, expected exactly once; update test/chaos/plants.ts`,
    );
  const patched = text.replace(plant.pattern, plant.replacement);
  const hash = createHash('sha1').update(patched).digest('hex').slice(0, 10);
  const dir = join(tmpdir(), 'qr-chaos-plants');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `cli-${name}-${hash}.mjs`);
  await writeFile(path, patched);
  return path;
}
