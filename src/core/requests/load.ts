// releases.yaml: text in, validated release requests (or located, human errors) out. Pure.
import type { ErrorObject } from 'ajv';
import releasesSchema from '../../../schema/releases.schema.json' with { type: 'json' };
import {
  type Diagnostic,
  describePath,
  quoteValue,
  sortDiagnostics,
  toPointer,
} from '../diagnostics.js';
import { type Validator, validateReleases } from '../generated/validators.js';
import { queueIdOf } from '../ids.js';
import { closest } from '../suggest.js';
import { definedOnly, isObject } from '../values.js';
import { utcSecond } from '../windows.js';
import {
  parseWindowTime,
  type SearchRequest,
  type SearchSelector,
  searchText,
  windowProblem,
} from './search.js';
import {
  DEFAULT_YAML_LIMITS,
  type Locator,
  type Path,
  type Position,
  parseYaml,
  type YamlLimits,
} from './yaml-source.js';

export type { SearchRequest, SearchSelector } from './search.js';

/** One validated request to release one message. */
export interface ReleaseRequest {
  account_id: string;
  id: string;
  reason: string;
  ticket?: string;
  requested_by?: string;
  /** The attempt number this entry asks for (2 or more); absent for a first release. */
  retry?: number;
  /** The final disposition the requester knowingly accepts (e.g. MALICIOUS). */
  acknowledge?: string;
  /** Position in the file's `releases` list. */
  index: number;
  /** Where the entry's id is written, for annotations on the exact line. */
  line: number;
  column: number;
  /**
   * Set when a `search:` entry asked for this message (core/plan/selectors): the search's
   * canonical text. `index`, `line` and `column` are then the search entry's.
   */
  selector?: string;
}

export interface ReleasesFile {
  file: string;
  version: 1;
  account_id?: string;
  /** The `id` entries (and, once searches are resolved, one request per message they found). */
  releases: ReleaseRequest[];
  /** The `search:` entries, when there are any. */
  searches?: SearchRequest[];
}

export type LoadResult = { ok: true; value: ReleasesFile } | { ok: false; errors: Diagnostic[] };

interface RawEntry {
  id?: string;
  /** As written: its times with any offset (selectorOf() converts). */
  search?: SearchSelector;
  reason: string;
  ticket?: string;
  requested_by?: string;
  account_id?: string;
  retry?: number;
  acknowledge?: string;
}
interface RawFile {
  version: 1;
  account_id?: string;
  releases: RawEntry[];
}

const ENTRY_KEYS = Object.keys(releasesSchema.$defs.release.properties);
const TOP_KEYS = Object.keys(releasesSchema.properties);
const SEARCH_KEYS = Object.keys(releasesSchema.$defs.search.properties);

/** The keys allowed in the map at `path`: the file, an entry, or an entry's search. */
function keysAt(path: Path): string[] {
  if (path.length === 0) return TOP_KEYS;
  return path[path.length - 1] === 'search' ? SEARCH_KEYS : ENTRY_KEYS;
}

/** Keys of which a map needs one (anyOf): an entry's id or search; a search's criteria. */
const ANY_OF_KEYS = new Set(['id', 'search', 'sender', 'domain', 'subject']);

// ajv's code for schema/releases.schema.json, generated at build time (scripts/validators.mjs).
const validateFile = validateReleases as Validator<RawFile>;

export interface LoadOptions {
  limits?: YamlLimits;
  /**
   * Now, epoch ms: a search whose window ends after it is refused (messages could still
   * arrive in it). Without it, only the window's own shape is checked.
   */
  now?: number;
}

