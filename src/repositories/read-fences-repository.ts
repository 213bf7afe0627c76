import type { Queryable } from '../db/database.js';

/**
 * On the primary, after a write has committed: reads that depend on any of these keys must see at
 * least the primary's WAL position now. The insert position, not the write position: with
 * synchronous_commit off, the write's commit record may not be written out yet, and a fence short
 * of it would let a replica that has not replayed the write serve the read. Keys are sorted in
 * SQL, so concurrent writers lock the fence rows in one order.
 */
export async function recordFences(primary: Queryable, keys: readonly string[]): Promise<void> {
  await primary.query(
    `INSERT INTO read_fences (key, lsn)
     SELECT k, pg_current_wal_insert_lsn() FROM (SELECT DISTINCT unnest($1::text[]) AS k) keys ORDER BY k
     ON CONFLICT (key) DO UPDATE SET lsn = greatest(read_fences.lsn, EXCLUDED.lsn)`,
    [keys],
  );
}

/** The latest fence among these keys (and, given an owner, the keys of that owner's stores); null when none. */
export async function latestFence(primary: Queryable, keys: readonly string[], storesOfOwner: number | null): Promise<string | null> {
  const { rows } = await primary.query<{ lsn: string | null }>(
    `SELECT max(lsn)::text AS lsn FROM read_fences
      WHERE key = ANY($1::text[]) OR key IN (SELECT 'store:' || store_id FROM stores WHERE owner_pk = $2)`,
    [keys, storesOfOwner],
  );
  return rows[0]?.lsn ?? null;
}

/** How far a standby has replayed (null on a server that is not one). */
export async function replayPosition(replica: Queryable): Promise<string | null> {
  const { rows } = await replica.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
  return rows[0]?.lsn ?? null;
}

/** The primary's current WAL position. */
export async function currentPosition(primary: Queryable): Promise<string> {
  const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return rows[0]!.lsn;
}

/** Seconds since the standby last replayed a transaction, 0 when it has replayed all it received. */
export async function replayDelaySeconds(replica: Queryable): Promise<number | null> {
  const { rows } = await replica.query<{ seconds: number | null }>(
    `SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
                 WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS seconds`,
  );
  return rows[0]?.seconds ?? null;
}
