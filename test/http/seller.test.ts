import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newBuyer, newStore, newUser, pay, placeOrder, stockOf, uid, type User } from '../helpers/client.js';
import { expectCode, orderIn, sellerOrders, ship, type OrderView } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

describe(`seller (${DB_KIND})`, () => {
  const { server, api } = useServer();

  const createStore = (u: User, storeId: string, token: string | null = u.token) =>
    api.post('/seller/create_store', { user_id: u.userId, store_id: storeId }, token ?? undefined);
  const addBook = (u: User, storeId: string, bookInfo: Record<string, unknown>, stock?: unknown, token: string | null = u.token) =>
    api.post('/seller/add_book', { user_id: u.userId, store_id: storeId, book_info: bookInfo, ...(stock === undefined ? {} : { stock_level: stock }) }, token ?? undefined);
  const addStock = (u: User, storeId: string, bookId: string, delta: number, token: string | null = u.token) =>
    api.post('/seller/add_stock_level', { user_id: u.userId, store_id: storeId, book_id: bookId, add_stock_level: delta }, token ?? undefined);

  describe('create_store', () => {
    test('200, then 514 for the same store id (also for another seller)', async () => {
      const a = await newUser(api, 'seller');
      const b = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await createStore(a, storeId), 200);
      expectCode(await createStore(a, storeId), 514);
      expectCode(await createStore(b, storeId), 514);
      // the store is still a's: a can list a book, b cannot
      expectCode(await addBook(a, storeId, { id: 'b1' }, 1), 200);
      expectCode(await addBook(b, storeId, { id: 'b2' }, 1), 401);
    });

    test('511 unknown user (wins over a missing token); 401 missing, garbage or foreign token', async () => {
      const a = await newUser(api, 'seller');
      const b = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await api.post('/seller/create_store', { user_id: uid('ghost'), store_id: storeId }), 511);
      expectCode(await api.post('/seller/create_store', { user_id: uid('ghost'), store_id: storeId }, a.token), 511);
      expectCode(await createStore(a, storeId, null), 401);
      expectCode(await createStore(a, storeId, 'garbage'), 401);
      expectCode(await createStore(a, storeId, b.token), 401);
      // none of them created the store
      expectCode(await createStore(a, storeId), 200);
    });

    test('401 (credential) wins over 514 (store exists)', async () => {
      const a = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await createStore(a, storeId), 200);
      expectCode(await createStore(a, storeId, 'garbage'), 401);
    });

    test('a seller can own several stores', async () => {
      const a = await newUser(api, 'seller');
      for (let i = 0; i < 3; i++) expectCode(await createStore(a, uid('store')), 200);
    });
  });

  describe('add_book', () => {
    test('200 with a full book_info; stock_level as given; the book can be ordered with its title and price', async () => {
      const seller = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await createStore(seller, storeId), 200);
      const info = {
        id: '1000067',
        title: '美丽心灵',
        author: '[美] 西尔维娅·娜萨',
        publisher: '上海科技教育出版社',
        original_title: 'A Beautiful Mind',
        translator: '王尔山',
        pub_year: '2000-9',
        pages: 606,
        price: 3879,
        currency_unit: '元',
        binding: '平装',
        isbn: '9787542818972',
        author_intro: '西尔维娅·娜萨',
        book_intro: '约翰·纳什的传记',
        content: '序言\n第一章',
        tags: ['传记', '数学', '诺贝尔奖'],
        pictures: [Buffer.from('picture one').toString('base64'), Buffer.from([0, 1, 2, 255]).toString('base64')],
      };
      expectCode(await addBook(seller, storeId, info, 7), 200);
      assert.equal(await stockOf(api, seller, storeId, '1000067'), 7);
      const buyer = await newBuyer(api, 0);
      const placed = expectCode(await placeOrder(api, buyer, storeId, [{ id: '1000067', count: 1 }]), 200);
      const [order] = await sellerOrders(api, seller, { store_id: storeId });
      assert.equal(order?.order_id, placed.body.order_id);
      assert.equal(order?.total_price, 3879);
      assert.deepEqual(order?.books, [{ id: '1000067', title: '美丽心灵', count: 1, price: 3879 }]);
    });

    test('stock_level absent or null means 0; price null counts as 0', async () => {
      const seller = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await createStore(seller, storeId), 200);
      expectCode(await addBook(seller, storeId, { id: 'absent', price: 100 }), 200);
      expectCode(await addBook(seller, storeId, { id: 'null', price: 100 }, null), 200);
      expectCode(await addBook(seller, storeId, { id: 'free', price: null, title: null, tags: null, pictures: null }, 3), 200);
      assert.equal(await stockOf(api, seller, storeId, 'absent'), 0);
      assert.equal(await stockOf(api, seller, storeId, 'null'), 0);
      const buyer = await newBuyer(api, 0);
      expectCode(await placeOrder(api, buyer, storeId, [{ id: 'absent', count: 1 }]), 517);
      const placed = expectCode(await placeOrder(api, buyer, storeId, [{ id: 'free', count: 2 }]), 200);
      const order = (await sellerOrders(api, seller, { store_id: storeId })).find((o) => o.order_id === placed.body.order_id);
      assert.equal(order?.total_price, 0);
      // a free order can be paid with a zero balance
      expectCode(await pay(api, buyer, placed.body.order_id as string), 200);
    });

    test('516 for a book id already in that store; the same id in another store is fine', async () => {
      const seller = await newUser(api, 'seller');
      const s1 = uid('store');
      const s2 = uid('store');
      expectCode(await createStore(seller, s1), 200);
      expectCode(await createStore(seller, s2), 200);
      expectCode(await addBook(seller, s1, { id: 'dup', price: 10 }, 5), 200);
      expectCode(await addBook(seller, s1, { id: 'dup', price: 99 }, 50), 516);
      assert.equal(await stockOf(api, seller, s1, 'dup'), 5, 'the refused add_book changed nothing');
      expectCode(await addBook(seller, s2, { id: 'dup', price: 20 }, 2), 200);
      assert.equal(await stockOf(api, seller, s2, 'dup'), 2);
    });

    test('511 unknown user; 401 missing or foreign token; 513 unknown store; 401 store of another seller', async () => {
      const a = await newUser(api, 'seller');
      const b = await newUser(api, 'seller');
      const storeA = uid('store');
      expectCode(await createStore(a, storeA), 200);
      expectCode(await api.post('/seller/add_book', { user_id: uid('ghost'), store_id: storeA, book_info: { id: 'x' } }), 511);
      expectCode(await addBook(a, storeA, { id: 'x' }, 1, null), 401);
      expectCode(await addBook(a, storeA, { id: 'x' }, 1, b.token), 401);
      expectCode(await addBook(a, uid('nostore'), { id: 'x' }, 1), 513);
      expectCode(await addBook(b, storeA, { id: 'x' }, 1), 401);
      // nothing was listed
      expectCode(await addBook(a, storeA, { id: 'x' }, 1), 200);
    });

    test('precedence: 401 token before 513 store; 401 ownership before 516 book exists', async () => {
      const a = await newUser(api, 'seller');
      const b = await newUser(api, 'seller');
      const storeA = uid('store');
      expectCode(await createStore(a, storeA), 200);
      expectCode(await addBook(a, storeA, { id: 'taken' }, 1), 200);
      expectCode(await addBook(a, uid('nostore'), { id: 'x' }, 1, 'garbage'), 401);
      expectCode(await addBook(b, storeA, { id: 'taken' }, 1), 401);
    });

    test('a request carrying several MB of pictures is accepted', async () => {
      const seller = await newUser(api, 'seller');
      const storeId = uid('store');
      expectCode(await createStore(seller, storeId), 200);
      const picture = Buffer.alloc(300 * 1024, 7).toString('base64'); // 300 KB each, ~400 KB as base64
      const pictures = Array.from({ length: 10 }, () => picture);
      expectCode(await addBook(seller, storeId, { id: 'pics', title: 'Pictures', pictures }, 1), 200);
      assert.equal(await stockOf(api, seller, storeId, 'pics'), 1);
    });
  });

  describe('add_stock_level', () => {
    test('200 adds and removes stock; 517 below zero changes nothing', async () => {
      const { seller, storeId, books } = await newStore(api, [{ price: 10, stock: 5 }]);
      const id = books[0]!.id;
      expectCode(await addStock(seller, storeId, id, 10), 200);
      assert.equal(await stockOf(api, seller, storeId, id), 15);
      expectCode(await addStock(seller, storeId, id, -4), 200);
      assert.equal(await stockOf(api, seller, storeId, id), 11);
      expectCode(await addStock(seller, storeId, id, -12), 517);
      assert.equal(await stockOf(api, seller, storeId, id), 11);
      expectCode(await addStock(seller, storeId, id, -11), 200);
      assert.equal(await stockOf(api, seller, storeId, id), 0);
      expectCode(await addStock(seller, storeId, id, 0), 200);
    });

    test('511 unknown user; 401 token; 513 unknown store; 401 foreign store; 515 unknown book', async () => {
      const { seller, storeId, books } = await newStore(api, [{ price: 10, stock: 5 }]);
      const other = await newStore(api, [{ price: 10, stock: 5 }]);
      const id = books[0]!.id;
      const body = { store_id: storeId, book_id: id, add_stock_level: 1 };
      expectCode(await api.post('/seller/add_stock_level', { ...body, user_id: uid('ghost') }), 511);
      expectCode(await addStock(seller, storeId, id, 1, null), 401);
      expectCode(await addStock(seller, storeId, id, 1, other.seller.token), 401);
      expectCode(await addStock(seller, uid('nostore'), id, 1), 513);
      expectCode(await addStock(other.seller, storeId, id, 1), 401);
      expectCode(await addStock(seller, storeId, 'no-such-book', 1), 515);
      // the book of another store is not in this one
      expectCode(await addStock(seller, storeId, 'book-x', 1), 515);
      assert.equal(await stockOf(api, seller, storeId, id), 5, 'refused calls changed nothing');
    });

    test('precedence: 513 before 515; 401 ownership before 515 and 517', async () => {
      const { seller, storeId, books } = await newStore(api, [{ price: 10, stock: 1 }]);
      const intruder = await newUser(api, 'seller');
      expectCode(await addStock(seller, uid('nostore'), 'no-such-book', 1), 513);
      expectCode(await addStock(intruder, storeId, 'no-such-book', 1), 401);
      expectCode(await addStock(intruder, storeId, books[0]!.id, -5), 401);
      expectCode(await addStock(seller, storeId, 'no-such-book', -5), 515);
    });
  });

  describe('send_books', () => {
    test('200 moves a paid order to shipped; store_id may be given', async () => {
      const a = await orderIn(api, 'paid');
      const res = await api.post(
        '/seller/send_books',
        { user_id: a.shop.seller.userId, store_id: a.shop.storeId, order_id: a.orderId },
        a.shop.seller.token,
      );
      expectCode(res, 200);
      const [order] = await sellerOrders(api, a.shop.seller);
      assert.equal(order?.status, 'shipped');
      assert.equal(typeof order?.shipped_at, 'string');
    });

    test('511 unknown user; 401 missing/foreign token; 401 order of another seller; 518 unknown order', async () => {
      const a = await orderIn(api, 'paid');
      const b = await newStore(api, [{ price: 1, stock: 1 }]);
      const body = { user_id: a.shop.seller.userId, order_id: a.orderId };
      expectCode(await api.post('/seller/send_books', { ...body, user_id: uid('ghost') }), 511);
      expectCode(await api.post('/seller/send_books', body), 401);
      expectCode(await api.post('/seller/send_books', body, b.seller.token), 401);
      expectCode(await ship(api, b, a.orderId), 401);
      expectCode(await ship(api, a.shop, '00000000-0000-4000-8000-000000000000'), 518);
      expectCode(await ship(api, a.shop, 'not-a-uuid'), 518);
      const [order] = await sellerOrders(api, a.shop.seller);
      assert.equal(order?.status, 'paid', 'refused calls changed nothing');
    });

    test('a store_id that is not the order\'s store → 518 (the order is not found there), before the ownership check', async () => {
      const a = await orderIn(api, 'paid');
      const b = await newStore(api, [{ price: 1, stock: 1 }]);
      const send = (seller: User, storeId: string, token = seller.token) =>
        api.post('/seller/send_books', { user_id: seller.userId, store_id: storeId, order_id: a.orderId }, token);
      expectCode(await send(a.shop.seller, uid('nostore')), 518);
      expectCode(await send(a.shop.seller, b.storeId), 518);
      expectCode(await send(b.seller, b.storeId), 518);
      expectCode(await send(b.seller, a.shop.storeId), 401);
      const [order] = await sellerOrders(api, a.shop.seller);
      assert.equal(order?.status, 'paid');
    });

    test('precedence: 511 before 518; 401 token before 518', async () => {
      const seller = await newUser(api, 'seller');
      expectCode(await api.post('/seller/send_books', { user_id: uid('ghost'), order_id: 'nope' }), 511);
      expectCode(await api.post('/seller/send_books', { user_id: seller.userId, order_id: 'nope' }, 'garbage'), 401);
    });
  });

  describe('query_order', () => {
    test('orders of all the seller\'s stores or of one, newest first, with status filter and paging', async () => {
      const seller = await newUser(api, 'seller');
      const s1 = uid('store');
      const s2 = uid('store');
      expectCode(await createStore(seller, s1), 200);
      expectCode(await createStore(seller, s2), 200);
      expectCode(await addBook(seller, s1, { id: 'b', title: 'One', price: 100 }, 50), 200);
      expectCode(await addBook(seller, s2, { id: 'b', title: 'Two', price: 200 }, 50), 200);
      const buyer = await newBuyer(api, 10_000);
      const ids: string[] = [];
      for (const [store, count] of [[s1, 1], [s2, 2], [s1, 3]] as const) {
        await server.clock.advance(1); // distinct creation times make "newest first" well defined
        const res = expectCode(await placeOrder(api, buyer, store, [{ id: 'b', count }]), 200);
        ids.push(res.body.order_id as string);
      }
      expectCode(await pay(api, buyer, ids[1]!), 200);

      const all = expectCode(await api.post('/seller/query_order', { user_id: seller.userId }, seller.token), 200);
      assert.equal(all.body.total, 3);
      assert.equal(all.body.page, 1);
      assert.equal(all.body.page_size, 20);
      assert.deepEqual((all.body.orders as OrderView[]).map((o) => o.order_id), [...ids].reverse());
      const newest = (all.body.orders as OrderView[])[0]!;
      assert.equal(newest.buyer_id, buyer.userId);
      assert.equal(newest.store_id, s1);
      assert.equal(newest.total_price, 300);
      assert.deepEqual(newest.books, [{ id: 'b', title: 'One', count: 3, price: 100 }]);

      const one = expectCode(await api.post('/seller/query_order', { user_id: seller.userId, store_id: s1 }, seller.token), 200);
      assert.deepEqual((one.body.orders as OrderView[]).map((o) => o.order_id), [ids[2], ids[0]]);
      assert.equal(one.body.total, 2);

      const paid = await sellerOrders(api, seller, { status: 'paid' });
      assert.deepEqual(paid.map((o) => o.order_id), [ids[1]]);
      assert.deepEqual(await sellerOrders(api, seller, { status: 'shipped' }), []);

      const page2 = expectCode(
        await api.post('/seller/query_order', { user_id: seller.userId, page: 2, page_size: 2 }, seller.token),
        200,
      );
      assert.equal(page2.body.total, 3);
      assert.equal(page2.body.page, 2);
      assert.equal(page2.body.page_size, 2);
      assert.deepEqual((page2.body.orders as OrderView[]).map((o) => o.order_id), [ids[0]]);
      const page9 = expectCode(await api.post('/seller/query_order', { user_id: seller.userId, page: 9 }, seller.token), 200);
      assert.deepEqual(page9.body.orders, []);
      assert.equal(page9.body.total, 3);
    });

    test('a seller without orders gets an empty list', async () => {
      const seller = await newUser(api, 'seller');
      const res = expectCode(await api.post('/seller/query_order', { user_id: seller.userId }, seller.token), 200);
      assert.deepEqual(res.body.orders, []);
      assert.equal(res.body.total, 0);
    });

    test('511 unknown user; 401 token; 513 unknown store; 401 store of another seller', async () => {
      const a = await newStore(api, [{ price: 1, stock: 1 }]);
      const b = await newUser(api, 'seller');
      expectCode(await api.post('/seller/query_order', { user_id: uid('ghost') }), 511);
      expectCode(await api.post('/seller/query_order', { user_id: b.userId }), 401);
      expectCode(await api.post('/seller/query_order', { user_id: b.userId }, a.seller.token), 401);
      expectCode(await api.post('/seller/query_order', { user_id: b.userId, store_id: uid('nostore') }, b.token), 513);
      expectCode(await api.post('/seller/query_order', { user_id: b.userId, store_id: a.storeId }, b.token), 401);
    });

    test('orders of other sellers are not shown', async () => {
      const a = await orderIn(api, 'unpaid');
      const b = await newStore(api, [{ price: 1, stock: 1 }]);
      assert.deepEqual(await sellerOrders(api, b.seller), []);
      assert.equal((await sellerOrders(api, a.shop.seller)).length, 1);
    });
  });
});
