// A fast reader for releases.yaml written in the plain block layout that the README and the
// examples use: top-level `key: value` lines and one list of flat entries,
//
//   version: 1
//   releases:
//     - id: 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678
//       reason: "Vendor invoice, false positive"
//
// yaml builds a syntax tree and a document for every file, which is most of the time `plan`
// takes on a large file. This reader walks the lines once instead, and gives up (returns
// undefined) at the first thing outside that layout: any other YAML feature, any escape or
// multi-line value, any unknown or repeated key, any value that is not a plain string or a
// small whole number. yaml stays the reference: everything given up on is parsed by yaml, and
// every error is reported from yaml's parse. What this reader accepts, yaml reads to the same
// value with the same positions (test/core/releases-plain-layout.test.ts holds it to that on
// generated and mutated files). Pure.
import { Schema } from 'yaml';
import { tooManyBrackets } from './yaml-source.js';

export interface PlainLayout {
  value: Record<string, unknown>;
  /** Where each entry's `locate` key's value starts (1-based), as yaml reports it. */
  located: ({ line: number; column: number } | undefined)[];
}

export interface PlainLayoutShape {
  /** Keys allowed at the top level. */
  top: ReadonlySet<string>;
  /** The one top-level key holding the list of entries. */
  list: string;
  /** Keys allowed in an entry. */
  entry: ReadonlySet<string>;
  /** The entry key whose position is reported. */
  locate: string;
}

// Characters this reader handles: printable ASCII and the printable part of the Basic
// Multilingual Plane, with lines ended by LF or CRLF. Anything else (tabs, a carriage return
// on its own, controls, surrogates, the byte order mark, U+2028/U+2029, non-characters) goes
// to yaml.
const OUTSIDE = /[^\n\r\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|\r(?!\n)/;
const KEY = /([a-z_]+):(?= |$)/y;
// A plain value may not start with a YAML indicator; those that yaml would read differently
// (`-5`, `? x`, `:x`, `[a]`, `&x`, `*x`, `!x`, `|`, `>`, `%`, `@`, `` ` ``) are all left to it.
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;

// yaml's own core-schema rules for plain values that are not strings (null, bools, numbers).
let typedTests: RegExp[] | undefined;
const typed = (text: string): boolean => {
  typedTests ??= new Schema({ schema: 'core' }).tags.flatMap((tag) =>
    'test' in tag && tag.test instanceof RegExp ? [tag.test] : [],
  );
  return typedTests.some((test) => test.test(text));
};
const SMALL_INTEGER = /^(?:0|[1-9][0-9]{0,14})$/;

/** The file's value and entry positions, or undefined when yaml must read it. */
export function readPlainLayout(text: string, shape: PlainLayoutShape): PlainLayout | undefined {
  // Nesting is bounded before yaml runs, by counting brackets where a value could start; a
  // bracket inside a plain value is text to yaml, but the bound counts some of them too.
  if (OUTSIDE.test(text) || tooManyBrackets(text) !== undefined) return undefined;
  const value: Record<string, unknown> = {};
  const located: PlainLayout['located'] = [];
  let list: Record<string, unknown>[] | undefined;
  let listOpen = false; // `list:` read; its entries follow
  let dashColumn = -1;
  let entry: Record<string, unknown> | undefined;
  let keyColumn = -1;

  let lineNumber = 0;
  let start = 0;
  while (start < text.length) {
    lineNumber++;
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    // A CRLF line end is a line end to yaml too; columns are counted from the line start.
    const line = text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;

    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length || line.charCodeAt(indent) === 35) continue; // blank or # comment

    const dash = line.charCodeAt(indent) === 45 && line.charCodeAt(indent + 1) === 32 ? indent : -1;
    if (indent === 0 && dash === -1) {
      // A top-level key: ends the list, if one was open.
      if (listOpen && list === undefined) return undefined; // `list:` with no entries
      listOpen = false;
      entry = undefined;
      const field = keyValue(line, 0, shape.top, value);
      if (field === undefined) return undefined;
      if (field.empty) {
        if (field.key !== shape.list) return undefined;
        listOpen = true;
        continue;
      }
      const read = scalar(line, field.at);
      if (read === undefined) return undefined;
      value[field.key] = read;
      continue;
    }

    if (dash !== -1) {
      // A new entry: `- key: value`, every dash of the list in the same column.
      if (!listOpen || (dashColumn !== -1 && dash !== dashColumn)) return undefined;
      if (list === undefined) {
        list = [];
        value[shape.list] = list;
        dashColumn = dash;
      }
      let column = dash + 1;
      while (line.charCodeAt(column) === 32) column++;
      keyColumn = column;
      entry = {};
      list.push(entry);
      located.push(undefined);
    } else if (entry === undefined || indent !== keyColumn) return undefined;

    // `key: value` of the current entry, at its key column.
    const field = keyValue(line, keyColumn, shape.entry, entry as Record<string, unknown>);
    if (field === undefined || field.empty) return undefined;
    const read = scalar(line, field.at);
    if (read === undefined) return undefined;
    (entry as Record<string, unknown>)[field.key] = read;
    if (field.key === shape.locate)
      located[located.length - 1] = { line: lineNumber, column: field.at + 1 };
  }
  if (listOpen && list === undefined) return undefined;
  if (!(shape.list in value)) return undefined;
  return { value, located };
}

