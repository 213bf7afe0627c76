import type { Config } from '../config.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openPglite, type PgliteOptions } from './pglite.js';
import { connectPostgres } from './postgres.js';

type DatabaseConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'poolSize' | 'limits' | 'pooler'>;

/**
 * PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise (`embedded`: its options, such
 * as `onCreate`, told of the creation of a new folder); migrated (unless told not to: processes
 * that leave that to the release step, `bookstore migrate`).
 */
export async function openDatabase(
  config: DatabaseConfig,
  { migrate: migrates = true, embedded = {} }: { migrate?: boolean; embedded?: PgliteOptions } = {},
): Promise<Database> {
  const db = config.databaseUrl
    ? connectPostgres(config.databaseUrl, config.poolSize, { ...config.limits.db, pooler: config.pooler })
    : await openPglite(config.dataDir, config.limits.db, embedded);
  if (!migrates) return db;
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

/** A streaming replica (DATABASE_REPLICA_URL), reached like the primary. */
export function connectReplica(url: string, config: Pick<Config, 'poolSize' | 'limits' | 'pooler'>): Database {
  return connectPostgres(url, config.poolSize, { ...config.limits.db, pooler: config.pooler });
}
