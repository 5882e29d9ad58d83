// Parses untrusted YAML written by people in pull requests into plain data, refusing every
// feature that could hide what a reviewer sees (anchors, aliases, merge keys, tags, several
// documents) and every shape that could exhaust the parser. Pure: text in, value or errors out.
import {
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
  Parser,
  visit,
} from 'yaml';
import type { Diagnostic } from '../diagnostics.js';

export interface YamlLimits {
  /** Largest accepted file, in UTF-16 code units of the decoded text (about bytes for ASCII). */
  maxChars: number;
  /** Deepest accepted nesting of maps and lists. */
  maxDepth: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxChars: 8 * 1024 * 1024,
  maxDepth: 32,
};

export type Path = (string | number)[];

/** Finds where a path points in the source, for errors found after parsing. */
export interface Locator {
  /** Position of the value at `path`, or of its nearest existing parent. */
  valueAt(path: Path): { line: number; column: number };
  /** Position of the key `key` inside the map at `path` (for "unknown key" errors). */
  keyAt(path: Path, key: string): { line: number; column: number };
  /** Exact source text of the scalar at `path` (to quote an unquoted number as written). */
  sourceAt(path: Path): string | undefined;
}

export type YamlParse =
  | { ok: true; value: unknown; locate: Locator }
  | { ok: false; errors: Diagnostic[] };

