// Planted bugs, to prove the harness catches what it is meant to catch. Each is a patched
// copy of the bundled CLI (dist/, with the one file the pattern matches string-replaced, in a
// temp folder): src/ is never touched. A pattern that no longer matches the bundle (the code
// moved) is an error, not a silent no-op.
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DIST_CLI } from '../support/cli.js';

export interface Plant {
  what: string;
  pattern: RegExp;
  replacement: string;
  /** Found only by the action runs (the bug is in what only the action does): run those. */
  action?: boolean;
}

export const PLANTS: Record<string, Plant> = {
  'skip-pending': {
    what: 'no pending write-ahead before a batch is POSTed',
    pattern: /(\w+)\.pendingScope==="batch"&&!await (\w+)\.writeAhead\(\w+\(\2,\w+\)\)/g,
    replacement: '!1',
  },
  'retry-post': {
    what: 'a release POST whose answer is lost or 5xx is sent again at once',
    pattern: /await (\w+)\.api\.release\((\w+)\.account_id,(\w+),(\w+)\.halt\.signal\)/g,
    replacement:
      'await(async()=>{let __a=await $1.api.release($2.account_id,$3,$4.halt.signal);if(__a.kind==="no-response"||(__a.kind==="response"&&__a.status>=500))__a=await $1.api.release($2.account_id,$3,$4.halt.signal);return __a})()',
  },
  'unknown-as-released': {
    what: 'an outcome that is unknown is recorded as released',
    pattern: /(outcome\((\w+),(\w+),(\w+)\)\{[\s\S]{0,400}?this\.make\(\2,\3\.id,\4,)\3\.state,/g,
    replacement: '$1$3.state==="unknown"?"released":$3.state,',
  },
  'drop-readback': {
    what: 'pending and unknown sends are not read back: assumed never released',
    pattern: /await \w+\(\w+,\w+,\w+\.id,\w+\.priorActs\)/g,
    replacement: '({kind:"not-released"})',
  },
  'no-settle': {
    what: 'a send that may still be in flight is read back at once (its in_flight_until ignored)',
    pattern: /(\w+)\.push\(\{\.\.\.(\w+),from:\w+\}\)\}return \1\}/g,
    replacement: '$1.push({...$2,from:-1/0})}return $1}',
  },
  // The hostile actor's controls (hostile.ts): each off, the harness must see it.
  'retry-unchecked': {
    what: 'a `retry: N` is never held to the ledger (a retry of a message it never sent goes)',
    pattern: /function (\w+)\((\w+),(\w+)\)\{let (\w+)=\2\.retry;if\(\4===void 0\)return;/g,
    replacement: 'function $1($2,$3){return;let $4=$2.retry;',
  },
  'seal-unchecked': {
    what: 'the ledger is not held to its seal: edits by anyone are read, and sealed over',
    pattern:
      /function (\w+)\((\w+),(\w+),(\w+)\)\{let (\w+)=\[\],(\w+)=\[\],(\w+)=(\w+)=>`\$\{\4\.dir\}/g,
    replacement:
      'function $1($2,$3,$4){return{errors:[],changed:[]};let $5=[],$6=[],$7=$8=>`$${$4.dir}',
    action: true,
  },
  'review-open': {
    what: 'apply does not hold entries to the reviewed plan and approvals (the gate is ignored)',
    pattern: /function (\w+)\((\w+),(\w+)\)\{let (\w+)=\3\.expected\?\.get\(\2\.account_id\)/g,
    replacement: 'function $1($2,$3){return $2;let $4=$3.expected?.get($2.account_id)',
    action: true,
  },
  'no-lock': {
    what: 'the ledger lock is never taken: two runs at once both apply',
    pattern: /static async acquire\((\w+)\)\{/g,
    replacement: 'static async acquire($1){return{release:async()=>{}};',
  },
};

/** Path of the cli.js of a patched copy of dist/ with the bug planted. */
export async function plantedBundle(name: string, source = DIST_CLI): Promise<string> {
  const plant = PLANTS[name];
  if (!plant) throw new Error(`unknown plant ${name}; one of: ${Object.keys(PLANTS).join(', ')}`);
  // The bundle is the entry file and its chunks: the pattern must match once in all of them.
  const dist = dirname(source);
  const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js'));
  const hits: { file: string; text: string }[] = [];
  for (const file of files) {
    const text = await readFile(join(dist, file), 'utf8');
    const matches = text.match(plant.pattern)?.length ?? 0;
    for (let i = 0; i < matches; i++) hits.push({ file, text });
  }
  const hit = hits[0];
  if (hits.length !== 1 || !hit)
    throw new Error(
      `plant ${name}: its pattern matches ${hits.length} time(s) in ${dist}, expected exactly once; update test/chaos/plants.ts`,
    );
  const patched = hit.text.replace(plant.pattern, plant.replacement);
  const hash = createHash('sha1').update(hit.file).update(patched).digest('hex').slice(0, 10);
  const copy = join(tmpdir(), 'qr-chaos-plants', `${name}-${hash}`);
  await mkdir(copy, { recursive: true });
  await cp(dist, copy, { recursive: true });
  await writeFile(join(copy, hit.file), patched);
  return join(copy, relative(dist, source));
}
