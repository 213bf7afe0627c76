import type { Queryable } from '../db/database.js';

export interface UserRow {
  id: number;
  password_hash: string;
  balance: number;
}

/** Inserts an account; null when the user_id is taken by an active account. */
export async function insertUser(q: Queryable, userId: string, passwordHash: string, now: Date): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO users (user_id, password_hash, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (user_id) WHERE unregistered_at IS NULL DO NOTHING RETURNING id`,
    [userId, passwordHash, now],
  );
  return rows[0]?.id ?? null;
}

export async function findUser(q: Queryable, userId: string, forUpdate = false): Promise<UserRow | null> {
  const { rows } = await q.query<UserRow>(
    `SELECT id, password_hash, balance FROM users WHERE user_id = $1 AND unregistered_at IS NULL
     ${forUpdate ? 'FOR UPDATE' : ''}`,
    [userId],
  );
  return rows[0] ?? null;
}

/**
 * The user's id, and whether (terminal, tokenId) is that user's current unexpired session, in
 * one round trip; terminal/tokenId may be null when the token did not even verify.
 */
export async function findUserSession(
  q: Queryable,
  userId: string,
  terminal: string | null,
  tokenId: string | null,
  now: Date,
): Promise<{ id: number; session_ok: boolean } | null> {
  const { rows } = await q.query<{ id: number; session_ok: boolean }>(
    `SELECT u.id, s.user_pk IS NOT NULL AS session_ok
       FROM users u
       LEFT JOIN sessions s ON s.user_pk = u.id AND s.terminal = $2 AND s.token_id = $3::uuid AND s.expires_at > $4
      WHERE u.user_id = $1 AND u.unregistered_at IS NULL`,
    [userId, terminal, tokenId, now],
  );
  return rows[0] ?? null;
}

/** Adds delta (negative withdraws) unless the balance would leave [0, max]; false if refused. */
export async function changeBalance(q: Queryable, userPk: number, delta: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE users SET balance = balance + $2
      WHERE id = $1 AND balance + $2 >= 0 AND balance + $2 <= 9007199254740991`,
    [userPk, delta],
  );
  return rowCount === 1;
}

export async function balanceOf(q: Queryable, userPk: number): Promise<number> {
  const { rows } = await q.query<{ balance: number }>('SELECT balance FROM users WHERE id = $1', [userPk]);
  return rows[0]?.balance ?? 0;
}

/** Guarded on the old hash, so two concurrent password changes cannot both win. */
export async function replacePasswordHash(q: Queryable, userPk: number, oldHash: string, newHash: string): Promise<boolean> {
  const { rowCount } = await q.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [
    userPk,
    oldHash,
    newHash,
  ]);
  return rowCount === 1;
}

export async function markUnregistered(q: Queryable, userPk: number, now: Date): Promise<void> {
  await q.query('UPDATE users SET unregistered_at = $2 WHERE id = $1 AND unregistered_at IS NULL', [userPk, now]);
}

/**
 * True when the user has an open order, as buyer or as seller: paid or shipped, or unpaid and
 * still within its payment window (an unpaid order past it is as good as cancelled).
 */
export async function hasOpenOrders(q: Queryable, userPk: number, unpaidCreatedAfter: Date): Promise<boolean> {
  const open = `(o.status IN ('paid', 'shipped') OR (o.status = 'unpaid' AND o.created_at > $2))`;
  const { rows } = await q.query<{ open: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM orders o WHERE o.buyer_pk = $1 AND ${open})
         OR EXISTS (SELECT 1 FROM orders o JOIN stores s ON s.store_id = o.store_id
                     WHERE s.owner_pk = $1 AND ${open}) AS open`,
    [userPk, unpaidCreatedAfter],
  );
  return rows[0]?.open ?? false;
}
