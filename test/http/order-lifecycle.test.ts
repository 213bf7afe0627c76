import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasBalance, newBuyer, newStore, pay, placeOrder, stockOf, type User } from '../helpers/client.js';
import {
  ORDER_STATES,
  cancel,
  expectCode,
  orderIn,
  orderOf,
  receive,
  sellerOrders,
  ship,
  type OrderState,
  type PlacedOrder,
} from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

type Call = 'payment' | 'send_books' | 'receive_books' | 'close_order';

/** API.md's order state table: the answer of each call in each state. */
const TABLE: Record<Call, Record<OrderState, number>> = {
  payment: { unpaid: 200, paid: 518, shipped: 518, received: 518, cancelled: 518 },
  send_books: { unpaid: 520, paid: 200, shipped: 525, received: 525, cancelled: 521 },
  receive_books: { unpaid: 522, paid: 522, shipped: 200, received: 523, cancelled: 521 },
  close_order: { unpaid: 200, paid: 200, shipped: 524, received: 524, cancelled: 521 },
};
const TARGET: Record<Call, OrderState> = {
  payment: 'paid',
  send_books: 'shipped',
  receive_books: 'received',
  close_order: 'cancelled',
};
const STAMP: Record<OrderState, 'created_at' | 'paid_at' | 'shipped_at' | 'received_at' | 'cancelled_at'> = {
  unpaid: 'created_at',
  paid: 'paid_at',
  shipped: 'shipped_at',
  received: 'received_at',
  cancelled: 'cancelled_at',
};