/** A known, not yet used key at `column`, and where its value starts (or that it has none). */
function keyValue(
  line: string,
  column: number,
  known: ReadonlySet<string>,
  into: Record<string, unknown>,
): { key: string; at: number; empty: boolean } | undefined {
  KEY.lastIndex = column;
  const match = KEY.exec(line);
  const key = match?.[1];
  if (key === undefined || !known.has(key) || Object.hasOwn(into, key)) return undefined;
  let at = column + key.length + 1;
  while (line.charCodeAt(at) === 32) at++;
  // Nothing after the colon but a comment: a key whose value is on the following lines.
  const empty = at === line.length || line.charCodeAt(at) === 35;
  return { key, at, empty };
}

/** The scalar starting at `at` and ending the line, or undefined when yaml must read it. */
function scalar(line: string, at: number): string | number | undefined {
  const first = line.charCodeAt(at);
  if (first === 39 || first === 34) {
    // 'single' (with '' for a quote) or "double" without escapes, closed on this line.
    let text = '';
    let i = at + 1;
    for (;;) {
      const close = line.indexOf(first === 39 ? "'" : '"', i);
      if (close === -1) return undefined;
      text += line.slice(i, close);
      if (first === 39 && line.charCodeAt(close + 1) === 39) {
        text += "'";
        i = close + 2;
        continue;
      }
      i = close + 1;
      break;
    }
    if (first === 34 && text.includes('\\')) return undefined;
    return onlyComment(line, i) ? text : undefined;
  }
  if (INDICATOR.test(line.slice(at, at + 1))) return undefined;
  const hash = line.indexOf(' #', at);
  let end = hash === -1 ? line.length : hash;
  // Only spaces end a plain value: String.trimEnd() would also drop U+00A0 and others, which
  // yaml keeps as part of the value.
  while (line.charCodeAt(end - 1) === 32) end--;
  const text = line.slice(at, end);
  // `a: b` inside a plain value is a nested map to yaml: left to it.
  if (text.includes(': ') || text.endsWith(':')) return undefined;
  if (typed(text)) return SMALL_INTEGER.test(text) ? Number(text) : undefined;
  return text;
}

/** True when the rest of the line from `i` is blank or a comment after a space. */
function onlyComment(line: string, i: number): boolean {
  let j = i;
  while (line.charCodeAt(j) === 32) j++;
  return j === line.length || (line.charCodeAt(j) === 35 && j > i);
}
