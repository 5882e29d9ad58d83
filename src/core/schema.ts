// One strict ajv for every schema we own. Validation never changes the data (no coercion,
// no defaults, no removal) so error positions still match the source file.
//
// Every ledger line and every releases.yaml entry is validated, and nearly all of them are
// valid. A quick check built from the schema answers "certainly valid" for those; anything it
// is not sure of (including everything invalid) goes to ajv, which decides and explains. The
// quick check may only be stricter than the schema, never looser: see quickAccept().
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';

let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  ajv ??= new Ajv2020({
    strict: true,
    allErrors: true,
    $data: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    unicodeRegExp: true,
    validateFormats: false,
    // Checking our own schemas against the draft's meta-schema costs ~50 ms at every start;
    // the tests do it once instead (test/core/releases-load.test.ts, ledger tests).
    validateSchema: false,
  });
  return ajv;
}

export interface SchemaValidator<T> {
  (data: unknown): data is T;
  /** ajv's errors for the last value refused (null after a valid one). */
  errors: ErrorObject[] | null | undefined;
}

/** Compiles a schema we own. ajv itself is compiled on the first value the quick check doubts. */
export function compileSchema<T>(schema: object): SchemaValidator<T> {
  const quick = quickAccept(schema);
  let full: ValidateFunction<T> | undefined;
  const validate = ((data: unknown): data is T => {
    if (quick?.(data)) {
      validate.errors = null;
      return true;
    }
    full ??= instance().compile<T>(schema);
    const valid = full(data);
    validate.errors = full.errors;
    return valid;
  }) as SchemaValidator<T>;
  validate.errors = null;
  return validate;
}

/** True only when the value is certainly valid; false means "ask ajv". */
export type QuickCheck = (data: unknown) => boolean;

class Unsupported extends Error {}

/**
 * A quick check for a schema written with the few keywords ours use (type, const, enum,
 * maxLength, pattern, minimum, maximum, items, maxItems, properties, required,
 * additionalProperties: false, allOf, local $ref), or undefined when the schema uses anything
 * else. Each keyword is checked as JSON Schema defines it, except that a string is only
 * accepted by maxLength when its UTF-16 length fits (JSON Schema counts code points, which are
 * never more): so whatever passes, ajv accepts too (test/core/schema.test.ts checks this).
 */