describe(`order lifecycle (${DB_KIND})`, () => {
  const { server, api } = useServer();

  const perform = (call: Call, o: PlacedOrder) => {
    switch (call) {
      case 'payment':
        return pay(api, o.buyer, o.orderId);
      case 'send_books':
        return ship(api, o.shop, o.orderId);
      case 'receive_books':
        return receive(api, o.buyer, o.orderId);
      case 'close_order':
        return cancel(api, o.buyer, o.orderId);
    }
  };

  /**
   * Money and stock follow from the state alone: the buyer has paid unless the order is unpaid or
   * cancelled (a cancelled paid order was refunded), the seller holds the money only once the
   * order is received, and a cancelled order's copies are back in stock.
   */
  async function assertEffectsOf(o: PlacedOrder, state: OrderState, count: number) {
    const buyerPaid = state === 'paid' || state === 'shipped' || state === 'received';
    assert.ok(await hasBalance(api, o.buyer, o.funds - (buyerPaid ? o.total : 0)), `buyer balance in state ${state}`);
    assert.ok(await hasBalance(api, o.shop.seller, state === 'received' ? o.total : 0), `seller balance in state ${state}`);
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), state === 'cancelled' ? 10 : 10 - count);
  }

  describe('every cell of the state table', () => {
    for (const call of Object.keys(TABLE) as Call[]) {
      for (const state of ORDER_STATES) {
        const code = TABLE[call][state];
        test(`${call} on ${state === 'unpaid' ? 'an' : 'a'} ${state} order → ${code}`, async () => {
          const o = await orderIn(api, state, { price: 1250, count: 2 });
          const before = await orderOf(api, o.buyer, o.orderId);
          assert.equal(before.status, state);
          expectCode(await perform(call, o), code, `${call} on ${state}`);
          const after = await orderOf(api, o.buyer, o.orderId);
          const expected = code === 200 ? TARGET[call] : state;
          assert.equal(after.status, expected);
          if (code === 200) {
            assert.equal(typeof after[STAMP[expected]], 'string', `${STAMP[expected]} is set`);
            if (expected === 'cancelled') assert.equal(after.cancel_reason, 'buyer');
          } else {
            assert.deepEqual(after, before, 'a refused call changes nothing');
          }
          await assertEffectsOf(o, expected, 2);
        });
      }
    }

    test('payment on an unpaid order without enough money → 519, nothing changes', async () => {
      const o = await orderIn(api, 'unpaid', { price: 1250, count: 2, funds: 2499 });
      expectCode(await pay(api, o.buyer, o.orderId), 519);
      assert.equal((await orderOf(api, o.buyer, o.orderId)).status, 'unpaid');
      await assertEffectsOf(o, 'unpaid', 2);
    });
  });

  test('full lifecycle: order → pay → ship → receive, with money held in escrow until receipt', async () => {
    const shop = await newStore(api, [{ price: 4200, stock: 5, title: '量子力学导论' }, { price: 300, stock: 9 }]);
    const buyer = await newBuyer(api, 20_000);
    const placed = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 2 }, { id: 'book-2', count: 3 }]), 200);
    const orderId = placed.body.order_id as string;
    const total = 2 * 4200 + 3 * 300;
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 3);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 6);
    let order = await orderOf(api, buyer, orderId);
    assert.equal(order.status, 'unpaid');
    assert.equal(order.total_price, total);
    assert.ok(await hasBalance(api, buyer, 20_000), 'ordering does not charge');

    await server.clock.advance(10);
    expectCode(await pay(api, buyer, orderId), 200);
    order = await orderOf(api, buyer, orderId);
    assert.equal(order.status, 'paid');
    assert.ok(await hasBalance(api, buyer, 20_000 - total), 'paying debits the buyer');
    assert.ok(await hasBalance(api, shop.seller, 0), 'the seller is not credited on payment');

    await server.clock.advance(10);
    expectCode(await ship(api, shop, orderId), 200);
    order = await orderOf(api, buyer, orderId);
    assert.equal(order.status, 'shipped');
    assert.ok(await hasBalance(api, shop.seller, 0), 'the seller is not credited on shipping');
    assert.ok(await hasBalance(api, buyer, 20_000 - total));

    await server.clock.advance(10);
    expectCode(await receive(api, buyer, orderId), 200);
    order = await orderOf(api, buyer, orderId);
    assert.equal(order.status, 'received');
    assert.ok(await hasBalance(api, shop.seller, total), 'receipt credits the seller');
    assert.ok(await hasBalance(api, buyer, 20_000 - total));
    assert.equal(order.cancel_reason, null);
    assert.equal(order.cancelled_at, null);
    const times = [order.created_at, order.paid_at, order.shipped_at, order.received_at].map((t) => Date.parse(t!));
    // Each step happened 10 s (of the database's clock, moved by the test) after the one before.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps.every((g) => g >= 10_000 && g < 12_000), `gaps ${gaps.join(', ')} ms`);

    // the stock stays sold
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 3);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 6);
    // the seller sees the same order
    const [sellerView] = await sellerOrders(api, shop.seller);
    assert.deepEqual(sellerView, order);
    // and a second receipt neither changes the state nor pays the seller again
    expectCode(await receive(api, buyer, orderId), 523);
    assert.ok(await hasBalance(api, shop.seller, total));
  });

  test('escrow: the seller is credited order by order, only for received orders', async () => {
    const shop = await newStore(api, [{ price: 1000, stock: 50 }]);
    const buyer = await newBuyer(api, 100_000);
    const place = async (count: number) => {
      const res = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count }]), 200);
      const id = res.body.order_id as string;
      expectCode(await pay(api, buyer, id), 200);
      return id;
    };
    const [a, b, c] = [await place(1), await place(2), await place(4)];
    assert.ok(await hasBalance(api, buyer, 100_000 - 7000));
    expectCode(await ship(api, shop, a), 200);
    expectCode(await ship(api, shop, b), 200);
    expectCode(await receive(api, buyer, b), 200);
    assert.ok(await hasBalance(api, shop.seller, 2000));
    expectCode(await receive(api, buyer, a), 200);
    assert.ok(await hasBalance(api, shop.seller, 3000));
    // c is cancelled while paid: refunded to the buyer, never reaches the seller
    expectCode(await cancel(api, buyer, c), 200);
    assert.ok(await hasBalance(api, buyer, 100_000 - 3000));
    assert.ok(await hasBalance(api, shop.seller, 3000));
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 50 - 3);
  });

  test('cancelling a paid order refunds the buyer and returns the stock', async () => {
    const o = await orderIn(api, 'paid', { price: 800, count: 3, funds: 5000 });
    assert.ok(await hasBalance(api, o.buyer, 5000 - 2400));
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 7);
    await server.clock.advance(5);
    expectCode(await cancel(api, o.buyer, o.orderId), 200);
    assert.ok(await hasBalance(api, o.buyer, 5000));
    assert.ok(await hasBalance(api, o.shop.seller, 0));
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 10);
    const order = await orderOf(api, o.buyer, o.orderId);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.cancel_reason, 'buyer');
    assert.equal(typeof order.paid_at, 'string', 'the payment stays in the history');
    const gap = Date.parse(order.cancelled_at!) - Date.parse(order.paid_at!);
    assert.ok(gap >= 5000 && gap < 7000, `cancelled ${gap} ms after payment (the test moved the clock 5 s)`);
    // cancelling again: 521, no second refund or restock
    expectCode(await cancel(api, o.buyer, o.orderId), 521);
    assert.ok(await hasBalance(api, o.buyer, 5000));
    assert.equal(await stockOf(api, o.shop.seller, o.shop.storeId, 'book-1'), 10);
  });

  test('cancelling an unpaid order returns the stock of every line', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 4 }, { price: 200, stock: 6 }]);
    const buyer = await newBuyer(api, 0);
    const placed = expectCode(
      await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 4 }, { id: 'book-2', count: 1 }, { id: 'book-2', count: 2 }]),
      200,
    );
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 0);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 3);
    expectCode(await cancel(api, buyer, placed.body.order_id as string), 200);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 4);
    assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 6);
    // the returned stock can be ordered again
    expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 4 }]), 200);
  });

  test('the seller sees each transition of the order in its store', async () => {
    const o = await orderIn(api, 'unpaid');
    const sellerStatus = async () => (await sellerOrders(api, o.shop.seller))[0]?.status;
    assert.equal(await sellerStatus(), 'unpaid');
    expectCode(await pay(api, o.buyer, o.orderId), 200);
    assert.equal(await sellerStatus(), 'paid');
    expectCode(await ship(api, o.shop, o.orderId), 200);
    assert.equal(await sellerStatus(), 'shipped');
    expectCode(await receive(api, o.buyer, o.orderId), 200);
    assert.equal(await sellerStatus(), 'received');
    for (const state of ORDER_STATES) {
      const expected = state === 'received' ? 1 : 0;
      assert.equal((await sellerOrders(api, o.shop.seller, { status: state })).length, expected, `status filter ${state}`);
    }
  });

  test('a refused call on one order leaves the buyer\'s other orders alone', async () => {
    const o = await orderIn(api, 'shipped');
    const buyer: User = o.buyer;
    const second = expectCode(await placeOrder(api, buyer, o.shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
    expectCode(await cancel(api, buyer, o.orderId), 524);
    assert.equal((await orderOf(api, buyer, second.body.order_id as string)).status, 'unpaid');
    assert.equal((await orderOf(api, buyer, o.orderId)).status, 'shipped');
  });
});
