import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { startHousekeeping } from '../../src/jobs/housekeeping.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { newUser, uid } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';

const TOKEN_TTL_S = 60;

describe(`housekeeping (${DB_KIND})`, () => {
  const { server, api } = useServer({ tokenTtlS: TOKEN_TTL_S });

  const count = async (sql: string, params: unknown[] = []) => Number((await server.db.query<{ n: string }>(sql, params)).rows[0]!.n);
  const sessionsOf = (userId: string) =>
    count('SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_pk WHERE u.user_id = $1', [userId]);

  test('expired sessions are purged, their tokens stay refused, current ones are kept', async () => {
    const gone = await newUser(api, 'expiring');
    assert.equal(await sessionsOf(gone.userId), 1);

    // Past the token lifetime, but within the grace in which "expired" is still explained: kept.
    await server.clock.advance(TOKEN_TTL_S + 10);
    await server.housekeep();
    assert.equal(await sessionsOf(gone.userId), 1);

    await server.clock.advance(3600);
    const kept = await newUser(api, 'current'); // logged in at the new time: not expired
    const purged = await server.housekeep();
    assert.ok(purged.sessions >= 1, JSON.stringify(purged));
    assert.equal(await sessionsOf(gone.userId), 0);
    assert.equal(await sessionsOf(kept.userId), 1);

    // The purged session's token is refused; the current one still works.
    assert.equal((await api.post('/auth/logout', { user_id: gone.userId }, gone.token)).status, 401);
    assert.equal((await api.post('/seller/query_order', { user_id: kept.userId }, kept.token)).status, 200);
    assert.equal((await server.housekeep()).sessions, 0);
  });

  test('idempotency records older than 24 hours are purged, younger ones kept', async () => {
    const register = (userId: string, key: string) =>
      fetch(`${server.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ user_id: userId, password: 'pw' }),
      });
    const old = uid('old');
    assert.equal((await register(old, 'k-old')).status, 200);
    await server.clock.advance(23 * 3600);
    const young = uid('young');
    assert.equal((await register(young, 'k-young')).status, 200);
    await server.clock.advance(3600 + 60); // the first is now past 24 hours, the second one hour old

    const purged = await server.housekeep();
    assert.ok(purged.idempotency_keys >= 1, JSON.stringify(purged));
    const keys = (await server.db.query<{ key: string }>('SELECT key FROM idempotency_keys ORDER BY key')).rows.map((r) => r.key);
    assert.ok(!keys.includes('k-old'), JSON.stringify(keys));
    assert.ok(keys.includes('k-young'), JSON.stringify(keys));
  });

  test('purging goes in bounded batches until nothing is left', async () => {
    for (let i = 0; i < 7; i++) await newUser(api, 'batch');
    await server.clock.advance(TOKEN_TTL_S + 3600);
    // Batches of 2, at most 2 per run: a run deletes at most 4; the next takes the rest.
    const first = await server.services.housekeeping.purgeExpired(2, 2);
    assert.equal(first.sessions, 4);
    const second = await server.services.housekeeping.purgeExpired(2, 2);
    assert.equal(second.sessions, 3);
    assert.equal((await server.services.housekeeping.purgeExpired(2, 2)).sessions, 0);
  });

  test('the periodic job purges as main.ts runs it, and counts the rows in bookstore_housekeeping_purged_rows_total', async () => {
    for (let i = 0; i < 3; i++) await newUser(api, 'metric');
    await server.clock.advance(TOKEN_TTL_S + 3600);
    const metrics = createMetrics();
    const logged: unknown[] = [];
    const log = { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) } as unknown as FastifyBaseLogger;
    const job = startHousekeeping(() => server.services.housekeeping.purgeExpired(), 60_000, log, (kind, rows) => metrics.purgedRows.inc({ kind }, rows));
    try {
      const purged = await job.runOnce();
      assert.equal(purged.sessions, 3);
    } finally {
      await job.stop();
    }
    const text = await metrics.registry.metrics();
    assert.match(text, /^bookstore_housekeeping_purged_rows_total\{kind="sessions"\} 3$/m);
    assert.match(text, /^bookstore_housekeeping_purged_rows_total\{kind="idempotency_keys"\} 0$/m);
    assert.equal(logged.length, 1);
  });
});
