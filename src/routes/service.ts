import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Metrics } from '../observability/metrics.js';
import { ErrorBody, Message } from '../schemas/common.js';

/** The service endpoints: liveness, readiness (for load balancers) and metrics (for Prometheus). */
export const serviceRoutes: FastifyPluginAsyncTypebox<{ metrics: Metrics }> = async (app, { metrics }) => {
  // Liveness does not wait on the database: a process that answers is alive.
  app.get('/healthz', { schema: { summary: 'Liveness: 200 while the process serves requests', response: { 200: Message } } }, async () => ({
    message: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 when the database answers (within 2 s) and the process is not shutting down, otherwise 503',
        response: { 200: Message, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const problem = await request.services.health.readiness();
      if (problem === null) return { message: 'ok' };
      request.log.warn({ problem }, 'not ready');
      return reply.code(503).send({ message: problem });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Request duration histogram by route and status, process metrics (process_resident_memory_bytes…) and ' +
          'order counters: created, paid, shipped, received, cancelled by reason, stock conflicts, payment failures by code.',
        response: {
          200: { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
        },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
