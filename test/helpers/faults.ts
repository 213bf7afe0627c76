import pg from 'pg';
import type { TestServer } from './server.js';

export interface TimedReply {
  status: number;
  body: Record<string, any>;
  headers: Headers;
  ms: number;
}

/** A POST that gives up after `timeoutMs` (a hang is a failure, not a stuck test). */
export async function timedPost(url: string, body: unknown, options: { token?: string; timeoutMs?: number } = {}): Promise<TimedReply> {
  const started = Date.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) headers.token = options.token;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, any>, headers: res.headers, ms: Date.now() - started };
}

export async function timedGet(url: string, timeoutMs = 15_000): Promise<TimedReply> {
  const started = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, any>, headers: res.headers, ms: Date.now() - started };
}

/** A separate PostgreSQL session on the test server's own database, to hold locks or kill backends. */
export async function adminSession(server: TestServer): Promise<pg.Client> {
  const { rows } = await server.db.query<{ db: string }>('SELECT current_database() AS db');
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${rows[0]!.db}`;
  const client = new pg.Client({ connectionString: url.toString(), application_name: 'fault-test-admin' });
  client.on('error', () => {}); // it may outlive the test's interest in it
  await client.connect();
  return client;
}

/** The server's own backends on its database (everything but `admin`). */
export async function serverBackends(admin: pg.Client): Promise<{ pid: number; state: string; wait: string | null }[]> {
  // Statistics are snapshotted once per transaction, and the admin session may be inside one.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ pid: number; state: string; wait: string | null }>(
    `SELECT pid, state, wait_event_type AS wait FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
  return rows;
}

/** Polls until `check` holds, or fails after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A 503 as the contract has it: JSON with a message and the request id, and Retry-After. */
export function isUnavailable(reply: TimedReply): boolean {
  return (
    reply.status === 503 &&
    typeof reply.body.message === 'string' &&
    typeof reply.body.request_id === 'string' &&
    reply.body.request_id === reply.headers.get('x-request-id') &&
    Number(reply.headers.get('retry-after')) > 0
  );
}
