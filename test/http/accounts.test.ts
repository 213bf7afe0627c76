import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { balanceOf, hasBalance, newBuyer, newStore, newUser, pay, placeOrder, stockOf, uid, type User } from '../helpers/client.js';
import {
  addFunds,
  buyerOrders,
  cancel,
  expectCode,
  orderIn,
  orderOf,
  receive,
  sellerOrders,
  ship,
  statusOf,
} from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

describe(`accounts (${DB_KIND})`, () => {
  const { api } = useServer();

  const login = async (u: { userId: string; password: string }, terminal: string): Promise<string> => {
    const res = expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal }), 200, `login on ${terminal}`);
    return res.body.token as string;
  };
  /** 200 while the token is valid for the user, 401 otherwise; changes nothing. */
  const tokenStatus = async (userId: string, token: string) =>
    (await api.post('/seller/query_order', { user_id: userId }, token)).status;
  const unregister = (u: User, password = u.password) => api.post('/auth/unregister', { user_id: u.userId, password });

  describe('tokens per terminal', () => {
    test('a login on a second terminal keeps the first token valid', async () => {
      const u = await newUser(api);
      const phone = await login(u, 'phone');
      assert.equal(await tokenStatus(u.userId, u.token), 200);
      assert.equal(await tokenStatus(u.userId, phone), 200);
      assert.notEqual(phone, u.token);
    });

    test('logging in again on the same terminal invalidates that terminal\'s old token only', async () => {
      const u = await newUser(api); // logged in on terminal-1
      const phone = await login(u, 'phone');
      const again = await login(u, 'terminal-1');
      assert.equal(await tokenStatus(u.userId, u.token), 401, 'the replaced token is dead');
      assert.equal(await tokenStatus(u.userId, again), 200);
      assert.equal(await tokenStatus(u.userId, phone), 200, 'the other terminal is unaffected');
      // the old token cannot act either
      expectCode(await api.post('/seller/create_store', { user_id: u.userId, store_id: uid('s') }, u.token), 401);
      expectCode(await api.post('/auth/logout', { user_id: u.userId }, u.token), 401);
    });

    test('logout ends only its own terminal', async () => {
      const u = await newUser(api);
      const phone = await login(u, 'phone');
      expectCode(await api.post('/auth/logout', { user_id: u.userId }, phone), 200);
      assert.equal(await tokenStatus(u.userId, phone), 401);
      assert.equal(await tokenStatus(u.userId, u.token), 200);
      // a new login on the logged-out terminal works
      assert.equal(await tokenStatus(u.userId, await login(u, 'phone')), 200);
    });

    test('a token works only for its own user', async () => {
      const a = await newUser(api);
      const b = await newUser(api);
      assert.equal(await tokenStatus(b.userId, a.token), 401);
      expectCode(await api.post('/seller/create_store', { user_id: b.userId, store_id: uid('s') }, a.token), 401);
    });
  });

  describe('password change', () => {
    test('invalidates every token of the user and the old password; the new one works', async () => {
      const u = await newUser(api);
      const phone = await login(u, 'phone');
      const other = await newUser(api);
      expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: 'brand-new' }), 200);
      assert.equal(await tokenStatus(u.userId, u.token), 401);
      assert.equal(await tokenStatus(u.userId, phone), 401);
      assert.equal(await tokenStatus(other.userId, other.token), 200, 'other users keep their sessions');
      expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 401);
      expectCode(await addFunds(api, u, 10), 401);
      expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: 'x' }), 401);
      const renewed: User = { userId: u.userId, password: 'brand-new', token: await login({ userId: u.userId, password: 'brand-new' }, 'phone') };
      assert.equal(await tokenStatus(u.userId, renewed.token), 200);
      expectCode(await addFunds(api, renewed, 10), 200);
      assert.ok(await hasBalance(api, renewed, 10));
    });

    test('the money and orders of the account are kept', async () => {
      const o = await orderIn(api, 'paid', { funds: 10_000 });
      const newPassword = 'changed';
      expectCode(await api.post('/auth/password', { user_id: o.buyer.userId, oldPassword: o.buyer.password, newPassword }), 200);
      const buyer: User = { ...o.buyer, password: newPassword };
      assert.ok(await hasBalance(api, buyer, 10_000 - o.total));
      assert.equal(await statusOf(api, buyer, o.orderId), 'paid');
    });
  });

  describe('unregister', () => {
    test('401 for a wrong password; afterwards login → 401 and every token is dead', async () => {
      const u = await newUser(api);
      const phone = await login(u, 'phone');
      expectCode(await unregister(u, 'wrong'), 401);
      assert.equal(await tokenStatus(u.userId, phone), 200, 'a refused unregister changed nothing');
      expectCode(await unregister(u), 200);
      expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 401);
      assert.equal(await tokenStatus(u.userId, u.token), 511, 'the user no longer exists for seller endpoints');
      expectCode(await api.post('/auth/logout', { user_id: u.userId }, phone), 401);
      expectCode(await addFunds(api, u, 1), 401);
      expectCode(await api.post('/buyer/query_order', { user_id: u.userId, password: u.password }), 401);
      expectCode(await api.post('/buyer/payment', { user_id: u.userId, password: u.password, order_id: crypto.randomUUID() }), 512);
      expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: 'x' }), 401);
    });

    test('526 while the balance is not 0; 200 once it is withdrawn', async () => {
      const u = await newBuyer(api, 1);
      expectCode(await unregister(u), 526);
      assert.ok(await hasBalance(api, u, 1), 'a refused unregister changed nothing');
      expectCode(await addFunds(api, u, -1), 200);
      expectCode(await unregister(u), 200);
    });

    test('526 while the user has an unpaid, paid or shipped order as buyer; 200 once it is closed', async () => {
      for (const state of ['unpaid', 'paid', 'shipped'] as const) {
        const o = await orderIn(api, state, { funds: 0, price: 0 });
        expectCode(await unregister(o.buyer), 526, `buyer with a ${state} order`);
        if (state === 'shipped') expectCode(await receive(api, o.buyer, o.orderId), 200);
        else expectCode(await cancel(api, o.buyer, o.orderId), 200);
        expectCode(await unregister(o.buyer), 200, `buyer after the ${state} order was closed`);
      }
    });

    test('526 while the user has an open order as seller, and while the sale\'s money is on the balance', async () => {
      const o = await orderIn(api, 'unpaid', { price: 500, count: 1 });
      const seller = o.shop.seller;
      expectCode(await unregister(seller), 526, 'unpaid order in the store');
      expectCode(await pay(api, o.buyer, o.orderId), 200);
      expectCode(await unregister(seller), 526, 'paid order in the store');
      expectCode(await ship(api, o.shop, o.orderId), 200);
      expectCode(await unregister(seller), 526, 'shipped order in the store');
      expectCode(await receive(api, o.buyer, o.orderId), 200);
      expectCode(await unregister(seller), 526, 'the payment is on the balance');
      assert.equal(await balanceOf(api, seller), 500);
      expectCode(await addFunds(api, seller, -500), 200);
      expectCode(await unregister(seller), 200);
    });

    test('cancelled and received orders do not block', async () => {
      const received = await orderIn(api, 'received', { price: 0 });
      expectCode(await unregister(received.buyer), 200);
      const cancelled = await orderIn(api, 'cancelled');
      expectCode(await addFunds(api, cancelled.buyer, -cancelled.funds), 200);
      expectCode(await unregister(cancelled.buyer), 200);
    });

    test('the id can be registered again: a new account that does not see the old orders; the history stays', async () => {
      const o = await orderIn(api, 'received', { price: 0, count: 3 });
      const old = o.buyer;
      expectCode(await unregister(old), 200);
      expectCode(await api.post('/auth/register', { user_id: old.userId, password: 'another' }), 200);
      const fresh: User = { userId: old.userId, password: 'another', token: await login({ userId: old.userId, password: 'another' }, 'terminal-1') };
      assert.deepEqual(await buyerOrders(api, fresh), []);
      assert.ok(await hasBalance(api, fresh, 0));
      expectCode(await api.post('/auth/login', { user_id: old.userId, password: old.password, terminal: 't' }), 401, 'the old password is gone');
      assert.equal(await tokenStatus(old.userId, old.token), 401, 'the old account\'s token does not work for the new one');
      expectCode(await receive(api, fresh, o.orderId), 518, 'the old order is not the new account\'s');
      // the seller still sees the order, under the buyer id it was placed with
      const [history] = await sellerOrders(api, o.shop.seller);
      assert.equal(history?.order_id, o.orderId);
      assert.equal(history?.buyer_id, old.userId);
      assert.equal(history?.status, 'received');
      // and the new account is a full account
      const placed = expectCode(await placeOrder(api, fresh, o.shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
      assert.deepEqual((await buyerOrders(api, fresh)).map((x) => x.order_id), [placed.body.order_id]);
      // the id is taken again now
      expectCode(await api.post('/auth/register', { user_id: old.userId, password: 'third' }), 512);
    });
  });

  describe('closed stores: unregistering a seller closes their stores', () => {
    test('new_order, add_book and add_stock_level answer 513; search no longer lists its books; the id stays taken', async () => {
      const shop = await newStore(api, [{ price: 100, stock: 5, title: 'Closing-down sale' }]);
      const buyer = await newBuyer(api, 1000);
      const word = `closing${Date.now()}`;
      expectCode(
        await api.post('/seller/add_book', { user_id: shop.seller.userId, store_id: shop.storeId, book_info: { id: 'kept', title: `A ${word} book` }, stock_level: 1 }, shop.seller.token),
        200,
      );
      const found = await api.post('/search/books', { keyword: word });
      assert.equal(found.body.total, 1, 'searchable while open');

      expectCode(await unregister(shop.seller), 200);
      const closedOrder = await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 1 }]);
      expectCode(closedOrder, 513);
      assert.match(closedOrder.body.message, /closed/);
      assert.equal((await api.post('/search/books', { keyword: word })).body.total, 0, 'search no longer lists it');
      expectCode(await api.post('/search/books', { keyword: word, store_id: shop.storeId }), 513);

      // Another user cannot take the id, and cannot list or stock books there either.
      const other = await newUser(api, 'seller');
      expectCode(await api.post('/seller/create_store', { user_id: other.userId, store_id: shop.storeId }, other.token), 514);
      // A new account under the old seller's id does not own the closed store.
      expectCode(await api.post('/auth/register', { user_id: shop.seller.userId, password: 'again' }), 200);
      const again = { userId: shop.seller.userId, password: 'again', token: await login({ userId: shop.seller.userId, password: 'again' }, 't') };
      const book = { user_id: again.userId, store_id: shop.storeId, book_info: { id: 'new' }, stock_level: 1 };
      expectCode(await api.post('/seller/add_book', book, again.token), 513);
      expectCode(await api.post('/seller/add_stock_level', { user_id: again.userId, store_id: shop.storeId, book_id: 'book-1', add_stock_level: 1 }, again.token), 513);
      assert.ok(await hasBalance(api, buyer, 1000), 'nothing was charged');
    });

    test('GET /auth/me shows the seller their stores, open or closed', async () => {
      const shop = await newStore(api, []);
      const res = await api.get(`/auth/me?user_id=${encodeURIComponent(shop.seller.userId)}`, shop.seller.token);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.stores, [{ store_id: shop.storeId, closed: false }]);
    });
  });

  describe('GET /auth/me', () => {
    const me = (u: User, token = u.token) => api.get(`/auth/me?user_id=${encodeURIComponent(u.userId)}`, token);

    test('balance, escrow (paid or shipped, not yet received) and stores', async () => {
      const o = await orderIn(api, 'paid', { price: 700, count: 2, funds: 5000 });
      const res = await me(o.buyer);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { message: 'ok', user_id: o.buyer.userId, balance: 5000 - 1400, escrow: 1400, stores: [] });
      expectCode(await ship(api, o.shop, o.orderId), 200);
      assert.equal((await me(o.buyer)).body.escrow, 1400, 'shipped: still in escrow');
      expectCode(await receive(api, o.buyer, o.orderId), 200);
      assert.deepEqual([(await me(o.buyer)).body.balance, (await me(o.buyer)).body.escrow], [3600, 0]);
      assert.equal((await me(o.shop.seller)).body.balance, 1400, 'the seller holds the payment now');
    });

    test('401 without a token, with another user\'s token, or after logout; 400 without user_id', async () => {
      const a = await newUser(api);
      const b = await newUser(api);
      assert.equal((await api.get(`/auth/me?user_id=${a.userId}`)).status, 401);
      assert.equal((await me(a, b.token)).status, 401);
      assert.equal((await me({ ...a, userId: uid('nobody') })).status, 401);
      assert.equal((await api.get('/auth/me', a.token)).status, 400);
      expectCode(await api.post('/auth/logout', { user_id: a.userId }, a.token), 200);
      assert.equal((await me(a)).status, 401);
    });
  });

  describe('add_funds', () => {
    test('a negative value withdraws; 519 when it is larger than the balance (nothing changes)', async () => {
      const u = await newBuyer(api, 5000);
      expectCode(await addFunds(api, u, -1234), 200);
      assert.equal(await balanceOf(api, u), 3766);
      expectCode(await addFunds(api, u, -3767), 519);
      expectCode(await addFunds(api, u, -1_000_000), 519);
      assert.equal(await balanceOf(api, u), 3766);
      expectCode(await addFunds(api, u, -3766), 200);
      assert.ok(await hasBalance(api, u, 0));
      expectCode(await addFunds(api, u, -1), 519);
    });

    test('large amounts are exact', async () => {
      const u = await newBuyer(api, 0);
      const big = 2 ** 40 + 7; // beyond 32 bits: balances are 64-bit cents
      expectCode(await addFunds(api, u, big), 200);
      assert.ok(await hasBalance(api, u, big));
    });

    test('money paid for an order is not withdrawable; a refund is', async () => {
      const o = await orderIn(api, 'paid', { price: 1000, count: 1, funds: 1500 });
      expectCode(await addFunds(api, o.buyer, -501), 519);
      expectCode(await cancel(api, o.buyer, o.orderId), 200);
      expectCode(await addFunds(api, o.buyer, -1500), 200);
      assert.ok(await hasBalance(api, o.buyer, 0));
    });
  });

  describe('a user cannot act on another user\'s store or order', () => {
    test('another seller\'s store → 401 for add_book, add_stock_level, query_order; nothing changes', async () => {
      const victim = await newStore(api, [{ price: 100, stock: 5 }]);
      const intruder = await newUser(api, 'seller');
      const s = victim.storeId;
      expectCode(await api.post('/seller/add_book', { user_id: intruder.userId, store_id: s, book_info: { id: 'evil' }, stock_level: 1 }, intruder.token), 401);
      expectCode(await api.post('/seller/add_stock_level', { user_id: intruder.userId, store_id: s, book_id: 'book-1', add_stock_level: -5 }, intruder.token), 401);
      expectCode(await api.post('/seller/query_order', { user_id: intruder.userId, store_id: s }, intruder.token), 401);
      // with the victim's id but the intruder's token
      expectCode(await api.post('/seller/add_stock_level', { user_id: victim.seller.userId, store_id: s, book_id: 'book-1', add_stock_level: -5 }, intruder.token), 401);
      assert.equal(await stockOf(api, victim.seller, s, 'book-1'), 5);
      expectCode(await api.post('/seller/add_book', { user_id: victim.seller.userId, store_id: s, book_info: { id: 'evil' }, stock_level: 1 }, victim.seller.token), 200, 'evil was never listed');
    });

    test('another buyer\'s order → 518 for payment, close_order, receive_books; another seller\'s order → 401 for send_books', async () => {
      const o = await orderIn(api, 'unpaid', { price: 100, count: 1 });
      const intruder = await newBuyer(api, 10_000);
      const otherShop = await newStore(api, [{ price: 1, stock: 1 }]);
      expectCode(await pay(api, intruder, o.orderId), 518);
      expectCode(await cancel(api, intruder, o.orderId), 518);
      assert.ok(await hasBalance(api, intruder, 10_000));
      assert.equal(await statusOf(api, o.buyer, o.orderId), 'unpaid');
      expectCode(await pay(api, o.buyer, o.orderId), 200);
      expectCode(await ship(api, otherShop, o.orderId), 401);
      expectCode(await cancel(api, intruder, o.orderId), 518);
      assert.equal(await statusOf(api, o.buyer, o.orderId), 'paid');
      expectCode(await ship(api, o.shop, o.orderId), 200);
      expectCode(await receive(api, intruder, o.orderId), 518);
      expectCode(await receive(api, otherShop.seller, o.orderId), 518, 'a seller cannot confirm receipt for the buyer');
      assert.equal(await statusOf(api, o.buyer, o.orderId), 'shipped');
      assert.ok(await hasBalance(api, o.shop.seller, 0));
      // the intruder's order list does not show it
      assert.deepEqual(await buyerOrders(api, intruder), []);
      // the order's own seller may not pay, cancel or receive it as if they were the buyer
      const seller = o.shop.seller;
      expectCode(await api.post('/buyer/close_order', { user_id: seller.userId, password: seller.password, order_id: o.orderId }), 518);
      expectCode(await receive(api, seller, o.orderId), 518);
      expectCode(await receive(api, o.buyer, o.orderId), 200);
      assert.equal((await orderOf(api, o.buyer, o.orderId)).status, 'received');
    });

    test('a buyer who is also a seller can buy from their own store', async () => {
      const shop = await newStore(api, [{ price: 300, stock: 2 }]);
      const me = shop.seller;
      expectCode(await addFunds(api, me, 300), 200);
      const placed = expectCode(await placeOrder(api, me, shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
      const orderId = placed.body.order_id as string;
      expectCode(await pay(api, me, orderId), 200);
      expectCode(await ship(api, shop, orderId), 200);
      expectCode(await receive(api, me, orderId), 200);
      assert.ok(await hasBalance(api, me, 300), 'the money went round');
    });
  });
});
