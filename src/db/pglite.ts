import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';
import { lockDataDir } from './data-dir-lock.js';

const PGLITE_DEFAULT_START_PARAMS = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;

/**
 * Embedded PostgreSQL (WASM) kept in `<dataDir>/pgdata`. It is one connection: PGlite queues
 * queries and runs transactions one at a time, so every transaction is serial by construction.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let path: string | undefined;
  let unlock = () => {};
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, 'pgdata');
    unlock = lockDataDir(`${path}.lock`);
  }
  const db = await PGlite.create(path, {
    parsers: { [types.INT8]: (v: string) => Number(v) },
    // A laptop-sized buffer cache: 32 MB instead of 128 MB keeps the process well under 400 MB.
    startParams: [...PGLITE_DEFAULT_START_PARAMS, '-c', 'shared_buffers=32MB'],
  });

  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await q.query<Row>(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  });

  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      await db.close();
      unlock();
    },
  };
}
