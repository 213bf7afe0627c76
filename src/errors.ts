import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { databaseFailureResponse } from './db/failures.js';

/** Every failure a client can see, with its HTTP status: the contract's code table. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  AUTH_FAILED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  USER_NOT_FOUND: 511,
  USER_EXISTS: 512,
  BUYER_NOT_FOUND: 512,
  STORE_NOT_FOUND: 513,
  STORE_EXISTS: 514,
  BOOK_NOT_FOUND: 515,
  BOOK_EXISTS: 516,
  STOCK_TOO_LOW: 517,
  INVALID_ORDER: 518,
  INSUFFICIENT_FUNDS: 519,
  ORDER_NOT_PAID: 520,
  ORDER_CLOSED: 521,
  ORDER_NOT_SHIPPED: 522,
  ORDER_RECEIVED: 523,
  ORDER_NOT_CANCELLABLE: 524,
  ORDER_SHIPPED: 525,
  ACCOUNT_BUSY: 526,
  UNAVAILABLE: 503,
  /** The password-hashing queue is full (security/hash-gate.ts): retry later. */
  OVERLOADED: 503,
  /** Too many failed password or token attempts for a user id or from an address (http/throttle.ts). */
  TOO_MANY_ATTEMPTS: 429,
  INTERNAL: 500,
  /** A request with the same Idempotency-Key is still being processed. */
  IDEMPOTENCY_BUSY: 409,
  /** An Idempotency-Key reused with a different request. */
  IDEMPOTENCY_MISMATCH: 422,
  /** The acting user does not exist: 511, 512 or 401 depending on the route (its auth rule says which). */
  UNKNOWN_USER: 401,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  BAD_REQUEST: 'malformed request',
  AUTH_FAILED: 'authorization failed',
  NOT_FOUND: 'no such endpoint',
  METHOD_NOT_ALLOWED: 'method not allowed',
  PAYLOAD_TOO_LARGE: 'request body too large',
  USER_NOT_FOUND: 'user id does not exist',
  USER_EXISTS: 'user id already exists',
  BUYER_NOT_FOUND: 'user id does not exist',
  STORE_NOT_FOUND: 'store id does not exist',
  STORE_EXISTS: 'store id already exists',
  BOOK_NOT_FOUND: 'book id does not exist',
  BOOK_EXISTS: 'book id already exists',
  STOCK_TOO_LOW: 'stock level too low',
  INVALID_ORDER: 'invalid order',
  INSUFFICIENT_FUNDS: 'not sufficient funds',
  ORDER_NOT_PAID: 'order not paid yet',
  ORDER_CLOSED: 'order already closed',
  ORDER_NOT_SHIPPED: 'order not shipped yet',
  ORDER_RECEIVED: 'order already received',
  ORDER_NOT_CANCELLABLE: 'order cannot be cancelled',
  ORDER_SHIPPED: 'order already shipped',
  ACCOUNT_BUSY: 'account has open orders or a non-zero balance',
  UNAVAILABLE: 'service unavailable',
  OVERLOADED: 'too many password checks in progress: try again shortly',
  TOO_MANY_ATTEMPTS: 'too many failed attempts: wait before trying again',
  INTERNAL: 'internal server error',
  IDEMPOTENCY_BUSY: 'a request with this Idempotency-Key is still being processed: retry in a moment',
  IDEMPOTENCY_MISMATCH: 'this Idempotency-Key was used for a different request: use a new key',
  UNKNOWN_USER: 'user id does not exist',
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGE[code],
    /** Seconds after which a retry may succeed: sent as Retry-After (429, 503). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export function fail(code: ErrorCode, message?: string): never {
  throw new AppError(code, message);
}

/** Turns an Ajv error list into "field: problem", naming the field as the client wrote it. */
function describeValidation(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  const field = [path, missing].filter(Boolean).join('.') || (err.validationContext ?? 'body');
  if (missing) return `${field}: is required`;
  return `${field}: ${first.message ?? 'is invalid'}`;
}

/** The API's error body: what went wrong, and the request id to quote (also in the x-request-id header). */
export function errorBody(message: string, requestId: string): { message: string; request_id: string } {
  return { message, request_id: requestId };
}

/** The one place errors become responses. Unexpected errors are logged and never described. */
export function errorHandler(err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): void {
  // Also for requests that failed before the hooks that set it (a malformed URL).
  void reply.header('x-request-id', request.id);
  if (err instanceof AppError) {
    if (err.retryAfterS !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
    void reply.code(statusOf(err, request)).send(errorBody(err.message, request.id));
    return;
  }
  const fastifyErr = err as FastifyError;
  if (fastifyErr.validation) {
    void reply.code(400).send(errorBody(describeValidation(fastifyErr), request.id));
    return;
  }
  const status = fastifyErr.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own client errors: bad JSON, empty body, too large, bad URL.
    void reply.code(status).send(errorBody(clientErrorMessage(fastifyErr, request), request.id));
    return;
  }
  const unavailable = databaseFailureResponse(err); // lost connection, timeout, contention: retry later
  if (unavailable) {
    void reply.code(503).header('retry-after', unavailable.retryAfterS).send(errorBody(unavailable.message, request.id));
    return;
  }
  // Logged once, with its stack, on the request's access line (observability/plugin.ts).
  void reply.code(500).send(errorBody(DEFAULT_MESSAGE.INTERNAL, request.id));
}

/** An unknown acting user is answered with the code the route declares (API.md: 511, 512 or 401). */
export function statusOf(err: AppError, request: FastifyRequest): number {
  if (err.code !== 'UNKNOWN_USER') return err.status;
  const auth = request.routeOptions.config.auth;
  if (auth === undefined || auth.by === 'none') return err.status;
  return ERROR_STATUS[typeof auth.unknownUser === 'function' ? auth.unknownUser(request) : auth.unknownUser];
}

function clientErrorMessage(err: FastifyError, request: FastifyRequest): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body: must be a JSON object';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `${DEFAULT_MESSAGE.PAYLOAD_TOO_LARGE}: this endpoint accepts at most ${request.routeOptions.bodyLimit} bytes`;
    case 'FST_ERR_BAD_URL':
      return 'URL path: malformed percent-encoding (encode non-ASCII characters as UTF-8, e.g. %E5%8A%9B)';
    default:
      return err.message;
  }
}
