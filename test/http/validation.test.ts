import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { newBuyer, newStore, newUser, placeOrder, stockOf, uid, type Reply, type User } from '../helpers/client.js';
import { checkConventions, expectCode, orderOf, type Shop } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

interface Fixture {
  shop: Shop;
  buyer: User;
  orderId: string;
}

interface Case {
  path: string;
  what: string;
  /** A substring the 400 message must contain: the field's name. */
  field: string;
  body: (f: Fixture) => unknown;
}

const long = (n: number, ch = '书') => ch.repeat(n);

/** Every endpoint's well-formed body, to be broken one field at a time. */
const VALID: Record<string, (f: Fixture) => Record<string, unknown>> = {
  '/auth/register': () => ({ user_id: uid('v'), password: 'p' }),
  '/auth/unregister': (f) => ({ user_id: f.buyer.userId, password: f.buyer.password }),
  '/auth/login': (f) => ({ user_id: f.buyer.userId, password: f.buyer.password, terminal: 't' }),
  '/auth/logout': (f) => ({ user_id: f.buyer.userId }),
  '/auth/password': (f) => ({ user_id: f.buyer.userId, oldPassword: f.buyer.password, newPassword: f.buyer.password }),
  '/seller/create_store': (f) => ({ user_id: f.shop.seller.userId, store_id: uid('s') }),
  '/seller/add_book': (f) => ({ user_id: f.shop.seller.userId, store_id: f.shop.storeId, book_info: { id: uid('b'), price: 1 }, stock_level: 1 }),
  '/seller/add_stock_level': (f) => ({ user_id: f.shop.seller.userId, store_id: f.shop.storeId, book_id: 'book-1', add_stock_level: 1 }),
  '/seller/send_books': (f) => ({ user_id: f.shop.seller.userId, order_id: f.orderId }),
  '/seller/query_order': (f) => ({ user_id: f.shop.seller.userId }),
  '/buyer/new_order': (f) => ({ user_id: f.buyer.userId, store_id: f.shop.storeId, books: [{ id: 'book-1', count: 1 }] }),
  '/buyer/payment': (f) => ({ user_id: f.buyer.userId, order_id: f.orderId, password: f.buyer.password }),
  '/buyer/add_funds': (f) => ({ user_id: f.buyer.userId, password: f.buyer.password, add_value: 1 }),
  '/buyer/close_order': (f) => ({ user_id: f.buyer.userId, password: f.buyer.password, order_id: f.orderId }),
  '/buyer/receive_books': (f) => ({ buyer_id: f.buyer.userId, order_id: f.orderId }),
  '/buyer/query_order': (f) => ({ user_id: f.buyer.userId, password: f.buyer.password }),
};
const ENDPOINTS = Object.keys(VALID);

const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const withField = (path: string, key: string, value: unknown) => (f: Fixture) => ({ ...VALID[path]!(f), [key]: value });
const missing = (path: string, key: string): Case => ({ path, what: `${key} missing`, field: key, body: (f) => without(VALID[path]!(f), key) });
const wrong = (path: string, key: string, value: unknown, field = key): Case => ({
  path,
  what: `${key} = ${JSON.stringify(value)?.slice(0, 20)}`,
  field,
  body: withField(path, key, value),
});
const bookInfo = (info: Record<string, unknown>): Case['body'] => (f) => ({ ...VALID['/seller/add_book']!(f), book_info: { id: uid('b'), ...info } });
const orderLine = (line: Record<string, unknown>): Case['body'] => (f) => ({ ...VALID['/buyer/new_order']!(f), books: [line] });

