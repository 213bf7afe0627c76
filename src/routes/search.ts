import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { searchSchemas as s } from '../schemas/search.js';

const OK = { message: 'ok' } as const;

/**
 * A query string carries only strings: `page=2` becomes 2 and `scope=title,author` (or a
 * repeated `scope=`) becomes an array, before the same schema as the POST body checks them.
 * Anything else is left as it is, for the schema to refuse with a 400.
 */
async function readQueryString(request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>;
  for (const key of ['page', 'page_size']) {
    const value = query[key];
    if (typeof value === 'string' && /^\s*[+-]?\d{1,15}\s*$/.test(value)) query[key] = Number(value);
  }
  const scope = query.scope;
  if (typeof scope === 'string' || (Array.isArray(scope) && scope.every((v) => typeof v === 'string'))) {
    query.scope = ([] as string[]).concat(scope).flatMap((v) => v.split(',')).map((v) => v.trim());
  }
}

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/search/books', { schema: { ...s.post, summary: '搜索图书 Search books' } }, async ({ body, services }) => {
    return { ...OK, ...(await services.search.searchBooks(body)) };
  });

  app.get(
    '/search/books',
    { schema: { ...s.get, summary: '搜索图书 Search books (query string)' }, preValidation: readQueryString },
    async ({ query, services }) => {
      return { ...OK, ...(await services.search.searchBooks(query)) };
    },
  );
};
