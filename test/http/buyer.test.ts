import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { balanceOf, hasBalance, newBuyer, newStore, newUser, pay, placeOrder, stockOf, uid } from '../helpers/client.js';
import {
  addFunds,
  buyerOrders,
  cancel,
  expectCode,
  orderIn,
  orderOf,
  receive,
  ship,
  statusOf,
  type OrderView,
} from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNKNOWN_ORDER = '00000000-0000-4000-8000-000000000000';

describe(`buyer (${DB_KIND})`, () => {
  const { server, api } = useServer();

  describe('new_order', () => {
    test('200: an unpaid order with a fixed total; stock is reserved', async () => {
      const shop = await newStore(api, [{ price: 1500, stock: 10, title: 'First' }, { price: 250, stock: 3, title: 'Second' }]);
      const buyer = await newBuyer(api, 0);
      const res = expectCode(
        await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 2 }, { id: 'book-2', count: 3 }]),
        200,
      );
      assert.match(res.body.order_id as string, UUID);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 8);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 0);
      const order = await orderOf(api, buyer, res.body.order_id as string);
      assert.equal(order.status, 'unpaid');
      assert.equal(order.buyer_id, buyer.userId);
      assert.equal(order.store_id, shop.storeId);
      assert.equal(order.total_price, 2 * 1500 + 3 * 250);
      assert.equal(order.cancel_reason, null);
      assert.ok(!Number.isNaN(Date.parse(order.created_at)));
      assert.equal(order.paid_at, null);
      assert.equal(order.shipped_at, null);
      assert.equal(order.received_at, null);
      assert.equal(order.cancelled_at, null);
      assert.deepEqual(
        [...order.books].sort((x, y) => x.id.localeCompare(y.id)),
        [
          { id: 'book-1', title: 'First', count: 2, price: 1500 },
          { id: 'book-2', title: 'Second', count: 3, price: 250 },
        ],
      );
    });

    test('the seed\'s literal request: book ids as in the seed, count as a number and as a string "4"', async () => {
      const seller = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await api.post('/seller/create_store', { user_id: seller.userId, store_id: storeId }, seller.token), 200);
      for (const [id, price] of [['1000067', 3879], ['1000134', 2000]] as const) {
        const body = { user_id: seller.userId, store_id: storeId, book_info: { id, price }, stock_level: 10 };
        expectCode(await api.post('/seller/add_book', body, seller.token), 200);
      }
      const buyer = await newBuyer(api, 0);
      const literal = `{
  "user_id": ${JSON.stringify(buyer.userId)},
  "store_id": ${JSON.stringify(storeId)},
  "books": [
    {
      "id": "1000067",
      "count": 1
    },
    {
      "id": "1000134",
      "count": "4"
    }
  ]
}`;
      const res = expectCode(await api.post('/buyer/new_order', literal, buyer.token), 200);
      assert.match(res.body.order_id as string, UUID);
      assert.equal(await stockOf(api, seller, storeId, '1000067'), 9);
      assert.equal(await stockOf(api, seller, storeId, '1000134'), 6);
      assert.equal((await orderOf(api, buyer, res.body.order_id as string)).total_price, 3879 + 4 * 2000);
    });

    test('the same book twice in one order adds up', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 6 }]);
      const buyer = await newBuyer(api, 0);
      const res = expectCode(
        await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 2 }, { id: 'book-1', count: '3' as unknown as number }]),
        200,
      );
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 1);
      const order = await orderOf(api, buyer, res.body.order_id as string);
      assert.equal(order.total_price, 500);
      assert.equal(order.books.reduce((n, b) => n + b.count, 0), 5);
      // together they exceed the stock → 517
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 1 }, { id: 'book-1', count: 1 }]), 517);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 1);
    });

    test('ordering the whole stock is fine, one more is 517', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 4 }]);
      const buyer = await newBuyer(api, 0);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 5 }]), 517);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 4 }]), 200);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 1 }]), 517);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 0);
    });

    test('all lines or none: 517 on one line leaves the other lines\' stock alone and creates no order', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 5 }, { price: 100, stock: 1 }]);
      const buyer = await newBuyer(api, 0);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 3 }, { id: 'book-2', count: 2 }]), 517);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 3 }, { id: 'nope', count: 1 }]), 515);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 5);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-2'), 1);
      assert.deepEqual(await buyerOrders(api, buyer), []);
    });

    test('512 unknown buyer (before the token); 401 missing, garbage or foreign token', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 5 }]);
      const buyer = await newBuyer(api, 0);
      const other = await newUser(api);
      const line = [{ id: 'book-1', count: 1 }];
      expectCode(await api.post('/buyer/new_order', { user_id: uid('ghost'), store_id: shop.storeId, books: line }), 512);
      expectCode(await api.post('/buyer/new_order', { user_id: uid('ghost'), store_id: shop.storeId, books: line }, buyer.token), 512);
      expectCode(await api.post('/buyer/new_order', { user_id: buyer.userId, store_id: shop.storeId, books: line }), 401);
      expectCode(await api.post('/buyer/new_order', { user_id: buyer.userId, store_id: shop.storeId, books: line }, 'garbage'), 401);
      expectCode(await api.post('/buyer/new_order', { user_id: buyer.userId, store_id: shop.storeId, books: line }, other.token), 401);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 5);
    });

    test('513 unknown store; 515 unknown book; precedence 401 > 513 > 515 > 517', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 1 }]);
      const buyer = await newBuyer(api, 0);
      const nostore = uid('nostore');
      expectCode(await placeOrder(api, buyer, nostore, [{ id: 'book-1', count: 1 }]), 513);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'nope', count: 1 }]), 515);
      expectCode(await api.post('/buyer/new_order', { user_id: buyer.userId, store_id: nostore, books: [{ id: 'x', count: 1 }] }, 'bad'), 401);
      expectCode(await placeOrder(api, buyer, nostore, [{ id: 'nope', count: 99 }]), 513);
      expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 99 }, { id: 'nope', count: 1 }]), 515);
      assert.equal(await stockOf(api, shop.seller, shop.storeId, 'book-1'), 1);
    });
  });

  describe('payment', () => {
    test('200 moves the total from the balance; the order becomes paid', async () => {
      const a = await orderIn(api, 'unpaid', { price: 700, count: 3, funds: 5000 });
      expectCode(await pay(api, a.buyer, a.orderId), 200);
      assert.ok(await hasBalance(api, a.buyer, 5000 - 2100));
      const order = await orderOf(api, a.buyer, a.orderId);
      assert.equal(order.status, 'paid');
      assert.equal(typeof order.paid_at, 'string');
      assert.ok(await hasBalance(api, a.shop.seller, 0), 'the seller is not paid before receipt');
    });

    test('paying with exactly the balance leaves 0', async () => {
      const a = await orderIn(api, 'unpaid', { price: 999, count: 1, funds: 999 });
      expectCode(await pay(api, a.buyer, a.orderId), 200);
      assert.ok(await hasBalance(api, a.buyer, 0));
    });

    test('519 not enough money: nothing changes; after adding funds it can be paid', async () => {
      const a = await orderIn(api, 'unpaid', { price: 1000, count: 2, funds: 1999 });
      expectCode(await pay(api, a.buyer, a.orderId), 519);
      assert.ok(await hasBalance(api, a.buyer, 1999));
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'unpaid');
      expectCode(await addFunds(api, a.buyer, 1), 200);
      expectCode(await pay(api, a.buyer, a.orderId), 200);
      assert.ok(await hasBalance(api, a.buyer, 0));
    });

    test('512 unknown user; 401 wrong password; 518 unknown, malformed or someone else\'s order', async () => {
      const a = await orderIn(api, 'unpaid', { price: 100, count: 1, funds: 100 });
      const other = await newBuyer(api, 1000);
      expectCode(await api.post('/buyer/payment', { user_id: uid('ghost'), order_id: a.orderId, password: 'x' }), 512);
      expectCode(await api.post('/buyer/payment', { user_id: a.buyer.userId, order_id: a.orderId, password: 'wrong' }), 401);
      expectCode(await pay(api, a.buyer, UNKNOWN_ORDER), 518);
      expectCode(await pay(api, a.buyer, 'not-a-uuid'), 518);
      expectCode(await pay(api, other, a.orderId), 518);
      assert.ok(await hasBalance(api, other, 1000));
      assert.ok(await hasBalance(api, a.buyer, 100));
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'unpaid');
    });

    test('precedence: 512 > 401 > 518 > 519', async () => {
      const a = await orderIn(api, 'unpaid', { price: 100, count: 1, funds: 0 });
      const poor = await newBuyer(api, 0);
      expectCode(await api.post('/buyer/payment', { user_id: uid('ghost'), order_id: UNKNOWN_ORDER, password: 'x' }), 512);
      expectCode(await api.post('/buyer/payment', { user_id: a.buyer.userId, order_id: UNKNOWN_ORDER, password: 'wrong' }), 401);
      expectCode(await pay(api, poor, a.orderId), 518);
      expectCode(await pay(api, a.buyer, a.orderId), 519);
    });

    test('paying twice → 518, charged once', async () => {
      const a = await orderIn(api, 'unpaid', { price: 100, count: 1, funds: 1000 });
      expectCode(await pay(api, a.buyer, a.orderId), 200);
      expectCode(await pay(api, a.buyer, a.orderId), 518);
      assert.ok(await hasBalance(api, a.buyer, 900));
    });
  });

  describe('add_funds', () => {
    test('200 adds, a negative value withdraws, 519 beyond the balance', async () => {
      const u = await newUser(api);
      expectCode(await addFunds(api, u, 1000), 200);
      expectCode(await addFunds(api, u, 234), 200);
      assert.equal(await balanceOf(api, u), 1234);
      expectCode(await addFunds(api, u, -200), 200);
      assert.equal(await balanceOf(api, u), 1034);
      expectCode(await addFunds(api, u, -1035), 519);
      assert.equal(await balanceOf(api, u), 1034);
      expectCode(await addFunds(api, u, 0), 200);
      expectCode(await addFunds(api, u, -1034), 200);
      assert.ok(await hasBalance(api, u, 0));
    });

    test('401 wrong password or unknown user (nothing added)', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/buyer/add_funds', { user_id: u.userId, password: 'wrong', add_value: 10 }), 401);
      expectCode(await api.post('/buyer/add_funds', { user_id: uid('ghost'), password: 'x', add_value: 10 }), 401);
      assert.ok(await hasBalance(api, u, 0));
    });

    test('the seed\'s literal request', async () => {
      const u = await newUser(api);
      const literal = `{
  "user_id": ${JSON.stringify(u.userId)},
  "password": ${JSON.stringify(u.password)},
  "add_value": 10
}`;
      expectCode(await api.post('/buyer/add_funds', literal), 200);
      assert.ok(await hasBalance(api, u, 10));
    });
  });

  describe('close_order', () => {
    test('200 cancels an unpaid order: stock returns, reason "buyer"', async () => {
      const a = await orderIn(api, 'unpaid', { count: 4 });
      assert.equal(await stockOf(api, a.shop.seller, a.shop.storeId, 'book-1'), 6);
      const literal = `{
  "user_id": ${JSON.stringify(a.buyer.userId)},
  "password": ${JSON.stringify(a.buyer.password)},
  "order_id": ${JSON.stringify(a.orderId)}
}`;
      expectCode(await api.post('/buyer/close_order', literal), 200);
      assert.equal(await stockOf(api, a.shop.seller, a.shop.storeId, 'book-1'), 10);
      const order = await orderOf(api, a.buyer, a.orderId);
      assert.equal(order.status, 'cancelled');
      assert.equal(order.cancel_reason, 'buyer');
      assert.equal(typeof order.cancelled_at, 'string');
      assert.ok(await hasBalance(api, a.buyer, a.funds));
    });

    test('512 unknown user; 401 wrong password; 518 unknown or someone else\'s order', async () => {
      const a = await orderIn(api, 'unpaid');
      const other = await newBuyer(api, 0);
      expectCode(await api.post('/buyer/close_order', { user_id: uid('ghost'), password: 'x', order_id: a.orderId }), 512);
      expectCode(await api.post('/buyer/close_order', { user_id: a.buyer.userId, password: 'bad', order_id: a.orderId }), 401);
      expectCode(await cancel(api, a.buyer, UNKNOWN_ORDER), 518);
      expectCode(await cancel(api, a.buyer, 'not-a-uuid'), 518);
      expectCode(await cancel(api, other, a.orderId), 518);
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'unpaid');
      assert.equal(await stockOf(api, a.shop.seller, a.shop.storeId, 'book-1'), a.stockAfterOrder);
    });

    test('precedence: 512 > 401 > 518', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/buyer/close_order', { user_id: uid('ghost'), password: 'x', order_id: UNKNOWN_ORDER }), 512);
      expectCode(await api.post('/buyer/close_order', { user_id: u.userId, password: 'bad', order_id: UNKNOWN_ORDER }), 401);
    });

    test('seed compatibility: without order_id (or with null) it answers exactly like query_order', async () => {
      const a = await orderIn(api, 'paid');
      await server.clock.advance(1);
      const second = expectCode(await placeOrder(api, a.buyer, a.shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
      const literal = `{
  "user_id": ${JSON.stringify(a.buyer.userId)},
  "password": ${JSON.stringify(a.buyer.password)}
}`;
      const viaClose = expectCode(await api.post('/buyer/close_order', literal), 200);
      const viaQuery = expectCode(await api.post('/buyer/query_order', literal), 200);
      assert.deepEqual(viaClose.body, viaQuery.body);
      assert.equal(viaClose.body.total, 2);
      assert.deepEqual((viaClose.body.orders as OrderView[]).map((o) => o.order_id), [second.body.order_id, a.orderId]);
      const withNull = expectCode(
        await api.post('/buyer/close_order', { user_id: a.buyer.userId, password: a.buyer.password, order_id: null, status: 'paid' }),
        200,
      );
      assert.deepEqual((withNull.body.orders as OrderView[]).map((o) => o.order_id), [a.orderId]);
      // nothing was cancelled by the queries
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'paid');
      assert.equal(await statusOf(api, a.buyer, second.body.order_id as string), 'unpaid');
      // and its errors are query_order's: 401 for a wrong password and for an unknown user
      expectCode(await api.post('/buyer/close_order', { user_id: a.buyer.userId, password: 'bad' }), 401);
      expectCode(await api.post('/buyer/close_order', { user_id: uid('ghost'), password: 'x' }), 401);
    });
  });

  describe('receive_books', () => {
    test('the seed\'s literal body (buyer_id) with the login token → 200; user_id is accepted instead', async () => {
      const a = await orderIn(api, 'shipped');
      const literal = `{
  "buyer_id": ${JSON.stringify(a.buyer.userId)},
  "order_id": ${JSON.stringify(a.orderId)}
}`;
      expectCode(await api.post('/buyer/receive_books', literal, a.buyer.token), 200);
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'received');

      const b = await orderIn(api, 'shipped');
      expectCode(await api.post('/buyer/receive_books', { user_id: b.buyer.userId, order_id: b.orderId }, b.buyer.token), 200);
      const order = await orderOf(api, b.buyer, b.orderId);
      assert.equal(order.status, 'received');
      assert.equal(typeof order.received_at, 'string');
    });

    test('when both buyer_id and user_id are given, buyer_id names the buyer', async () => {
      const a = await orderIn(api, 'shipped');
      const other = await newUser(api);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: a.buyer.userId, user_id: other.userId, order_id: a.orderId }, other.token), 401);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: a.buyer.userId, user_id: other.userId, order_id: a.orderId }, a.buyer.token), 200);
    });

    test('400 when neither buyer_id nor user_id is given', async () => {
      const a = await orderIn(api, 'shipped');
      const res = expectCode(await api.post('/buyer/receive_books', { order_id: a.orderId }, a.buyer.token), 400);
      assert.match(res.body.message as string, /buyer_id/);
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'shipped');
    });

    test('401 without token, with a foreign token, for an unknown buyer; 518 unknown or someone else\'s order', async () => {
      const a = await orderIn(api, 'shipped');
      const other = await newBuyer(api, 0);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: a.buyer.userId, order_id: a.orderId }), 401);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: a.buyer.userId, order_id: a.orderId }, other.token), 401);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: a.buyer.userId, order_id: a.orderId }, a.shop.seller.token), 401);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: uid('ghost'), order_id: a.orderId }, a.buyer.token), 401);
      expectCode(await receive(api, other, a.orderId), 518);
      expectCode(await receive(api, a.buyer, UNKNOWN_ORDER), 518);
      expectCode(await receive(api, a.buyer, 'not-a-uuid'), 518);
      assert.equal(await statusOf(api, a.buyer, a.orderId), 'shipped');
      assert.ok(await hasBalance(api, a.shop.seller, 0));
    });

    test('precedence: 401 before 518', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: u.userId, order_id: UNKNOWN_ORDER }, 'garbage'), 401);
      expectCode(await api.post('/buyer/receive_books', { buyer_id: uid('ghost'), order_id: UNKNOWN_ORDER }), 401);
    });
  });

  describe('query_order', () => {
    test('the buyer\'s orders, newest first, with status filter, paging and total', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 100, title: 'Paged' }]);
      const buyer = await newBuyer(api, 100_000);
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        await server.clock.advance(1);
        const res = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: i }]), 200);
        ids.push(res.body.order_id as string);
      }
      expectCode(await pay(api, buyer, ids[0]!), 200);
      expectCode(await pay(api, buyer, ids[3]!), 200);
      expectCode(await cancel(api, buyer, ids[4]!), 200);
      const newestFirst = [...ids].reverse();

      const all = expectCode(await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password }), 200);
      assert.equal(all.body.total, 5);
      assert.equal(all.body.page, 1);
      assert.equal(all.body.page_size, 20);
      assert.deepEqual((all.body.orders as OrderView[]).map((o) => o.order_id), newestFirst);
      const created = (all.body.orders as OrderView[]).map((o) => Date.parse(o.created_at));
      assert.deepEqual(created, [...created].sort((x, y) => y - x));

      const paged = expectCode(
        await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password, page: 2, page_size: 2 }),
        200,
      );
      assert.equal(paged.body.total, 5);
      assert.equal(paged.body.page, 2);
      assert.equal(paged.body.page_size, 2);
      assert.deepEqual((paged.body.orders as OrderView[]).map((o) => o.order_id), newestFirst.slice(2, 4));

      assert.deepEqual((await buyerOrders(api, buyer, { status: 'paid' })).map((o) => o.order_id), [ids[3], ids[0]]);
      assert.deepEqual((await buyerOrders(api, buyer, { status: 'cancelled' })).map((o) => o.order_id), [ids[4]]);
      assert.deepEqual((await buyerOrders(api, buyer, { status: 'unpaid' })).map((o) => o.order_id), [ids[2], ids[1]]);
      assert.deepEqual(await buyerOrders(api, buyer, { status: 'received' }), []);
      const filtered = expectCode(
        await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password, status: 'unpaid', page_size: 1 }),
        200,
      );
      assert.equal(filtered.body.total, 2, 'total counts the filtered matches');
      assert.equal((filtered.body.orders as OrderView[]).length, 1);
      const nulls = expectCode(
        await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password, status: null, page: null, page_size: null }),
        200,
      );
      assert.equal(nulls.body.total, 5);
      assert.equal(nulls.body.page, 1);
      assert.equal(nulls.body.page_size, 20);
    });

    test('only the buyer\'s own orders; an order as shown has every documented field', async () => {
      const a = await orderIn(api, 'received', { price: 321, count: 3 });
      const b = await orderIn(api, 'unpaid');
      const mine = await buyerOrders(api, a.buyer);
      assert.equal(mine.length, 1);
      const order = mine[0]!;
      assert.deepEqual(Object.keys(order).sort(), [
        'books', 'buyer_id', 'cancel_reason', 'cancelled_at', 'created_at', 'order_id', 'paid_at',
        'received_at', 'shipped_at', 'status', 'store_id', 'total_price',
      ]);
      assert.equal(order.order_id, a.orderId);
      assert.equal(order.status, 'received');
      assert.equal(order.total_price, 963);
      for (const stamp of [order.created_at, order.paid_at, order.shipped_at, order.received_at]) {
        assert.equal(typeof stamp, 'string');
        assert.ok(!Number.isNaN(Date.parse(stamp!)));
      }
      assert.equal(order.cancelled_at, null);
      assert.deepEqual(order.books, [{ id: 'book-1', title: 'Book 1', count: 3, price: 321 }]);
      assert.deepEqual((await buyerOrders(api, b.buyer)).map((o) => o.order_id), [b.orderId]);
    });

    test('401 wrong password or unknown user; a user without orders gets an empty list', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/buyer/query_order', { user_id: u.userId, password: 'bad' }), 401);
      expectCode(await api.post('/buyer/query_order', { user_id: uid('ghost'), password: 'x' }), 401);
      const res = expectCode(await api.post('/buyer/query_order', { user_id: u.userId, password: u.password }), 200);
      assert.deepEqual(res.body.orders, []);
      assert.equal(res.body.total, 0);
    });
  });

  test('the seller\'s view and the buyer\'s view of an order agree', async () => {
    const a = await orderIn(api, 'shipped');
    const [sellerView] = (
      await api.post('/seller/query_order', { user_id: a.shop.seller.userId }, a.shop.seller.token)
    ).body.orders as OrderView[];
    assert.deepEqual(sellerView, await orderOf(api, a.buyer, a.orderId));
    expectCode(await ship(api, a.shop, a.orderId), 525);
  });
});
