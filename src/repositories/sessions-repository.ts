import type { Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';

/**
 * Opens (or, on the same terminal, replaces) the actor's login session, lasting ttlS seconds; the
 * statement re-checks the verified password hash and holds the user row (actor_pk), so a password
 * change or unregistering that commits first makes it insert nothing. Returns the session's
 * expiry, or null when the credential is no longer current.
 */
export async function openSession(q: Queryable, actor: Actor, terminal: string, tokenId: string, ttlS: number): Promise<Date | null> {
  const { rows } = await q.query<{ expires_at: Date }>(
    `INSERT INTO sessions (user_pk, terminal, token_id, expires_at)
     SELECT a.pk, $5, $6, clock_now() + make_interval(secs => $7)
       FROM (SELECT actor_pk($1, $2, $3, $4) AS pk) a
      WHERE a.pk IS NOT NULL
     ON CONFLICT (user_pk, terminal) DO UPDATE SET token_id = EXCLUDED.token_id, expires_at = EXCLUDED.expires_at
     RETURNING expires_at`,
    [...credentialParams(actor), terminal, tokenId, ttlS],
  );
  return rows[0]?.expires_at ?? null;
}

/**
 * Opens a session for an existing user without any credential: only for the command line, whose
 * operator has the database itself. Returns null when the user does not exist.
 */
export async function openOperatorSession(q: Queryable, userId: string, terminal: string, tokenId: string, ttlS: number): Promise<Date | null> {
  const { rows } = await q.query<{ expires_at: Date }>(
    `INSERT INTO sessions (user_pk, terminal, token_id, expires_at)
     SELECT id, $2, $3, clock_now() + make_interval(secs => $4) FROM users WHERE user_id = $1 AND unregistered_at IS NULL
     ON CONFLICT (user_pk, terminal) DO UPDATE SET token_id = EXCLUDED.token_id, expires_at = EXCLUDED.expires_at
     RETURNING expires_at`,
    [userId, terminal, tokenId, ttlS],
  );
  return rows[0]?.expires_at ?? null;
}

/** Ends the actor's current session (logout); false when it was not current. */
export async function closeSession(q: Queryable, actor: Actor): Promise<boolean> {
  const { rowCount } = await q.query(
    'DELETE FROM sessions WHERE user_pk = (SELECT actor_pk($1, $2, $3, $4)) AND terminal = $2',
    credentialParams(actor),
  );
  return rowCount === 1;
}

export async function deleteAllSessions(q: Queryable, userPk: number): Promise<void> {
  await q.query('DELETE FROM sessions WHERE user_pk = $1', [userPk]);
}

/** Removes sessions that expired more than `graceS` seconds ago (housekeeping); returns how many. */
export async function deleteExpiredSessions(q: Queryable, graceS: number, limit: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM sessions WHERE (user_pk, terminal) IN (
       SELECT user_pk, terminal FROM sessions WHERE expires_at < clock_now() - make_interval(secs => $1) LIMIT $2)`,
    [graceS, limit],
  );
  return rowCount;
}
