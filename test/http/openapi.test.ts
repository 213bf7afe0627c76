import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import Fastify from 'fastify';
import { withOfflineApp } from '../../src/openapi/generate.js';
import { registerOpenApi, routeInventory, type RouteRecord } from '../../src/openapi/plugin.js';
import { DB_KIND, useServer } from '../helpers/server.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const repoRoot = PROJECT_ROOT;
const API_MD = path.resolve(repoRoot, '../shared/API.md');

// ajv is CommonJS: under NodeNext the default import is the module object.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Module.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule.default;

type Doc = Record<string, any>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Problems with the route table: a route without a schema, a POST without a body schema… */
function routeProblems(routes: readonly RouteRecord[], doc: Doc): string[] {
  const problems: string[] = [];
  for (const r of routes) {
    const where = `${r.method} ${r.url}`;
    if (r.method === 'HEAD') continue; // Fastify's automatic HEAD twin of a GET
    if (r.hidden) {
      if (!r.url.startsWith('/docs')) problems.push(`${where}: hidden from the document`);
      continue;
    }
    const schema = r.schema as Record<string, any> | undefined;
    if (!schema) {
      problems.push(`${where}: no schema`);
      continue;
    }
    if (!schema.response || !Object.keys(schema.response).some((s) => s.startsWith('2'))) {
      problems.push(`${where}: no response schema for success`);
    }
    if (['POST', 'PUT', 'PATCH'].includes(r.method) && !schema.body) problems.push(`${where}: no body schema`);
    const op = doc.paths?.[r.url]?.[r.method.toLowerCase()];
    if (!op) {
      problems.push(`${where}: missing from the document`);
      continue;
    }
    if (schema.body && !op.requestBody?.content?.['application/json']?.schema) {
      problems.push(`${where}: the document has no request body schema`);
    }
    for (const status of Object.keys(schema.response ?? {})) {
      if (!op.responses?.[status]) problems.push(`${where}: the document lacks response ${status}`);
    }
  }
  return problems;
}

/** Resolves a local JSON pointer ("#/components/schemas/Order") in the document. */
function resolvePointer(doc: Doc, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: any = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function walk(value: unknown, visit: (node: Record<string, unknown>, at: string) => void, at = '#'): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, visit, `${at}/${i}`));
  else if (value !== null && typeof value === 'object') {
    visit(value as Record<string, unknown>, at);
    for (const [k, v] of Object.entries(value)) walk(v, visit, `${at}/${k}`);
  }
}

/** Structural validity of an OpenAPI 3.1 document (no validator package is installed). */
function structuralProblems(doc: Doc): string[] {
  const problems: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi: ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info: title and version required');
  if (!doc.paths || typeof doc.paths !== 'object') problems.push('paths: missing');
  const tags = new Set((doc.tags ?? []).map((t: { name: string }) => t.name));
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  const operationIds = new Set<string>();
  for (const [p, item] of Object.entries<Doc>(doc.paths ?? {})) {
    if (!p.startsWith('/')) problems.push(`${p}: path must start with /`);
    for (const [method, op] of Object.entries<Doc>(item)) {
      const where = `${method.toUpperCase()} ${p}`;
      if (!HTTP_METHODS.includes(method)) {
        problems.push(`${where}: not an HTTP method`);
        continue;
      }
      if (typeof op.operationId !== 'string' || operationIds.has(op.operationId)) problems.push(`${where}: operationId missing or duplicate`);
      operationIds.add(op.operationId);
      for (const tag of op.tags ?? []) if (!tags.has(tag)) problems.push(`${where}: undeclared tag ${tag}`);
      for (const requirement of op.security ?? []) {
        for (const name of Object.keys(requirement)) if (!schemes.has(name)) problems.push(`${where}: unknown security scheme ${name}`);
      }
      if (op.requestBody !== undefined) {
        const content = op.requestBody.content ?? {};
        if (Object.keys(content).length === 0) problems.push(`${where}: requestBody without content`);
        for (const [media, m] of Object.entries<Doc>(content)) if (!m.schema) problems.push(`${where}: ${media} body without schema`);
      }
      const responses = Object.entries<Doc>(op.responses ?? {});
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const [status, r] of responses) {
        if (!/^[1-5](\d\d|XX)$/.test(status) && status !== 'default') problems.push(`${where}: bad status ${status}`);
        if (typeof r.description !== 'string' || r.description === '') problems.push(`${where} ${status}: no description`);
        for (const [media, m] of Object.entries<Doc>(r.content ?? {})) {
          if (!m.schema) problems.push(`${where} ${status}: ${media} without schema`);
        }
      }
      for (const param of op.parameters ?? []) {
        if (!['query', 'header', 'path', 'cookie'].includes(param.in) || typeof param.name !== 'string') {
          problems.push(`${where}: bad parameter ${JSON.stringify(param)}`);
        }
      }
    }
  }
  walk(doc, (node, at) => {
    if (typeof node.$ref === 'string' && resolvePointer(doc, node.$ref) === undefined) problems.push(`${at}: unresolved $ref ${node.$ref}`);
  });
  return problems;
}