export function parseYaml(
  text: string,
  file: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): YamlParse {
  const at = (line: number, column: number, message: string, pointer = ''): Diagnostic => ({
    file,
    line,
    column,
    pointer,
    message,
  });

  if (text.length > limits.maxChars) {
    return {
      ok: false,
      errors: [
        at(
          1,
          1,
          `file is too large (${text.length} characters, limit ${limits.maxChars}); split the requests over several pull requests`,
        ),
      ],
    };
  }
  const brackets = rawBracketDepth(text, RAW_BRACKET_LIMIT);
  if (brackets !== undefined) {
    return {
      ok: false,
      errors: [
        at(
          brackets.line,
          brackets.column,
          `more than ${RAW_BRACKET_LIMIT} unclosed brackets; releases.yaml never needs that much nesting`,
        ),
      ],
    };
  }

  const lineCounter = new LineCounter();
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  // parseDocument() split in its two stages, so the tree can be measured in between.
  let doc: Document.Parsed | undefined;
  let documents = 0;
  try {
    const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    const tooDeep = deepest(tokens, limits.maxDepth);
    if (tooDeep) {
      const p = pos(tooDeep.offset);
      return {
        ok: false,
        errors: [
          at(
            p.line,
            p.column,
            `nested more than ${limits.maxDepth} levels deep; releases.yaml never needs that much nesting`,
          ),
        ],
      };
    }
    const composer = new Composer({
      uniqueKeys: true,
      strict: true,
      merge: false,
      version: '1.2',
      schema: 'core',
    });
    for (const parsed of composer.compose(tokens, true, text.length)) {
      documents++;
      if (!doc) doc = parsed;
      else {
        const p = pos(parsed.range[0]);
        return {
          ok: false,
          errors: [
            at(
              p.line,
              p.column,
              'several YAML documents in one file (a `---` separator): keep everything in one document',
            ),
          ],
        };
      }
    }
  } catch (error) {
    // The parser is not supposed to throw, but hostile input must never crash the tool.
    return { ok: false, errors: [at(1, 1, `cannot parse YAML: ${errorText(error)}`)] };
  }
  if (!doc || documents === 0) return { ok: false, errors: [at(1, 1, 'cannot parse YAML')] };

  const errors: Diagnostic[] = [];
  const seenCodes = new Set<string>();
  for (const problem of [...doc.errors, ...doc.warnings]) {
    // Exhaustion is reported once per nesting level; once is enough.
    if (problem.code === 'RESOURCE_EXHAUSTION' && seenCodes.has(problem.code)) continue;
    seenCodes.add(problem.code);
    const p = pos(problem.pos[0]);
    errors.push(
      at(p.line, p.column, yamlProblemMessage(problem.code, problem.message, text, problem.pos)),
    );
  }

  try {
    visit(doc, {
      Alias(_, node) {
        const p = pos(node.range?.[0] ?? 0);
        errors.push(
          at(
            p.line,
            p.column,
            `YAML aliases (*${node.source}) are not allowed: write the value out in full`,
          ),
        );
      },
      Pair(_, pair) {
        if (isScalar(pair.key) && pair.key.value === '<<' && pair.key.type === 'PLAIN') {
          const p = pos(pair.key.range?.[0] ?? 0);
          errors.push(
            at(p.line, p.column, 'YAML merge keys (<<) are not allowed: write every key out'),
          );
        }
      },
      Node(_, node) {
        const start = node.range?.[0] ?? 0;
        if (node.anchor) {
          // The node's range starts after its properties; point at the `&` itself.
          const p = pos(Math.max(0, text.lastIndexOf(`&${node.anchor}`, start)));
          errors.push(
            at(
              p.line,
              p.column,
              `YAML anchors (&${node.anchor}) are not allowed: write every value out`,
            ),
          );
        }
        if (node.tag) {
          const p = pos(Math.max(0, text.lastIndexOf('!', start)));
          errors.push(
            at(
              p.line,
              p.column,
              `YAML tags (${shortTag(node.tag)}) are not allowed: write plain values`,
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
    return { ok: false, errors: [at(1, 1, `cannot convert YAML: ${errorText(error)}`)] };
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
  };
  return { ok: true, value, locate };
}

/** Walks down as far as the path exists; errors about missing keys point at the parent. */
function nearestNode(doc: Document.Parsed, path: Path): Node | null {
  let node: unknown = doc.contents;
  for (const part of path) {
    let next: unknown;
    if (isSeq(node) && typeof part === 'number') next = node.items[part];
    else if (isMap(node)) {
      next = node.items.find(
        (pair) => isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(part),
      )?.value;
    }
    if (next === undefined || next === null || isAlias(next)) break;
    node = next;
  }
  return (node ?? null) as Node | null;
}

/**
 * Unclosed [ and { counted over the raw text, quotes and all. Far above any real file's
 * count, it stops hostile nesting in one linear pass, before the slower parser walks it.
 */
const RAW_BRACKET_LIMIT = 256;

function rawBracketDepth(
  text: string,
  limit: number,
): { line: number; column: number } | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > limit) {
        const lineStart = text.lastIndexOf('\n', i) + 1;
        let line = 1;
        for (let j = text.indexOf('\n'); j !== -1 && j < i; j = text.indexOf('\n', j + 1)) line++;
        return { line, column: i - lineStart + 1 };
      }
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/**
 * Deepest nesting of collections in the concrete syntax tree, walked with an explicit stack.
 * The composer recurses once per level, and near the stack limit V8 can abort the whole
 * process instead of throwing, so depth is bounded before composing.
 */
function deepest(tokens: readonly CST.Token[], limit: number): CST.Token | undefined {
  const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, outer] = stack.pop() as [CST.Token, number];
    let depth = outer;
    const children: (CST.Token | null | undefined)[] = [];
    switch (token.type) {
      case 'document':
        children.push(token.value);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        depth++;
        if (depth > limit) return token;
        for (const item of token.items as CST.CollectionItem[]) children.push(item.key, item.value);
        break;
      default:
        break;
    }
    for (const child of children) if (child) stack.push([child, depth]);
  }
  return undefined;
}

function yamlProblemMessage(
  code: string,
  message: string,
  text: string,
  range: [number, number],
): string {
  switch (code) {
    case 'DUPLICATE_KEY': {
      const key = text.slice(range[0], range[1]).split(/[:\n]/)[0]?.trim() ?? '';
      return `duplicate key ${JSON.stringify(key.slice(0, 60))}: each key may appear once in a map`;
    }
    case 'MULTIPLE_DOCS':
      return 'several YAML documents in one file (a `---` separator): keep everything in one document';
    case 'TAG_RESOLVE_FAILED':
      return 'YAML tags are not allowed: write plain values';
    case 'RESOURCE_EXHAUSTION':
      return 'the YAML is nested too deeply to read';
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; YAML needs spaces';
    default: {
      const first = message.split('\n')[0] ?? message;
      return `invalid YAML: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
    }
  }
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
