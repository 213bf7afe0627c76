import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { AppError, errorHandler } from './errors.js';
import { authRoutes } from './routes/auth.js';
import { buyerRoutes } from './routes/buyer.js';
import { serverLoggerOptions } from './observability/logging.js';
import { countTimeoutCancellations, createMetrics } from './observability/metrics.js';
import { registerObservability } from './observability/plugin.js';
import { registerOpenApi } from './openapi/plugin.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';
import { sellerRoutes } from './routes/seller.js';
import { indexBook } from './services/index-book.js';
import { createSearchService } from './services/search-service.js';
import { PasswordVerifier } from './security/passwords.js';
import { TokenSigner } from './security/tokens.js';
import { createAccountService } from './services/account-service.js';
import type { ServiceContext } from './services/context.js';
import { createOrderService, type OrderService } from './services/order-service.js';
import { createStoreService } from './services/store-service.js';

export interface AppOptions {
  config: Config;
  db: Database;
  clock: Clock;
  /** false for tests; otherwise pino options are derived from config. */
  logger?: boolean;
}

export interface App {
  server: FastifyInstance;
  orders: OrderService;
}

const BODY_LIMIT = 32 * 1024 * 1024; // add_book may carry several MB of base64 pictures

/** Builds the HTTP application and its services; does not listen. */
export async function buildApp({ config, db, clock, logger = true }: AppOptions): Promise<App> {
  const server = Fastify({
    // JSON lines with reqId, token header and password fields redacted; pino-pretty on a terminal.
    logger: logger && serverLoggerOptions(config.logLevel),
    // One access line per request instead of Fastify's two: see observability/plugin.ts.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 72_000,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Clients that send JSON without the header, or as text/plain (fetch's default for a string
  // body), still get JSON handling (or a clear 400).
  server.removeContentTypeParser('text/plain');
  server.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(new AppError('BAD_REQUEST', 'body: must be a JSON object'), undefined);
    }
  });

  const ctx: ServiceContext = {
    db,
    clock,
    ids: { newId: randomUUID },
    passwords: new PasswordVerifier(config.secret, () => clock.now().getTime()),
    tokens: new TokenSigner(config.secret),
    settings: { orderTimeoutS: config.orderTimeoutS, tokenTtlS: config.tokenTtlS, scryptLogN: config.scryptLogN },
  };
  const accounts = createAccountService(ctx);
  const stores = createStoreService(ctx, accounts, indexBook);
  const search = createSearchService(ctx);
  await search.indexMissing(); // listings made before search existed, once
  const metrics = createMetrics();
  const orders = countTimeoutCancellations(createOrderService(ctx, accounts, stores), metrics);

  server.setErrorHandler(errorHandler);
  server.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ message: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });

  // Before the routes: their hooks and onRoute listeners must see every route.
  await registerOpenApi(server);
  await registerObservability(server, { db, metrics });
  await server.register(healthRoutes, { db });
  await server.register(authRoutes, { accounts });
  await server.register(sellerRoutes, { stores, orders });
  await server.register(buyerRoutes, { accounts, orders });
  await server.register(searchRoutes, { search });
  return { server, orders };
}
