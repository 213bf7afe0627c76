import type { Config } from '../config.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { connectPostgres } from './postgres.js';

/** PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise; migrated and ready. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'poolSize' | 'limits'>): Promise<Database> {
  const db = config.databaseUrl
    ? connectPostgres(config.databaseUrl, config.poolSize, config.limits.db)
    : await openPglite(config.dataDir, config.limits.db);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}
