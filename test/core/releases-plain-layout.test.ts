// The plain-layout reader is a shortcut past yaml for the common file; yaml is the reference.
// Whatever the shortcut accepts, yaml must read to the same value, with each entry's id at the
// same place, and loadReleases() must give the same result with and without it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import releasesSchema from '../../schema/releases.schema.json' with { type: 'json' };
import { loadReleases } from '../../src/core/releases/load.js';
import { type PlainLayoutShape, readPlainLayout } from '../../src/core/releases/plain-layout.js';
import { parseYaml } from '../../src/core/releases/yaml-source.js';
import { ACCOUNT, messageId, OTHER_ACCOUNT } from '../support/factories.js';

const TOP = Object.keys(releasesSchema.properties);
const ENTRY = Object.keys(releasesSchema.$defs.release.properties);
const SHAPE: PlainLayoutShape = {
  top: new Set(TOP),
  list: 'releases',
  entry: new Set(ENTRY),
  locate: 'id',
};

/** Holds the shortcut to yaml on one text; returns whether the shortcut took it. */
function agrees(text: string): boolean {
  const plain = readPlainLayout(text, SHAPE);
  const fast = loadReleases(text, 'r.yaml');
  const slow = loadReleases(text, 'r.yaml', { fastPath: false });
  expect(fast).toStrictEqual(slow);
  if (plain === undefined) return false;
  const parsed = parseYaml(text, 'r.yaml');
  if (!parsed.ok) throw new Error(`yaml refuses what the shortcut read:\n${text}`);
  expect(plain.value).toStrictEqual(parsed.value);
  const entries = (parsed.value as { releases: Record<string, unknown>[] }).releases;
  const ids = parsed.locate.valuesInList(['releases'], 'id');
  entries.forEach((entry, i) => {
    expect(plain.located[i]).toStrictEqual('id' in entry ? ids?.[i] : undefined);
  });
  return true;
}

const canonical = [
  '# yaml-language-server: $schema=./schema/releases.schema.json',
  'version: 1',
  `account_id: ${ACCOUNT}`,
  '',
  'releases:',
  `  - id: ${messageId(1)}`,
  '    reason: "Vendor invoice, false positive"   # checked by phone',
  '    ticket: SEC-1234',
  '  # a comment between entries',
  `  - id: '${messageId(2)}'`,
  "    reason: 'It''s the quarterly report: confirmed with the sender'",
  '    requested_by: alice@example.com',
  `    account_id: ${OTHER_ACCOUNT}`,
  '    retry: 2',
  `  -   id: ${messageId(3)}`,
  '      reason: plain text, with commas; and "quotes" inside',
  '      acknowledge: MALICIOUS',
  '',
].join('\n');

