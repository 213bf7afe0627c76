import type { Logger } from 'pino';
import { buildApp } from './app.js';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Database } from './db/database.js';
import { migrate, waitForSchema } from './db/migrate.js';
import { connectReplica, openDatabase } from './db/open-database.js';
import { startHousekeeping, type Housekeeping } from './jobs/housekeeping.js';
import { startOrderSweeper, type OrderSweeper } from './jobs/order-sweeper.js';
import { createServerLogger, flushLogs } from './observability/logging.js';
import { withTokenSecret } from './services/server-secret.js';
import { banner } from './startup/banner.js';
import { explainStartError } from './startup/explain-start-error.js';
import { waitForDatabase } from './startup/wait-for-database.js';
import { superviseWorkers, WORKER_INDEX_VARIABLE } from './supervisor.js';

const SHUTDOWN_GRACE_MS = 10_000;
/** Expired sessions and idempotency records pile up slowly: a purge a minute keeps each one small. */
const HOUSEKEEPING_INTERVAL_MS = 60_000;

/** How long an api or worker process waits for `bookstore migrate` before giving up. */
const SCHEMA_WAIT_MS = 120_000;

/**
 * Starts the server with configuration from the environment; resolves once it listens. A start
 * that fails ends the process with one line on stderr saying why and what to change (exit 2
 * when it is the configuration: startup/explain-start-error.ts).
 */
export async function serve(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`bookstore: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createServerLogger(config.logLevel);
  try {
    await start(config, log);
  } catch (err) {
    const failure = explainStartError(err, config);
    flushLogs();
    console.error(`bookstore: ${failure.message}`);
    process.exit(failure.exitCode);
  }
}

/** The database, reachable (PostgreSQL waited for a while) and migrated if this process migrates. */
async function openReady(config: Config, migrates: boolean, log: Logger): Promise<Database> {
  const db = await openDatabase(config, {
    migrate: false,
    embedded: {
      // initdb takes seconds, during which the server would look hung.
      onCreate: (phase, ms) =>
        log.info(
          phase === 'start'
            ? `creating the embedded database (first run) in ${config.dataDir}…`
            : `embedded database created in ${(ms / 1000).toFixed(1)} s`,
        ),
    },
  });
  try {
    await waitForDatabase(db, config, (message) => log.warn(message));
    if (migrates) await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

async function start(config: Config, log: Logger): Promise<void> {
  // --workers N: this process supervises N server processes (migrating first, for them all).
  if (config.workers > 1 && cluster.isPrimary) {
    if (config.role === 'all') await (await openReady(config, true, log)).close();
    const { fields, message } = banner(config, config.port);
    log.info(fields, message);
    const code = await superviseWorkers(config.workers, (line) => log.info(line));
    log.info('stopped');
    flushLogs();
    process.exit(code);
  }
  const supervised = cluster.isWorker;
  const workerIndex = process.env[WORKER_INDEX_VARIABLE] ?? '0';
  // The release step (`bookstore migrate`) migrates for api and worker processes; a single
  // process (role all) migrates itself, unless a supervisor did it for its processes.
  const migrates = config.role === 'all' && !supervised;
  // Background jobs: in worker and all processes, and only in the first of a supervisor's.
  const runsJobs = config.role !== 'api' && workerIndex === '0';

  const db = await openReady(config, migrates, log);
  if (!migrates) {
    await waitForSchema(db, SCHEMA_WAIT_MS, (pending) =>
      log.warn(`waiting for the database schema (missing ${pending.join(', ')}): run \`bookstore migrate\`, the release step`),
    );
  }
  const replica = config.replicaUrl ? connectReplica(config.replicaUrl, config) : null;
  const { server, services, metrics } = await buildApp({
    config: await withTokenSecret(config, db),
    db,
    replica,
    routes: config.role === 'worker' ? 'service' : 'all',
  });

  let sweeper: OrderSweeper | null = null;
  let housekeeping: Housekeeping | null = null;
  if (runsJobs) {
    await services.search.indexMissing(); // listings made before search existed, once
    sweeper = startOrderSweeper(() => services.orders.cancelExpiredOrders(), 1000, server.log);
    await sweeper.runOnce(); // orders that timed out while the server was down
    housekeeping = startHousekeeping(() => services.housekeeping.purgeExpired(), HOUSEKEEPING_INTERVAL_MS, server.log, (kind, rows) =>
      metrics.purgedRows.inc({ kind }, rows),
    );
    void housekeeping.runOnce().catch((err: unknown) => server.log.error({ err }, 'housekeeping failed')); // in the background: not needed to serve
  }

  let closing = false;
  // Requests arriving while shutting down (on connections already open) get Fastify's 503;
  // this tells their clients when to come back (to another process, or this one restarted).
  server.server.prependListener('request', (_req, res) => {
    if (closing) res.setHeader('retry-after', '1');
  });
  let draining = false;
  // A supervisor's processes share its output: each says which it is.
  const who = supervised ? `server process ${workerIndex}: ` : '';
  const shutdown = async (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    // SIGTERM (an orchestrator, a load balancer's host): first say "not ready" while still
    // serving, so traffic moves away before the listener closes. SIGINT (Ctrl-C): stop now.
    const drainMs = signal === 'SIGTERM' ? config.drainS * 1000 : 0;
    services.health.startDraining();
    log.info({ signal, drainS: drainMs / 1000 }, drainMs > 0 ? `${who}${signal}: draining for ${drainMs / 1000} s (/readyz says 503 while requests are still served)` : `${who}${signal}: shutting down`);
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    closing = true;
    const force = setTimeout(() => {
      log.warn(`${who}stopped after ${SHUTDOWN_GRACE_MS / 1000} s with requests still running`);
      flushLogs();
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    await server.close(); // stops accepting, waits for in-flight requests
    await sweeper?.stop();
    await housekeeping?.stop();
    await replica?.close();
    await db.close();
    log.info({ signal }, supervised ? `server process ${workerIndex} stopped` : 'stopped');
    flushLogs();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await server.listen({ port: config.port, host: config.host });
  if (supervised) {
    log.info({ worker: workerIndex }, `server process ${workerIndex} (pid ${process.pid}) listening`);
  } else {
    const { fields, message } = banner(config, (server.server.address() as { port: number }).port);
    log.info(fields, message);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((err: unknown) => {
    console.error('bookstore: failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
