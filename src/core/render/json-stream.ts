// JSON.stringify(value, null, indent), produced in pieces. Pure. A plan of 50,000 messages is
// tens of megabytes of JSON: written in pieces, it never exists as one string (and again as
// one buffer to write it). The pieces joined are exactly JSON.stringify's text.

/** Items of a long array stringified per JSON.stringify() call. */
const SLICE = 512;

/**
 * The array `source.map(map)`, written without being made whole: writeJson() maps a slice at
 * a time and stringifies each slice whole, and JSON.stringify() sees the whole array through
 * toJSON().
 */
export class MappedList<S, T> {
  constructor(
    readonly source: readonly S[],
    private readonly map: (item: S) => T,
  ) {}

  get length(): number {
    return this.source.length;
  }

  slice(start: number, end: number): T[] {
    return this.source.slice(start, end).map((item) => this.map(item));
  }

  toJSON(): T[] {
    return this.slice(0, this.source.length);
  }
}

export interface JsonLayout {
  /** Characters per piece handed to `write` (about). */
  size?: number;
  /** Levels of objects and arrays opened before values are stringified whole. */
  depth?: number;
  /** JSON.stringify's indent: 0 for one line, 2 for two spaces a level. */
  indent?: number;
}

/**
 * Hands the text of JSON.stringify(value, null, indent) to `write` in strings of about `size`
 * characters. Objects and arrays are opened down to `depth` levels; below that, values (and
 * slices of long arrays) are each one JSON.stringify() call, nested so that its own
 * indentation is already the right one.
 */
export function writeJson(
  value: unknown,
  write: (chunk: string) => void,
  { size = 1 << 20, depth = 4, indent = 2 }: JsonLayout = {},
): void {
  const out = chunkWriter(write, size);
  emit(value, 0, depth, indent, out.push);
  out.end();
}

/** Pieces of text handed to `write` joined in strings of about `size` characters. */
export function chunkWriter(
  write: (chunk: string) => void,
  size: number,
): { push(piece: string): void; end(): void } {
  let parts: string[] = [];
  let length = 0;
  return {
    push(piece) {
      parts.push(piece);
      length += piece.length;
      if (length >= size) {
        write(parts.join(''));
        parts = [];
        length = 0;
      }
    },
    end() {
      if (length > 0) write(parts.join(''));
    },
  };
}

function emit(
  value: unknown,
  level: number,
  depth: number,
  indent: number,
  push: (piece: string) => void,
) {
  const nl = indent > 0 ? '\n' : '';
  const pad = ' '.repeat(indent * level);
  const inner = `${pad}${' '.repeat(indent)}`;
  const list = value instanceof MappedList || Array.isArray(value) ? value : undefined;
  if (depth > 0 && list !== undefined && list.length > 0) {
    if (depth === 1 || value instanceof MappedList) {
      // Slices of items (a MappedList is a long list of small items: always sliced): JSON.stringify writes `null` for items with no JSON form itself.
      for (let start = 0; start < list.length; start += SLICE) {
        const text = stringifyAt(list.slice(start, start + SLICE), level, indent);
        // Without the slice's own brackets: "[" nl inner ... nl pad "]".
        push(start === 0 ? `[${nl}${inner}` : `,${nl}${inner}`);
        push(text.slice(1 + nl.length + inner.length, text.length - (1 + nl.length + pad.length)));
      }
      push(`${nl}${pad}]`);
      return;
    }
    for (let start = 0; start < list.length; start += SLICE) {
      const items = list.slice(start, start + SLICE);
      for (let i = 0; i < items.length; i++) {
        push(start + i === 0 ? `[${nl}${inner}` : `,${nl}${inner}`);
        // As JSON.stringify: what has no JSON form is null inside an array.
        const item = items[i];
        if (jsonable(item)) emit(item, level + 1, depth - 1, indent, push);
        else push('null');
      }
    }
    push(`${nl}${pad}]`);
    return;
  }
  if (depth > 0 && isPlainData(value)) {
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      // As JSON.stringify: such properties are left out of an object.
      if (!jsonable(item)) continue;
      push(`${first ? '{' : ','}${nl}${inner}${JSON.stringify(key)}:${indent > 0 ? ' ' : ''}`);
      first = false;
      emit(item, level + 1, depth - 1, indent, push);
    }
    push(first ? '{}' : `${nl}${pad}}`);
    return;
  }
  if (level === 0) {
    const text: string | undefined = JSON.stringify(value, null, indent);
    if (text !== undefined) push(text);
    return;
  }
  push(stringifyAt(value, level, indent));
}

// Length of the wrapping JSON.stringify(nested(x, level), null, indent) puts around x.
const wrappers = new Map<string, { before: number; after: number }>();

/** JSON.stringify(value, null, indent) as it reads `level` levels deep. value must be jsonable. */
function stringifyAt(value: unknown, level: number, indent: number): string {
  if (indent === 0) return JSON.stringify(value);
  const key = `${level}/${indent}`;
  let wrapper = wrappers.get(key);
  if (wrapper === undefined) {
    const probe = JSON.stringify(nested(0, level), null, indent);
    const before = probe.indexOf('0');
    wrapper = { before, after: probe.length - before - 1 };
    wrappers.set(key, wrapper);
  }
  const text = JSON.stringify(nested(value, level), null, indent);
  return text.slice(wrapper.before, text.length - wrapper.after);
}

/** value inside `level` arrays, so JSON.stringify indents it as at that depth. */
function nested(value: unknown, level: number): unknown {
  let wrapped = value;
  for (let i = 0; i < level; i++) wrapped = [wrapped];
  return wrapped;
}

function jsonable(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/** An object JSON.stringify would write key by key: no toJSON, not a boxed primitive. */
function isPlainData(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}
