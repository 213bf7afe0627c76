import * as keys from '../repositories/idempotency-repository.js';
import * as sessions from '../repositories/sessions-repository.js';
import type { ServiceContext } from './context.js';

export type HousekeepingService = ReturnType<typeof createHousekeepingService>;

/** Rows deleted, by table (the metric's label). */
export type Purged = { sessions: number; idempotency_keys: number };

/**
 * An expired session is kept this long before it is deleted: until then a stale token is refused
 * as "expired" rather than as an unknown session, and process clocks a little behind the
 * database's agree on it.
 */
export const SESSION_GRACE_S = 300;

/**
 * Deletes what has expired — sessions, and idempotency records past their 24 hours — by the
 * database's clock. In batches of `batchSize` rows, each its own short statement, so that no
 * purge holds many row locks or a long transaction; at most `maxBatches` per table per run, the
 * rest is left to the next run.
 */
export function createHousekeepingService({ db }: Pick<ServiceContext, 'db'>) {
  async function inBatches(deleteBatch: (limit: number) => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await deleteBatch(batchSize);
      total += n;
      if (n < batchSize) break;
    }
    return total;
  }

  async function purgeExpired(batchSize = 1000, maxBatches = 50): Promise<Purged> {
    return {
      sessions: await inBatches((limit) => sessions.deleteExpiredSessions(db, SESSION_GRACE_S, limit), batchSize, maxBatches),
      idempotency_keys: await inBatches((limit) => keys.deleteExpiredResponses(db, limit), batchSize, maxBatches),
    };
  }

  return { purgeExpired };
}
