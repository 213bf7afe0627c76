import type { Queryable } from '../db/database.js';

export async function insertStore(q: Queryable, storeId: string, ownerPk: number, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    'INSERT INTO stores (store_id, owner_pk, created_at) VALUES ($1, $2, $3) ON CONFLICT (store_id) DO NOTHING',
    [storeId, ownerPk, now],
  );
  return rowCount === 1;
}

/** The store's owner, or null when the store does not exist. */
export async function findStoreOwner(q: Queryable, storeId: string): Promise<number | null> {
  const { rows } = await q.query<{ owner_pk: number }>('SELECT owner_pk FROM stores WHERE store_id = $1', [storeId]);
  return rows[0]?.owner_pk ?? null;
}
