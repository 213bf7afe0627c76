import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { DEFAULT_LIMITS, type Config } from '../../src/config.js';
import type { Database, DatabaseTimeouts } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { connectPostgres } from '../../src/db/postgres.js';

export interface TestServer {
  url: string;
  /** The server's clock: tests move it to make orders and tokens expire. */
  clock: ManualClock;
  /** Runs the timeout sweeper once, as the background job would. */
  sweep(): Promise<number>;
  db: Database;
  close(): Promise<void>;
}

/** Which database the suite runs on: PostgreSQL when DATABASE_URL is set, embedded otherwise. */
export const DB_KIND = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/**
 * A real HTTP server on a free port, on a fresh database of its own: a new PostgreSQL database
 * created on the DATABASE_URL server (dropped at close), or an in-memory PGlite.
 */
export async function startServer(
  options: Partial<Pick<Config, 'orderTimeoutS' | 'tokenTtlS' | 'secret'>> & {
    /** Share another test server's database (and clock), as a second server process would. */
    sharing?: TestServer;
    /** Pool size and timeouts of a fresh database (fault tests). */
    database?: DatabaseOptions;
  } = {},
): Promise<TestServer> {
  const { db, drop } = options.sharing
    ? { db: options.sharing.db, drop: async () => {} }
    : await freshDatabase(options.database);
  const clock = options.sharing?.clock ?? new ManualClock();
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    dataDir: '',
    orderTimeoutS: options.orderTimeoutS ?? 900,
    tokenTtlS: options.tokenTtlS ?? 3600,
    secret: options.secret ?? randomBytes(32),
    scryptLogN: 10, // fast hashing keeps the suite quick; production default is 15
    poolSize: 10,
    limits: DEFAULT_LIMITS,
    logLevel: 'silent',
  };
  const { server, orders } = await buildApp({ config, db, clock, logger: false });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clock,
    sweep: () => orders.cancelExpiredOrders(),
    db,
    async close() {
      await server.close();
      if (!options.sharing) await db.close();
      await drop();
    },
  };
}

interface DatabaseOptions {
  poolSize?: number;
  timeouts?: Partial<DatabaseTimeouts>;
}

async function freshDatabase({ poolSize = 10, timeouts }: DatabaseOptions = {}): Promise<{ db: Database; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite(undefined, timeouts);
    await migrate(db);
    return { db, drop: async () => {} };
  }
  const scratch = await createScratchDatabase(url, 'bookstore_test');
  const db = connectPostgres(scratch.url, poolSize, timeouts);
  await migrate(db);
  return { db, drop: scratch.drop };
}

/** A new, empty PostgreSQL database on the server of `serverUrl`; `drop` removes it. */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
