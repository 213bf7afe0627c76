import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasBalance, newUser, pay, placeOrder, stockOf } from '../helpers/client.js';
import { addFunds, cancel, expectCode, orderIn, orderOf, receive, sellerOrders, ship } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

const TIMEOUT_S = 60;
const TOKEN_TTL_S = 600;

describe(`order timeout and token expiry (${DB_KIND})`, () => {
  const { server, api } = useServer({ orderTimeoutS: TIMEOUT_S, tokenTtlS: TOKEN_TTL_S });

  test('a late payment → 518 even before the sweeper ran; nothing is charged', async () => {
    const o = await orderIn(api, 'unpaid');
    await server.clock.advance(TIMEOUT_S + 1);
    expectCode(await pay(api, o.buyer, o.orderId), 518);
    assert.ok(await hasBalance(api, o.buyer, o.funds));
    assert.ok(await hasBalance(api, o.shop.seller, 0));
  });

  test('after the sweep: cancelled with reason "timeout" and cancelled_at; stock is back; every call is refused', async () => {
    const o = await orderIn(api, 'unpaid', { count: 3 });
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 7);
    await server.clock.advance(TIMEOUT_S + 1);
    assert.ok((await server.sweep()) >= 1);
    const order = await orderOf(api, o.buyer, o.orderId);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.cancel_reason, 'timeout');
    // Cancelled as of its deadline, whenever the sweeper got to it.
    assert.equal(order.cancelled_at, new Date(Date.parse(order.created_at) + TIMEOUT_S * 1000).toISOString());
    assert.equal(order.paid_at, null);
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 10);

    expectCode(await cancel(api, o.buyer, o.orderId), 521);
    expectCode(await pay(api, o.buyer, o.orderId), 518);
    expectCode(await ship(api, o.shop, o.orderId), 521);
    expectCode(await receive(api, o.buyer, o.orderId), 521);
    assert.deepEqual(await orderOf(api, o.buyer, o.orderId), order, 'the refused calls changed nothing');
    assert.ok(await hasBalance(api, o.buyer, o.funds));

    // a second sweep does not return the stock twice
    await server.sweep();
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 10);
    // the seller sees it cancelled too
    const [sellerView] = await sellerOrders(api, o.shop.seller);
    assert.deepEqual(sellerView, order);
  });

  test('an expired unpaid order reads as cancelled by the timeout at once, before any sweep, as of its deadline', async () => {
    const o = await orderIn(api, 'unpaid', { count: 1 });
    await server.clock.advance(TIMEOUT_S + 1);
    const deadline = (order: { created_at: string }) => new Date(Date.parse(order.created_at) + TIMEOUT_S * 1000).toISOString();
    const before = await orderOf(api, o.buyer, o.orderId);
    assert.equal(before.status, 'cancelled');
    assert.equal(before.cancel_reason, 'timeout');
    assert.equal(before.cancelled_at, deadline(before));
    // Filters see it the same way.
    const cancelled = await api.post('/buyer/query_order', { user_id: o.buyer.userId, password: o.buyer.password, status: 'cancelled' });
    assert.deepEqual(cancelled.body.orders.map((x: { order_id: string }) => x.order_id), [o.orderId]);
    const unpaid = await api.post('/buyer/query_order', { user_id: o.buyer.userId, password: o.buyer.password, status: 'unpaid' });
    assert.equal(unpaid.body.total, 0);
    const [sellerView] = await sellerOrders(api, o.shop.seller);
    assert.deepEqual(sellerView, before);
    // The sweep changes nothing a client can see, but returns the stock.
    await server.sweep();
    assert.deepEqual(await orderOf(api, o.buyer, o.orderId), before);
  });

  test('an expired order that was not swept yet is already closed: close_order → 521, send_books → 521', async () => {
    const o = await orderIn(api, 'unpaid', { count: 2 });
    await server.clock.advance(TIMEOUT_S + 1);
    expectCode(await cancel(api, o.buyer, o.orderId), 521);
    expectCode(await ship(api, o.shop, o.orderId), 521);
    await server.sweep();
    const order = await orderOf(api, o.buyer, o.orderId);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.cancel_reason, 'timeout');
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 10, 'returned exactly once');
  });

  test('an unpaid order before the timeout is untouched by the sweep and can still be paid', async () => {
    const o = await orderIn(api, 'unpaid', { count: 2 });
    await server.clock.advance(TIMEOUT_S - 1);
    await server.sweep();
    const order = await orderOf(api, o.buyer, o.orderId);
    assert.equal(order.status, 'unpaid');
    assert.equal(order.cancel_reason, null);
    assert.equal(order.cancelled_at, null);
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 8);
    expectCode(await pay(api, o.buyer, o.orderId), 200);
    // once paid, the timeout no longer applies
    await server.clock.advance(TIMEOUT_S * 3);
    await server.sweep();
    assert.equal((await orderOf(api, o.buyer, o.orderId)).status, 'paid');
  });

  test('paid and shipped orders never time out; they complete normally much later', async () => {
    const paid = await orderIn(api, 'paid');
    const shipped = await orderIn(api, 'shipped');
    await server.clock.advance(TIMEOUT_S * 2);
    await server.sweep();
    assert.equal((await orderOf(api, paid.buyer, paid.orderId)).status, 'paid');
    assert.equal((await orderOf(api, shipped.buyer, shipped.orderId)).status, 'shipped');
    expectCode(await ship(api, paid.shop, paid.orderId), 200);
    expectCode(await receive(api, paid.buyer, paid.orderId), 200);
    expectCode(await receive(api, shipped.buyer, shipped.orderId), 200);
    assert.ok(await hasBalance(api, paid.shop.seller, paid.total));
    assert.ok(await hasBalance(api, shipped.shop.seller, shipped.total));
    assert.equal(await stockOf(api, paid.shop.seller, paid.shop.storeId, 'book-1'), paid.stockAfterOrder);
  });

  test('only the expired orders are swept: an older order goes, a newer one of the same buyer stays', async () => {
    const o = await orderIn(api, 'unpaid', { count: 1 });
    await server.clock.advance(TIMEOUT_S / 2);
    const newer = expectCode(await placeOrder(api, o.buyer, o.shop.storeId, [{ id: 'book-1', count: 2 }]), 200);
    await server.clock.advance(TIMEOUT_S / 2 + 1);
    await server.sweep();
    assert.equal((await orderOf(api, o.buyer, o.orderId)).status, 'cancelled');
    assert.equal((await orderOf(api, o.buyer, newer.body.order_id as string)).status, 'unpaid');
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 8);
  });

  test('an open order blocks unregistering until the timeout cancels it', async () => {
    const o = await orderIn(api, 'unpaid', { funds: 0, price: 100, count: 1 });
    const unregister = () => api.post('/auth/unregister', { user_id: o.buyer.userId, password: o.buyer.password });
    expectCode(await unregister(), 526);
    await server.clock.advance(TIMEOUT_S + 1);
    await server.sweep();
    expectCode(await unregister(), 200);
  });

  test('an expired unpaid order no longer blocks unregistering, even before the sweeper ran', async () => {
    const o = await orderIn(api, 'unpaid', { funds: 0, price: 100, count: 1 });
    await server.clock.advance(TIMEOUT_S + 1);
    expectCode(await cancel(api, o.buyer, o.orderId), 521, 'the order counts as closed');
    expectCode(await api.post('/auth/unregister', { user_id: o.buyer.userId, password: o.buyer.password }), 200);
  });

  test('a token expires after the token lifetime → 401; password calls still work; a new login works', async () => {
    const u = await newUser(api);
    const viaToken = (token: string) => api.post('/seller/query_order', { user_id: u.userId }, token);
    await server.clock.advance(TOKEN_TTL_S - 1);
    expectCode(await viaToken(u.token), 200, 'just before expiry');
    await server.clock.advance(2);
    expectCode(await viaToken(u.token), 401);
    expectCode(await api.post('/seller/create_store', { user_id: u.userId, store_id: `s-${u.userId}` }, u.token), 401);
    expectCode(await api.post('/auth/logout', { user_id: u.userId }, u.token), 401);
    expectCode(await addFunds(api, u, 10), 200);
    const login = expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 'terminal-1' }), 200);
    expectCode(await viaToken(login.body.token as string), 200);
  });

  test('an expired token cannot place an order or confirm receipt', async () => {
    const o = await orderIn(api, 'shipped');
    await server.clock.advance(TOKEN_TTL_S + 1);
    expectCode(await placeOrder(api, o.buyer, o.shop.storeId, [{ id: 'book-1', count: 1 }]), 401);
    expectCode(await receive(api, o.buyer, o.orderId), 401);
    expectCode(await ship(api, o.shop, o.orderId), 401);
    assert.equal((await orderOf(api, o.buyer, o.orderId)).status, 'shipped');
    const restock = { user_id: o.shop.seller.userId, store_id: o.shop.storeId, book_id: 'book-1', add_stock_level: 1 };
    expectCode(await api.post('/seller/add_stock_level', restock, o.shop.seller.token), 401);
  });
});
