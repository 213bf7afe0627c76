import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError, errorBody, errorHandler } from '../errors.js';
import { PACKAGE_VERSION } from '../paths.js';

/**
 * HTTP manners beyond the endpoints (API.md "Protocol rules beyond the course API"): request ids,
 * CORS for the configured browser origins, 405 with `Allow` for a known path, a landing page, and
 * malformed URLs answered in the API's error format.
 */

/** API.md "Request ids": a client's id is kept when it is safe to log and echo. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the client's `x-request-id` when sane, else a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

const CORS_HEADERS = 'token, content-type, idempotency-key, x-request-id';
/** Headers a browser script may read: the request id to quote, and when to retry. */
const EXPOSED_HEADERS = 'x-request-id, retry-after';
const PREFLIGHT_MAX_AGE_S = '600';

/** Whether a browser origin is allowed: an exact origin, `scheme://host:*` for any port, or `*`. */
export function corsMatcher(patterns: readonly string[]): (origin: string) => boolean {
  const exact = new Set<string>();
  const anyPort: string[] = [];
  let any = false;
  for (const pattern of patterns.map((p) => p.toLowerCase())) {
    if (pattern === '*') any = true;
    else if (pattern.endsWith(':*')) anyPort.push(pattern.slice(0, -2));
    else exact.add(pattern);
  }
  return (origin) => {
    if (any) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    // `http://localhost:*` also admits `http://localhost` (the scheme's default port).
    return anyPort.some((base) => o === base || (o.startsWith(`${base}:`) && /^\d{1,5}$/.test(o.slice(base.length + 1))));
  };
}

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** The query must be valid percent-encoded UTF-8; Fastify's parser would silently keep bad escapes. */
function wellEncodedQuery(url: string): boolean {
  const q = url.indexOf('?');
  if (q === -1 || !url.includes('%', q)) return true;
  try {
    decodeURIComponent(url.slice(q + 1));
    return true;
  } catch {
    return false;
  }
}

/** Fastify's frameworkErrors: a malformed URL path becomes an API error (FST_ERR_BAD_URL is a 400). */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  errorHandler(err, request, reply);
}

/**
 * Fastify's clientErrorHandler: requests Node's HTTP parser refuses before Fastify sees them (a raw
 * non-ASCII URL, a malformed header, a head too large, too slow) still get an API error body.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request line or headers too large']
        : err.code === 'HPE_INVALID_URL' || err.code === 'HPE_INVALID_METHOD'
          ? [400, 'malformed request line: percent-encode the URL (non-ASCII characters as UTF-8, e.g. %E5%8A%9B)']
          : [400, 'malformed HTTP request'];
  const id = randomUUID();
  const body = JSON.stringify(errorBody(message, id));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const LANDING_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bookstore API</title></head>
<body>
<h1>Bookstore API</h1>
<p>The HTTP JSON backend of an online bookstore (version ${PACKAGE_VERSION}): users, stores, books, orders and search.
Every endpoint is called with JSON; there is nothing to browse here.</p>
<ul>
<li><a href="/docs">/docs</a>: the interactive API reference</li>
<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>
<li><a href="/healthz">/healthz</a>: liveness</li>
</ul>
</body></html>
`;

/** Registered on the root instance before any route, so it learns every route's methods. */
export function registerManners(server: FastifyInstance, config: Pick<Config, 'corsOrigins'>): void {
  const allowedOrigin = corsMatcher(config.corsOrigins);
  /** Path → its methods, for 405 and preflight (every route here has a fixed path). */
  const methodsByPath = new Map<string, Set<string>>();
  server.addHook('onRoute', (route) => {
    if (/[:*]/.test(route.url)) return;
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  server.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin !== undefined && allowedOrigin(origin)) {
      void reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSED_HEADERS);
    }
    // Which origin was allowed depends on the request: caches must keep them apart.
    void reply.header('vary', 'Origin');
    if (!wellEncodedQuery(request.url)) {
      return done(new AppError('BAD_REQUEST', 'URL query: malformed percent-encoding (encode non-ASCII characters as UTF-8, e.g. %E5%8A%9B)'));
    }
    done();
  });

  server.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const methods = methodsByPath.get(path);
    if (methods === undefined) return errorHandler(new AppError('NOT_FOUND', `no such endpoint: ${request.method} ${path}`), request, reply);
    const allow = [...methods].join(', ');
    if (request.method === 'OPTIONS') {
      // A CORS preflight (or a plain OPTIONS): the CORS headers only for an allowed origin (onRequest).
      if (reply.hasHeader('access-control-allow-origin')) {
        void reply
          .header('access-control-allow-methods', allow)
          .header('access-control-allow-headers', CORS_HEADERS)
          .header('access-control-max-age', PREFLIGHT_MAX_AGE_S);
      }
      return reply.code(204).header('allow', `${allow}, OPTIONS`).send();
    }
    void reply.header('allow', allow);
    return errorHandler(new AppError('METHOD_NOT_ALLOWED', `method ${request.method} not allowed on ${path}: use ${allow}`), request, reply);
  });

  // The landing page: HTML for a browser, JSON for a client that asks for it. Registered before
  // the OpenAPI plugin, so it is not part of the API document.
  server.get('/', (request, reply) => {
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/json') && !accept.includes('text/html')) {
      return reply.send({ message: 'ok', name: 'Bookstore API', version: PACKAGE_VERSION, docs: '/docs', openapi: '/openapi.json', health: '/healthz' });
    }
    return reply.type('text/html; charset=utf-8').send(LANDING_HTML);
  });
}
