import type { TSchema } from 'typebox';
import { ErrorBody, Message, Order, OrderBook, OrderPage } from '../schemas/common.js';
import { BookInfo } from '../schemas/seller.js';
import { ERROR_MESSAGES, errorExample, OPERATIONS, TAGS, TOKEN_REFUSED, type OperationExamples } from './examples.js';

/**
 * Post-processing of the document @fastify/swagger generates from the route schemas: it adds
 * what the schemas cannot say (what each status code means, grouping and order, examples, the 413
 * every body-carrying route can answer) and names the shared schemas as
 * components. It never invents a schema: components are the TypeBox declarations themselves.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What each status code means (the contract's code table). */
export const STATUS_MEANINGS: Readonly<Record<string, string>> = {
  '200': 'Success',
  '400': 'Malformed request: not a JSON object, a required field missing, a wrong type or a value out of range (the message names the field)',
  '401': 'Authorization failed: wrong password, missing/invalid/expired token, token of another user, or another seller’s store',
  '413': 'Request body too large',
  '500': 'Unexpected server error (logged with the request id; the request had no effect)',
  '503': 'Service unavailable: the database does not answer',
  '511': 'User id does not exist',
  '512': 'User id already exists (register); buyer user id does not exist (buyer endpoints)',
  '513': 'Store id does not exist',
  '514': 'Store id already exists',
  '515': 'Book id does not exist in that store',
  '516': 'Book id already exists in that store',
  '517': 'Stock level too low',
  '518': 'Invalid order: no such order, not this user’s, or not in a state this call accepts',
  '519': 'Not sufficient funds',
  '520': 'Order not paid yet (cannot be shipped)',
  '521': 'Order already closed (cancelled by the buyer or by the timeout)',
  '522': 'Order not shipped yet (cannot be received)',
  '523': 'Order already received',
  '524': 'Order cannot be cancelled (already shipped or received)',
  '525': 'Order already shipped',
  '526': 'Account cannot be removed: it still has open orders or a non-zero balance',
};

const DESCRIPTION = [
  'HTTP JSON API of the Bookstore backend. This document: [`/openapi.json`](/openapi.json).',
  '',
  '**Try the whole workflow from this page.** Every request is filled with a consistent example (user `alice`, store `store-1`, book `1000067`): ' +
    'open each step in order, press **Try it out**, then **Execute**. ' +
    'After step 2 copy the `token` of the answer into **Authorize**; after step 6 copy the `order_id` of the answer into steps 7–9.',
  '',
  '1. register → 2. login → **Authorize** → 3. create_store → 4. add_book → 5. add_funds → 6. new_order → 7. payment → 8. send_books → 9. receive_books',
  '',
  '* The HTTP status code is the result code; every response body is a JSON object with a `message` (`"ok"` on success).',
  '* Money is an integer number of cents: balances, `add_value`, `price`, totals.',
  '* Endpoints marked with a lock take the login token (from `/auth/login`) in the `token` header; use **Authorize** to set it once.',
  '* Counts accept an integer or a string of digits; optional fields may be absent or `null`; unknown fields are ignored.',
].join('\n');

/** Schemas every reader meets again and again, shown once under components/schemas. */
export const NAMED_SCHEMAS: Readonly<Record<string, TSchema>> = { OrderPage, Order, OrderBook, BookInfo, ErrorBody, Message };

const COMPONENT_REF = '#/components/schemas/';

/** The `token` header of token routes (their auth rule, see http/route-config.ts). */
export const SECURITY_SCHEMES = {
  token: { type: 'apiKey', in: 'header', name: 'token', description: 'The token returned by POST /auth/login' },
} as const;

export interface DocumentInfo {
  version: string;
}

export function refineDocument(doc: JsonObject, info: DocumentInfo): JsonObject {
  const components = asObject((doc.components ??= {}));
  const schemas = asObject((components.schemas ??= {}));
  const named = Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, normalize(schema as unknown as Json)] as const);
  for (const [name, schema] of named) {
    schemas[name] = replaceNamed(schema, named, name) as Json;
  }

  const paths = asObject(doc.paths ?? {});
  for (const [path, item] of Object.entries(paths)) {
    const ops = asObject(item);
    for (const [method, op] of Object.entries(ops)) {
      refineOperation(asObject(op), method, path);
    }
    paths[path] = replaceNamed(inPageOrder(ops, (method) => `${method.toUpperCase()} ${path}`), named, null);
  }

  return {
    openapi: doc.openapi ?? '3.1.0',
    info: { title: 'Bookstore API', version: info.version, description: DESCRIPTION },
    tags: TAGS,
    // Swagger UI lists operations in document order: the workflow's order, not the alphabet's.
    paths: inPageOrder(paths, (path) => Object.keys(asObject(paths[path]!)).map((m) => `${m.toUpperCase()} ${path}`)),
    components: { schemas: sortKeys(schemas), securitySchemes: SECURITY_SCHEMES },
  };
}

