// A problem found in an input file, located the way editors and CI annotations want it.

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** JSON pointer of the offending value, '' for the whole document. */
  pointer: string;
  message: string;
}

/** A problem with a whole line (of JSON Lines, or a whole file at line 1): column 1, no pointer. */
export function lineProblem(file: string, line: number, message: string): Diagnostic {
  return { file, line, column: 1, pointer: '', message };
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/** Sorts by position so reports read top to bottom, whatever order the checks ran in. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.message.localeCompare(b.message),
  );
}

/** Converts a path like ['releases', 3, 'id'] to the JSON pointer '/releases/3/id'. */
export function toPointer(path: readonly (string | number)[]): string {
  const pointer = path
    .map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
  // A hostile key can be long; a pointer only needs to be recognisable.
  return pointer.length > 200 ? `${pointer.slice(0, 200)}…` : pointer;
}

/** Converts '/releases/3/id' to a path a person reads: releases[3].id */
export function describePath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? 'the document' : out;
}

/** Shows a value inside a message: JSON-quoted and cut short, since it may be hostile or huge. */
export function quoteValue(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
