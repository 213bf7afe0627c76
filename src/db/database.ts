/** The one interface services and repositories see, whichever database is underneath. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs fn inside one transaction. Serialization failures and deadlocks are retried
   * here, so callers never see them; any other error rolls back and propagates.
   * A standalone `query` is its own transaction and is retried the same way.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How long the database may make a request wait, in milliseconds. */
export interface DatabaseTimeouts {
  /** Waiting for a connection (PostgreSQL pool) or for the embedded database's turn. */
  acquireTimeoutMs: number;
  /** PostgreSQL statement_timeout. */
  statementTimeoutMs: number;
  /** PostgreSQL lock_timeout. */
  lockTimeoutMs: number;
  /** PostgreSQL idle_in_transaction_session_timeout. */
  idleInTransactionTimeoutMs: number;
}

/** The defaults are argued in the README ("Failure behaviour"). */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  acquireTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
  lockTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 30_000,
};

/** SQLSTATEs that mean "try the whole transaction again". */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
export const MAX_TRANSACTION_ATTEMPTS = 5;

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failed attempt (a transaction, or a statement outside one) may run again. */
export function shouldRetry(err: unknown, attempt: number): boolean {
  return attempt < MAX_TRANSACTION_ATTEMPTS && RETRYABLE_SQLSTATES.has(sqlState(err) ?? '');
}

/**
 * Exponential backoff with full jitter: the transactions that collided pick different delays,
 * so they do not collide again in lockstep. 5, 10, 20, 40 ms ceilings: ~40 ms at worst in total
 * on average, well inside any client's patience.
 */
export function retryDelay(attempt: number): Promise<void> {
  const ceilingMs = 5 * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}

/**
 * A transaction seen as a Database, for work that must all happen in it: its statements run on
 * the transaction, and a nested transaction() simply joins it (its retries are the outer one's).
 */
export function transactionDatabase(tx: Queryable, kind: Database['kind']): Database {
  return {
    kind,
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => fn(tx),
    close: async () => {},
  };
}
