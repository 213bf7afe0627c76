import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasBalance, newBuyer, newStore, pay, placeOrder, stockOf, type User } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** Real concurrent HTTP requests against one server: the database must keep every invariant. */
describe(`concurrency (${DB_KIND})`, () => {
  const { api } = useServer();

  const countStatuses = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

  async function orderStatuses(buyer: User): Promise<Map<string, { status: string; total: number }>> {
    const res = await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password, page_size: 100 });
    assert.equal(res.status, 200);
    return new Map(res.body.orders.map((o: any) => [o.order_id, { status: o.status, total: o.total_price }]));
  }

  test('buyers racing for the last copies never oversell', async () => {
    const { seller, storeId, books } = await newStore(api, [{ price: 100, stock: 10 }]);
    const buyers = await Promise.all(Array.from({ length: 24 }, () => newBuyer(api, 0)));
    const results = await Promise.all(buyers.map((b) => placeOrder(api, b, storeId, [{ id: books[0]!.id, count: 1 }])));
    const counts = countStatuses(results.map((r) => r.status));
    assert.deepEqual(counts, { 200: 10, 517: 14 });
    assert.equal(await stockOf(api, seller, storeId, books[0]!.id), 0);
  });

  test('multi-line orders racing reserve all lines or none', async () => {
    const { seller, storeId, books } = await newStore(api, [
      { price: 10, stock: 7 },
      { price: 20, stock: 7 },
    ]);
    const buyers = await Promise.all(Array.from({ length: 12 }, () => newBuyer(api, 0)));
    // Half order the lines in one order, half in the other: locks must not deadlock into a 500.
    const results = await Promise.all(
      buyers.map((b, i) => {
        const lines = [
          { id: books[0]!.id, count: 2 },
          { id: books[1]!.id, count: 2 },
        ];
        return placeOrder(api, b, storeId, i % 2 ? lines.reverse() : lines);
      }),
    );
    const counts = countStatuses(results.map((r) => r.status));
    assert.deepEqual(counts, { 200: 3, 517: 9 });
    assert.equal(await stockOf(api, seller, storeId, books[0]!.id), 1);
    assert.equal(await stockOf(api, seller, storeId, books[1]!.id), 1);
  });

  test('concurrent payments never overdraw one balance', async () => {
    const { storeId, books } = await newStore(api, [{ price: 250, stock: 100 }]);
    const buyer = await newBuyer(api, 750); // exactly three orders' worth
    const orderIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await placeOrder(api, buyer, storeId, [{ id: books[0]!.id, count: 1 }]);
      orderIds.push(res.body.order_id as string);
    }
    const results = await Promise.all(orderIds.map((id) => pay(api, buyer, id)));
    assert.deepEqual(countStatuses(results.map((r) => r.status)), { 200: 3, 519: 5 });
    assert.ok(await hasBalance(api, buyer, 0));
  });

  test('one order is never paid twice', async () => {
    const { storeId, books } = await newStore(api, [{ price: 300, stock: 5 }]);
    const buyer = await newBuyer(api, 10_000);
    const order = await placeOrder(api, buyer, storeId, [{ id: books[0]!.id, count: 1 }]);
    const results = await Promise.all(Array.from({ length: 10 }, () => pay(api, buyer, order.body.order_id)));
    assert.deepEqual(countStatuses(results.map((r) => r.status)), { 200: 1, 518: 9 });
    assert.ok(await hasBalance(api, buyer, 9_700));
  });

  test('pay racing cancel leaves one consistent outcome per order', async () => {
    const { seller, storeId, books } = await newStore(api, [{ price: 100, stock: 50 }]);
    const buyer = await newBuyer(api, 100_000);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await placeOrder(api, buyer, storeId, [{ id: books[0]!.id, count: 2 }])).body.order_id);
    await Promise.all(
      ids.flatMap((id) => [
        pay(api, buyer, id),
        api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password, order_id: id }),
      ]),
    );
    const states = await orderStatuses(buyer);
    let charged = 0;
    let reserved = 0;
    for (const id of ids) {
      const o = states.get(id)!;
      assert.ok(o.status === 'paid' || o.status === 'cancelled', o.status);
      if (o.status === 'paid') {
        charged += o.total;
        reserved += 2;
      }
    }
    assert.ok(await hasBalance(api, buyer, 100_000 - charged));
    assert.equal(await stockOf(api, seller, storeId, books[0]!.id), 50 - reserved);
  });

  test('ship racing cancel: exactly one wins and money follows it', async () => {
    const { seller, storeId, books } = await newStore(api, [{ price: 500, stock: 20 }]);
    const buyer = await newBuyer(api, 5_000);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = (await placeOrder(api, buyer, storeId, [{ id: books[0]!.id, count: 1 }])).body.order_id as string;
      assert.equal((await pay(api, buyer, id)).status, 200);
      ids.push(id);
    }
    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const [ship, cancel] = await Promise.all([
          api.post('/seller/send_books', { user_id: seller.userId, order_id: id }, seller.token),
          api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password, order_id: id }),
        ]);
        return [ship.status, cancel.status];
      }),
    );
    for (const [ship, cancel] of outcomes) {
      assert.ok((ship === 200 && cancel === 524) || (ship === 521 && cancel === 200), `${ship}/${cancel}`);
    }
    const cancelled = outcomes.filter(([, c]) => c === 200).length;
    assert.ok(await hasBalance(api, buyer, 5_000 - 500 * (6 - cancelled)));
    assert.equal(await stockOf(api, seller, storeId, books[0]!.id), 20 - (6 - cancelled));
  });

  test('money is conserved under a concurrent mix of orders, payments, cancels and receipts', async () => {
    const { seller, storeId, books } = await newStore(api, [
      { price: 120, stock: 1000 },
      { price: 75, stock: 1000 },
    ]);
    const buyers = await Promise.all(Array.from({ length: 6 }, () => newBuyer(api, 2_000)));
    const withdrew = new Set<string>();
    await Promise.all(
      buyers.map(async (buyer, b) => {
        for (let i = 0; i < 6; i++) {
          const order = await placeOrder(api, buyer, storeId, [{ id: books[(b + i) % 2]!.id, count: 1 + (i % 3) }]);
          if (order.status !== 200) continue;
          const id = order.body.order_id as string;
          const step = (b + i) % 4;
          if (step >= 1) await pay(api, buyer, id);
          if (step === 2) await api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password, order_id: id });
          if (step === 3) {
            await api.post('/seller/send_books', { user_id: seller.userId, order_id: id }, seller.token);
            await api.post('/buyer/receive_books', { buyer_id: buyer.userId, order_id: id }, buyer.token);
          }
        }
        const w = await api.post('/buyer/add_funds', { user_id: buyer.userId, password: buyer.password, add_value: -100 });
        if (w.status === 200) withdrew.add(buyer.userId);
      }),
    );
    // Everything that came in is now in a buyer's balance, in escrow, or in the seller's balance.
    let buyerBalances = 0;
    let escrow = 0;
    let sellerIncome = 0;
    for (const buyer of buyers) {
      const orders = await orderStatuses(buyer);
      let spent = 0;
      for (const o of orders.values()) {
        if (o.status === 'paid' || o.status === 'shipped') escrow += o.total;
        if (o.status === 'received') sellerIncome += o.total;
        if (o.status !== 'unpaid' && o.status !== 'cancelled') spent += o.total;
      }
      const expected = 2_000 - spent - (withdrew.has(buyer.userId) ? 100 : 0);
      assert.ok(await hasBalance(api, buyer, expected), `buyer balance ${expected}`);
      buyerBalances += expected;
    }
    assert.ok(await hasBalance(api, seller, sellerIncome));
    assert.equal(buyerBalances + escrow + sellerIncome, 6 * 2_000 - 100 * withdrew.size);
  });
});
