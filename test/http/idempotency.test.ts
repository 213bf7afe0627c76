import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { hasBalance, newBuyer, newStore, stockOf, uid, type Reply, type User } from '../helpers/client.js';
import { expectCode } from '../helpers/core-api.js';
import { DB_KIND, useServer, type TestServer } from '../helpers/server.js';

/** API.md, "Idempotency": a repeat with the same Idempotency-Key gets the first response and changes nothing. */
describe(`idempotency keys (${DB_KIND})`, () => {
  const secret = randomBytes(32);
  const { server, api } = useServer({ secret });
  // A second process on the same database (as behind a load balancer).
  const { server: other } = useServer(() => ({ secret, sharing: server }));

  async function send(on: TestServer, path: string, body: unknown, key: string | undefined, token?: string): Promise<Reply & { replayed: boolean }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers['idempotency-key'] = key;
    if (token !== undefined) headers.token = token;
    const res = await fetch(on.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any>, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }
  const order = (buyer: User, storeId: string, count: number, key?: string, on = server) =>
    send(on, '/buyer/new_order', { user_id: buyer.userId, store_id: storeId, books: [{ id: 'book-1', count }] }, key, buyer.token);

  test('new_order repeated with its key: the same order id, stock taken once; also from another process', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 10 }]);
    const buyer = await newBuyer(api, 0);
    const key = randomUUID();
    const first = expectCode(await order(buyer, shop.storeId, 2, key), 200);
    const again = expectCode(await order(buyer, shop.storeId, 2, key), 200);
    const elsewhere = expectCode(await order(buyer, shop.storeId, 2, key, other), 200);
    assert.equal(again.body.order_id, first.body.order_id);
    assert.equal(elsewhere.body.order_id, first.body.order_id);
    assert.deepEqual([first.replayed, again.replayed, elsewhere.replayed], [false, true, true]);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 8);
    // Without a key, each request is a new order.
    expectCode(await order(buyer, shop.storeId, 1, undefined), 200);
    expectCode(await order(buyer, shop.storeId, 1, undefined), 200);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 6);
  });

  test('payment repeated with its key: paid once, the repeat answers 200 again (not 518)', async () => {
    const shop = await newStore(api, [{ price: 300, stock: 10 }]);
    const buyer = await newBuyer(api, 1000);
    const placed = expectCode(await order(buyer, shop.storeId, 1), 200);
    const key = randomUUID();
    const pay = () => send(server, '/buyer/payment', { user_id: buyer.userId, order_id: placed.body.order_id, password: buyer.password }, key);
    expectCode(await pay(), 200);
    const again = expectCode(await pay(), 200);
    assert.equal(again.replayed, true);
    assert.ok(await hasBalance(api, buyer, 700));
    // The same payment without the key is a second, refused, attempt.
    expectCode(await send(server, '/buyer/payment', { user_id: buyer.userId, order_id: placed.body.order_id, password: buyer.password }, undefined), 518);
  });

  test('a refusal is the first response too: replayed as it was, even once the request would succeed', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 1 }]);
    const buyer = await newBuyer(api, 0);
    const key = randomUUID();
    expectCode(await order(buyer, shop.storeId, 5, key), 517);
    const body = { user_id: shop.seller.userId, store_id: shop.storeId, book_id: 'book-1', add_stock_level: 10 };
    expectCode(await api.post('/seller/add_stock_level', body, shop.seller.token), 200);
    const again = expectCode(await order(buyer, shop.storeId, 5, key), 517);
    assert.equal(again.replayed, true);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 11, 'nothing was reserved');
  });

  test('the same key with a different body → 422, and changes nothing', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 10 }]);
    const buyer = await newBuyer(api, 0);
    const key = randomUUID();
    expectCode(await order(buyer, shop.storeId, 1, key), 200);
    const other = expectCode(await order(buyer, shop.storeId, 3, key), 422);
    assert.match(other.body.message, /different request/);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 9);
  });

  test('concurrent requests with one key: exactly one order; the others get it too, or 409 while it runs', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 50 }]);
    const buyer = await newBuyer(api, 0);
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => order(buyer, shop.storeId, 1, key, i % 2 ? other : server)));
    const ids = new Set(replies.filter((r) => r.status === 200).map((r) => r.body.order_id));
    assert.equal(ids.size, 1, JSON.stringify(replies.map((r) => r.status)));
    assert.ok(replies.every((r) => r.status === 200 || r.status === 409), JSON.stringify(replies.map((r) => r.status)));
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 49);
  });

  test('keys are per user: the same key of two users is two requests; register is scoped to its user_id', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 10 }]);
    const [a, b] = [await newBuyer(api, 0), await newBuyer(api, 0)];
    const key = 'shared-key';
    const fromA = expectCode(await order(a, shop.storeId, 1, key), 200);
    const fromB = expectCode(await order(b, shop.storeId, 1, key), 200);
    assert.notEqual(fromA.body.order_id, fromB.body.order_id);
    const id = uid('reg');
    expectCode(await send(server, '/auth/register', { user_id: id, password: 'pw' }, 'reg-key'), 200);
    const again = expectCode(await send(server, '/auth/register', { user_id: id, password: 'pw' }, 'reg-key'), 200);
    assert.equal(again.replayed, true, 'the repeat is not a 512');
    expectCode(await send(server, '/auth/register', { user_id: id, password: 'pw' }, undefined), 512);
  });

  test('a key is kept 24 hours (by the database clock), then it names a new request', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 10 }]);
    const buyer = await newBuyer(api, 0);
    const key = randomUUID();
    const first = expectCode(await order(buyer, shop.storeId, 1, key), 200);
    await server.clock.advance(24 * 3600 + 1);
    // The token expired meanwhile: log in again.
    const login = expectCode(await api.post('/auth/login', { user_id: buyer.userId, password: buyer.password, terminal: 'terminal-1' }), 200);
    const later = expectCode(await order({ ...buyer, token: login.body.token }, shop.storeId, 1, key), 200);
    assert.notEqual(later.body.order_id, first.body.order_id);
    assert.equal(later.replayed, false);
  });

  test('a malformed key → 400 naming the header; a read endpoint ignores the header', async () => {
    const buyer = await newBuyer(api, 0);
    for (const key of ['x'.repeat(256)]) {
      const res = await send(server, '/buyer/add_funds', { user_id: buyer.userId, password: buyer.password, add_value: 1 }, key);
      expectCode(res, 400);
      assert.match(res.body.message, /^Idempotency-Key/);
    }
    assert.ok(await hasBalance(api, buyer, 0));
    const q = { user_id: buyer.userId, password: buyer.password };
    expectCode(await send(server, '/buyer/query_order', q, 'same'), 200);
    expectCode(await send(server, '/buyer/query_order', { ...q, page_size: 5 }, 'same'), 200);
  });
});