export function quickAccept(root: object): QuickCheck | undefined {
  const refs = new Map<string, QuickCheck>();
  try {
    return compileNode(root, root as Record<string, unknown>, refs, true);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function compileNode(
  schema: unknown,
  root: Record<string, unknown>,
  refs: Map<string, QuickCheck>,
  isRoot = false,
): QuickCheck {
  if (!isRecord(schema)) throw new Unsupported();
  const checks: QuickCheck[] = [];
  let properties: [string, QuickCheck][] | undefined;
  let closed = false;
  let required: string[] = [];
  for (const [keyword, arg] of Object.entries(schema)) {
    switch (keyword) {
      case 'description':
      case 'title':
      case '$comment':
        break;
      case '$schema':
      case '$id':
      case '$defs':
        if (!isRoot) throw new Unsupported();
        break;
      case 'type':
        checks.push(typeCheck(arg));
        break;
      case 'const': {
        const value = primitive(arg);
        checks.push((d) => d === value);
        break;
      }
      case 'enum': {
        if (!Array.isArray(arg)) throw new Unsupported();
        const values = arg.map(primitive);
        checks.push((d) => values.includes(d as never));
        break;
      }
      case 'maxLength': {
        const max = count(arg);
        checks.push((d) => typeof d !== 'string' || d.length <= max);
        break;
      }
      case 'pattern': {
        if (typeof arg !== 'string') throw new Unsupported();
        // The regular expression ajv builds (unicodeRegExp); stateless, so a value equal to the
        // last one accepted needs no second test (ledger lines repeat account ids and times).
        const re = new RegExp(arg, 'u');
        let lastAccepted: string | undefined;
        checks.push((d) => {
          if (typeof d !== 'string' || d === lastAccepted) return true;
          if (!re.test(d)) return false;
          lastAccepted = d;
          return true;
        });
        break;
      }
      case 'minimum': {
        const min = finite(arg);
        checks.push((d) => typeof d !== 'number' || d >= min);
        break;
      }
      case 'maximum': {
        const max = finite(arg);
        checks.push((d) => typeof d !== 'number' || d <= max);
        break;
      }
      case 'maxItems': {
        const max = count(arg);
        checks.push((d) => !Array.isArray(d) || d.length <= max);
        break;
      }
      case 'items': {
        const item = compileNode(arg, root, refs);
        // By index, as ajv does: a hole is undefined and fails, where every() would skip it.
        checks.push((d) => {
          if (!Array.isArray(d)) return true;
          for (let i = 0; i < d.length; i++) if (!item(d[i])) return false;
          return true;
        });
        break;
      }
      case 'allOf': {
        if (!Array.isArray(arg)) throw new Unsupported();
        checks.push(...arg.map((s) => compileNode(s, root, refs)));
        break;
      }
      case '$ref':
        checks.push(ref(arg, root, refs));
        break;
      case 'properties':
        if (!isRecord(arg)) throw new Unsupported();
        properties = Object.entries(arg).map(([name, s]) => [name, compileNode(s, root, refs)]);
        break;
      case 'additionalProperties':
        if (arg !== false) throw new Unsupported();
        closed = true;
        break;
      case 'required':
        if (!Array.isArray(arg) || !arg.every((k) => typeof k === 'string'))
          throw new Unsupported();
        required = arg;
        break;
      default:
        throw new Unsupported();
    }
  }
  if (properties || closed || required.length > 0) {
    const declared = new Map(properties ?? []);
    const needed = new Set(required);
    // ajv reads declared and required names as d[name], so an inherited property counts;
    // below, only own and enumerable ones are seen. Names Object.prototype has are left to ajv.
    for (const name of [...declared.keys(), ...needed]) {
      if (name in Object.prototype) throw new Unsupported();
    }
    checks.push((d) => {
      if (!isObject(d)) return true;
      // Objects as JSON.parse and yaml build them; anything else is for ajv to judge.
      if (Object.getPrototypeOf(d) !== Object.prototype) return false;
      let present = 0;
      // for-in, as ajv's additionalProperties: every enumerable key, inherited ones too.
      for (const key in d) {
        const check = declared.get(key);
        const value = d[key];
        if (check === undefined) {
          if (closed) return false;
        } else if (value !== undefined && !check(value)) return false;
        if (value !== undefined && needed.has(key)) present++;
      }
      return present === needed.size;
    });
  }
  if (checks.length === 1) return checks[0] as QuickCheck;
  return (d) => {
    for (const check of checks) if (!check(d)) return false;
    return true;
  };
}

function typeCheck(type: unknown): QuickCheck {
  switch (type) {
    case 'string':
      return (d) => typeof d === 'string';
    case 'integer':
      return (d) => Number.isInteger(d);
    case 'object':
      return isObject;
    case 'array':
      return (d) => Array.isArray(d);
    default:
      throw new Unsupported();
  }
}

function ref(arg: unknown, root: Record<string, unknown>, refs: Map<string, QuickCheck>) {
  const name = typeof arg === 'string' ? /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(arg)?.[1] : undefined;
  const defs = root.$defs;
  if (name === undefined || !isRecord(defs) || !Object.hasOwn(defs, name)) throw new Unsupported();
  let check = refs.get(name);
  if (check === undefined) {
    // Placeholder first, so a schema that refers to itself compiles once.
    let target: QuickCheck | undefined;
    refs.set(name, (d) => (target as QuickCheck)(d));
    target = compileNode(defs[name], root, refs);
    check = target;
    refs.set(name, target);
  }
  return check;
}

function primitive(value: unknown): string | number | boolean | null {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
    return value as string | number | boolean | null;
  throw new Unsupported();
}

function count(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Unsupported();
  return value as number;
}

function finite(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Unsupported();
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isObject(d: unknown): d is Record<string, unknown> {
  return typeof d === 'object' && d !== null && !Array.isArray(d);
}