export function loadReleases(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const limits = options.limits ?? DEFAULT_YAML_LIMITS;
  const parsed = parseYaml(text, file, limits);
  if (!parsed.ok) return { ok: false, errors: capped(sortDiagnostics(parsed.errors), file) };
  const { value, locate } = parsed;

  const diag: Diag = (path, message, where = locate.valueAt(path)) => ({
    file,
    line: where.line,
    column: where.column,
    pointer: toPointer(path),
    message,
  });

  if (value === null || value === undefined) {
    return {
      ok: false,
      errors: [diag([], 'the file is empty: expected `version: 1` and a `releases:` list')],
    };
  }

  const errors: Diagnostic[] = [];
  // Known keys that a misspelled key stands for, by the pointer of the map it is in: the
  // typo is the one problem to report, not the key it leaves missing.
  const meant = new Map<string, Set<string>>();
  if (!validateFile(value)) {
    const schemaErrors = simplify(validateFile.errors ?? []);
    for (const error of schemaErrors) {
      const typo = error.keyword === 'additionalProperties' ? typoOf(error, value) : undefined;
      if (typo === undefined) continue;
      const keys = meant.get(error.instancePath) ?? new Set();
      meant.set(error.instancePath, keys.add(typo));
    }
    for (const error of schemaErrors) {
      const missing = (error.params as { missingProperty?: string }).missingProperty;
      if (error.keyword === 'required' && meant.get(error.instancePath)?.has(String(missing)))
        continue;
      // "One of these keys" (an id or a search; a sender, domain or subject): the anyOf error
      // says it once, its branches' `required` errors only restate it.
      if (error.keyword === 'required' && error.schemaPath.includes('/anyOf/')) continue;
      if (
        error.keyword === 'anyOf' &&
        [...(meant.get(error.instancePath) ?? [])].some((k) => ANY_OF_KEYS.has(k))
      )
        continue;
      errors.push(schemaDiagnostic(error, value, locate, diag));
    }
  }
  // Where each entry's id is written: needed for every entry, so found in one pass. A search
  // entry is located at its `search:` key (searches are few: found one by one).
  const ids = locate.valuesInList(['releases'], 'id');
  const releases = isObject(value) && Array.isArray(value.releases) ? value.releases : [];
  const idAt = (index: number) => {
    const entry: unknown = releases[index];
    if (isObject(entry) && 'search' in entry && !('id' in entry))
      return locate.keyAt(['releases', index], 'search');
    return ids?.[index] ?? locate.valueAt(['releases', index, 'id']);
  };
  // An account written with a typo (at the top or in the entry) is reported as the typo.
  const accountMisspelled = (index: number) =>
    meant.get('')?.has('account_id') === true ||
    meant.get(`/releases/${index}`)?.has('account_id') === true;
  // One by one: a file of many duplicates has more errors than a call may have arguments.
  for (const error of semanticErrors(value, idAt, diag, accountMisspelled, options.now))
    errors.push(error);
  if (errors.length > 0)
    return { ok: false, errors: capped(sortDiagnostics(dedupe(errors)), file) };
  const lastLineOfSearch = (index: number) => locate.lastLineAt(['releases', index, 'search']);
  return { ok: true, value: requestsOf(value as RawFile, file, idAt, lastLineOfSearch) };
}

/** Builds a diagnostic at `path` (or at `where`, when the value is not what is on the line). */
type Diag = (path: Path, message: string, where?: Position) => Diagnostic;

/** The requests of a file that passed every check. */
function requestsOf(
  raw: RawFile,
  file: string,
  idAt: (index: number) => Position,
  lastLineOfSearch: (index: number) => number,
): ReleasesFile {
  const releases: ReleaseRequest[] = [];
  const searches: SearchRequest[] = [];
  raw.releases.forEach((entry, index) => {
    const { line, column } = idAt(index);
    // semanticErrors() guarantees an account for every entry.
    const account_id = (entry.account_id ?? raw.account_id) as string;
    const { reason, ticket, requested_by, acknowledge } = entry;
    if (entry.search !== undefined) {
      const search = selectorOf(entry.search);
      searches.push({
        account_id,
        search,
        text: searchText(search),
        reason,
        ...definedOnly({ ticket, requested_by, acknowledge }),
        index,
        line,
        column,
        lastLine: Math.max(line, lastLineOfSearch(index)),
      });
      return;
    }
    releases.push({
      account_id,
      id: entry.id as string,
      reason,
      index,
      line,
      column,
      ...definedOnly({ ticket, requested_by, retry: entry.retry, acknowledge }),
    });
  });
  const result: ReleasesFile = { file, version: 1, releases };
  if (raw.account_id !== undefined) result.account_id = raw.account_id;
  if (searches.length > 0) result.searches = searches;
  return result;
}