/** Every schema in the document, with where it sits. */
function schemasOf(doc: Doc): { at: string; schema: Doc }[] {
  const out: { at: string; schema: Doc }[] = [];
  for (const [name, schema] of Object.entries<Doc>(doc.components?.schemas ?? {})) out.push({ at: `components/${name}`, schema });
  for (const [p, item] of Object.entries<Doc>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Doc>(item)) {
      for (const [media, m] of Object.entries<Doc>(op.requestBody?.content ?? {})) out.push({ at: `${method} ${p} body ${media}`, schema: m.schema });
      for (const [status, r] of Object.entries<Doc>(op.responses ?? {})) {
        for (const [media, m] of Object.entries<Doc>(r.content ?? {})) out.push({ at: `${method} ${p} ${status} ${media}`, schema: m.schema });
      }
      for (const param of op.parameters ?? []) out.push({ at: `${method} ${p} param ${param.name}`, schema: param.schema });
    }
  }
  return out;
}

const COMPONENTS_BASE = 'https://bookstore.invalid/components/';

/** Ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect) in strict mode, with the document's components. */
function schemaCompiler(doc: Doc) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const keyword of ['example', 'xml', 'externalDocs', 'discriminator']) ajv.addKeyword(keyword);
  const relink = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_BASE}`));
  for (const [name, schema] of Object.entries<Doc>(doc.components?.schemas ?? {})) {
    ajv.addSchema(relink(schema) as object, COMPONENTS_BASE + name);
  }
  return (schema: Doc) => ajv.compile(relink(schema) as object);
}

interface ContractEndpoint {
  method: string;
  path: string;
  statuses: number[];
  auth: 'token' | 'password' | null;
}

/** The endpoints of API.md with the status codes each lists after "→". */
function parseApiMd(text: string): ContractEndpoint[] {
  const endpoints: ContractEndpoint[] = [];
  const sections = text.split(/^(?=#{2,3} )/m);
  for (const section of sections) {
    const head = /^### (POST|GET) (\/\S+)(.*)$/m.exec(section);
    if (!head) continue;
    const statuses = new Set<number>();
    for (const line of section.split('\n').slice(1)) {
      const arrow = line.indexOf('→');
      if (arrow < 0) continue;
      for (const m of line.slice(arrow).matchAll(/\b([2-5]\d\d)\b/g)) statuses.add(Number(m[1]));
    }
    const auth = head[3]!.includes('[token]') ? 'token' : head[3]!.includes('[password]') ? 'password' : null;
    endpoints.push({ method: head[1]!, path: head[2]!, statuses: [...statuses].sort(), auth });
    const alsoGet = /also `GET (\/[^?`\s]+)/.exec(head[3]!);
    if (alsoGet) endpoints.push({ method: 'GET', path: alsoGet[1]!, statuses: [...statuses].sort(), auth });
  }
  const serviceSection = sections.find((s) => s.startsWith('## Service endpoints')) ?? '';
  for (const m of serviceSection.matchAll(/`GET (\/[^`]+)`/g)) endpoints.push({ method: 'GET', path: m[1]!, statuses: [200], auth: null });
  return endpoints;
}

describe(`OpenAPI document (${DB_KIND})`, () => {
  const { api } = useServer();
  let doc: Doc;
  let routes: readonly RouteRecord[];
  let offlineDoc: Doc;

  before(async () => {
    const res = await api.get('/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.contentType ?? '', /^application\/json/);
    doc = res.body;
    await withOfflineApp(async ({ server: app }) => {
      routes = [...routeInventory(app)];
      offlineDoc = app.swagger() as unknown as Doc;
    });
  });

  test('is a structurally valid OpenAPI 3.1 document whose $refs all resolve', () => {
    assert.match(doc.openapi, /^3\.1\./);
    assert.deepEqual(structuralProblems(doc), []);
    assert.ok(Object.keys(doc.components.schemas).length >= 4, 'shared schemas are components');
  });

  test('every schema in it compiles with Ajv (JSON Schema 2020-12, strict)', () => {
    const compile = schemaCompiler(doc);
    const all = schemasOf(doc);
    assert.ok(all.length > 50, `found ${all.length} schemas`);
    const failures: string[] = [];
    for (const { at, schema } of all) {
      try {
        compile(schema);
      } catch (err) {
        failures.push(`${at}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('every request body, query parameter and answer has an example, and each satisfies its schema', () => {
    const compile = schemaCompiler(doc);
    const problems: string[] = [];
    const check = (at: string, holder: Doc, required = true) => {
      if (!('example' in holder)) {
        if (required) problems.push(`${at}: no example`);
        return;
      }
      const valid = compile(holder.schema);
      if (!valid(holder.example)) problems.push(`${at}: ${JSON.stringify(valid.errors)}`);
    };
    for (const [p, item] of Object.entries<Doc>(doc.paths)) {
      for (const [method, op] of Object.entries<Doc>(item)) {
        for (const [media, m] of Object.entries<Doc>(op.requestBody?.content ?? {})) check(`${method} ${p} body ${media}`, m);
        for (const [status, r] of Object.entries<Doc>(op.responses ?? {})) {
          for (const [media, m] of Object.entries<Doc>(r.content ?? {})) check(`${method} ${p} ${status} ${media}`, m);
        }
        for (const param of op.parameters ?? []) check(`${method} ${p} param ${param.name}`, param, param.required === true);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the document schemas are the validation schemas: they accept and refuse what the server does', async () => {
    const compile = schemaCompiler(doc);
    const register = compile(doc.paths['/auth/register'].post.requestBody.content['application/json'].schema);
    assert.equal(register({ user_id: 'u', password: 'p' }), true);
    assert.equal(register({ user_id: 'u' }), false);
    assert.equal((await api.post('/auth/register', { user_id: 'u' })).status, 400);
    const addBook = compile(doc.paths['/seller/add_book'].post.requestBody.content['application/json'].schema);
    const book = { user_id: 's', store_id: 't', book_info: { id: 'b', title: '三体', tags: ['科幻'], price: 2300 }, stock_level: 3 };
    assert.equal(addBook(book), true);
    assert.equal(addBook({ ...book, book_info: { ...book.book_info, tags: 'x' } }), false);
    const page = compile(doc.paths['/buyer/query_order'].post.responses['200'].content['application/json'].schema);
    assert.equal(page({ message: 'ok', orders: [], total: 0, page: 1, page_size: 20 }), true);
  });

  test('every route has a schema and appears in the document with each of its status codes', () => {
    assert.ok(routes.length >= 20, `inventory has ${routes.length} routes`);
    assert.deepEqual(routeProblems(routes, doc), []);
    // The server's document and the offline one (docs/openapi.json's source) are the same.
    assert.deepEqual(offlineDoc, doc);
  });

  test('the route check catches a route without a schema', async () => {
    const app = Fastify();
    await registerOpenApi(app);
    app.post('/no/schema', async () => ({ message: 'ok' }));
    app.get('/no/response', { schema: { summary: 'x' } }, async () => ({ message: 'ok' }));
    await app.ready();
    const problems = routeProblems(routeInventory(app), app.swagger() as unknown as Doc);
    await app.close();
    assert.ok(problems.some((p) => p.startsWith('POST /no/schema: no schema')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('GET /no/response: no response schema')), problems.join('\n'));
  });

  test('every endpoint of API.md is documented with every status code API.md lists', (t) => {
    if (!existsSync(API_MD)) {
      t.skip(`${API_MD} not found (the contract lives beside the project on the course machine)`);
      return;
    }
    const contract = parseApiMd(readFileSync(API_MD, 'utf8'));
    assert.ok(contract.length >= 20, `parsed ${contract.length} endpoints`);
    const missing: string[] = [];
    const searchRegistered = doc.paths['/search/books'] !== undefined;
    for (const e of contract) {
      if (e.path === '/docs') continue; // the page itself, checked below and by docs-page.test.ts
      if (e.path.startsWith('/search/') && !searchRegistered) {
        t.diagnostic(`${e.method} ${e.path}: search routes are not registered in this build; not checked`);
        continue;
      }
      const op = doc.paths[e.path]?.[e.method.toLowerCase()];
      if (!op) {
        missing.push(`${e.method} ${e.path}: not documented`);
        continue;
      }
      // Every body-carrying endpoint can answer 400 (rule 1 of "Which code wins") and 500.
      const expected = new Set(e.statuses);
      if (e.method === 'POST') for (const s of [200, 400, 500]) expected.add(s);
      for (const status of expected) if (!op.responses[String(status)]) missing.push(`${e.method} ${e.path}: status ${status} not documented`);
      if (e.method === 'POST' && !op.requestBody) missing.push(`${e.method} ${e.path}: no request body`);
      const tokenDocumented = (op.security ?? []).some((s: Record<string, unknown>) => 'token' in s);
      if (tokenDocumented !== (e.auth === 'token')) missing.push(`${e.method} ${e.path}: token header ${tokenDocumented ? 'documented but not in API.md' : 'not documented'}`);
    }
    assert.deepEqual(missing, []);
  });

  test('GET /docs serves the page and /docs/json the same document', async () => {
    const page = await api.get('/docs');
    assert.equal(page.status, 200);
    assert.match(page.contentType ?? '', /text\/html/);
    assert.doesNotMatch(page.text, /https?:\/\/(?!127\.0\.0\.1)[^"' ]*\.(js|css)/, 'no assets from elsewhere');
    const json = await api.get('/docs/json');
    assert.deepEqual(json.body, doc);
  });
});
