import { randomBytes } from 'node:crypto';
import type { Config, ResolvedConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { storeOrReadSecret } from '../repositories/secrets-repository.js';

/**
 * The token signing secret of processes that share one PostgreSQL and were given no
 * BOOKSTORE_SECRET: generated once (32 random bytes) by the first process, kept in the database,
 * read by all the others — a token signed by one is accepted by every other.
 */
export function sharedTokenSecret(db: Database): Promise<Buffer> {
  return storeOrReadSecret(db, 'token-signing', randomBytes(32));
}

/** The configuration with its token secret: the given one, or the database's. */
export async function withTokenSecret(config: Config, db: Database): Promise<ResolvedConfig> {
  return { ...config, secret: config.secret ?? (await sharedTokenSecret(db)) };
}
