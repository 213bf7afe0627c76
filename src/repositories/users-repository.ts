import type { Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';

/** The largest balance the service holds (the schema's CHECK): integers stay exact in JSON. */
export const MAX_BALANCE = Number.MAX_SAFE_INTEGER;

/** Inserts an account; null when the user_id is taken by an active account. */
export async function insertUser(q: Queryable, userId: string, passwordHash: string): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO users (user_id, password_hash, created_at) VALUES ($1, $2, clock_now())
     ON CONFLICT (user_id) WHERE unregistered_at IS NULL DO NOTHING RETURNING id`,
    [userId, passwordHash],
  );
  return rows[0]?.id ?? null;
}

/** Whether any account was ever made (the demo fills only an empty database). */
export async function anyUserExists(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS any');
  return rows[0]?.any ?? false;
}

/** An active account's stored password hash, to verify a password against. */
export async function findPasswordHash(q: Queryable, userId: string): Promise<string | null> {
  const { rows } = await q.query<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE user_id = $1 AND unregistered_at IS NULL',
    [userId],
  );
  return rows[0]?.password_hash ?? null;
}

/** What a refusal explanation needs to know about a caller: the account and, on `terminal`, its session. */
export interface CredentialFacts {
  id: number;
  password_hash: string;
  balance: number;
  /** The terminal's session (null when none): its token id and whether it has expired. */
  token_id: string | null;
  expired: boolean | null;
}

export async function findCredentialFacts(q: Queryable, userId: string, terminal: string | null): Promise<CredentialFacts | null> {
  const { rows } = await q.query<CredentialFacts>(
    `SELECT u.id, u.password_hash, u.balance, s.token_id::text AS token_id, s.expires_at <= clock_now() AS expired
       FROM users u LEFT JOIN sessions s ON s.user_pk = u.id AND s.terminal = $2
      WHERE u.user_id = $1 AND u.unregistered_at IS NULL`,
    [userId, terminal],
  );
  return rows[0] ?? null;
}

/**
 * The actor's id while their credential is current, locked until the transaction ends (see
 * actor_pk in migrations/004); null when it is not current. (Statements call actor_pk through an
 * uncorrelated sub-select: evaluated once, and usable as an index key, which a volatile function
 * call in a WHERE clause is not.)
 */
export async function lockActor(q: Queryable, actor: Actor): Promise<number | null> {
  const { rows } = await q.query<{ pk: number | null }>('SELECT actor_pk($1, $2, $3, $4) AS pk', credentialParams(actor));
  return rows[0]?.pk ?? null;
}

/** Adds delta (negative withdraws) unless the balance would leave [0, max]; false if refused or not authorized. */
export async function changeOwnBalance(q: Queryable, actor: Actor, delta: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE users SET balance = balance + $5
      WHERE id = (SELECT actor_pk($1, $2, $3, $4)) AND balance + $5::int8 BETWEEN 0 AND ${MAX_BALANCE}`,
    [...credentialParams(actor), delta],
  );
  return rowCount === 1;
}

/** Replaces the actor's password hash (the statement re-checks the old one); the user's id, or null. */
export async function replacePasswordHash(q: Queryable, actor: Actor, newHash: string): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    'UPDATE users SET password_hash = $5 WHERE id = (SELECT actor_pk($1, $2, $3, $4)) RETURNING id',
    [...credentialParams(actor), newHash],
  );
  return rows[0]?.id ?? null;
}

/** What keeps an account from being removed: money on it, or an open order as buyer or as seller. */
export async function findRemovalObstacles(q: Queryable, userPk: number): Promise<{ balance: number; open_orders: boolean }> {
  const { rows } = await q.query<{ balance: number; open_orders: boolean }>(
    `SELECT u.balance,
            EXISTS (SELECT 1 FROM orders_now o WHERE o.buyer_pk = u.id AND o.status IN ('unpaid', 'paid', 'shipped'))
         OR EXISTS (SELECT 1 FROM orders_now o JOIN stores s ON s.store_id = o.store_id
                     WHERE s.owner_pk = u.id AND o.status IN ('unpaid', 'paid', 'shipped')) AS open_orders
       FROM users u WHERE u.id = $1`,
    [userPk],
  );
  return rows[0] ?? { balance: 0, open_orders: false };
}

export async function markUnregistered(q: Queryable, userPk: number): Promise<void> {
  await q.query('UPDATE users SET unregistered_at = clock_now() WHERE id = $1 AND unregistered_at IS NULL', [userPk]);
}

export interface AccountSummary {
  balance: number;
  escrow: number;
}

/** The actor's balance and the money they have paid that no seller holds yet (paid or shipped orders). */
export async function findAccountSummary(q: Queryable, userPk: number): Promise<AccountSummary> {
  const { rows } = await q.query<AccountSummary>(
    `SELECT u.balance,
            coalesce((SELECT sum(o.total_price) FROM orders o
                       WHERE o.buyer_pk = u.id AND o.status IN ('paid', 'shipped')), 0)::int8 AS escrow
       FROM users u WHERE u.id = $1`,
    [userPk],
  );
  return rows[0] ?? { balance: 0, escrow: 0 };
}
