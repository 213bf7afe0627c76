import type { Queryable } from '../db/database.js';

/** Logging in again on a terminal replaces that terminal's token id. */
export async function upsertSession(q: Queryable, userPk: number, terminal: string, tokenId: string, expiresAt: Date): Promise<void> {
  await q.query(
    `INSERT INTO sessions (user_pk, terminal, token_id, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_pk, terminal) DO UPDATE SET token_id = EXCLUDED.token_id, expires_at = EXCLUDED.expires_at`,
    [userPk, terminal, tokenId, expiresAt],
  );
}

export async function deleteSession(q: Queryable, userPk: number, terminal: string, tokenId: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM sessions WHERE user_pk = $1 AND terminal = $2 AND token_id = $3', [
    userPk,
    terminal,
    tokenId,
  ]);
  return rowCount === 1;
}

export async function deleteAllSessions(q: Queryable, userPk: number): Promise<void> {
  await q.query('DELETE FROM sessions WHERE user_pk = $1', [userPk]);
}