describe('readPlainLayout', () => {
  it('reads the documented layout exactly as yaml does, ids at their yaml positions', () => {
    expect(agrees(canonical)).toBe(true);
    const plain = readPlainLayout(canonical, SHAPE);
    expect(plain?.located).toStrictEqual([
      { line: 6, column: 9 },
      { line: 10, column: 9 },
      { line: 15, column: 11 },
    ]);
  });

  it('reads a list written at the column of its key, and a file without a trailing newline', () => {
    const text = `releases:\n- id: ${messageId(1)}\n  reason: ok\nversion: 1`;
    expect(agrees(text)).toBe(true);
  });

  it('reads brackets inside a plain value as text, as yaml does', () => {
    for (const reason of ['see [PO 12] and {x}]', 'a, [1]', 'a - {b}']) {
      const text = `version: 1\nreleases:\n  - id: ${messageId(1)}\n    reason: ${reason}\n`;
      expect(agrees(text)).toBe(true);
      expect(readPlainLayout(text, SHAPE)?.value.releases).toEqual([{ id: messageId(1), reason }]);
    }
  });

  it('agrees with the loader on its bound of unclosed brackets (counted where a value could start)', () => {
    const file = (reason: string) =>
      `version: 1\nreleases:\n  - id: ${messageId(1)}\n    reason: ${reason}\n`;
    // Text to both: no bracket here is where a value could start.
    expect(agrees(file('x ['.repeat(300)))).toBe(true);
    // Counted by the loader's bound (300 > 256) and refused: the reader must not take it.
    const counted = file('x, ['.repeat(300));
    expect(agrees(counted)).toBe(false);
    expect(loadReleases(counted, 'r.yaml').ok).toBe(false);
  });

  it('reads CRLF line ends (a file saved on Windows) as yaml does', () => {
    expect(agrees(canonical.replaceAll('\n', '\r\n'))).toBe(true);
  });

  it('keeps a no-break space as part of a value, as yaml does (it is not a YAML space)', () => {
    const text = `version: 1\u00a0\nreleases:\n  - id: ${messageId(1)}\n    reason: x\u00a0\n`;
    expect(agrees(text)).toBe(true);
    expect(readPlainLayout(text, SHAPE)?.value.version).toBe('1\u00a0');
  });

  it('reads every example and fixture the way yaml does (or leaves it to yaml)', () => {
    const dirs = [join('test', 'fixtures', 'releases'), 'examples'];
    let files = 0;
    let taken = 0;
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
        files++;
        if (agrees(readFileSync(join(dir, name), 'utf8'))) taken++;
      }
    }
    expect(files).toBeGreaterThan(30);
    // The examples are in the plain layout; most fixtures are broken on purpose.
    expect(taken).toBeGreaterThan(0);
  });

  // Each of these is valid YAML that means something the shortcut does not model, or an error
  // yaml reports with its position: all go to yaml.
  const entry = `releases:\n  - id: ${messageId(1)}\n`;
  const gaveUp: [string, string][] = [
    ['a tab', `version: 1\n${entry}    reason:\tx\n`],
    ['a carriage return on its own', `version: 1\r${entry}    reason: x\n`],
    ['an anchor', `version: &v 1\n${entry}    reason: x\n`],
    ['an alias', `version: 1\n${entry}    reason: *r\n`],
    ['a tag', `version: !!int 1\n${entry}    reason: x\n`],
    ['a flow list', `version: 1\nreleases: [{id: ${messageId(1)}, reason: x}]\n`],
    ['a multi-line plain value', `version: 1\n${entry}    reason: x\n      continued\n`],
    ['an escape', `version: 1\n${entry}    reason: "a\\tb"\n`],
    ['a double-quoted value over two lines', `version: 1\n${entry}    reason: "a\n      b"\n`],
    ['a block scalar', `version: 1\n${entry}    reason: |\n      x\n`],
    ['an unknown key', `version: 1\n${entry}    reason: x\n    color: red\n`],
    ['a repeated key', `version: 1\n${entry}    reason: x\n    reason: y\n`],
    ['a repeated top key', `version: 1\nversion: 1\n${entry}    reason: x\n`],
    ['a document marker', `---\nversion: 1\n${entry}    reason: x\n`],
    ['a second document', `version: 1\n${entry}    reason: x\n---\n`],
    ['a directive', `%YAML 1.2\n---\nversion: 1\n${entry}    reason: x\n`],
    ['key:value without a space', `version:1\n${entry}    reason: x\n`],
    ['a space before the colon', `version : 1\n${entry}    reason: x\n`],
    ['a comment right after a quote', `version: 1\n${entry}    reason: "x"# c\n`],
    ['an indented top level', ` version: 1\n ${entry}    reason: x\n`],
    [
      'dashes in two columns',
      `version: 1\n${entry}    reason: x\n   - id: ${messageId(2)}\n     reason: y\n`,
    ],
    ['a key out of line', `version: 1\n${entry}     reason: x\n`],
    ['a list with no entries', 'version: 1\nreleases:\n'],
    ['an empty value', `version: 1\n${entry}    reason:\n`],
    ['a null', `version: ~\n${entry}    reason: x\n`],
    ['a hexadecimal number', `version: 0x1\n${entry}    reason: x\n`],
    ['a float', `version: 1.0\n${entry}    reason: x\n`],
    ['a boolean', `version: 1\n${entry}    reason: true\n`],
    ['a long number', `version: 1\nreleases:\n  - id: 1234567890123456789\n    reason: x\n`],
    ['a nested map in a value', `version: 1\n${entry}    reason: a: b\n`],
    ['a value ending in a colon', `version: 1\n${entry}    reason: note:\n`],
    ['a value starting with an indicator', `version: 1\n${entry}    reason: - x\n`],
    ['a key __proto__', `version: 1\n${entry}    reason: x\n    __proto__: y\n`],
    ['a byte order mark inside', `version: 1\n${entry}    reason: a\ufeffb\n`],
    ['a line separator', `version: 1\n${entry}    reason: a\u2028b\n`],
    ['an astral character', `version: 1\n${entry}    reason: ok 😀\n`],
    ['a dash alone', `version: 1\nreleases:\n  -\n    id: ${messageId(1)}\n    reason: x\n`],
  ];
  it.each(gaveUp)('leaves %s to yaml', (_, text) => {
    expect(readPlainLayout(text, SHAPE)).toBeUndefined();
    agrees(text);
  });

  // Generated files in many layouts, then with YAML-significant characters dropped in.
  const piece = fc.oneof(
    fc.constantFrom(
      ...[' ', ':', ': ', '#', ' #', '-', '- ', "'", "''", '"', '\\', '[', ']', '{', '}'],
      ...[',', '&a', '*a', '!', '|', '>', '%', '@', '`', '?', '~', 'null', 'true', '1', '0x1'],
      ...['1.5', '.inf', '-1', '+1', '007', '\t', '\r', '\n', '\n  ', '\n    ', 'é', '\u00a0'],
      ...['\u2028', '😀', '\ufeff', '---', '...', 'id', 'reason', 'version', 'x', 'Ab3'],
    ),
    fc.string({ maxLength: 6 }),
  );
  const scalar = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
  const written = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(messageId(7), 'False positive, vendor', 'SEC-9') },
    { weight: 2, arbitrary: scalar },
    { weight: 1, arbitrary: scalar.map((s) => `'${s.replaceAll("'", "''")}'`) },
    { weight: 1, arbitrary: scalar.map((s) => `"${s}"`) },
    { weight: 1, arbitrary: fc.constantFrom('1', '2', '20', '0', '') },
  );
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...ENTRY) },
    { weight: 1, arbitrary: fc.constantFrom('Id', 'other', '__proto__', 'version', 'id ') },
  );
  const spaces = fc.constantFrom('', ' ', ' ', ' ', '  ', '   ');
  const fileText = fc
    .record({
      version: fc.constantFrom('1', '"1"', '01', '2', '1 # v'),
      account: fc.option(fc.constantFrom(ACCOUNT, `'${ACCOUNT}'`, OTHER_ACCOUNT), {
        nil: undefined,
      }),
      dash: fc.constantFrom(0, 2, 2, 4),
      after: fc.constantFrom(1, 1, 3),
      entries: fc.array(
        fc
          .oneof(
            // Usually each key once; sometimes any keys, repeated or unknown.
            { weight: 4, arbitrary: fc.shuffledSubarray(ENTRY, { minLength: 1, maxLength: 4 }) },
            { weight: 1, arbitrary: fc.array(key, { minLength: 1, maxLength: 4 }) },
          )
          .chain((keys) =>
            fc.tuple(
              ...keys.map((k) =>
                fc.tuple(fc.constant(k), written, fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1)),
              ),
            ),
          ),
        { minLength: 1, maxLength: 4 },
      ),
      comment: fc.constantFrom('', '# note', '  # indented note'),
      eol: fc.constantFrom('\n', '\n', '\r\n'),
      sep: spaces,
    })
    .map((f) => {
      const lines = [`version: ${f.version}`];
      if (f.account) lines.push(`account_id: ${f.account}`);
      lines.push('releases:', f.comment);
      for (const fields of f.entries) {
        fields.forEach(([k, v, shift], i) => {
          const column = f.dash + 1 + f.after + (i === 0 ? 0 : shift);
          const lead =
            i === 0 ? `${' '.repeat(f.dash)}-${' '.repeat(f.after)}` : ' '.repeat(column);
          lines.push(`${lead}${k}:${v === '' ? '' : ` ${f.sep}${v}`}`);
        });
      }
      return `${lines.join(f.eol)}${f.eol}`;
    });

  it('agrees with yaml on generated files in many layouts', () => {
    let taken = 0;
    fc.assert(
      fc.property(fileText, (text) => {
        if (agrees(text)) taken++;
      }),
      { numRuns: 1500 },
    );
    // The comparison above means nothing if the shortcut never takes a file.
    expect(taken).toBeGreaterThan(150);
  });

  it('agrees with yaml when characters are dropped into a file in the layout', () => {
    // Start from files the shortcut takes, so that each edit tests where it draws the line.
    const taken0 = fileText.filter((text) => readPlainLayout(text, SHAPE) !== undefined);
    const mutated = fc
      .tuple(taken0, fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 3 }))
      .map(([text, edits]) => {
        let out = text;
        for (const [at, insert] of edits) {
          const i = at % (out.length + 1);
          out = out.slice(0, i) + insert + out.slice(i);
        }
        return out;
      });
    let taken = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        if (agrees(text)) taken++;
      }),
      { numRuns: 1500 },
    );
    expect(taken).toBeGreaterThan(300);
  });
});
