// Validates requests and responses against the OpenAPI 3.0 contract kept in contract/ (the
// subset of Cloudflare's API description this tool targets; its README says where it comes
// from). The whole document is added as one schema (with an $id), so every `#/components/...`
// $ref resolves inside it; OpenAPI's `nullable` is understood by ajv natively.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONTRACT_PATH = join(repoRoot, 'contract', 'email-security-openapi.json');
const DOC_ID = 'https://contract.invalid/email-security-openapi.json';

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is walked generically
type Json = Record<string, any>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Json;
}

/**
 * Makes a schema fragment compilable on its own: `$ref`s point into the document by its $id,
 * and `nullable` without `type` (OpenAPI for "anything, null included") is dropped, since
 * ajv requires a type beside it and the schema already admits null.
 */
function portable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(portable);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) {
      out[key] = `${DOC_ID}${value}`;
    } else if (key === 'nullable' && !('type' in node)) {
      // dropped, see above
    } else {
      out[key] = portable(value);
    }
  }
  return out;
}

export class Contract {
  readonly doc: Json;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(path = CONTRACT_PATH) {
    this.doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...(portable(this.doc) as Json), $id: DOC_ID });
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(portable(schema) as Json);
      this.cache.set(key, validate);
    }
    return validate;
  }

  private check(key: string, schema: unknown, value: unknown, where: string): string[] {
    const validate = this.validator(key, schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${where}${e.instancePath} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
    );
  }

  operation(method: string, template: string): Json {
    const op = this.doc.paths?.[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`the contract has no ${method} ${template}`);
    return op;
  }

  private parameters(method: string, template: string): Parameter[] {
    const item = this.doc.paths[template];
    const all = [
      ...(item.parameters ?? []),
      ...(this.operation(method, template).parameters ?? []),
    ];
    return all.map((p: Json) => {
      if (typeof p.$ref !== 'string') return p as Parameter;
      const name = p.$ref.split('/').at(-1) as string;
      return this.doc.components.parameters[name] as Parameter;
    });
  }

  /** Violations of the request: path and query parameters (typed as the schema says), body. */
  request(
    method: string,
    template: string,
    path: Record<string, string>,
    query: URLSearchParams,
    body?: unknown,
  ): string[] {
    const errors: string[] = [];
    for (const p of this.parameters(method, template)) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      const raw = p.in === 'path' ? path[p.name] : (query.get(p.name) ?? undefined);
      if (raw === undefined) {
        if (p.required) errors.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const type = p.schema.type;
      const value =
        type === 'integer' || type === 'number'
          ? Number(raw)
          : type === 'boolean'
            ? raw === 'true'
              ? true
              : raw === 'false'
                ? false
                : raw
            : raw;
      const key = `param ${method} ${template} ${p.name}`;
      errors.push(...this.check(key, p.schema, value, `${p.in}.${p.name}`));
    }
    const requestBody = this.operation(method, template).requestBody;
    if (requestBody) {
      const schema = requestBody.content['application/json'].schema;
      errors.push(...this.check(`body ${method} ${template}`, schema, body, 'body'));
    }
    return errors;
  }

  /** Violations of a response: its status must be documented and its body fit the schema. */
  response(
    method: string,
    template: string,
    status: number,
    body: unknown,
    headers: Headers,
  ): string[] {
    const responses = this.operation(method, template).responses as Json;
    const key = String(status) in responses ? String(status) : `${String(status)[0]}XX`;
    let response = responses[key];
    if (!response) return [`status ${status} is not documented for ${method} ${template}`];
    if (typeof response.$ref === 'string') {
      response = this.doc.components.responses[response.$ref.split('/').at(-1)];
    }
    const errors: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      const value = headers.get(name);
      if (value === null) errors.push(`header ${name} is missing`);
      else errors.push(...this.check(`header ${name}`, header.schema, value, `header.${name}`));
    }
    const schema = response.content?.['application/json']?.schema;
    if (schema) {
      const where = `response ${method} ${template} ${key}`;
      errors.push(...this.check(where, schema, body, 'body'));
    }
    return errors;
  }
}
