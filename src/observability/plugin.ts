import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRecorder, type Metrics } from './metrics.js';

const UNMATCHED_ROUTE = 'unmatched';

/** Why a request failed, gathered on its way out for its access line. */
interface Failure {
  code?: string;
  message?: string;
  err?: Error;
}
const failures = new WeakMap<FastifyRequest, Failure>();

/** The `message` of a JSON error body; nothing for anything else. */
function messageOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return undefined;
  try {
    const message = (JSON.parse(payload) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Request accounting: the request id header, the duration metrics and one access log line per
 * request. Registered on the root instance before the routes so its hooks see every request;
 * the hooks are callback-style (no promise per request).
 */
export function registerObservability(server: FastifyInstance, metrics: Metrics): void {
  const record = createRecorder(metrics);

  // Every response names its request id, so a client can quote it and we can find its log lines.
  server.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  // A failed request's line says why: the error's code (AppError's, Fastify's) and the message the client got.
  server.addHook('onError', (request, _reply, error, done) => {
    const code = (error as { code?: unknown }).code;
    failures.set(request, { code: typeof code === 'string' ? code : undefined, err: error });
    done();
  });
  server.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400) {
      const failure = failures.get(request) ?? {};
      failure.message = messageOf(payload);
      failures.set(request, failure);
    }
    done(null, payload);
  });

  server.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL (which carries query strings and ids).
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    record(request.method, route, status, reply.elapsedTime / 1000, request.routeOptions.config.countFailures);
    // One access line per request (Fastify's own pair of lines is turned off in app.ts), readable
    // as it stands: the path without its query string (which may carry search terms, never secrets
    // in this API, but needlessly long), and for a failure its reason.
    const path = request.url.split('?', 1)[0];
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const failure = status >= 400 ? failures.get(request) : undefined;
    const reason = failure ? [failure.code, failure.message].filter(Boolean).join(': ') || undefined : undefined;
    const line = { method: request.method, path, route, status, ms, ...(reason ? { reason } : {}) };
    const msg = `${request.method} ${path} ${status} ${ms} ms${reason ? ` — ${reason}` : ''}`;
    if (status >= 500) request.log.error({ ...line, err: failure?.err }, msg);
    else request.log.info(line, msg);
    done();
  });
}
