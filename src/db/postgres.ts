import pg from 'pg';
import { createHash } from 'node:crypto';
import {
  MAX_TRANSACTION_ATTEMPTS,
  RETRYABLE_SQLSTATES,
  sqlState,
  type Database,
  type Queryable,
  type QueryResult,
} from './database.js';

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

async function run<Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
  const result = await client.query({ name: statementName(sql), text: sql, values: params as unknown[] | undefined });
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

export function connectPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, application_name: 'bookstore' });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        const tx: Queryable = {
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => void (await client.query(sql)),
        };
        try {
          await client.query('BEGIN');
          const result = await fn(tx);
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          client.release();
          const retry = RETRYABLE_SQLSTATES.has(sqlState(err) ?? '') && attempt < MAX_TRANSACTION_ATTEMPTS;
          if (!retry) throw err;
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        }
      }
    },
    close: () => pool.end(),
  };
}
