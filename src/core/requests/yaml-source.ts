// Parses untrusted YAML written by people in pull requests into plain data, refusing every
// feature that could hide what a reviewer sees (anchors, aliases, merge keys, tags, several
// documents) and every shape that could exhaust the parser. Pure: text in, value or errors out.
import {
  type Alias,
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  Parser,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { Diagnostic } from '../diagnostics.js';

export interface YamlLimits {
  /** Largest accepted file, in UTF-16 code units of the decoded text (about bytes for ASCII). */
  maxChars: number;
  /** Deepest accepted nesting of maps and lists. */
  maxDepth: number;
  /**
   * Most keys in one map. The parser checks duplicate keys pairwise, so a single map of
   * 100,000 keys would take minutes; releases.yaml maps have at most 7.
   */
  maxKeys: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxChars: 8 * 1024 * 1024,
  maxDepth: 32,
  maxKeys: 64,
};

export type Path = (string | number)[];

/** 1-based, as editors and CI annotations count. */
export interface Position {
  line: number;
  column: number;
}

/** Finds where a path points in the source, for errors found after parsing. */
export interface Locator {
  /** Position of the value at `path`, or of its nearest existing parent. */
  valueAt(path: Path): Position;
  /** Position of the key `key` inside the map at `path` (for "unknown key" errors). */
  keyAt(path: Path, key: string): Position;
  /** Exact source text of the scalar at `path` (to quote an unquoted number as written). */
  sourceAt(path: Path): string | undefined;
  /**
   * valueAt([...path, i, key]) for every item i of the list at `path`, in one pass; undefined
   * when `path` is not a list.
   */
  valuesInList(path: Path, key: string): Position[] | undefined;
  /** The line where the value at `path` (or its nearest existing parent) ends. */
  lastLineAt(path: Path): number;
}

export type YamlParse =
  | { ok: true; value: unknown; locate: Locator }
  | { ok: false; errors: Diagnostic[] };

export function parseYaml(
  text: string,
  file: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): YamlParse {
  const at = (line: number, column: number, message: string): Diagnostic => ({
    file,
    line,
    column,
    pointer: '',
    message,
  });
  const fail = (error: Diagnostic): YamlParse => ({ ok: false, errors: [error] });

  if (text.length > limits.maxChars) {
    return fail(
      at(
        1,
        1,
        `file is too large (${text.length} characters, limit ${limits.maxChars}); split the requests over several pull requests`,
      ),
    );
  }
  // Editors may save a byte-order mark; columns are counted without it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const brackets = tooManyBrackets(text);
  if (brackets !== undefined) {
    return fail(
      at(
        brackets.line,
        brackets.column,
        `more than ${RAW_BRACKET_LIMIT} unclosed brackets; releases.yaml never needs that much nesting`,
      ),
    );
  }

  const lineCounter = new LineCounter();
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const atOffset = (offset: number, message: string): Diagnostic => {
    const p = pos(offset);
    return at(p.line, p.column, message);
  };

  // parseDocument() split in its two stages, so the tree can be measured in between.
  let doc: Document.Parsed | undefined;
  let unclosedQuote: number | undefined;
  let unclosedFlow: TreeCheck['unclosedFlow'];
  try {
    const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    const tree = checkTree(tokens, limits);
    if (tree.refused) return fail(atOffset(tree.refused.offset, tree.refused.message));
    unclosedQuote = tree.unclosedQuote;
    unclosedFlow = tree.unclosedFlow;
    const composer = new Composer({
      uniqueKeys: true,
      strict: true,
      merge: false,
      version: '1.2',
      schema: 'core',
    });
    for (const parsed of composer.compose(tokens, true, text.length)) {
      if (doc) {
        return fail(
          atOffset(
            parsed.range[0],
            'several YAML documents in one file (a `---` separator): keep everything in one document',
          ),
        );
      }
      doc = parsed;
    }
  } catch (error) {
    // The parser is not supposed to throw, but hostile input must never crash the tool.
    return fail(at(1, 1, `cannot parse YAML: ${errorText(error)}`));
  }
  if (!doc) return fail(at(1, 1, 'cannot parse YAML'));

  const errors: Diagnostic[] = [];
  const seen = new Set<string>();
  const problems = [...doc.errors, ...doc.warnings];
  if (unclosedFlow && problems.length > 0) {
    // The parser reads past an unclosed bracket and reports whatever comes next (often "not
    // lined up" a line later): the bracket is the cause, so it is reported instead.
    const { offset, open } = unclosedFlow;
    const close = open === '[' ? ']' : '}';
    errors.push(
      atOffset(
        offset,
        `this \`${open}\` is never closed: add the closing \`${close}\`, or quote the value if the bracket is part of the text`,
      ),
    );
  }
  for (const problem of problems) {
    // Tags are reported below, once each, with their name.
    if (problem.code === 'TAG_RESOLVE_FAILED') continue;
    // Whatever follows an unclosed bracket is a consequence of it.
    if (unclosedFlow && problem.pos[0] >= unclosedFlow.offset) continue;
    const described = describeProblem(
      problem.code,
      problem.message,
      text,
      problem.pos[0],
      unclosedQuote,
    );
    const error = atOffset(described.offset, described.message);
    // One report per place and message: the parser often says the same thing twice.
    const key = `${error.line}:${error.column}:${error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(error);
  }

  try {
    walk(doc.contents, {
      alias(node) {
        errors.push(
          atOffset(
            node.range?.[0] ?? 0,
            `YAML aliases (*${clip(node.source)}) are not allowed: write the value out in full`,
          ),
        );
      },
      pair(pair) {
        if (isScalar(pair.key) && pair.key.value === '<<' && pair.key.type === 'PLAIN') {
          errors.push(
            atOffset(
              pair.key.range?.[0] ?? 0,
              'YAML merge keys (<<) are not allowed: write every key out',
            ),
          );
        } else if (pair.key !== null && !isScalar(pair.key)) {
          // A list or map used as a key (`? [a, b]`): point at the `?` that introduces it.
          const start = (pair.key as Node).range?.[0] ?? 0;
          const mark = text.lastIndexOf('?', start);
          errors.push(
            atOffset(
              mark !== -1 && text.slice(mark + 1, start).trim() === '' ? mark : start,
              'keys must be plain words such as `id` or `reason`, not lists or maps',
            ),
          );
        }
      },
      node(node) {
        const start = node.range?.[0] ?? 0;
        if (node.anchor) {
          // The node's range starts after its properties; point at the `&` itself.
          errors.push(
            atOffset(
              Math.max(0, text.lastIndexOf(`&${node.anchor}`, start)),
              `YAML anchors (&${clip(node.anchor)}) are not allowed: write every value out`,
            ),
          );
        }
        if (node.tag) {
          errors.push(
            atOffset(
              tagStart(text, start),
              `YAML tags (${clip(shortTag(node.tag))}) are not allowed: write plain values`,
            ),
          );
        }
      },
    });
  } catch (error) {
    errors.push(at(1, 1, `cannot read YAML structure: ${errorText(error)}`));
  }
  if (errors.length > 0) return { ok: false, errors };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    return fail(at(1, 1, `cannot convert YAML: ${errorText(error)}`));
  }

  const locate: Locator = {
    valueAt(path) {
      const node = nearestNode(doc, path);
      return pos(node?.range?.[0] ?? 0);
    },
    keyAt(path, key) {
      const node = nearestNode(doc, path);
      if (isMap(node)) {
        for (const pair of node.items) {
          if (isScalar(pair.key) && String(pair.key.value) === key)
            return pos(pair.key.range?.[0] ?? 0);
        }
      }
      return pos(node?.range?.[0] ?? 0);
    },
    sourceAt(path) {
      const node = nearestNode(doc, path);
      if (!isScalar(node) || !node.range) return undefined;
      return text.slice(node.range[0], node.range[1]);
    },
    lastLineAt(path) {
      const node = nearestNode(doc, path);
      const [start = 0, end = 0] = node?.range ?? [];
      return pos(Math.max(start, end - 1)).line;
    },
    valuesInList(path, key) {
      const list = walkDown(doc.contents, path);
      const seq = list.node;
      if (!list.complete || !isSeq(seq)) return undefined;
      // valueAt([...path, i, key]) for every i, without walking down from the top each time.
      return seq.items.map((item) => {
        if (item === null || item === undefined || isAlias(item)) return pos(seq.range?.[0] ?? 0);
        return pos(walkDown(item, [key]).node?.range?.[0] ?? 0);
      });
    },
  };
  return { ok: true, value, locate };
}

interface Walker {
  alias(node: Alias): void;
  pair(pair: Pair<unknown, unknown>): void;
  /** Scalars, maps and sequences. */
  node(node: Scalar | YAMLMap | YAMLSeq): void;
}

/**
 * Pre-order walk of a composed document, calling back as yaml's visit() calls Alias, Pair and
 * Node, without the frozen path array visit() builds at every level (which cost more than the
 * checks themselves on a large file). checkTree() has bounded the depth, so recursion is safe.
 */
function walk(node: unknown, on: Walker): void {
  if (isAlias(node)) on.alias(node);
  else if (isPair(node)) {
    on.pair(node);
    walk(node.key, on);
    walk(node.value, on);
  } else if (isScalar(node)) on.node(node);
  else if (isMap(node) || isSeq(node)) {
    on.node(node);
    for (const item of node.items) walk(item, on);
  }
}

/** Walks down as far as the path exists; errors about missing keys point at the parent. */
function nearestNode(doc: Document.Parsed, path: Path): Node | null {
  return walkDown(doc.contents, path).node;
}

/** The node a path leads to, or its nearest existing parent and `complete: false`. */
function walkDown(from: unknown, path: Path): { node: Node | null; complete: boolean } {
  let node = from;
  for (const part of path) {
    const next = child(node, part);
    if (next === undefined || next === null || isAlias(next)) {
      return { node: (node ?? null) as Node | null, complete: false };
    }
    node = next;
  }
  return { node: (node ?? null) as Node | null, complete: true };
}

function child(node: unknown, part: string | number): unknown {
  if (isSeq(node) && typeof part === 'number') return node.items[part];
  if (isMap(node)) {
    const name = String(part);
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === name) return pair.value;
    }
  }
  return undefined;
}

/**
 * Unclosed flow brackets ([ and {) counted in one linear pass over the raw text, before the
 * slower parser walks hostile nesting. Quoted text and comments are skipped, and in block
 * context a bracket counts only where a value can start (after `:`, `-`, `?`, `,`, another
 * bracket, or at the start of a line), so brackets inside reasons are never counted.
 */
const RAW_BRACKET_LIMIT = 256;

// Character codes, compared rather than one-character strings: this pass sees every byte of a
// file that may be megabytes long.
const LF = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;

/** What may come right before a value starts: a line start, `:`, `-`, `?`, `,`, `[` or `{`. */
function isValueStart(code: number): boolean {
  return (
    code === LF ||
    code === 58 ||
    code === 45 ||
    code === 63 ||
    code === 44 ||
    code === 91 ||
    code === 123
  );
}

/** `/\s/` on one UTF-16 unit, without a regular expression for the ASCII cases. */
function isSpace(code: number): boolean {
  if (code < 128) return code === SPACE || (code >= TAB && code <= CR);
  return /\s/.test(String.fromCharCode(code));
}

/** Where the text first has more than RAW_BRACKET_LIMIT unclosed brackets, if anywhere. */
function tooManyBrackets(text: string): Position | undefined {
  // Most files have no bracket at all: no need to walk them character by character.
  if (text.indexOf('[') === -1 && text.indexOf('{') === -1) return undefined;
  let depth = 0;
  let previous = LF;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      previous = LF;
      continue;
    }
    if (c === SPACE || c === TAB || c === CR) continue;
    if (c === HASH && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
      continue;
    }
    const valueStart = depth > 0 || isValueStart(previous);
    if ((c === DQUOTE || c === SQUOTE) && valueStart) {
      i = closingQuote(text, i);
      previous = c;
      continue;
    }
    if ((c === 91 || c === 123) && valueStart) {
      if (++depth > RAW_BRACKET_LIMIT) {
        const lineStart = text.lastIndexOf('\n', i) + 1;
        let line = 1;
        for (let j = text.indexOf('\n'); j !== -1 && j < i; j = text.indexOf('\n', j + 1)) line++;
        return { line, column: i - lineStart + 1 };
      }
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
    previous = c;
  }
  return undefined;
}

/** Index of the quote closing the one at `start` (or the end of the text if there is none). */
function closingQuote(text: string, start: number): number {
  const quote = text.charCodeAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === DQUOTE && c === BACKSLASH) i++;
    else if (c === quote) {
      if (quote === SQUOTE && text.charCodeAt(i + 1) === SQUOTE) i++;
      else return i;
    }
  }
  return text.length;
}

interface TreeCheck {
  /** A shape refused outright, before composing. */
  refused?: { offset: number; message: string };
  /** Where a quoted value starts that is never closed (the parser reports it at the end). */
  unclosedQuote?: number;
  /** The first `[` or `{` that is never closed (the parser reports what follows it). */
  unclosedFlow?: { offset: number; open: string };
}

/**
 * Walks the concrete syntax tree with an explicit stack: bounds nesting (the composer
 * recurses once per level, and near the stack limit V8 can abort the whole process instead of
 * throwing) and keys per map (duplicate keys are checked pairwise), and finds unclosed quotes.
 */
function checkTree(tokens: readonly CST.Token[], limits: YamlLimits): TreeCheck {
  const result: TreeCheck = {};
  // Two parallel stacks (token, depth of its parent) rather than a pair per token.
  const stack: CST.Token[] = [...tokens];
  const depths: number[] = tokens.map(() => 0);
  while (stack.length > 0) {
    const token = stack.pop() as CST.Token;
    let depth = depths.pop() as number;
    switch (token.type) {
      case 'document':
        if (token.value) {
          stack.push(token.value);
          depths.push(depth);
        }
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (token.type === 'flow-collection' && isUnclosed(token)) {
          const offset = token.start.offset;
          if (result.unclosedFlow === undefined || offset < result.unclosedFlow.offset)
            result.unclosedFlow = { offset, open: token.start.source };
        }
        depth++;
        if (depth > limits.maxDepth) {
          result.refused = {
            offset: token.offset,
            message: `nested more than ${limits.maxDepth} levels deep; releases.yaml never needs that much nesting`,
          };
          return result;
        }
        if (token.type !== 'block-seq' && token.items.length > limits.maxKeys && isMapLike(token)) {
          result.refused = {
            offset: token.offset,
            message: `a map with ${token.items.length} keys; maps in releases.yaml have a handful (at most ${limits.maxKeys})`,
          };
          return result;
        }
        for (const item of token.items as CST.CollectionItem[]) {
          if (item.key) {
            stack.push(item.key);
            depths.push(depth);
          }
          if (item.value) {
            stack.push(item.value);
            depths.push(depth);
          }
        }
        break;
      case 'double-quoted-scalar':
      case 'single-quoted-scalar':
        if (result.unclosedQuote === undefined && !isClosed(token.source))
          result.unclosedQuote = token.offset;
        break;
      default:
        break;
    }
  }
  return result;
}

function isUnclosed(token: CST.FlowCollection): boolean {
  const close = token.start.source === '[' ? ']' : '}';
  return !token.end.some((end) => end.source === close);
}

function isMapLike(token: CST.BlockMap | CST.FlowCollection): boolean {
  return token.type === 'block-map' || token.start.source === '{';
}

function isClosed(source: string): boolean {
  return source.length >= 2 && closingQuote(source, 0) === source.length - 1;
}

/** Where a tag written before a value starts: `!!str` or `!custom`, not its second `!`. */
function tagStart(text: string, valueStart: number): number {
  let i = text.lastIndexOf('!', valueStart);
  if (i === -1) return 0;
  while (i > 0 && !/[\s[\]{},:]/.test(text[i - 1] as string)) i--;
  return i;
}

function describeProblem(
  code: string,
  message: string,
  text: string,
  offset: number,
  unclosedQuote: number | undefined,
): { offset: number; message: string } {
  switch (code) {
    case 'DUPLICATE_KEY': {
      const lineEnd = text.indexOf('\n', offset);
      const rest = text.slice(offset, lineEnd === -1 ? undefined : lineEnd);
      const key = (rest.split(/:(?:\s|$)/)[0] ?? '').trim();
      return { offset, message: `duplicate key ${quote(key)}: each key may appear once in a map` };
    }
    case 'RESOURCE_EXHAUSTION':
      return { offset, message: 'the YAML is nested too deeply to read' };
    case 'TAB_AS_INDENT':
      return { offset, message: 'a tab is used for indentation; YAML needs spaces' };
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BAD_INDENT':
      return {
        offset,
        message:
          'the lines here are not lined up: every key of an entry needs the same indentation, and each entry starts with `- `',
      };
    case 'MISSING_CHAR':
      if (/closing ["']?quote/.test(message)) {
        return {
          offset: unclosedQuote ?? offset,
          message: 'this quoted value is never closed: add the closing quote',
        };
      }
      if (/followed by map values/.test(message)) {
        return { offset, message: 'missing `:` after this key (write `key: value`)' };
      }
      break;
    default:
      break;
  }
  const first = message.split('\n')[0] ?? message;
  return { offset, message: `invalid YAML: ${first.replace(/ at line \d+, column \d+.*$/, '')}` };
}

function quote(text: string): string {
  return JSON.stringify(clip(text));
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

function errorText(error: unknown): string {
  if (error instanceof RangeError) return 'too deeply nested';
  return error instanceof Error
    ? (error.message.split('\n')[0] ?? 'unknown error')
    : 'unknown error';
}
