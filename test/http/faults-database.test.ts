import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { databaseFailure } from '../../src/db/failures.js';
import { connectPostgres } from '../../src/db/postgres.js';
import { Api, newStore, newUser, type User } from '../helpers/client.js';
import { adminSession, isUnavailable, serverBackends, timedGet, timedPost, waitUntil, type TimedReply } from '../helpers/faults.js';
import { sleep } from '../helpers/process.js';
import { DB_KIND, serverFor, useServer, type TestServer } from '../helpers/server.js';

const onlyPostgres = DB_KIND !== 'postgres' && 'needs PostgreSQL (DATABASE_URL): the embedded database is one in-process connection';

/** An error a client would see as 503 (or, for a lost connection, possibly 500) with a request id. */
function failedCleanly(reply: TimedReply): boolean {
  return isUnavailable(reply) || (reply.status === 500 && reply.body.request_id === reply.headers.get('x-request-id'));
}

const addFunds = (server: TestServer, user: User, value = 100, timeoutMs?: number) =>
  timedPost(`${server.url}/buyer/add_funds`, { user_id: user.userId, password: user.password, add_value: value }, { timeoutMs });

describe(`database faults: lost connections (${DB_KIND})`, { skip: onlyPostgres }, () => {
  const { server, api } = useServer({ database: { poolSize: 6, timeouts: { lockTimeoutMs: 30_000, statementTimeoutMs: 30_000 } } });
  let admin: pg.Client;
  before(async () => {
    admin = await adminSession(server);
  });
  after(() => admin.end());

  test('backends terminated while requests hold transactions: those requests fail with a request id, the process lives, the pool reconnects', { timeout: 60_000 }, async () => {
    const shop = await newStore(api, []);
    const addBook = (id: string) =>
      timedPost(
        `${server.url}/seller/add_book`,
        { user_id: shop.seller.userId, store_id: shop.storeId, book_info: { id, title: `Lost ${id}`, price: 100 }, stock_level: 5 },
        { token: shop.seller.token },
      );
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE listings IN ACCESS EXCLUSIVE MODE');
    const pending = ['a', 'b', 'c'].map(addBook);
    // And one of the server's transactions idle between two statements when its connection goes.
    let resume!: () => void;
    const idle = server.db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      await new Promise<void>((r) => (resume = r));
      await tx.query('SELECT 1');
    });
    idle.catch(() => {});
    await waitUntil('three add_book requests wait on the lock', async () => (await serverBackends(admin)).filter((b) => b.wait === 'Lock').length >= 3);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');

    for (const reply of await Promise.all(pending)) assert.ok(failedCleanly(reply), JSON.stringify({ status: reply.status, body: reply.body }));
    await sleep(100);
    resume();
    await assert.rejects(idle, (err) => databaseFailure(err) === 'unavailable');
    await admin.query('ROLLBACK');

    // Nothing of the failed requests was written, and the service goes on on new connections.
    for (const id of ['a', 'b', 'c']) assert.equal((await addBook(id)).status, 200);
    assert.equal((await timedGet(`${server.url}/readyz`)).status, 200);
  });

  test('idle pooled connections terminated by the server are replaced: the next requests all succeed', { timeout: 30_000 }, async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => newUser(api, 'idle')));
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await waitUntil('the terminated backends are gone', async () => (await serverBackends(admin)).length === 0);
    await sleep(50);
    const replies = await Promise.all(users.map((u) => addFunds(server, u)));
    assert.deepEqual(replies.map((r) => r.status), users.map(() => 200));
  });
});

