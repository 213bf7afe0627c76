import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/open-database.js';
import { startOrderSweeper } from './jobs/order-sweeper.js';

const SHUTDOWN_GRACE_MS = 10_000;

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
  await services.search.indexMissing(); // listings made before search existed, once
  const sweeper = startOrderSweeper(() => services.orders.cancelExpiredOrders(), 1000, server.log);
  await sweeper.runOnce(); // orders that timed out while the server was down

  let closing = false;
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
