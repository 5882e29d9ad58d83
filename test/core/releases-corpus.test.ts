// Broken and hostile releases.yaml files: every case in test/fixtures/releases/ names the exact
// errors the loader must report (position and message), and a few generated inputs too large
// or too deep to keep as files prove the loader fails fast and clearly instead of crashing.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Diagnostic, formatDiagnostic } from '../../src/core/diagnostics.js';
import { type LoadResult, loadReleases } from '../../src/core/releases/load.js';

const DIR = fileURLToPath(new URL('../fixtures/releases/', import.meta.url));
const MAX_MESSAGE = 600;

interface ExpectedError {
  line: number;
  column: number;
  message: string;
}
interface Expectation {
  description: string;
  errors: ExpectedError[];
}

function readExpectation(name: string): Expectation {
  const data: unknown = JSON.parse(readFileSync(`${DIR}${name}.expect.json`, 'utf8'));
  const e = data as Expectation;
  if (
    typeof e?.description !== 'string' ||
    !Array.isArray(e.errors) ||
    !e.errors.every(
      (x) =>
        Number.isInteger(x?.line) && Number.isInteger(x.column) && typeof x.message === 'string',
    )
  ) {
    throw new Error(
      `${name}.expect.json: expected {description, errors: [{line, column, message}]}`,
    );
  }
  return e;
}

const files = readdirSync(DIR);
const cases = files
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

/** Loads without letting an exception escape the assertion (a throw is itself a failure). */
function load(text: string, file: string): LoadResult {
  let result: LoadResult | undefined;
  expect(() => {
    result = loadReleases(text, file);
  }).not.toThrow();
  if (result === undefined) throw new Error('loadReleases returned nothing');
  return result;
}

/** What must hold for every diagnostic, whatever the input. */
function checkInvariants(
  errors: readonly Diagnostic[],
  text: string,
  file: string,
  maxMessage = MAX_MESSAGE,
): void {
  expect(errors.length).toBeGreaterThan(0);
  const lines = text.split('\n');
  for (const d of errors) {
    const where = `${d.line}:${d.column} ${d.message.slice(0, 80)}`;
    expect(d.file, where).toBe(file);
    expect(Number.isInteger(d.line) && d.line >= 1, where).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1, where).toBe(true);
    // The position is inside the file: an editor can jump to it.
    expect(d.line, where).toBeLessThanOrEqual(lines.length);
    expect(d.column, where).toBeLessThanOrEqual((lines[d.line - 1] ?? '').length + 1);
    expect(d.message.length, where).toBeGreaterThan(0);
    expect(d.message.length, where).toBeLessThanOrEqual(maxMessage);
    expect(formatDiagnostic(d), where).not.toMatch(/[\r\n]/);
  }
}

