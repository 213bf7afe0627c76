import type { Queryable } from '../db/database.js';

/**
 * The named secret: this value if none was stored yet (the first process to start wins), else the
 * stored one — so every process sharing the database uses the same.
 */
export async function storeOrReadSecret(q: Queryable, name: string, candidate: Buffer): Promise<Buffer> {
  await q.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, clock_now()) ON CONFLICT (name) DO NOTHING', [
    name,
    candidate,
  ]);
  const { rows } = await q.query<{ value: Buffer }>('SELECT value FROM server_secrets WHERE name = $1', [name]);
  return Buffer.from(rows[0]!.value);
}
