import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_CORS_ORIGINS, loadConfig } from '../../src/config.js';
import { corsMatcher } from '../../src/http/manners.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** What came back over a raw socket: the status, lower-cased headers and the body. */
interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes exactly as given (fetch would percent-encode a raw UTF-8 URL itself). */
function rawRequest(url: string, requestLine: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const head = [requestLine, `Host: ${hostname}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(Buffer.from(head, 'utf8')));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [top = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        parsed[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body });
    });
  });
}

/** An API error body: a message, and the request id that is also in the x-request-id header. */
function assertApiError(reply: RawReply, status: number, message: RegExp): void {
  assert.equal(reply.status, status, reply.body);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(reply.body) as { message: string; request_id: string };
  assert.match(body.message, message);
  assert.equal(body.request_id, reply.headers['x-request-id']);
}

describe(`HTTP manners (${DB_KIND})`, () => {
  const { server } = useServer();

  describe('CORS (API.md "Browsers"; default origins http://localhost:* and http://127.0.0.1:*)', () => {
    test('an allowed origin gets Access-Control-Allow-Origin on a normal response', async () => {
      const res = await fetch(`${server.url}/healthz`, { headers: { origin: 'http://localhost:5173' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:5173');
      assert.match(res.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
      assert.match(res.headers.get('vary') ?? '', /Origin/);
    });

    test('a preflight from an allowed origin names the methods and the token, content-type, idempotency-key headers', async () => {
      const res = await fetch(`${server.url}/buyer/new_order`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST', 'access-control-request-headers': 'token, content-type' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8080');
      assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
      for (const h of ['token', 'content-type', 'idempotency-key']) assert.ok(allowed.includes(h), `${h} in ${allowed.join(', ')}`);
      assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
    });

    test('an origin not listed gets no CORS headers, on the preflight or the request', async () => {
      const pre = await fetch(`${server.url}/buyer/new_order`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(pre.status, 204);
      const res = await fetch(`${server.url}/healthz`, { headers: { origin: 'http://localhost.evil.example:80' } });
      for (const r of [pre, res]) {
        assert.equal(r.headers.get('access-control-allow-origin'), null);
        assert.equal(r.headers.get('access-control-allow-methods'), null);
        assert.equal(r.headers.get('access-control-allow-headers'), null);
      }
    });

    test('BOOKSTORE_CORS_ORIGINS: exact origins, any port, any origin, none; a non-origin stops the start', () => {
      const env = { BOOKSTORE_SECRET: 'x'.repeat(32) };
      assert.deepEqual(loadConfig(env).corsOrigins, DEFAULT_CORS_ORIGINS);
      const listed = loadConfig({ ...env, BOOKSTORE_CORS_ORIGINS: ' https://shop.example , http://[::1]:* ' }).corsOrigins;
      assert.deepEqual(listed, ['https://shop.example', 'http://[::1]:*']);
      const allowed = corsMatcher(listed);
      assert.ok(allowed('https://shop.example'));
      assert.ok(allowed('http://[::1]:3000'));
      assert.ok(!allowed('https://shop.example:8443'));
      assert.ok(!allowed('http://shop.example'));
      assert.ok(corsMatcher(loadConfig({ ...env, BOOKSTORE_CORS_ORIGINS: '*' }).corsOrigins)('https://anything.example'));
      assert.deepEqual(loadConfig({ ...env, BOOKSTORE_CORS_ORIGINS: 'none' }).corsOrigins, []);
      for (const bad of ['https://shop.example/', 'shop.example', 'https://shop.example/path', 'http://*.example']) {
        assert.throws(() => loadConfig({ ...env, BOOKSTORE_CORS_ORIGINS: bad }), ConfigError, bad);
      }
    });
  });

  test('405 with Allow for a known path with the wrong method; unknown paths stay 404 naming method and path', async () => {
    const wrong = await fetch(`${server.url}/auth/register`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    const body = (await wrong.json()) as { message: string; request_id: string };
    assert.equal(body.message, 'method GET not allowed on /auth/register: use POST');
    assert.equal(body.request_id, wrong.headers.get('x-request-id'));

    const put = await fetch(`${server.url}/search/books`, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.match(put.headers.get('allow') ?? '', /GET/);
    assert.match(put.headers.get('allow') ?? '', /POST/);

    const unknown = await fetch(`${server.url}/auth/registr?x=1`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { message: string }).message, 'no such endpoint: POST /auth/registr');
  });

  test('GET / is a landing page: HTML linking /docs, /openapi.json and /healthz; JSON when asked for', async () => {
    const html = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    const page = await html.text();
    for (const link of ['/docs', '/openapi.json', '/healthz']) assert.ok(page.includes(`href="${link}"`), link);

    const json = await fetch(`${server.url}/`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 200);
    const body = (await json.json()) as Record<string, string>;
    assert.equal(body.message, 'ok');
    assert.equal(body.docs, '/docs');
    assert.equal(body.openapi, '/openapi.json');
  });

  describe('URLs the API cannot read are answered in its error format', () => {
    // Node's HTTP parser refuses raw (unencoded) non-ASCII bytes in the request line before the
    // application sees the request; accepting them would take its lenient parser for every request.
    // So the answer is a 400 that says to percent-encode, in the API's format.
    test('a raw UTF-8 query (GET /search/books?keyword=力学 unencoded) → 400 JSON saying to percent-encode', async () => {
      const res = await rawRequest(server.url, 'GET /search/books?keyword=力学 HTTP/1.1');
      assertApiError(res, 400, /percent-encode/);
    });

    test('the same query percent-encoded as UTF-8 is answered', async () => {
      const res = await rawRequest(server.url, 'GET /search/books?keyword=%E5%8A%9B%E5%AD%A6 HTTP/1.1');
      assert.equal(res.status, 200, res.body);
    });

    test('malformed percent-encoding in the query (?keyword=%E0%A4%A) → 400 JSON', async () => {
      const res = await rawRequest(server.url, 'GET /search/books?keyword=%E0%A4%A HTTP/1.1');
      assertApiError(res, 400, /^URL query: malformed percent-encoding/);
    });

    test('malformed percent-encoding in the path → 400 JSON', async () => {
      const res = await rawRequest(server.url, 'GET /auth/%E0%A4%A HTTP/1.1');
      assertApiError(res, 400, /^URL path: malformed percent-encoding/);
    });

    test('a malformed header → 400 JSON', async () => {
      const res = await rawRequest(server.url, 'GET /healthz HTTP/1.1', { 'Bad Header': 'x' });
      assertApiError(res, 400, /malformed HTTP request/);
    });

    test('headers larger than the server accepts → 431 JSON', async () => {
      const res = await rawRequest(server.url, 'GET /healthz HTTP/1.1', { 'X-Big': 'a'.repeat(20_000) });
      assertApiError(res, 431, /too large/);
    });

    test('a query parameter of the wrong type → 400 JSON naming it', async () => {
      const res = await rawRequest(server.url, 'GET /search/books?keyword=x&page=abc HTTP/1.1');
      assertApiError(res, 400, /^page: /);
    });
  });

  describe('x-request-id (API.md "Request ids")', () => {
    test('a sane incoming id is kept: echoed in the header and in error bodies', async () => {
      const ok = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'client-42:a.b_c' } });
      assert.equal(ok.headers.get('x-request-id'), 'client-42:a.b_c');
      const refused = await fetch(`${server.url}/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'trace-7' },
        body: JSON.stringify({ user_id: 'nobody-at-all' }),
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('x-request-id'), 'trace-7');
      assert.equal(((await refused.json()) as { request_id: string }).request_id, 'trace-7');
    });

    test('an id too long or with other characters is replaced by a generated one', async () => {
      for (const given of ['x'.repeat(129), 'has space', 'semi;colon', '']) {
        const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': given } });
        const id = res.headers.get('x-request-id') ?? '';
        assert.notEqual(id, given);
        assert.match(id, /^[0-9a-f-]{36}$/);
      }
    });
  });
});
