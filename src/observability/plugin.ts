import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { ErrorBody, Message } from '../schemas/common.js';
import { createRecorder, type Metrics } from './metrics.js';

export interface ObservabilityOptions {
  db: Database;
  metrics: Metrics;
  /** How long /readyz waits for the database before answering 503. */
  readyTimeoutMs?: number;
}

const UNMATCHED_ROUTE = 'unmatched';

/**
 * Request accounting, GET /metrics and GET /readyz. Registered on the root instance before the
 * routes so its hooks see every request; the hooks are callback-style (no promise per request).
 */
export async function registerObservability(server: FastifyInstance, { db, metrics, readyTimeoutMs = 2000 }: ObservabilityOptions) {
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

  server.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Request duration histogram by route and status, process metrics (process_resident_memory_bytes…) and ' +
          'order counters: created, paid, shipped, received, cancelled by reason, stock conflicts, payment failures by code.',
        response: {
          200: {
            description: 'Metrics in the Prometheus text format',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );

  server.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 when the database is reachable, 503 otherwise',
        response: { 200: Message, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          db.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${readyTimeoutMs} ms`)), readyTimeoutMs);
          }),
        ]);
        return { message: 'ok' };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return reply.code(503).send({ message: 'database unavailable' });
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
