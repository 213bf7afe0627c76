import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { hostPort, postgresTarget } from './database-target.js';
import { isUnreachable } from './start-error.js';

const RETRY_EVERY_MS = 500;

/**
 * PostgreSQL answers, or the start fails: a database that is not up yet (both started together,
 * a restart) is waited for up to BOOKSTORE_DB_WAIT_S, saying so once; anything else (no such
 * database, a refused login) fails at once, since waiting would not mend it.
 */
export async function waitForDatabase(db: Database, config: Pick<Config, 'databaseUrl' | 'dbWaitS'>, say: (message: string) => void): Promise<void> {
  if (db.kind !== 'postgres' || !config.databaseUrl) return;
  const deadline = Date.now() + config.dbWaitS * 1000;
  let said = false;
  for (;;) {
    try {
      await db.query('SELECT 1');
      if (said) say('PostgreSQL answers');
      return;
    } catch (err) {
      if (!isUnreachable(err) || Date.now() + RETRY_EVERY_MS > deadline) throw err;
      if (!said) {
        said = true;
        say(`waiting for PostgreSQL at ${hostPort(postgresTarget(config.databaseUrl))}… (up to ${config.dbWaitS} s, BOOKSTORE_DB_WAIT_S)`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
    }
  }
}