describe('releases.yaml corpus', () => {
  it('has at least 40 cases, each with its expectation file and nothing else', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const expected = new Set(cases.flatMap((c) => [`${c}.yaml`, `${c}.expect.json`]));
    expect(files.filter((f) => !expected.has(f))).toEqual([]);
    expect([...expected].filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(cases)('%s', (name) => {
    const file = `${name}.yaml`;
    // Read as Node decodes UTF-8: a BOM is kept, so valid-bom-crlf shows the loader copes.
    const text = readFileSync(`${DIR}${file}`, 'utf8');
    const expectation = readExpectation(name);
    const result = load(text, file);

    if (expectation.errors.length === 0) {
      expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([]);
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    checkInvariants(result.errors, text, file);
    // Exact positions, count and order; each message contains the expected text.
    expect(result.errors.map((d) => `${d.line}:${d.column}`)).toEqual(
      expectation.errors.map((e) => `${e.line}:${e.column}`),
    );
    result.errors.forEach((d, i) => {
      expect(d.message).toContain(expectation.errors[i]?.message);
    });
  });

  it('names the offending key and asks to quote numbers, where the brief says it must', () => {
    const messages = (name: string) => readExpectation(name).errors.map((e) => e.message);
    expect(messages('id-long-number').join()).toContain('quote it');
    expect(messages('id-short-number').join()).toContain('quote it');
    expect(messages('unknown-key-top').join()).toContain('"acount_id"');
    expect(messages('unknown-key-entry').join()).toContain('"tiket"');
    expect(messages('proto-key-top').join()).toContain('"__proto__"');
    expect(messages('constructor-key').join()).toContain('"constructor"');
    // The same message requested twice is reported at both entries.
    expect(readExpectation('duplicate-id').errors.map((e) => e.line)).toEqual([4, 8]);
    expect(readExpectation('duplicate-queue-id').errors.map((e) => e.line)).toEqual([4, 6]);
  });

  it('never lets a __proto__ or constructor key reach a prototype', () => {
    for (const name of ['proto-key-top', 'proto-key-entry', 'constructor-key']) {
      load(readFileSync(`${DIR}${name}.yaml`, 'utf8'), `${name}.yaml`);
    }
    expect(Object.hasOwn(Object.prototype, 'account_id')).toBe(false);
    expect(({} as Record<string, unknown>).account_id).toBeUndefined();
  });
});

// Not covered here: invalid UTF-8. loadReleases takes already decoded text, so bytes that are
// not UTF-8 cannot reach it; readTextFile (src/adapters/files/read-input.ts) refuses them.
describe('generated hostile inputs', () => {
  const head = 'version: 1\naccount_id: 023e105f4ecef8ad9ca31a8372d0c353\nreleases:\n';

  function single(text: string, file: string): Diagnostic {
    const result = load(text, file);
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error('unreachable');
    checkInvariants(result.errors, text, file);
    expect(result.errors).toHaveLength(1);
    return result.errors[0] as Diagnostic;
  }

  it('refuses a 10 MB file at 1:1, saying it is too large', () => {
    const text = `${head}  - id: 4Njp3P0STMz2c02Q\n    reason: ${'x'.repeat(10 * 1024 * 1024)}\n`;
    const d = single(text, 'big.yaml');
    expect([d.line, d.column]).toEqual([1, 1]);
    expect(d.message).toContain('too large');
    expect(d.message).toContain('split the requests');
  });

  it('refuses hostile nesting, one input after another in the same process', () => {
    // A previous parser aborted the whole Node process on such input: running every case
    // here, in one test, in one worker, shows each now ends in an ordinary error.
    const pid = process.pid;

    const flow = single(`${head}  - id: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'f.yaml');
    // Column 9 is the first bracket; the 257th is where the limit is crossed.
    expect([flow.line, flow.column]).toEqual([4, 9 + 256]);
    expect(flow.message).toContain('more than 256 unclosed brackets');

    const unclosed = single('['.repeat(100_000), 'u.yaml');
    expect([unclosed.line, unclosed.column]).toEqual([1, 257]);
    expect(unclosed.message).toContain('unclosed brackets');

    const compact = single(`${head}  - ${'- '.repeat(5_000)}x\n`, 'c.yaml');
    // Depth 1 is the top map, 2 the releases list, 3 the list at column 5: 33 is at 5 + 2*30.
    expect([compact.line, compact.column]).toEqual([4, 65]);
    expect(compact.message).toContain('nested more than 32 levels deep');

    let maps = '';
    for (let depth = 0; depth < 3_000; depth++) maps += `${' '.repeat(depth)}k:\n`;
    const block = single(maps, 'b.yaml');
    expect([block.line, block.column]).toEqual([33, 33]);
    expect(block.message).toContain('nested more than 32 levels deep');

    let lists = '';
    for (let depth = 0; depth < 3_000; depth++) lists += `${' '.repeat(depth)}-\n`;
    const seq = single(lists, 's.yaml');
    expect([seq.line, seq.column]).toEqual([33, 33]);
    expect(seq.message).toContain('nested more than 32 levels deep');

    const braces = single('{a: '.repeat(20_000), 'm.yaml');
    expect(braces.message).toContain('unclosed brackets');

    // Still the same process, and it still reads a good file.
    expect(process.pid).toBe(pid);
    const ok = loadReleases(`${head}  - id: 4Njp3P0STMz2c02Q\n    reason: fine\n`, 'ok.yaml');
    expect(ok.ok).toBe(true);
  });

  it('refuses a map with thousands of keys before the pairwise duplicate check can run', () => {
    // 100,000 keys in one map (about 1 MB) once took minutes in the parser's duplicate check.
    let keys = '';
    for (let i = 0; i < 100_000; i++) keys += `k${i}: 1\n`;
    const top = single(keys, 'keys.yaml');
    expect([top.line, top.column]).toEqual([1, 1]);
    expect(top.message).toContain('a map with 100000 keys');
    let entry = `${head}  - id: 4Njp3P0STMz2c02Q\n    reason: x\n`;
    for (let i = 0; i < 50_000; i++) entry += `    extra${i}: 1\n`;
    const inner = single(entry, 'entry.yaml');
    expect([inner.line, inner.column]).toEqual([4, 5]);
  });

  it('reports at most 50 problems, then how many more there are', () => {
    const result = load(`${head}${'  - 5\n'.repeat(5000)}`, 'many.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(51);
    expect(result.errors[50]?.message).toBe('… and 4950 more problems not listed; fix these first');
    const dupes = load('x: 1\n'.repeat(200_000), 'dupes.yaml');
    expect(dupes.ok ? 0 : dupes.errors.length).toBeLessThanOrEqual(51);
  });

  it('lists the first problems of a file with more of them than a call may take as arguments', () => {
    // 70,000 copies of one entry: 139,998 duplicate errors, more than the ~130,000 arguments
    // one call takes on these machines: they once overflowed the stack, pushed as arguments.
    const result = load(`${head}${'  - {id: Q1234, reason: x}\n'.repeat(70_000)}`, 'same.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(51);
    expect(result.errors[50]?.message).toMatch(/… and \d+ more problems not listed/);
  }, 180_000); // Seconds of parsing alone; minutes when the other test files share the two cores.
});
