import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Limits } from './config.js';
import { openDatabase } from './db/open-database.js';
import { startOrderSweeper } from './jobs/order-sweeper.js';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * What one client can hold of the HTTP server: a request head or a whole request that arrives
 * too slowly is answered 408 and its connection closed (slowloris), an idle keep-alive
 * connection is closed, and connections beyond the cap are closed as they arrive.
 */
export function applyHttpLimits(server: Server, limits: Limits, log: FastifyBaseLogger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Node enforces the two timeouts above only when it sweeps its connections, every 30 s by
  // default: a 10 s limit could hold a connection for 40 s. Sweep often enough to keep them.
  // (A createServer option, which Node reads when the server starts listening; Fastify made the server.)
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.ceil(limits.headersTimeoutMs / 4),
  );
  let lastWarning = 0;
  server.on('drop', () => {
    if (Date.now() - lastWarning < 10_000) return; // one line per 10 s, not one per refused connection
    lastWarning = Date.now();
    log.warn({ maxConnections: limits.maxConnections }, 'connection limit reached: closing new connections');
  });
}

/** Starts the server with configuration from the environment; resolves once it listens. */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`bookstore: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }

  const db = await openDatabase(config);
  const { server, services } = await buildApp({ config, db });
  applyHttpLimits(server.server, config.limits, server.log);
  await services.search.indexMissing(); // listings made before search existed, once
  const sweeper = startOrderSweeper(() => services.orders.cancelExpiredOrders(), 1000, server.log);
  await sweeper.runOnce(); // orders that timed out while the server was down

  let closing = false;
  // Requests arriving while shutting down (on connections already open) get Fastify's 503;
  // this tells their clients when to come back (to another process, or this one restarted).
  server.server.prependListener('request', (_req, res) => {
    if (closing) res.setHeader('retry-after', '1');
  });
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    server.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    await server.close(); // stops accepting, waits for in-flight requests
    await sweeper.stop();
    await db.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await server.listen({ port: config.port, host: config.host });
  server.log.info(`database: ${db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((err: unknown) => {
    console.error('bookstore: failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
