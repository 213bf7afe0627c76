import type { FastifyInstance } from 'fastify';
import { createRecorder, type Metrics } from './metrics.js';

const UNMATCHED_ROUTE = 'unmatched';

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

  server.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL (which carries query strings and ids).
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    record(request.method, route, reply.statusCode, reply.elapsedTime / 1000, request.routeOptions.config.countFailures);
    // One access line per request (Fastify's own pair of lines is turned off in app.ts).
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    done();
  });
}
