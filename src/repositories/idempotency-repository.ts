import type { Queryable } from '../db/database.js';

/** How long a stored response answers repeats of its key. */
export const RETENTION_HOURS = 24;

export interface StoredResponse {
  request_hash: Buffer;
  status: number;
  response: unknown;
}

/**
 * Takes the key for this transaction, or returns false when another request holds it right now.
 * A transaction-level advisory lock: released at commit or rollback, and safe behind a
 * transaction pooler. Two 32-bit hashes (scope, key) make a collision of two live keys unlikely.
 */
export async function tryLockKey(q: Queryable, scope: string, key: string): Promise<boolean> {
  const { rows } = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS locked', [scope, key]);
  return rows[0]?.locked ?? false;
}

/** The first response given to this key, if it is still retained. */
export async function findResponse(q: Queryable, scope: string, key: string): Promise<StoredResponse | null> {
  const { rows } = await q.query<StoredResponse>(
    `SELECT request_hash, status, response FROM idempotency_keys
      WHERE scope = $1 AND key = $2 AND created_at > clock_now() - make_interval(hours => ${RETENTION_HOURS})`,
    [scope, key],
  );
  return rows[0] ?? null;
}

/** Records the response (replacing an expired record of the same key). */
export async function saveResponse(q: Queryable, scope: string, key: string, requestHash: Buffer, status: number, response: unknown): Promise<void> {
  await q.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, clock_now())
     ON CONFLICT (scope, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, response = EXCLUDED.response, created_at = EXCLUDED.created_at`,
    [scope, key, requestHash, status, JSON.stringify(response)],
  );
}

/** Housekeeping: removes records past their retention; returns how many. */
export async function deleteExpiredResponses(q: Queryable, limit: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM idempotency_keys WHERE (scope, key) IN (
       SELECT scope, key FROM idempotency_keys WHERE created_at < clock_now() - make_interval(hours => ${RETENTION_HOURS}) LIMIT $1)`,
    [limit],
  );
  return rowCount;
}