/**
 * A search's selector, times in UTC. Callers have checked that `start` and `end` parse and
 * `limit` is an integer; searchErrors() reads it before the schema's verdict, so criteria
 * that are not text are left out (the schema reports them).
 */
function selectorOf(raw: Partial<Record<keyof SearchSelector, unknown>>): SearchSelector {
  const s: SearchSelector = {
    start: utcSecond(parseWindowTime(raw.start as string) as number),
    end: utcSecond(parseWindowTime(raw.end as string) as number),
    limit: raw.limit as number,
  };
  for (const key of ['sender', 'domain', 'subject', 'disposition'] as const) {
    const v = raw[key];
    if (typeof v === 'string') s[key] = v;
  }
  return s;
}

const ACK_REASON_MIN = 20;
export const MAX_SEARCH_LIMIT = releasesSchema.$defs.search.properties.limit.maximum;

/** What a search needs each of its required keys for. */
const SEARCH_REQUIRED: Record<string, string> = {
  start:
    'a search covers a closed time window: give its `start` and `end` (RFC 3339, at most 30 days apart)',
  end: 'a search covers a closed time window: give its `start` and `end` (RFC 3339, at most 30 days apart); an open end would let messages that arrive later match',
  limit: `the most messages it may match (1 to ${MAX_SEARCH_LIMIT.toLocaleString('en-US')}): the plan lists every one of them, and more matches refuse the whole search`,
};

/** Checks the schema cannot express: every entry has an account, no message twice. */
function semanticErrors(
  value: unknown,
  idAt: (index: number) => Position,
  diag: Diag,
  accountMisspelled: (index: number) => boolean,
  now?: number,
): Diagnostic[] {
  if (!isObject(value) || !Array.isArray(value.releases)) return [];
  const fileAccount = typeof value.account_id === 'string' ? value.account_id : undefined;
  const errors: Diagnostic[] = [];
  const seen = new Map<string, Position & { index: number; id: string }>();
  const searches = new Map<string, Position & { index: number }>();
  value.releases.forEach((entry: unknown, index: number) => {
    if (!isObject(entry)) return;
    const account = typeof entry.account_id === 'string' ? entry.account_id : fileAccount;
    if (account === undefined && !('account_id' in entry) && !('account_id' in value)) {
      if (accountMisspelled(index)) return;
      errors.push(
        diag(
          ['releases', index],
          `releases[${index}] has no account: set a top-level \`account_id\` or an \`account_id\` on this entry`,
        ),
      );
      return;
    }
    // Releasing mail flagged as malicious needs a real explanation, not a placeholder.
    if (
      typeof entry.acknowledge === 'string' &&
      typeof entry.reason === 'string' &&
      entry.reason.trim().length < ACK_REASON_MIN
    ) {
      errors.push(
        diag(
          ['releases', index, 'reason'],
          `releases[${index}] acknowledges ${entry.acknowledge}: its \`reason\` must say why the message is safe (at least ${ACK_REASON_MIN} characters)`,
        ),
      );
    }
    if (isObject(entry.search)) {
      const text = searchErrors(entry.search, index, diag, errors, now);
      if (text === undefined || account === undefined || 'id' in entry) return;
      // The same search twice would list every message twice: one entry per search.
      const key = `${account}\t${text}`;
      const here = idAt(index);
      const first = searches.get(key);
      if (first === undefined) searches.set(key, { index, ...here });
      else
        errors.push(
          diag(
            ['releases', index, 'search'],
            `duplicate: releases[${index}] is the same search as releases[${first.index}] at line ${first.line}:${first.column}; keep one entry`,
            here,
          ),
        );
      return;
    }
    if (typeof entry.id !== 'string' || account === undefined) return;
    // The bare queue id and the long id name the same message: one entry per message.
    const key = `${account}/${queueIdOf(entry.id)}`;
    const here = idAt(index);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, { index, ...here, id: entry.id });
      return;
    }
    const same =
      first.id === entry.id
        ? 'the same message'
        : `the same message (queue id ${queueIdOf(entry.id)})`;
    errors.push(
      diag(
        ['releases', index, 'id'],
        `duplicate: releases[${index}] requests ${same} as releases[${first.index}] at line ${first.line}:${first.column}; keep one entry`,
      ),
      diag(
        ['releases', first.index, 'id'],
        `duplicate: releases[${first.index}] is requested again by releases[${index}] at line ${here.line}:${here.column}`,
        first,
      ),
    );
  });
  return errors;
}

