import type { FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { OffThreadBody } from './off-thread-body.js';

/** The code a route answers when the acting user does not exist (API.md's "which code wins", step 2). */
export type UnknownUserCode = Extract<ErrorCode, 'USER_NOT_FOUND' | 'BUYER_NOT_FOUND' | 'AUTH_FAILED'>;

/**
 * How a route authenticates its caller: read once by the authentication hook (which resolves
 * `request.actor`), by the OpenAPI document (which marks token routes) and by the error handler
 * (which answers an unknown user with `unknownUser`).
 */
export type AuthRule =
  | { by: 'none' }
  | {
      by: 'token' | 'password';
      /** Or, where it depends on the request (close_order without order_id is an order query), a function of it. */
      unknownUser: UnknownUserCode | ((request: FastifyRequest) => UnknownUserCode);
      /** Where the acting user's id is: the first of these fields that is present. Default: body user_id. */
      userFields?: readonly string[];
      in?: 'body' | 'query';
      /** The password field (password routes). Default: password. */
      passwordField?: string;
    };

export interface RouteConfig {
  auth: AuthRule;
  /** A write that honours the Idempotency-Key header (http/idempotency.ts). */
  idempotent?: boolean;
  /** Counted by status code in bookstore_payment_failures_total when not 200. */
  countFailures?: 'payment';
  /** A body of up to tens of MiB: parsed and validated on a worker thread (http/off-thread-body.ts). */
  offThreadBody?: OffThreadBody;
}

declare module 'fastify' {
  interface FastifyContextConfig extends Partial<RouteConfig> {}
}

export const NO_AUTH: AuthRule = { by: 'none' };