const CASES: Case[] = [
  // a required field missing, on every endpoint
  ...ENDPOINTS.flatMap((path) =>
    Object.keys(VALID[path]!({ shop: { seller: { userId: 'x' } }, buyer: {} } as unknown as Fixture))
      .filter((key) => !(path === '/buyer/close_order' && key === 'order_id')) // optional there (seed compatibility)
      .filter((key) => !(path === '/seller/add_book' && key === 'stock_level')) // optional
      .filter((key) => !(path === '/buyer/receive_books' && key === 'buyer_id')) // checked separately
      .map((key) => missing(path, key)),
  ),
  // wrong types
  wrong('/auth/register', 'user_id', 42),
  wrong('/auth/register', 'password', 42),
  wrong('/auth/register', 'user_id', null),
  wrong('/auth/login', 'terminal', 7),
  wrong('/auth/password', 'oldPassword', ['a']),
  wrong('/seller/create_store', 'store_id', { id: 'x' }),
  wrong('/seller/add_book', 'book_info', 'not an object'),
  wrong('/seller/add_book', 'stock_level', -1),
  wrong('/seller/add_book', 'stock_level', 'abc'),
  wrong('/seller/add_book', 'stock_level', 1.5),
  { path: '/seller/add_book', what: 'book_info.id missing', field: 'id', body: (f) => ({ ...VALID['/seller/add_book']!(f), book_info: { title: 't' } }) },
  { path: '/seller/add_book', what: 'tags a string', field: 'tags', body: bookInfo({ tags: 'a,b' }) },
  { path: '/seller/add_book', what: 'tags of numbers', field: 'tags', body: bookInfo({ tags: [1, 2] }) },
  { path: '/seller/add_book', what: 'pictures a string', field: 'pictures', body: bookInfo({ pictures: 'aGVsbG8=' }) },
  { path: '/seller/add_book', what: 'pictures an object', field: 'pictures', body: bookInfo({ pictures: { 0: 'aGVsbG8=' } }) },
  { path: '/seller/add_book', what: 'price negative', field: 'price', body: bookInfo({ price: -1 }) },
  { path: '/seller/add_book', what: 'price fractional', field: 'price', body: bookInfo({ price: 12.5 }) },
  { path: '/seller/add_book', what: 'price a string', field: 'price', body: bookInfo({ price: 'abc' }) },
  { path: '/seller/add_book', what: 'pages a string', field: 'pages', body: bookInfo({ pages: 'many' }) },
  { path: '/seller/add_book', what: 'title a number', field: 'title', body: bookInfo({ title: 5 }) },
  wrong('/seller/add_stock_level', 'add_stock_level', 1.5),
  wrong('/seller/add_stock_level', 'add_stock_level', 'abc'),
  wrong('/seller/add_stock_level', 'add_stock_level', true),
  wrong('/seller/send_books', 'order_id', 12),
  wrong('/seller/query_order', 'page_size', 101),
  wrong('/seller/query_order', 'page_size', 0),
  wrong('/seller/query_order', 'page', 0),
  wrong('/seller/query_order', 'status', 'pending'),
  wrong('/seller/query_order', 'store_id', 3),
  wrong('/buyer/new_order', 'books', 'book-1'),
  wrong('/buyer/new_order', 'books', { id: 'book-1', count: 1 }),
  wrong('/buyer/new_order', 'books', []),
  ...[true, 1.5, 'abc', 0, '0', -1, '-1', '1.5', '', null, ' 4', '4a', [1], { n: 1 }].map(
    (count): Case => ({ path: '/buyer/new_order', what: `count = ${JSON.stringify(count)}`, field: 'count', body: orderLine({ id: 'book-1', count }) }),
  ),
  { path: '/buyer/new_order', what: 'count missing', field: 'count', body: orderLine({ id: 'book-1' }) },
  { path: '/buyer/new_order', what: 'line id missing', field: 'id', body: orderLine({ count: 1 }) },
  { path: '/buyer/new_order', what: 'line id a number', field: 'id', body: orderLine({ id: 1000067, count: 1 }) },
  wrong('/buyer/payment', 'order_id', 5),
  wrong('/buyer/payment', 'password', null),
  wrong('/buyer/add_funds', 'add_value', 1.5),
  wrong('/buyer/add_funds', 'add_value', 'abc'),
  wrong('/buyer/add_funds', 'add_value', true),
  wrong('/buyer/add_funds', 'add_value', null),
  wrong('/buyer/close_order', 'order_id', 5),
  { path: '/buyer/close_order', what: 'status unknown (query form)', field: 'status', body: (f) => ({ user_id: f.buyer.userId, password: f.buyer.password, status: 'done' }) },
  { path: '/buyer/close_order', what: 'page_size 101 (query form)', field: 'page_size', body: (f) => ({ user_id: f.buyer.userId, password: f.buyer.password, page_size: 101 }) },
  wrong('/buyer/receive_books', 'buyer_id', 5),
  wrong('/buyer/receive_books', 'user_id', 5),
  { path: '/buyer/receive_books', what: 'neither buyer_id nor user_id', field: 'buyer_id', body: (f) => ({ order_id: f.orderId }) },
  wrong('/buyer/query_order', 'status', 'shipping'),
  wrong('/buyer/query_order', 'status', 3),
  wrong('/buyer/query_order', 'page_size', 101),
  wrong('/buyer/query_order', 'page_size', '20'),
  wrong('/buyer/query_order', 'page', 0),
  wrong('/buyer/query_order', 'page', 1.5),
  // ids: at most 255 code points, not empty
  wrong('/auth/register', 'user_id', long(256)),
  wrong('/auth/register', 'user_id', ''),
  wrong('/auth/register', 'user_id', long(256, '😀')),
  wrong('/seller/create_store', 'store_id', long(256)),
  wrong('/seller/create_store', 'store_id', ''),
  { path: '/seller/add_book', what: 'book id of 256 chars', field: 'id', body: bookInfo({ id: long(256) }) },
  { path: '/seller/add_book', what: 'book id empty', field: 'id', body: bookInfo({ id: '' }) },
  wrong('/seller/add_stock_level', 'book_id', long(256)),
  { path: '/buyer/new_order', what: 'line id of 256 chars', field: 'id', body: orderLine({ id: long(256), count: 1 }) },
  wrong('/buyer/new_order', 'store_id', long(256)),
  // text PostgreSQL cannot store (NUL) is malformed input, not a server error
  wrong('/auth/register', 'user_id', 'a\u0000b'),
  wrong('/auth/login', 'terminal', 'pc\u0000'),
  { path: '/seller/add_book', what: 'title with NUL', field: 'title', body: bookInfo({ title: 'a\u0000b' }) },
  { path: '/seller/add_book', what: 'tag with NUL', field: 'tags', body: bookInfo({ tags: ['ok', 'a\u0000b'] }) },
  { path: '/seller/add_book', what: 'picture not base64', field: 'pictures', body: bookInfo({ pictures: ['***'] }) },
];