const TIME_SHAPE = new RegExp(releasesSchema.$defs.search.properties.start.pattern);

/**
 * The checks of a search the schema cannot make: real times, a window forward in time and at
 * most MAX_WINDOW_DAYS long. Returns the search's canonical text when it can be told.
 */
function searchErrors(
  search: Record<string, unknown>,
  index: number,
  diag: Diag,
  errors: Diagnostic[],
  now: number | undefined,
): string | undefined {
  const times: Partial<Record<'start' | 'end', number>> = {};
  for (const key of ['start', 'end'] as const) {
    const text = search[key];
    // A value of the wrong shape is the schema's to report.
    if (typeof text !== 'string' || !TIME_SHAPE.test(text)) continue;
    const ms = parseWindowTime(text);
    if (ms === undefined)
      errors.push(
        diag(
          ['releases', index, 'search', key],
          `\`releases[${index}].search.${key}\` ${quoteValue(text)} is not a real date and time`,
        ),
      );
    else times[key] = ms;
  }
  if (times.start === undefined || times.end === undefined) return undefined;
  const problem = windowProblem(times.start, times.end);
  if (problem) {
    errors.push(
      diag(['releases', index, 'search', 'end'], `\`releases[${index}].search.end\` ${problem}`),
    );
    return undefined;
  }
  if (now !== undefined && times.end > now) {
    errors.push(
      diag(
        ['releases', index, 'search', 'end'],
        `\`releases[${index}].search.end\` ${utcSecond(times.end)} is in the future (now ${utcSecond(now)}): the window must be closed, or messages that arrive later would match; wait until it ends, or end it earlier`,
      ),
    );
    return undefined;
  }
  if (!Number.isInteger(search.limit)) return undefined;
  return searchText(selectorOf(search));
}

