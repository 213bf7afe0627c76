import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.js';
import { ErrorBody, Message } from '../schemas/common.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Database }> = async (app, { db }) => {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: 200 when the database answers', response: { 200: Message, 503: ErrorBody } } },
    async (_request, reply) => {
      try {
        await db.query('SELECT 1');
        return { message: 'ok' };
      } catch {
        return reply.code(503).send({ message: 'database unavailable' });
      }
    },
  );
};
