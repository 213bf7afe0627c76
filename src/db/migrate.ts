import { readdirSync, readFileSync } from 'node:fs';
import { projectPath } from '../paths.js';
import type { Database } from './database.js';

const MIGRATIONS_DIR = projectPath('migrations') + '/';
// Any constant: serializes migration runs of several servers starting on one PostgreSQL.
const MIGRATION_LOCK = 727_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.split('_')[0]),
      name: file,
      sql: readFileSync(dir + file, 'utf8'),
    }));
}

/** Applies pending numbered SQL files, each in its own transaction, on either database. */
export async function migrate(db: Database): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    // Building an index on a large table may take minutes, and a second server starting
    // meanwhile must wait for the first one's migration rather than fail.
    await tx.exec(`SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    for (const m of readMigrations()) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}

/** The numbered migrations this build has that the database has not applied yet. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const known = readMigrations();
  try {
    const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    return known.filter((m) => !done.has(m.version)).map((m) => m.name);
  } catch {
    return known.map((m) => m.name); // no schema_migrations table yet
  }
}

/**
 * For processes that must not migrate (BOOKSTORE_ROLE=api|worker): waits until the release step
 * (`bookstore migrate`) has applied every migration this build has, checking every second;
 * `onWait` hears what is still missing; gives up after `timeoutMs`.
 */
export async function waitForSchema(db: Database, timeoutMs: number, onWait: (pending: string[]) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let announced = false; ; announced = true) {
    const pending = await pendingMigrations(db);
    if (pending.length === 0) return;
    if (!announced) onWait(pending);
    if (Date.now() > deadline) {
      throw new Error(`the database schema is not up to date (missing ${pending.join(', ')}): run \`bookstore migrate\` first`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
