import pg from 'pg';
import { createHash } from 'node:crypto';
import {
  DEFAULT_DATABASE_TIMEOUTS,
  retryDelay,
  shouldRetry,
  type Database,
  type DatabaseTimeouts,
  type Queryable,
  type QueryResult,
} from './database.js';
import { DatabaseFailureError } from './failures.js';

// bigint (money) → number: balances stay far below 2^53 cents (checked in the schema).
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

/** Statement names are derived from the SQL text so each connection prepares it once. */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = 's' + createHash('sha1').update(sql).digest('hex').slice(0, 16);
    statementNames.set(sql, name);
  }
  return name;
}

export interface PostgresOptions extends Partial<DatabaseTimeouts> {
  /**
   * 'transaction': connections go through a transaction-mode pooler (PgBouncer and the like),
   * where consecutive statements may run on different server sessions. Then no statement is
   * prepared by name and nothing is set for the session: the timeouts are set per transaction
   * (SET LOCAL), and standalone statements rely on the role's or database's own settings
   * (`ALTER ROLE … SET statement_timeout = …`).
   */
  pooler?: 'session' | 'transaction';
}

/** How much longer than statement_timeout the client waits for an answer before giving up on the connection. */
const CLIENT_TIMEOUT_MARGIN_MS = 5_000;
/** The longest timer Node keeps (~24.8 days): "no client-side limit" for scripts. */
const NO_CLIENT_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Whether the connection is unusable after this error: the server ended the session (FATAL),
 * or pg gave up on it (socket closed, no answer in time). Such a client is discarded.
 */
function breaksConnection(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return err.severity === 'FATAL' || err.severity === 'PANIC';
  return /Connection terminated|not queryable|Query read timeout/i.test((err as Error | null)?.message ?? '');
}

type Send = (query: pg.QueryConfig | string) => Promise<pg.QueryResult>;

export function connectPostgres(url: string, poolSize: number, options: PostgresOptions = {}): Database {
  const { pooler = 'session', ...given } = options;
  const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...given };
  const perSession = pooler === 'session';
  const sessionSettings = {
    statement_timeout: timeouts.statementTimeoutMs,
    lock_timeout: timeouts.lockTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    application_name: 'bookstore',
    // Waiting for a free connection, or for a new one to open, ends in a 503, never a hang.
    connectionTimeoutMillis: timeouts.acquireTimeoutMs,
    // A peer that vanished without closing (network partition) is noticed by TCP keepalive…
    keepAlive: true,
    // …and a statement whose answer never comes is given up on a little after the server's own limit.
    query_timeout: timeouts.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    // Sent at connection start, so they cost no round trip; a transaction pooler forbids them.
    ...(perSession ? sessionSettings : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  const setLocal = perSession
    ? undefined
    : Object.entries(sessionSettings)
        .map(([name, ms]) => `SET LOCAL ${name} = ${ms}`)
        .join('; ');

  async function run<Row>(send: Send, sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    const config: pg.QueryConfig = { text: sql, values: params as unknown[] | undefined };
    if (perSession) config.name = statementName(sql);
    const result = await send(config);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async function checkout(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      const timedOut = /timeout/i.test((err as Error).message);
      throw new DatabaseFailureError(
        timedOut ? 'timeout' : 'unavailable',
        timedOut ? `no database connection within ${timeouts.acquireTimeoutMs} ms` : `cannot connect to the database: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /**
   * Runs `use` on a client of its own. While it is checked out the client has an 'error'
   * listener: without one, pg's 'error' event (the server ended the session, the socket
   * dropped) would end the process. A client whose connection broke is discarded, not
   * returned to the pool (which opens a new connection when one is next needed), and the
   * failure reaches the caller as "unavailable" (or by its SQLSTATE).
   */
  async function withClient<T>(use: (send: Send) => Promise<T>): Promise<T> {
    const client = await checkout();
    let lost: Error | undefined;
    const onError = (err: Error) => void (lost ??= err);
    client.on('error', onError);
    let broken: Error | undefined;
    const send: Send = async (query) => {
      try {
        return await client.query(query);
      } catch (err) {
        if (lost === undefined && !breaksConnection(err)) throw err;
        broken = lost ?? (err as Error);
        if (err instanceof pg.DatabaseError) throw err; // its SQLSTATE says what happened
        const timedOut = /timeout/i.test((err as Error).message);
        throw new DatabaseFailureError(timedOut ? 'timeout' : 'unavailable', `lost the database connection: ${broken.message}`, { cause: err });
      }
    };
    try {
      return await use(send);
    } finally {
      client.off('error', onError);
      client.release(broken ?? lost);
    }
  }

  async function transactionOnce<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return withClient(async (send) => {
      const tx: Queryable = {
        query: (sql, params) => run(send, sql, params),
        exec: async (sql) => void (await send({ text: sql, query_timeout: NO_CLIENT_TIMEOUT_MS } as pg.QueryConfig)),
      };
      await send(setLocal === undefined ? 'BEGIN' : `BEGIN; ${setLocal}`);
      try {
        const result = await fn(tx);
        await send('COMMIT');
        return result;
      } catch (err) {
        // On a dead connection this fails too; the connection is discarded either way.
        await send('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  /** Retries what may safely run again: an attempt the database refused with a serialization failure or deadlock. */
  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!shouldRetry(err, n)) throw err;
        await retryDelay(n);
      }
    }
  }

  return {
    kind: 'postgres',
    // A statement outside a transaction is its own transaction: refused, it changed nothing.
    query: (sql, params) => withRetries(() => withClient((send) => run(send, sql, params))),
    // Scripts (migrations) may legitimately run long: no client-side limit.
    exec: (sql) => withClient(async (send) => void (await send({ text: sql, query_timeout: NO_CLIENT_TIMEOUT_MS } as pg.QueryConfig))),
    transaction: (fn) => withRetries(() => transactionOnce(fn)),
    close: () => pool.end(),
  };
}