/** Drops errors that only restate another one (ajv reports each failed branch of allOf too). */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const failed = (keyword: string) =>
    new Set(errors.filter((e) => e.keyword === keyword).map((e) => e.instancePath));
  const typeFailed = failed('type');
  const tooLong = failed('maxLength');
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'allOf') return false;
    // A value of the wrong type also fails its pattern/length checks; say only the type.
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) return false;
    // Too long is what matters; its pattern is checked again once it fits.
    if (e.keyword === 'pattern' && tooLong.has(e.instancePath)) return false;
    // allOf branches repeat the length check: once per place is enough.
    const k = `${e.instancePath}|${e.keyword}`;
    if (e.keyword === 'maxLength' && seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function schemaDiagnostic(
  error: ErrorObject,
  root: unknown,
  locate: Locator,
  diag: Diag,
): Diagnostic {
  const path = parsePointer(error.instancePath);
  const name = describePath(path);
  const last = path[path.length - 1];
  const key = typeof last === 'string' ? last : undefined;
  const data = valueAt(root, path);
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = keysAt(path);
      const where = locate.keyAt(path, extra);
      const typo = typoOf(error, root);
      const hint =
        extra === '<<'
          ? 'YAML merge keys are not allowed'
          : typo !== undefined
            ? `did you mean \`${typo}\`?`
            : `allowed keys: ${allowed.join(', ')}`;
      const owner = path.length === 0 ? 'at the top level' : `in ${name}`;
      return diag([...path, extra], `unknown key ${quoteValue(extra)} ${owner}; ${hint}`, where);
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const owner = path.length === 0 ? 'the file' : name;
      const hint = key === 'search' ? SEARCH_REQUIRED[missing] : undefined;
      return diag(
        path,
        `${owner} is missing required key \`${missing}\`${hint ? `: ${hint}` : ''}`,
      );
    }
    case 'anyOf':
      return diag(
        path,
        key === 'search'
          ? `\`${name}\` needs a \`sender\`, a \`domain\` or a \`subject\`: a time window alone would match every message in it`
          : `${name} needs an \`id\` (one message) or a \`search\` (the messages a search finds)`,
      );
    case 'false schema': {
      // Keys that may not be used together (dependentSchemas): said at the key that must go.
      const owner = describePath(path.slice(0, -1));
      const where = key !== undefined ? locate.keyAt(path.slice(0, -1), key) : undefined;
      return diag(path, conflictMessage(key, name, owner), where);
    }
    case 'type': {
      const expected = String(params.type);
      if (data === null) {
        // An empty value: point at its key, which is what is on the line.
        const where = key !== undefined ? locate.keyAt(path.slice(0, -1), key) : undefined;
        if (key === 'releases' && path.length === 1) {
          return diag(
            path,
            '`releases` is empty: list the entries under it, or write `releases: []`',
            where,
          );
        }
        const remedy =
          key === 'id' || key === 'reason' || key === 'version'
            ? 'give it a value'
            : 'give it a value or remove the key';
        return diag(path, `\`${name}\` is empty: ${remedy}`, where);
      }
      if (expected === 'integer' && typeof data === 'string') {
        return diag(
          path,
          `\`${name}\` must be a number: remove the quotes around ${quoteValue(data)}`,
        );
      }
      if (expected === 'string' && (typeof data === 'number' || typeof data === 'boolean')) {
        const written = locate.sourceAt(path) ?? String(data);
        const lost =
          typeof data === 'number' && !Number.isSafeInteger(data) && /^[0-9]+$/.test(written)
            ? ' (as a number it has already lost digits)'
            : '';
        return diag(
          path,
          `\`${name}\` must be a string but YAML read ${quoteValue(written)} as a ${typeof data}${lost}: quote it, e.g. ${key ?? 'value'}: "${written.slice(0, 60)}"`,
        );
      }
      if (path.length === 0) {
        return diag(
          path,
          `the file must be a map with \`version: 1\` and a \`releases:\` list, not ${kindOf(data)}`,
        );
      }
      if (key === 'releases' && expected === 'array') {
        return diag(
          path,
          `\`releases\` must be a list, not ${kindOf(data)}: start each entry with \`- \``,
        );
      }
      if (typeof last === 'number' && expected === 'object') {
        return diag(
          path,
          `${name} must be an entry (a map), not ${kindOf(data)}: write \`- id: ...\` with \`reason: ...\` on the next line`,
        );
      }
      return diag(path, `\`${name}\` must be ${article(expected)}, not ${kindOf(data)}`);
    }
    case 'const':
      if (key === 'version') {
        return diag(
          path,
          data === '1'
            ? '`version` must be the number 1: remove the quotes'
            : `\`version\` must be 1 (found ${quoteValue(data)})`,
        );
      }
      return diag(path, `\`${name}\` must be ${quoteValue(params.allowedValue)}`);
    case 'enum':
      return diag(
        path,
        `\`${name}\` must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')} (found ${quoteValue(data)})`,
      );
    case 'pattern':
      return diag(path, patternMessage(key, name, data));
    case 'minLength':
      return diag(path, `\`${name}\` is empty`);
    case 'maxLength':
      return diag(
        path,
        `\`${name}\` is too long: ${String(data).length} characters, at most ${String(params.limit)}`,
      );
    case 'maxItems':
      return diag(
        path,
        `too many entries in \`${name}\`: at most ${String(params.limit)}; split them over several pull requests`,
      );
    case 'minimum':
    case 'maximum':
      if (key === 'retry') {
        return diag(
          path,
          `\`${name}\` is the attempt number to make: between 2 and 20 (found ${quoteValue(data)})`,
        );
      }
      if (key === 'limit') {
        return diag(
          path,
          `\`${name}\` must be between 1 and ${MAX_SEARCH_LIMIT.toLocaleString('en-US')} (found ${quoteValue(data)}): the plan lists every message a search matches, so it must stay small enough to review`,
        );
      }
      return diag(path, `\`${name}\` is out of range (${error.message ?? ''})`);
    default:
      return diag(path, `\`${name}\` ${error.message ?? 'is invalid'}`);
  }
}

