import type { Queryable } from '../db/database.js';

/** Resolves when the database answers a trivial query. */
export async function pingDatabase(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