describe(`validation (${DB_KIND})`, () => {
  const { server, api } = useServer();
  let fx: Fixture;
  before(async () => {
    const shop = await newStore(api, [{ price: 100, stock: 1000 }]);
    const buyer = await newBuyer(api, 1000);
    const placed = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
    fx = { shop, buyer, orderId: placed.body.order_id as string };
  });

  /** The token header each endpoint's caller would send. */
  const tokenFor = (path: string) => (path.startsWith('/seller/') ? fx.shop.seller.token : fx.buyer.token);

  /** A request exactly as given, for bodies and content types the JSON client cannot send. */
  async function raw(path: string, body: string | Blob | undefined, contentType: string | null, method = 'POST'): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (contentType !== null) headers['content-type'] = contentType;
    const res = await fetch(server.url + path, { method, headers, body });
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}: not JSON`);
    const reply = { status: res.status, body: JSON.parse(await res.text()) as Record<string, any> };
    checkConventions(path, reply);
    return reply;
  }

  test('the valid bodies used below are accepted (so each case below breaks exactly one thing)', async () => {
    for (const path of ['/seller/add_book', '/seller/add_stock_level', '/seller/query_order', '/buyer/add_funds', '/buyer/query_order']) {
      expectCode(await api.post(path, VALID[path]!(fx), tokenFor(path)), 200, path);
    }
  });

  test('400 naming the field, with a valid token, without a token, with a garbage token', async () => {
    for (const c of CASES) {
      const body = c.body(fx);
      for (const token of [tokenFor(c.path), undefined, 'garbage']) {
        const res = await api.post(c.path, body, token);
        expectCode(res, 400, `${c.path} ${c.what} (token: ${token === undefined ? 'none' : token === 'garbage' ? 'garbage' : 'valid'})`);
        assert.ok(
          (res.body.message as string).includes(c.field),
          `${c.path} ${c.what}: message "${res.body.message}" does not name ${c.field}`,
        );
      }
    }
    // nothing of the above took effect
    assert.equal(await stockOf(api, fx.shop.seller, fx.shop.storeId, 'book-1'), 999 + 1 /* one add_stock_level above */);
    assert.equal((await orderOf(api, fx.buyer, fx.orderId)).status, 'unpaid');
  });

  test('400 wins over an unknown user (511/512/401) on every endpoint', async () => {
    for (const path of ENDPOINTS) {
      const userKey = path === '/buyer/receive_books' ? 'buyer_id' : 'user_id';
      const body: Record<string, unknown> = { ...VALID[path]!(fx), [userKey]: uid('ghost') };
      const other = Object.keys(body).find((k) => k !== userKey);
      if (other === undefined) continue; // logout: its only field is the user (400 vs 401 is in auth.test.ts)
      body[other] = { not: 'a valid value' };
      const res = expectCode(await api.post(path, body), 400, `${path} with ${other} broken`);
      assert.ok((res.body.message as string).includes(other), `${path}: "${res.body.message}" does not name ${other}`);
    }
  });

  test('a body that is not JSON → 400 naming the body, on every endpoint, also without a token', async () => {
    for (const path of ENDPOINTS) {
      for (const text of ['{"user_id": "x",', 'user_id=x&password=y', '{\'user_id\': \'x\'}']) {
        const res = await raw(path, text, 'application/json');
        expectCode(res, 400, `${path} ${text}`);
        assert.match(res.body.message as string, /body/);
      }
    }
  });

  test('JSON that is not an object, and an empty body → 400', async () => {
    for (const path of ['/auth/register', '/seller/create_store', '/buyer/new_order', '/buyer/query_order']) {
      for (const text of ['[]', '"text"', '42', 'null', 'true']) {
        expectCode(await raw(path, text, 'application/json'), 400, `${path} ${text}`);
      }
      expectCode(await raw(path, '', 'application/json'), 400, `${path} empty`);
      expectCode(await raw(path, undefined, null), 400, `${path} no body`);
    }
  });

  test('JSON sent without a content type or with another one is still understood', async () => {
    const id = uid('plain');
    expectCode(await raw('/auth/register', new Blob([JSON.stringify({ user_id: id, password: 'p' })]), null), 200);
    const login = JSON.stringify({ user_id: id, password: 'p', terminal: 't' });
    expectCode(await raw('/auth/login', login, 'application/x-www-form-urlencoded'), 200);
    expectCode(await raw('/auth/login', login, 'application/json; charset=utf-8'), 200);
    expectCode(await raw('/auth/login', new Blob(['{"user_id": ']), null), 400);
  });

  test('JSON sent as text/plain (what fetch() sends for a string body) is understood', async () => {
    const id = uid('plain');
    expectCode(await raw('/auth/register', JSON.stringify({ user_id: id, password: 'p' }), 'text/plain'), 200);
    expectCode(await raw('/auth/login', JSON.stringify({ user_id: id, password: 'p', terminal: 't' }), 'text/plain;charset=UTF-8'), 200);
    expectCode(await raw('/auth/login', '{"user_id": ', 'text/plain;charset=UTF-8'), 400);
  });

  test('ids up to 255 code points are fine: 255 CJK characters, 255 astral emoji', async () => {
    for (const ch of ['书', '😀']) {
      const userId = long(254, ch) + uid('x').slice(-1);
      expectCode(await api.post('/auth/register', { user_id: userId, password: 'p' }), 200);
      const login = expectCode(await api.post('/auth/login', { user_id: userId, password: 'p', terminal: long(255, ch) }), 200);
      const seller: User = { userId, password: 'p', token: login.body.token as string };
      const storeId = long(254, ch) + uid('x').slice(-1);
      expectCode(await api.post('/seller/create_store', { user_id: userId, store_id: storeId }, seller.token), 200);
      const bookId = long(255, ch);
      expectCode(await api.post('/seller/add_book', { user_id: userId, store_id: storeId, book_info: { id: bookId, price: 5 }, stock_level: 3 }, seller.token), 200);
      expectCode(await api.post('/seller/add_stock_level', { user_id: userId, store_id: storeId, book_id: bookId, add_stock_level: 1 }, seller.token), 200);
      const buyer = await newUser(api);
      const placed = expectCode(await placeOrder(api, buyer, storeId, [{ id: bookId, count: 2 }]), 200);
      const order = await orderOf(api, buyer, placed.body.order_id as string);
      assert.equal(order.store_id, storeId);
      assert.equal(order.books[0]?.id, bookId);
      assert.equal(await stockOf(api, seller, storeId, bookId), 2);
    }
  });

  test('a user id is exact: 256 characters is refused, so it cannot collide with the 255-character one', async () => {
    const base = long(255, 'é');
    expectCode(await api.post('/auth/register', { user_id: base, password: 'p' }), 200);
    expectCode(await api.post('/auth/register', { user_id: base + 'é', password: 'p' }), 400);
    expectCode(await api.post('/auth/register', { user_id: base, password: 'p' }), 512);
  });

  test('an id holding a lone UTF-16 surrogate (not a Unicode character) → 400, so it cannot collide with U+FFFD', async () => {
    const tail = uid('s');
    const res = expectCode(await raw('/auth/register', `{"user_id": "a\\ud800${tail}", "password": "p"}`, 'application/json'), 400);
    assert.match(res.body.message as string, /user_id/);
    expectCode(await raw('/auth/register', `{"user_id": "a\\udc00\\ud800${tail}", "password": "p"}`, 'application/json'), 400);
    expectCode(await api.post('/auth/register', { user_id: `a\ufffd${tail}`, password: 'p' }), 200);
  });

  test('unknown extra fields are ignored; optional fields may be null', async () => {
    const id = uid('extra');
    expectCode(await api.post('/auth/register', { user_id: id, password: 'p', email: 'x@example.com', age: 3 }), 200);
    const res = expectCode(
      await api.post('/buyer/new_order', { ...VALID['/buyer/new_order']!(fx), books: [{ id: 'book-1', count: 1, note: 'gift' }], coupon: null }, fx.buyer.token),
      200,
    );
    expectCode(await api.post('/buyer/close_order', { user_id: fx.buyer.userId, password: fx.buyer.password, order_id: res.body.order_id, why: 'x' }), 200);
    expectCode(
      await api.post('/seller/query_order', { user_id: fx.shop.seller.userId, store_id: null, status: null, page: null, page_size: null }, fx.shop.seller.token),
      200,
    );
    expectCode(await api.post('/buyer/query_order', { ...VALID['/buyer/query_order']!(fx), page_size: 100, page: 1, status: 'unpaid' }), 200);
  });

  test('an unknown route → 404 with a JSON message; a known path with the wrong method → 405 with Allow', async () => {
    for (const [method, path] of [['POST', '/nope'], ['GET', '/nope'], ['POST', '/buyer/cancel'], ['POST', '/auth']] as const) {
      const res = await raw(path, method === 'POST' ? '{}' : undefined, method === 'POST' ? 'application/json' : null, method);
      expectCode(res, 404, `${method} ${path}`);
    }
    for (const [method, path] of [['GET', '/auth/login'], ['DELETE', '/buyer/new_order']] as const) {
      const res = await raw(path, undefined, null, method);
      expectCode(res, 405, `${method} ${path}`);
    }
  });

  test('every endpoint answers JSON with a message, for success and failure alike (runs last: it changes state)', async () => {
    const seen = new Set<number>();
    for (const path of ENDPOINTS) {
      // without a token: token endpoints answer 401, password endpoints act
      const res = await raw(path, JSON.stringify(VALID[path]!(fx)), 'application/json');
      seen.add(res.status);
    }
    assert.ok(seen.has(200) && seen.has(401), `statuses seen: ${[...seen].join(', ')}`);
  });
});
