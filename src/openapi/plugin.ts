import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Type } from 'typebox';
import { PACKAGE_VERSION } from '../paths.js';
import { refineDocument, SECURITY_SCHEMES } from './document.js';

export interface RouteRecord {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  /** Hidden from the document (the docs page's own assets). */
  hidden: boolean;
}

const inventories = new WeakMap<FastifyInstance, RouteRecord[]>();

/** Every route registered after registerOpenApi, with its schema: what the coverage test checks. */
export function routeInventory(server: FastifyInstance): readonly RouteRecord[] {
  return inventories.get(server) ?? [];
}

export const DOCS_PREFIX = '/docs';

/**
 * OpenAPI 3.1 generated from the route schemas (the same TypeBox objects that validate requests
 * and serialize responses), served at GET /openapi.json, and an interactive reference (Swagger UI,
 * assets served from the package, no CDN) at GET /docs. Must be registered before the routes.
 */
export async function registerOpenApi(server: FastifyInstance): Promise<void> {
  const routes: RouteRecord[] = [];
  inventories.set(server, routes);
  server.addHook('onRoute', (route) => {
    // Routes whose auth rule is the token carry it as the document's security requirement.
    if (route.config?.auth?.by === 'token') route.schema = { ...route.schema, security: [{ token: [] }] } as FastifySchema;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' && route.url !== undefined && routes.some((r) => r.method === 'GET' && r.url === route.url)) continue;
      const schema = route.schema as (FastifySchema & { hide?: boolean }) | undefined;
      routes.push({ method, url: route.url, schema, hidden: schema?.hide === true });
    }
  });

  await server.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: 'Bookstore API', version: PACKAGE_VERSION }, components: { securitySchemes: SECURITY_SCHEMES } },
    transformObject: (document) =>
      refineDocument((document as { openapiObject: object }).openapiObject as never, { version: PACKAGE_VERSION }) as never,
  });

  await server.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // Everything from this server: no CDN, no validator badge, no fonts from elsewhere. (The
    // plugin's default policy adds upgrade-insecure-requests, which breaks plain-HTTP deployments.)
    staticCSP:
      "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; frame-ancestors 'self'; " +
      "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'",
    theme: { title: 'Bookstore API reference' },
    uiConfig: {
      layout: 'BaseLayout', // no top bar: this page documents this server only
      deepLinking: true,
      displayRequestDuration: true,
      docExpansion: 'list',
      defaultModelsExpandDepth: 0,
      persistAuthorization: false,
      tryItOutEnabled: false,
      validatorUrl: null,
    },
  });

  let documentText: string | undefined;
  server.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3.1 document',
        response: {
          200: {
            description: 'The OpenAPI document of every endpoint',
            content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } },
          },
        },
      },
    },
    async (_request, reply) => {
      documentText ??= JSON.stringify(server.swagger());
      return reply.type('application/json; charset=utf-8').send(documentText);
    },
  );
}