/**
 * The known key an unknown key is a typo of, if any: the closest allowed key that the map
 * does not already have.
 */
function typoOf(error: ErrorObject, root: unknown): string | undefined {
  const path = parsePointer(error.instancePath);
  const map = valueAt(root, path);
  if (!isObject(map)) return undefined;
  const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
  const allowed = keysAt(path);
  return closest(
    extra,
    allowed.filter((key) => !Object.hasOwn(map, key)),
  );
}

/** A key used with another that excludes it (`owner`: the map they are in). */
function conflictMessage(key: string | undefined, name: string, owner: string): string {
  switch (key) {
    case 'retry':
      return `\`${name}\` cannot be used with \`search\`: retry the messages one by one, each as an \`id\` entry with \`retry\``;
    case 'id':
      return `${owner} has both \`id\` and \`search\`: an entry is one message (\`id\`) or the messages a search finds (\`search\`), not both`;
    case 'domain':
      return `\`${owner}\` has both \`sender\` and \`domain\`: use \`sender\` for one address, or \`domain\` for every address at a domain`;
    default:
      return `\`${name}\` is not allowed here`;
  }
}

function patternMessage(key: string | undefined, name: string, data: unknown): string {
  const shown = quoteValue(data);
  const blank = typeof data === 'string' && /^\s*$/.test(data);
  const notPlain = `\`${name}\` contains line breaks, control, invisible or text-direction characters; use plain text`;
  switch (key) {
    case 'id':
      return `\`${name}\` ${shown} is not a message id: expected <queue id>-<YYYY-MM-DDTHH:MM:SS>-<number> such as 4Njp3P0STMz2c02Q-2024-01-05T10:00:00-12345678, or a bare queue id of 5 to 32 letters and digits`;
    case 'account_id':
      return `\`${name}\` ${shown} is not an account id: expected 32 lowercase hexadecimal characters`;
    case 'reason':
      return blank
        ? `\`${name}\` is blank: say why the message is safe to release`
        : `\`${name}\` contains control, invisible or text-direction characters; use plain text`;
    case 'requested_by':
      return blank ? `\`${name}\` is blank` : notPlain;
    case 'ticket':
      return `\`${name}\` ${shown} is not a ticket reference: use letters, digits and . _ : / # - (e.g. SEC-1234 or a URL without a query)`;
    case 'sender':
      return `\`${name}\` ${shown} is not an email address: expected one address such as payroll@vendor.example (no name, no angle brackets, no spaces)`;
    case 'domain':
      return `\`${name}\` ${shown} is not a domain name: expected e.g. vendor.example (no @, no scheme, no path)`;
    case 'subject':
      return blank ? `\`${name}\` is blank: give the text the subject contains` : notPlain;
    case 'start':
    case 'end':
      return `\`${name}\` ${shown} is not a date and time: expected RFC 3339 with a zone, e.g. 2026-10-01T00:00:00Z or 2026-10-01T02:00:00+02:00 (quote it if your editor changes it)`;
    default:
      return `\`${name}\` ${shown} has an invalid format`;
  }
}

/** Reports stay readable: the first problems, then how many more there are. */
export const MAX_DIAGNOSTICS = 50;

function capped(list: Diagnostic[], file: string): Diagnostic[] {
  if (list.length <= MAX_DIAGNOSTICS) return list;
  const last = list[MAX_DIAGNOSTICS - 1] as Diagnostic;
  return [
    ...list.slice(0, MAX_DIAGNOSTICS),
    {
      file,
      line: last.line,
      column: last.column,
      pointer: '',
      message: `… and ${list.length - MAX_DIAGNOSTICS} more problems not listed; fix these first`,
    },
  ];
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function parsePointer(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => {
      const text = part.replaceAll('~1', '/').replaceAll('~0', '~');
      return /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : text;
    });
}

function valueAt(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Object.hasOwn(node, part) ? (node as Record<string | number, unknown>)[part] : undefined;
  }
  return node;
}

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${article(typeof value)} (${quoteValue(value, 30)})`;
}

function article(type: string): string {
  const noun = type === 'object' ? 'map' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}