const EXAMPLES = new Map<string, OperationExamples>(OPERATIONS);
const PAGE_ORDER = new Map(OPERATIONS.map(([key], i) => [key, i]));

/** Keys ordered by the page position of their operation(s); unknown ones last, alphabetically. */
function inPageOrder(o: JsonObject, operationsOf: (key: string) => string | string[]): JsonObject {
  const rank = (key: string) => Math.min(...[operationsOf(key)].flat().map((op) => PAGE_ORDER.get(op) ?? Infinity));
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)));
}

function refineOperation(op: JsonObject, method: string, path: string): void {
  const segments = path.split('/').filter(Boolean);
  const examples = EXAMPLES.get(`${method.toUpperCase()} ${path}`);
  op.tags = [examples?.tag ?? (segments.length > 1 ? segments[0]! : 'service')];
  op.operationId = [method, ...segments].join('_').replace(/[^A-Za-z0-9_]/g, '_');
  if (examples?.step !== undefined && typeof op.summary === 'string') op.summary = `Step ${examples.step} · ${op.summary}`;

  const responses = asObject((op.responses ??= {}));
  if (op.requestBody !== undefined && responses['413'] === undefined) {
    // The body limit applies before any route runs, so every body-carrying route can answer it.
    responses['413'] = { description: '', content: { 'application/json': { schema: ErrorBody as unknown as Json } } };
  }
  for (const [status, response] of Object.entries(responses)) {
    const r = asObject(response);
    if (!r.description || r.description === 'Default Response') r.description = STATUS_MEANINGS[status] ?? `Status ${status}`;
  }
  op.responses = sortKeys(responses);
  if (examples) addExamples(op, examples);
}

/**
 * Media-type examples, which "Try it out" copies into the request, and one answer per status.
 * (On the media type, not the schema, so the shared schemas stay the validation ones.)
 */
function addExamples(op: JsonObject, examples: OperationExamples): void {
  if (examples.body !== undefined && op.requestBody !== undefined) {
    for (const media of Object.values(asObject(asObject(op.requestBody).content ?? {}))) asObject(media).example = examples.body;
  }
  if (examples.query !== undefined) {
    for (const param of Array.isArray(op.parameters) ? op.parameters : []) {
      const p = asObject(param);
      const value = p.in === 'query' && typeof p.name === 'string' ? examples.query[p.name] : undefined;
      if (value !== undefined) p.example = value;
    }
  }
  const byToken = Array.isArray(op.security) && op.security.some((s) => asObject(s).token !== undefined);
  for (const [status, response] of Object.entries(asObject(op.responses ?? {}))) {
    let example: Json | undefined;
    if (status === '200') example = examples.ok;
    else {
      const given = examples.errors?.[status];
      if (given !== undefined && typeof given !== 'string') example = given;
      else {
        const message = given ?? (status === '401' && byToken ? TOKEN_REFUSED : ERROR_MESSAGES[status]);
        if (message !== undefined) example = errorExample(status, message);
      }
    }
    if (example === undefined) continue;
    for (const media of Object.values(asObject(asObject(response).content ?? {}))) asObject(media).example = example;
  }
}

/** The JSON form of a schema as the generator emits it (OpenAPI 3.1 / swagger-ui: const → enum). */
function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'const') out.enum = [normalize(v)];
    else if (key !== '$id' && key !== '$schema') out[key] = normalize(v);
  }
  return out;
}

/** Replaces every occurrence of a named schema by a $ref to its component (not at `self`'s root). */
function replaceNamed(value: Json, named: readonly (readonly [string, Json])[], self: string | null): Json {
  if (Array.isArray(value)) return value.map((v) => replaceNamed(v, named, null));
  if (value === null || typeof value !== 'object') return value;
  for (const [name, schema] of named) {
    if (name !== self && deepEqual(value, schema)) return { $ref: COMPONENT_REF + name };
  }
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) out[key] = replaceNamed(v, named, null);
  return out;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]!));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => k in bo && deepEqual(ao[k]!, bo[k]!));
}

function sortKeys(o: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function asObject(value: Json | undefined): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('OpenAPI document: expected an object');
  return value;
}
