import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ResolvedConfig } from './config.js';
import type { Database } from './db/database.js';
import { errorHandler } from './errors.js';
import { registerAuthentication } from './http/authenticate.js';
import { BODY_LIMIT, registerBodyParser } from './http/body-parser.js';
import { applyHttpLimits } from './http/connection-limits.js';
import { registerIdempotency } from './http/idempotency.js';
import { registerOffThreadBodies } from './http/off-thread-body.js';
import { clientErrorHandler, frameworkErrors, registerManners, requestIdFor } from './http/manners.js';
import { registerThrottle, Throttle } from './http/throttle.js';
import { VALIDATION_OPTIONS } from './http/validation-options.js';
import { serverLoggerOptions } from './observability/logging.js';
import { createMetrics, orderEventCounters, registerReplicaLag, type Metrics } from './observability/metrics.js';
import { registerObservability } from './observability/plugin.js';
import { registerOpenApi } from './openapi/plugin.js';
import { authRoutes } from './routes/auth.js';
import { buyerRoutes } from './routes/buyer.js';
import { serviceRoutes } from './routes/service.js';
import { searchRoutes } from './routes/search.js';
import { sellerRoutes } from './routes/seller.js';
import { servicesFor, type Services } from './services/index.js';

export interface AppOptions {
  /** With the token secret read (from the database, when it is kept there). */
  config: ResolvedConfig;
  db: Database;
  /** A streaming replica for search and order listings (DATABASE_REPLICA_URL). */
  replica?: Database | null;
  /** 'service': only the service endpoints (/healthz, /readyz, /metrics), for worker processes. */
  routes?: 'all' | 'service';
  /** false for tests; otherwise pino options are derived from config. */
  logger?: boolean;
  /** Failed-credential throttling (http/throttle.ts): a default one unless given; null turns it off (tests). */
  throttle?: Throttle | null;
}

export interface App {
  server: FastifyInstance;
  services: Services;
  /** For the background jobs to count what they do. */
  metrics: Metrics;
}

/** Builds the HTTP application and its services; does not listen, and does not touch the database. */
export async function buildApp({ config, db, replica = null, routes = 'all', logger = true, throttle = new Throttle() }: AppOptions): Promise<App> {
  const server = Fastify({
    // JSON lines with reqId, token header and password fields redacted; one readable line each on a terminal.
    logger: logger && serverLoggerOptions(config.logLevel),
    // One access line per request instead of Fastify's two: see observability/plugin.ts.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT, // add_book raises its own (routes/seller.ts)
    // x-request-id kept when sane; malformed URLs and requests answered as API errors (http/manners.ts).
    genReqId: requestIdFor,
    frameworkErrors,
    clientErrorHandler,
    ajv: VALIDATION_OPTIONS,
  }).withTypeProvider<TypeBoxTypeProvider>();
  applyHttpLimits(server.server, config.limits, server.log); // timeouts and the connection cap, from config

  registerBodyParser(server);
  registerOffThreadBodies(server); // before the routes: it gives add_book its validator

  const metrics = createMetrics();
  const services = servicesFor(config, db, orderEventCounters(metrics), replica);
  if (services.reads.hasReplica) registerReplicaLag(metrics, () => services.reads.lag());

  server.setErrorHandler(errorHandler);

  // Before the routes: their hooks and onRoute listeners must see every route.
  registerManners(server, config);
  await registerOpenApi(server);
  registerObservability(server, metrics);
  if (throttle !== null) registerThrottle(server, throttle); // before authentication: a refusal costs no hashing
  registerAuthentication(server, services.authenticator);
  registerIdempotency(server, services);
  await server.register(serviceRoutes, { metrics });
  if (routes === 'all') {
    await server.register(authRoutes);
    await server.register(sellerRoutes);
    await server.register(buyerRoutes);
    await server.register(searchRoutes);
  }
  return { server, services, metrics };
}
