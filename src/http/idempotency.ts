import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { AppError, statusOf } from '../errors.js';
import type { Services } from '../services/index.js';
import { actingUserId } from './authenticate.js';
import { offThreadDigest } from './off-thread-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The services this request works with: the app's, or those of its idempotent transaction. */
    services: Services;
  }
}

/** 1–255 printable ASCII characters (API.md). */
const KEY = /^[\x20-\x7e]{1,255}$/;

function keyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || !KEY.test(value)) throw new AppError('BAD_REQUEST', 'Idempotency-Key: must be 1 to 255 printable ASCII characters');
  return value;
}

/** The same key with another method, path or body is another request. */
function requestHash(request: FastifyRequest): Buffer {
  const digest = offThreadDigest(request.body); // a large body's, taken of its bytes off the event loop
  if (digest !== undefined) return createHash('sha256').update(`${request.method} ${request.routeOptions.url}\n`).update(digest).digest();
  return createHash('sha256').update(`${request.method} ${request.routeOptions.url}\n${JSON.stringify(request.body ?? null)}`).digest();
}

/** The key's scope: the acting user (the body's user_id for routes without a credential, register). */
function scopeOf(request: FastifyRequest): string {
  const rule = request.routeOptions.config.auth;
  if (rule !== undefined && rule.by !== 'none') return actingUserId(request, rule);
  return String((request.body as { user_id?: unknown } | undefined)?.user_id ?? '');
}

/**
 * Every route whose config says `idempotent` honours an `Idempotency-Key` header: its handler
 * runs inside the idempotency service's transaction (with that transaction's services), at most
 * once per key. Runs after authentication: a repeat must be made by the same, still valid,
 * caller. Without the header nothing changes. Must be registered before the routes.
 */
export function registerIdempotency(server: FastifyInstance, services: Services): void {
  server.decorateRequest('services', null as unknown as Services);
  server.addHook('onRequest', (request, _reply, done) => {
    request.services = services;
    done();
  });

  server.addHook('onRoute', (route) => {
    if (route.config?.idempotent !== true) return;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = async function idempotentHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const key = keyOf(request);
      if (key === undefined) return handler.call(this, request, reply);
      const outcome = await services.idempotency.run(
        scopeOf(request),
        key,
        requestHash(request),
        (inTransaction) => {
          request.services = inTransaction;
          return Promise.resolve(handler.call(this, request, reply));
        },
        (err) => statusOf(err, request),
      );
      if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.status).send(outcome.body);
    };
  });
}