describe(`database faults: retries (${DB_KIND})`, () => {
  const { server } = useServer();
  before(async () => {
    // fail_times(n, state): fails with SQLSTATE `state` on its first n calls. The sequence counts
    // calls and, unlike a table, is not rolled back with the failed attempt.
    await server.db.exec(`
      CREATE SEQUENCE attempts;
      CREATE TABLE retry_log (note text);
      CREATE FUNCTION fail_times(n int, state text) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE a bigint := nextval('attempts');
        BEGIN
          IF a <= n THEN RAISE EXCEPTION 'injected failure %', a USING ERRCODE = state; END IF;
          RETURN a;
        END $$;`);
  });

  const attempts = async () => {
    const { rows } = await server.db.query<{ n: number }>('SELECT last_value::int - 1 + (CASE WHEN is_called THEN 1 ELSE 0 END) AS n FROM attempts');
    await server.db.query("SELECT setval('attempts', 1, false)");
    return rows[0]!.n;
  };

  for (const state of ['40001', '40P01']) {
    test(`a statement outside a transaction failing with ${state} is retried and succeeds`, async () => {
      const { rows } = await server.db.query<{ a: number }>('SELECT fail_times(2, $1) AS a', [state]);
      assert.equal(rows[0]!.a, 3);
      assert.equal(await attempts(), 3);
    });
  }

  test('a transaction failing with a deadlock is retried as a whole: the earlier attempts leave nothing behind', async () => {
    await server.db.query('DELETE FROM retry_log');
    await server.db.transaction(async (tx) => {
      await tx.query("INSERT INTO retry_log VALUES ('written')");
      await tx.query("SELECT fail_times(2, '40P01')");
    });
    assert.equal(await attempts(), 3);
    const { rows } = await server.db.query('SELECT note FROM retry_log');
    assert.deepEqual(rows, [{ note: 'written' }]);
  });

  test('retries are bounded: contention that never clears gives up after 5 attempts, as a busy (503) failure', async () => {
    await assert.rejects(server.db.query("SELECT fail_times(1000, '40001')"), (err) => databaseFailure(err) === 'busy');
    assert.equal(await attempts(), 5);
    await assert.rejects(server.db.transaction((tx) => tx.query("SELECT fail_times(1000, '40P01')")), (err) => databaseFailure(err) === 'busy');
    assert.equal(await attempts(), 5);
  });

  test('a connection lost in the middle of a statement is not retried: its outcome is unknown', { skip: onlyPostgres }, async () => {
    await assert.rejects(
      server.db.query("SELECT nextval('attempts'), pg_terminate_backend(pg_backend_pid())"),
      (err) => databaseFailure(err) === 'unavailable',
    );
    assert.equal(await attempts(), 1);
  });

  test('new_order caught in a deadlock is retried inside the server and succeeds (200, not 500)', { skip: onlyPostgres, timeout: 30_000 }, async () => {
    const api = new Api(server.url);
    const shop = await newStore(api, [
      { price: 100, stock: 10 },
      { price: 200, stock: 10 },
    ]);
    const buyer = await newUser(api, 'deadlock');
    const admin = await adminSession(server);
    try {
      // The admin session takes book-2, the order takes book-1 and waits for book-2, then the
      // admin asks for book-1: a cycle. The order's backend detects it first (deadlock_timeout
      // 1 s against the admin's 10 s) and is the one aborted.
      await admin.query("SET deadlock_timeout = '10s'");
      await admin.query('BEGIN');
      await admin.query("UPDATE listings SET stock_level = stock_level WHERE store_id = $1 AND book_id = 'book-2'", [shop.storeId]);
      const order = timedPost(
        `${server.url}/buyer/new_order`,
        { user_id: buyer.userId, store_id: shop.storeId, books: [{ id: 'book-1', count: 1 }, { id: 'book-2', count: 1 }] },
        { token: buyer.token, timeoutMs: 20_000 },
      );
      await waitUntil('the order waits for book-2', async () => (await serverBackends(admin)).some((b) => b.wait === 'Lock'));
      await admin.query("UPDATE listings SET stock_level = stock_level WHERE store_id = $1 AND book_id = 'book-1'", [shop.storeId]);
      await admin.query('COMMIT');
      const reply = await order;
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const { rows } = await server.db.query<{ book_id: string; stock_level: number }>(
        'SELECT book_id, stock_level FROM listings WHERE store_id = $1 ORDER BY book_id',
        [shop.storeId],
      );
      assert.deepEqual(rows, [
        { book_id: 'book-1', stock_level: 9 },
        { book_id: 'book-2', stock_level: 9 },
      ]);
    } finally {
      await admin.end();
    }
  });
});

