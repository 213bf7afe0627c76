import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { REDACTED, loggerOptions } from '../../src/observability/logging.js';
import type { Database } from '../../src/db/database.js';
import { withOfflineApp } from '../../src/openapi/generate.js';
import { newBuyer, newStore, pay, placeOrder, type Reply } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** The value of one sample of the Prometheus text format; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return 0;
}

/** A stand-in database that answers every query with no rows, until `state.down` makes it fail. */
function switchableDatabase(state: { down: boolean }): Database {
  const answer = async () => {
    if (state.down) throw new Error('database unavailable');
    return { rows: [], rowCount: 0 };
  };
  const db: Database = {
    kind: 'pglite',
    query: answer as Database['query'],
    exec: async () => void (await answer()),
    transaction: async (fn) => fn(db),
    close: async () => {},
  };
  return db;
}

function ok(reply: Reply, what: string): Reply {
  assert.equal(reply.status, 200, `${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

describe(`metrics and readiness (${DB_KIND})`, () => {
  const { server, api } = useServer({ orderTimeoutS: 60 });

  const scrape = async () => {
    const res = await api.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.contentType ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  test('exposes process metrics, including process_resident_memory_bytes', async () => {
    const text = await scrape();
    assert.ok(sample(text, 'process_resident_memory_bytes') > 1_000_000, 'RSS reported');
    assert.match(text, /^# TYPE http_request_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE bookstore_orders_created_total counter$/m);
  });

  test('the order counters move with the order lifecycle', async () => {
    const before = await scrape();
    const shop = await newStore(api, [
      { price: 1000, stock: 5 },
      { price: 500, stock: 1 },
    ]);
    const buyer = await newBuyer(api, 10_000);
    const [book1, book2] = shop.books;

    // Placed, paid, shipped, received.
    const order = ok(await placeOrder(api, buyer, shop.storeId, [{ id: book1!.id, count: 1 }]), 'new_order').body.order_id as string;
    ok(await pay(api, buyer, order), 'payment');
    assert.equal((await pay(api, buyer, order)).status, 518, 'paying twice');
    ok(await api.post('/seller/send_books', { user_id: shop.seller.userId, order_id: order }, shop.seller.token), 'send_books');
    ok(await api.post('/buyer/receive_books', { buyer_id: buyer.userId, order_id: order }, buyer.token), 'receive_books');

    // Not enough stock: 517.
    assert.equal((await placeOrder(api, buyer, shop.storeId, [{ id: book2!.id, count: 2 }])).status, 517);

    // Cancelled by the buyer; the order query under the same URL is not a cancellation.
    const cancelled = ok(await placeOrder(api, buyer, shop.storeId, [{ id: book1!.id, count: 1 }]), 'new_order').body.order_id;
    ok(await api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password, order_id: cancelled }), 'close_order');
    ok(await api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password }), 'close_order as a query');

    // Payment refused for lack of funds: 519.
    const expensive = ok(await placeOrder(api, buyer, shop.storeId, [{ id: book1!.id, count: 3 }]), 'new_order').body.order_id as string;
    ok(await api.post('/buyer/add_funds', { user_id: buyer.userId, password: buyer.password, add_value: -9000 }), 'withdraw');
    assert.equal((await pay(api, buyer, expensive)).status, 519);

    // Cancelled by the timeout sweeper.
    await server.clock.advance(61);
    assert.ok((await server.sweep()) >= 1);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    assert.equal(delta('bookstore_orders_created_total'), 3);
    assert.equal(delta('bookstore_orders_paid_total'), 1);
    assert.equal(delta('bookstore_orders_shipped_total'), 1);
    assert.equal(delta('bookstore_orders_received_total'), 1);
    assert.equal(delta('bookstore_orders_cancelled_total', { reason: 'buyer' }), 1);
    assert.equal(delta('bookstore_orders_cancelled_total', { reason: 'timeout' }), 1);
    assert.equal(delta('bookstore_stock_conflicts_total', { route: '/buyer/new_order' }), 1);
    assert.equal(delta('bookstore_payment_failures_total', { code: '518' }), 1);
    assert.equal(delta('bookstore_payment_failures_total', { code: '519' }), 1);

    // The duration histogram is labelled by route pattern and status.
    const labels = { method: 'POST', route: '/buyer/new_order', status_code: '200' };
    assert.equal(delta('http_request_duration_seconds_count', labels), 3);
    assert.ok(sample(after, 'http_request_duration_seconds_sum', labels) > 0);
    assert.equal(delta('http_request_duration_seconds_count', { route: '/buyer/new_order', status_code: '517' }), 1);
  });

  test('routes are labelled by pattern, never by raw URL', async () => {
    await api.get('/healthz?probe=abc123');
    await api.get('/no/such/page-xyz');
    const text = await scrape();
    assert.ok(sample(text, 'http_request_duration_seconds_count', { route: '/healthz', status_code: '200' }) >= 1);
    assert.ok(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }) >= 1);
    assert.doesNotMatch(text, /abc123|page-xyz/);
  });

  test('every response names its request id', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('GET /readyz is 200 with the database up, 503 without it', async () => {
    const up = await api.get('/readyz');
    assert.equal(up.status, 200);
    assert.deepEqual(up.body, { message: 'ok' });
    // The same application once its database stops answering.
    const state = { down: false };
    await withOfflineApp(async ({ server: app }) => {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      state.down = true;
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), { message: 'database unavailable' });
    }, switchableDatabase(state));
  });
});

describe('log redaction', () => {
  test('the token header and password fields never reach a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino(loggerOptions('trace'), sink);
    log.info({ req: { method: 'POST', url: '/auth/logout', headers: { token: 'tok-SECRET-1', authorization: 'Bearer tok-SECRET-2' } } }, 'request');
    log.info({ body: { user_id: 'u', password: 'pw-SECRET-3', oldPassword: 'pw-SECRET-4', newPassword: 'pw-SECRET-5' } }, 'body');
    log.info({ password: 'pw-SECRET-6', req: { body: { password: 'pw-SECRET-7' } } }, 'nested');
    log.info({ user_id: 'u', token: 'tok-SECRET-8' }, 'login answer');
    const text = lines.join('');
    assert.doesNotMatch(text, /SECRET/);
    assert.ok(text.split(REDACTED).length - 1 >= 8, text);
    assert.match(text, /"user_id":"u"/, 'other fields are kept');
  });
});
