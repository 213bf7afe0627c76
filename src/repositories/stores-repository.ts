import type { Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';

/** Opens a store owned by the actor (whose credential the statement re-checks); false if refused. */
export async function insertStore(q: Queryable, actor: Actor, storeId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO stores (store_id, owner_pk, created_at)
     SELECT $5, a.pk, clock_now() FROM (SELECT actor_pk($1, $2, $3, $4) AS pk) a WHERE a.pk IS NOT NULL
     ON CONFLICT (store_id) DO NOTHING`,
    [...credentialParams(actor), storeId],
  );
  return rowCount === 1;
}

export interface StoreFacts {
  owner_pk: number;
  closed: boolean;
}

/** The store's owner and whether it is closed; null when no such store ever existed. */
export async function findStore(q: Queryable, storeId: string): Promise<StoreFacts | null> {
  const { rows } = await q.query<StoreFacts>(
    'SELECT owner_pk, closed_at IS NOT NULL AS closed FROM stores WHERE store_id = $1',
    [storeId],
  );
  return rows[0] ?? null;
}

/** Closes every open store of the user; returns their ids. */
export async function closeStoresOf(q: Queryable, ownerPk: number): Promise<string[]> {
  const { rows } = await q.query<{ store_id: string }>(
    `UPDATE stores SET closed_at = clock_now() WHERE owner_pk = $1 AND closed_at IS NULL RETURNING store_id`,
    [ownerPk],
  );
  return rows.map((r) => r.store_id);
}

/** The user's stores, oldest first. */
export async function listStoresOf(q: Queryable, ownerPk: number): Promise<{ store_id: string; closed: boolean }[]> {
  const { rows } = await q.query<{ store_id: string; closed: boolean }>(
    'SELECT store_id, closed_at IS NOT NULL AS closed FROM stores WHERE owner_pk = $1 ORDER BY created_at, store_id',
    [ownerPk],
  );
  return rows;
}
