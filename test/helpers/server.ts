import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, type TestContext } from 'node:test';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { configWith, type Config } from '../../src/config.js';
import type { Database, DatabaseTimeouts } from '../../src/db/database.js';
import type { Throttle } from '../../src/http/throttle.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { connectPostgres } from '../../src/db/postgres.js';
import type { Purged } from '../../src/services/housekeeping-service.js';
import type { Services } from '../../src/services/index.js';
import { CheckedApi } from './core-api.js';

/**
 * The database's clock, which every deadline and expiry reads (clock_now() in migrations/004):
 * tests move it forward to make orders and tokens expire.
 */
export interface DatabaseClock {
  advance(seconds: number): Promise<void>;
}

export interface TestServer {
  url: string;
  clock: DatabaseClock;
  /** Runs the timeout sweeper once, as the background job would. */
  sweep(): Promise<number>;
  /** Purges expired sessions and idempotency records once, as the housekeeping job would. */
  housekeep(): Promise<Purged>;
  db: Database;
  services: Services;
  close(): Promise<void>;
}

export interface ServerOptions extends Partial<Pick<Config, 'orderTimeoutS' | 'tokenTtlS' | 'secret' | 'scryptLogN' | 'hashConcurrency' | 'hashQueue'>> {
  /**
   * Failed-credential throttling: off unless given (suites fail credentials on purpose, many times,
   * all from 127.0.0.1); throttling.test.ts gives one with a clock of its own.
   */
  throttle?: Throttle;
  /** Share another test server's database (and clock), as a second server process would. */
  sharing?: TestServer;
  /** Pool size and timeouts of a fresh database (fault tests). */
  database?: DatabaseOptions;
}

interface DatabaseOptions {
  poolSize?: number;
  timeouts?: Partial<DatabaseTimeouts>;
}

/** Which database the suite runs on: PostgreSQL when DATABASE_URL is set, embedded otherwise. */
export const DB_KIND = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/**
 * A real HTTP server on a free port, on a fresh database of its own: a new PostgreSQL database
 * created on the DATABASE_URL server (dropped at close), or an in-memory PGlite.
 */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const { db, drop } = options.sharing ? { db: options.sharing.db, drop: async () => {} } : await freshDatabase(options.database);
  const config = configWith({
    databaseUrl: process.env.DATABASE_URL,
    orderTimeoutS: options.orderTimeoutS ?? 900,
    tokenTtlS: options.tokenTtlS ?? 3600,
    secret: options.secret ?? randomBytes(32),
    scryptLogN: options.scryptLogN ?? 10, // fast hashing keeps the suite quick; production default is 15
    ...(options.hashConcurrency === undefined ? {} : { hashConcurrency: options.hashConcurrency }),
    ...(options.hashQueue === undefined ? {} : { hashQueue: options.hashQueue }),
    poolSize: 10,
  });
  const { server, services } = await buildApp({ config, db, logger: false, throttle: options.throttle ?? null });
  if (!options.sharing) await services.search.indexMissing(); // as the server does at start
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clock: options.sharing?.clock ?? databaseClock(db),
    sweep: () => services.orders.cancelExpiredOrders(),
    housekeep: () => services.housekeeping.purgeExpired(),
    db,
    services,
    async close() {
      await server.close();
      if (!options.sharing) await db.close();
      await drop();
    },
  };
}

/**
 * A server for the tests of the enclosing `describe`: started before them, closed after them.
 * `server` is filled in when it starts; `api` talks to it, checking the contract's conventions.
 */
export function useServer(options: ServerOptions | (() => ServerOptions) = {}): { server: TestServer; api: CheckedApi } {
  const server = {} as TestServer;
  const api = new CheckedApi('');
  before(async () => {
    Object.assign(server, await startServer(typeof options === 'function' ? options() : options));
    api.url = server.url;
  });
  after(() => server.close());
  return { server, api };
}

/** A server for one test (one with settings of its own): started now, closed when the test ends. */
export async function serverFor(t: TestContext, options: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer(options);
  t.after(() => server.close());
  return server;
}

/** Moves time by redefining clock_now(): an offset from the database's now(). */
function databaseClock(db: Database): DatabaseClock {
  let offsetS = 0;
  return {
    async advance(seconds) {
      offsetS += seconds;
      await db.exec(
        `CREATE OR REPLACE FUNCTION clock_now() RETURNS timestamptz LANGUAGE sql STABLE
           AS $$ SELECT now() + interval '${offsetS} seconds' $$`,
      );
    },
  };
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