describe(`database behind a transaction pooler (${DB_KIND})`, { skip: onlyPostgres }, () => {
  test('no statement is prepared by name, and the timeouts are set per transaction, not per session', { timeout: 30_000 }, async (t) => {
    const server = await serverFor(t);
    const admin = await adminSession(server);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${(await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db}`;
    const pooled = connectPostgres(url.toString(), 1, { pooler: 'transaction', lockTimeoutMs: 300, statementTimeoutMs: 2000 });
    const direct = connectPostgres(url.toString(), 1);
    try {
      const prepared = 'SELECT count(*)::int AS n FROM pg_prepared_statements';
      await direct.query('SELECT $1::int AS x', [1]);
      assert.ok((await direct.query<{ n: number }>(prepared)).rows[0]!.n > 0, 'the default prepares by name');
      await pooled.query('SELECT $1::int AS x', [1]);
      assert.equal((await pooled.query<{ n: number }>(prepared)).rows[0]!.n, 0);

      const settings = "SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement";
      assert.deepEqual((await pooled.transaction((tx) => tx.query(settings))).rows, [{ lock: '300ms', statement: '2s' }]);
      assert.deepEqual((await pooled.query(settings)).rows, [{ lock: '0', statement: '0' }]);

      const buyer = await newUser(new Api(server.url), 'pooled');
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [buyer.userId]);
      const started = Date.now();
      await assert.rejects(
        pooled.transaction((tx) => tx.query('UPDATE users SET balance = balance + 1 WHERE user_id = $1', [buyer.userId])),
        (err) => databaseFailure(err) === 'timeout',
      );
      assert.ok(Date.now() - started < 1500);
      await admin.query('ROLLBACK');
    } finally {
      await pooled.close();
      await direct.close();
      await admin.end();
    }
  });
});

describe(`database faults: timeouts (${DB_KIND})`, () => {
  test('lock_timeout: a request waiting on a held row lock gets 503 with Retry-After, not a hang', { skip: onlyPostgres, timeout: 30_000 }, async (t) => {
    const server = await serverFor(t, { database: { timeouts: { lockTimeoutMs: 500, statementTimeoutMs: 10_000 } } });
    const admin = await adminSession(server);
    try {
      const buyer = await newUser(new Api(server.url), 'locked');
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [buyer.userId]);
      const reply = await addFunds(server, buyer, 100, 8000);
      assert.ok(isUnavailable(reply), JSON.stringify({ status: reply.status, body: reply.body }));
      assert.ok(reply.ms < 3000, `answered after ${reply.ms} ms`);
      await admin.query('ROLLBACK');
      assert.equal((await addFunds(server, buyer)).status, 200);
    } finally {
      await admin.end();
    }
  });

  test('statement_timeout: a statement running too long is cancelled, 503 with Retry-After', { skip: onlyPostgres, timeout: 30_000 }, async (t) => {
    const server = await serverFor(t, { database: { timeouts: { lockTimeoutMs: 10_000, statementTimeoutMs: 500 } } });
    const admin = await adminSession(server);
    try {
      const buyer = await newUser(new Api(server.url), 'slow');
      await admin.query('BEGIN');
      await admin.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [buyer.userId]);
      const reply = await addFunds(server, buyer, 100, 8000);
      assert.ok(isUnavailable(reply), JSON.stringify({ status: reply.status, body: reply.body }));
      assert.ok(reply.ms < 3000, `answered after ${reply.ms} ms`);
      await admin.query('ROLLBACK');
      assert.equal((await addFunds(server, buyer)).status, 200);
    } finally {
      await admin.end();
    }
  });

  test('no connection free: a request waits at most the acquire timeout, then 503 with Retry-After; /readyz says 503 within 2 s', { timeout: 40_000 }, async (t) => {
    const server = await serverFor(t, {
      database: { poolSize: 2, timeouts: { acquireTimeoutMs: 500, lockTimeoutMs: 20_000, statementTimeoutMs: 20_000 } },
    });
    const api = new Api(server.url);
    const [a, b, c] = [await newUser(api, 'pool'), await newUser(api, 'pool'), await newUser(api, 'pool')];
    let admin: pg.Client | undefined;
    let releaseTurn = () => {};
    let blocked: Promise<TimedReply[]> = Promise.resolve([]);
    try {
      if (DB_KIND === 'postgres') {
        // Two requests wait on row locks, holding both pooled connections.
        admin = await adminSession(server);
        await admin.query('BEGIN');
        await admin.query('SELECT 1 FROM users WHERE user_id = ANY($1) FOR UPDATE', [[a.userId, b.userId]]);
        blocked = Promise.all([addFunds(server, a, 100, 30_000), addFunds(server, b, 100, 30_000)]);
        await waitUntil('both connections wait on the lock', async () => (await serverBackends(admin!)).filter((x) => x.wait === 'Lock').length === 2);
      } else {
        // The embedded database's one connection is busy with a long transaction.
        const turn = server.db.transaction(() => new Promise<void>((r) => (releaseTurn = r)));
        blocked = turn.then(() => []);
        await sleep(50);
      }
      const waiting = await addFunds(server, c, 100, 10_000);
      assert.ok(isUnavailable(waiting), JSON.stringify({ status: waiting.status, body: waiting.body }));
      assert.ok(waiting.ms < 2500, `answered after ${waiting.ms} ms`);
      const ready = await timedGet(`${server.url}/readyz`, 10_000);
      assert.equal(ready.status, 503);
      assert.ok(ready.ms <= 2300, `/readyz answered after ${ready.ms} ms`);
    } finally {
      releaseTurn();
      await admin?.query('ROLLBACK');
    }
    for (const reply of await blocked) assert.equal(reply.status, 200);
    assert.equal((await addFunds(server, c)).status, 200);
    assert.equal((await timedGet(`${server.url}/readyz`)).status, 200);
    await admin?.end();
  });

  test('idle in transaction: the database ends a transaction left idle; it fails as unavailable, the process lives', { skip: onlyPostgres, timeout: 30_000 }, async (t) => {
    const server = await serverFor(t, { database: { timeouts: { idleInTransactionTimeoutMs: 300 } } });
    await assert.rejects(
      server.db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await sleep(1500);
        await tx.query('SELECT 1');
      }),
      (err) => databaseFailure(err) !== undefined,
    );
    const buyer = await newUser(new Api(server.url), 'idle');
    assert.equal((await addFunds(server, buyer)).status, 200);
  });
});
